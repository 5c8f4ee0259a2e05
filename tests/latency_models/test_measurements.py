"""Tests of latency_models/measurements.py: the measurement store in a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from latency_models.errors import MeasurementStoreError
from latency_models.layers import LayerKind, LayerSpec
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement

KEY = MeasurementKey("local", "fp32", 1)
RESULT = '{"runtime": "litert", "runtime_version": "2.3.0"}'
LAYER = LayerSpec(LayerKind.MBCONV, 24, 40, 56, 56, 5, 2, expand_ratio=3, se_ratio=0.25)


def test_layers_and_networks_are_kept_per_key_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "lat.sqlite"
    with MeasurementStore(path) as store:
        store.add_layer(KEY, LAYER, 0.21, RESULT)
        store.add_layer(MeasurementKey("local", "int8", 1), LAYER, 0.09, "{}")
        for i, ms in enumerate((7.1, 6.2, 8.3)):
            store.add_network(KEY, NetworkMeasurement("mnasnet", f"spec-{i}", (224, 224, 3), 1000, ms), RESULT)
    with MeasurementStore(path) as store:
        assert store.layers(KEY) == [(LAYER, 0.21)]
        assert store.layer_keys(KEY) == {LAYER.key()}
        assert [n.spec for n in store.networks(KEY)] == ["spec-0", "spec-1", "spec-2"]  # in measuring order
        assert store.networks(KEY)[1] == NetworkMeasurement("mnasnet", "spec-1", (224, 224, 3), 1000, 6.2)
        assert store.networks(MeasurementKey("local", "fp32", 2)) == []
        assert store.keys() == [KEY, MeasurementKey("local", "int8", 1)]
        assert '"runtime_version": "2.3.0"' in store.any_result(KEY)
        assert store.any_result(MeasurementKey("phone", "fp32", 1)) is None


def test_a_repeated_measurement_replaces_the_row(tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "lat.sqlite") as store:
        store.add_layer(KEY, LAYER, 0.21, "{}")
        store.add_layer(KEY, LAYER, 0.25, "{}")
        assert store.layers(KEY) == [(LAYER, 0.25)]


@pytest.mark.parametrize(
    ("device", "precision", "threads", "problem"),
    [("", "fp32", 1, "device"), ("local", "fp16", 1, "precision"), ("local", "fp32", 0, "threads")],
)
def test_a_bad_key_is_refused(device: str, precision: str, threads: int, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        MeasurementKey(device, precision, threads)


def test_a_file_that_is_not_a_measurement_store_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"definitely not sqlite" * 50)
    with pytest.raises(MeasurementStoreError, match="not a latency measurement database"):
        MeasurementStore(junk)
    other = tmp_path / "v9.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '9')")
    with pytest.raises(MeasurementStoreError, match="schema version 9"):
        MeasurementStore(other)
