"""`MeasurementStore`: the latencies a predictor learns from, in one SQLite file.

Two kinds of rows, each keyed by the device and the runtime settings it was
measured under (a `MeasurementKey`):

* layers: one `LayerSpec` timed as a single-layer model;
* networks: one spec at one input shape and class count, timed whole.

A row is written once its measurement is done, so an interrupted collection
resumes where it stopped; a key measured before is never measured again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from edgenas.errors import SpecParseError

from .errors import MeasurementStoreError
from .layers import LayerSpec

__all__ = ["MeasurementKey", "MeasurementStore", "NetworkMeasurement", "networks_read_as"]

Spec = TypeVar("Spec")

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS layers (
    device TEXT NOT NULL, precision TEXT NOT NULL, threads INTEGER NOT NULL,
    layer_key TEXT NOT NULL, layer_json TEXT NOT NULL, latency_ms REAL NOT NULL, result_json TEXT NOT NULL,
    PRIMARY KEY (device, precision, threads, layer_key)
);
CREATE TABLE IF NOT EXISTS networks (
    device TEXT NOT NULL, precision TEXT NOT NULL, threads INTEGER NOT NULL,
    space TEXT NOT NULL, spec TEXT NOT NULL, input_shape TEXT NOT NULL, num_classes INTEGER NOT NULL,
    latency_ms REAL NOT NULL, result_json TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (device, precision, threads, spec, input_shape, num_classes)
);
"""


@dataclasses.dataclass(frozen=True, order=True)
class MeasurementKey:
    """Which device and runtime settings a set of measurements belongs to.

    Attributes:
        device: The device's name (a farm tag's backend is ``farm:<tag>``).
        precision: "fp32" or "int8".
        threads: Interpreter threads.
    """

    device: str
    precision: str
    threads: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.device, str) or not self.device:
            raise ValueError(f"device must be a non-empty string, got {self.device!r}")
        if self.precision not in ("fp32", "int8"):
            raise ValueError(f"precision must be 'fp32' or 'int8', got {self.precision!r}")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"threads must be an integer >= 1, got {self.threads!r}")

    def __str__(self) -> str:
        return f"{self.device}/{self.precision}/{self.threads}t"


@dataclasses.dataclass(frozen=True)
class NetworkMeasurement:
    """A whole network's measured latency.

    Attributes:
        space: The search space it came from.
        spec: Its spec string.
        input_shape: Height, width, channels it was measured at.
        num_classes: Its classifier outputs.
        latency_ms: Median latency.
    """

    space: str
    spec: str
    input_shape: tuple[int, int, int]
    num_classes: int
    latency_ms: float


class MeasurementStore:
    """Layer and network latencies in a SQLite file (created with its folder when missing).

    Args:
        path: The database file.

    Raises:
        MeasurementStoreError: The file is not a measurement database of this version.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30.0)
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.executescript(_SCHEMA)
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                self._conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(_SCHEMA_VERSION),))
            elif row[0] != str(_SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"schema version {row[0]}, this version reads {_SCHEMA_VERSION}")
        except sqlite3.DatabaseError as e:
            self._conn.close()
            raise MeasurementStoreError(f"{self._path}: not a latency measurement database: {e}") from None

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Closes the database."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> MeasurementStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- layers -----------------------------------------------------------------------------------

    def add_layer(self, key: MeasurementKey, layer: LayerSpec, latency_ms: float, result_json: str) -> None:
        """Records a single-layer measurement (a repeat replaces the row)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO layers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key.device, key.precision, key.threads, layer.key(), json.dumps(layer.to_json()), latency_ms,
                 result_json),
            )  # fmt: skip

    def layer_keys(self, key: MeasurementKey) -> set[str]:
        """`LayerSpec.key()` of every layer measured under `key`."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT layer_key FROM layers WHERE device = ? AND precision = ? AND threads = ?",
                (key.device, key.precision, key.threads),
            ).fetchall()
        return {r[0] for r in rows}

    def layers(self, key: MeasurementKey) -> list[tuple[LayerSpec, float]]:
        """Every layer measured under `key` with its latency, in key order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT layer_json, latency_ms FROM layers WHERE device = ? AND precision = ? AND threads = ? "
                "ORDER BY layer_key",
                (key.device, key.precision, key.threads),
            ).fetchall()
        return [(LayerSpec.from_json(json.loads(j)), ms) for j, ms in rows]

    # -- networks ---------------------------------------------------------------------------------

    def add_network(self, key: MeasurementKey, network: NetworkMeasurement, result_json: str) -> None:
        """Records a whole-network measurement (a repeat replaces the row, keeping its position)."""
        shape = json.dumps(list(network.input_shape))
        with self._lock:
            position = self._conn.execute("SELECT COUNT(*) FROM networks").fetchone()[0]
            self._conn.execute(
                "INSERT OR REPLACE INTO networks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key.device, key.precision, key.threads, network.space, network.spec, shape, network.num_classes,
                 network.latency_ms, result_json, position),
            )  # fmt: skip

    def networks(self, key: MeasurementKey) -> list[NetworkMeasurement]:
        """Every network measured under `key`, in the order they were measured."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT space, spec, input_shape, num_classes, latency_ms FROM networks "
                "WHERE device = ? AND precision = ? AND threads = ? ORDER BY position",
                (key.device, key.precision, key.threads),
            ).fetchall()
        return [
            NetworkMeasurement(space, spec, tuple(json.loads(shape)), classes, ms)  # type: ignore[arg-type]
            for space, spec, shape, classes, ms in rows
        ]

    def any_result(self, key: MeasurementKey) -> str | None:
        """The profiler JSON of one measurement under `key` (for its runtime and version), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT result_json FROM networks WHERE device = ? AND precision = ? AND threads = ? "
                "UNION ALL SELECT result_json FROM layers WHERE device = ? AND precision = ? AND threads = ? LIMIT 1",
                (key.device, key.precision, key.threads) * 2,
            ).fetchone()
        return None if row is None else row[0]

    def keys(self) -> list[MeasurementKey]:
        """Every (device, precision, threads) with measurements."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT device, precision, threads FROM layers UNION SELECT device, precision, threads FROM networks"
            ).fetchall()
        return sorted(MeasurementKey(d, p, t) for d, p, t in rows) if rows else []


def networks_read_as(
    store: MeasurementStore, key: MeasurementKey, parse: Callable[[str], Spec]
) -> list[tuple[Spec, NetworkMeasurement]]:
    """The networks measured under `key` whose spec string `parse` reads, each with its spec, in measured order.

    A store may hold networks of several families (chains and detectors); each
    predictor reads the rows of its own spec type (`ArchSpec.parse`,
    `SpineNetDetectorSpec.parse`), and a row in another grammar
    (`SpecParseError`) is another family's. A row in the right grammar with
    invalid values is an error, not skipped.
    """
    found = []
    for network in store.networks(key):
        try:
            found.append((parse(network.spec), network))
        except SpecParseError:
            continue
    return found
