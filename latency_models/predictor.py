"""`LatencyPredictor`: a spec's latency on one device, predicted from the spec alone.

A prediction has two stages:

1. **Layers.** Each layer of the network (`layers.layers_of`) gets a latency:
   its measured single-layer latency from the file's lookup table, or, for a
   layer the table lacks, the file's layer model (a regressor over
   `LAYER_FEATURES`).
2. **Network.** The network model (a regressor over `NETWORK_FEATURES`: the
   sum of the layer latencies, per kind, plus MACs, activation traffic and
   layer counts) predicts the ratio of the network's latency to the sum of its
   layers' latencies; it learns what a sum of separately timed layers misses
   (fusion between layers, caches). Predicting the ratio rather than the
   latency itself keeps tree models honest on networks larger than any they
   were trained on: the sum scales, the learned correction stays in range.

A predictor file is plain JSON (`FILE_FORMAT`, `FILE_VERSION`): the device,
runtime, precision and threads it describes, the space and feature schema, the
domain it was trained on, the table and both regressors as numbers. Nothing in
it is a pickled library object. A layer outside the domain (a kind, kernel,
stride, expansion or SE the file never saw, channels or resolution outside
its ranges, another input shape or class count) raises `OutOfDomainError`; a
prediction is never silently 0.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgenas.specs.arch import ArchSpec

from ._json_file import read_json_file, write_json_file
from .errors import OutOfDomainError, PredictorFileError
from .layers import (
    LAYER_FEATURES,
    LayerFields,
    LayerKind,
    LayerSpec,
    block_layer_fields,
    head_fields,
    layer_features,
    layer_from_fields,
    stem_fields,
)
from .regressors import Regressor, regressor_from_json

__all__ = [
    "FILE_FORMAT",
    "FILE_VERSION",
    "NETWORK_FEATURES",
    "NETWORK_TARGET",
    "LatencyPredictor",
    "LayerDomain",
    "OutOfDomainError",
    "PredictorInfo",
    "layer_latencies_ms",
    "network_features",
]

FILE_FORMAT = "edgenas-latency-predictor"
FILE_VERSION = 2
"""2: the network model predicts latency / layer sum (1 predicted the latency itself)."""

NETWORK_FEATURES = (
    "layer_sum_ms", "stem_ms", "conv_ms", "mbconv_ms", "fused_mbconv_ms", "head_ms",
    "macs_m", "params_k", "activation_k", "expanded_activation_k",
    "num_layers", "num_se_layers", "num_skip_layers", "num_stride2_layers",
    "inverse_layer_sum_per_ms",
)  # fmt: skip
"""Names of the entries of `network_features`. All but the last are sums over the layers; the last, 1 / the
layer sum, lets a linear ratio model express a fixed per-network overhead."""

NETWORK_TARGET = "latency_over_layer_sum"
"""What the network model predicts: the network's latency divided by `layer_sum_ms`."""

_F = {name: i for i, name in enumerate(LAYER_FEATURES)}
_N = {name: i for i, name in enumerate(NETWORK_FEATURES)}
_KIND_COLUMN = {kind: _N[f"{kind.value}_ms"] for kind in LayerKind}
_SUMS = len(NETWORK_FEATURES) - 1  # every network feature but the last is a sum over the layers
_RANGE_FIELDS = ("in_channels", "out_channels", "in_height", "in_width")


def _layer_type(layer: LayerSpec) -> tuple[str, int, int, int, float, str]:
    return (layer.kind.value, layer.kernel_size, layer.strides, layer.expand_ratio, layer.se_ratio,
            layer.activation.value)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class LayerDomain:
    """The layers a predictor may be asked about.

    Attributes:
        types: Every (kind, kernel, stride, expansion, SE ratio, activation) seen.
        ranges: Per kind, the [low, high] of each of `_RANGE_FIELDS` seen.
    """

    types: frozenset[tuple[str, int, int, int, float, str]]
    ranges: dict[str, dict[str, tuple[int, int]]]

    @classmethod
    def of(cls, layers: Iterable[LayerSpec]) -> LayerDomain:
        """The domain spanned by `layers`."""
        types: set[tuple[str, int, int, int, float, str]] = set()
        ranges: dict[str, dict[str, tuple[int, int]]] = {}
        for layer in layers:
            types.add(_layer_type(layer))
            kind = ranges.setdefault(layer.kind.value, {})
            for field in _RANGE_FIELDS:
                value = getattr(layer, field)
                low, high = kind.get(field, (value, value))
                kind[field] = (min(low, value), max(high, value))
        return cls(frozenset(types), ranges)

    def check(self, layer: LayerSpec) -> None:
        """Raises `OutOfDomainError` naming what is outside the domain."""
        if _layer_type(layer) not in self.types:
            kind, k, s, e, se, act = _layer_type(layer)
            seen = sorted({f"k{t[1]} s{t[2]} e{t[3]} se{t[4]:g}" for t in self.types if t[0] == kind and t[5] == act})
            raise OutOfDomainError(
                f"the predictor never saw a {kind} layer with kernel {k}, stride {s}, expansion {e}, SE {se:g} "
                f"and {act} (it knows {kind}/{act}: {', '.join(seen) or 'none'})"
            )
        ranges = self.ranges[layer.kind.value]
        for field in _RANGE_FIELDS:
            low, high = ranges[field]
            value = getattr(layer, field)
            if not low <= value <= high:
                raise OutOfDomainError(
                    f"{field} {value} of a {layer.kind.value} layer is outside the range {low}..{high} "
                    "the predictor was trained on"
                )

    def to_json(self) -> dict[str, Any]:
        """A JSON object."""
        return {
            "types": sorted(list(t) for t in self.types),
            "ranges": {kind: {f: list(r) for f, r in fields.items()} for kind, fields in sorted(self.ranges.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LayerDomain:
        """The inverse of `to_json`."""
        types = frozenset((str(t[0]), int(t[1]), int(t[2]), int(t[3]), float(t[4]), str(t[5])) for t in data["types"])
        ranges = {
            str(kind): {str(f): (int(r[0]), int(r[1])) for f, r in fields.items()}
            for kind, fields in data["ranges"].items()
        }
        for kind, fields in ranges.items():
            if set(fields) != set(_RANGE_FIELDS):
                raise ValueError(f"domain ranges of {kind!r} must give {list(_RANGE_FIELDS)}, got {sorted(fields)}")
        return cls(types, ranges)


@dataclasses.dataclass(frozen=True)
class PredictorInfo:
    """What a predictor describes.

    Attributes:
        device: The device's name.
        runtime: What ran the models ("litert").
        runtime_version: Its version when measured.
        precision: "fp32" or "int8".
        threads: Interpreter threads.
        space: The search space it covers.
        input_shapes: Input shapes it was trained on.
        num_classes: Class counts it was trained on.
        created_at: ISO 8601 time of training.
        training: Free-form facts of training (counts, family scores).
    """

    device: str
    runtime: str
    runtime_version: str
    precision: str
    threads: int
    space: str
    input_shapes: tuple[tuple[int, int, int], ...]
    num_classes: tuple[int, ...]
    created_at: str
    training: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)


def network_features(layers: Sequence[LayerSpec], layer_ms: Sequence[float]) -> list[float]:
    """The network-level numbers (`NETWORK_FEATURES` order) from its layers and their latencies."""
    row = _layer_sums(layers, layer_ms)
    return [*row, 1.0 / row[0] if row[0] > 0 else 0.0]


def _layer_sums(layers: Sequence[LayerSpec], layer_ms: Sequence[float]) -> list[float]:
    """The additive part of `network_features` (all but its last entry)."""
    row = [0.0] * (len(NETWORK_FEATURES) - 1)
    for layer, ms in zip(layers, layer_ms, strict=True):
        f = layer_features(layer)
        row[_N["layer_sum_ms"]] += ms
        row[_KIND_COLUMN[layer.kind]] += ms
        row[_N["macs_m"]] += f[_F["macs_m"]]
        row[_N["params_k"]] += f[_F["params_k"]]
        row[_N["activation_k"]] += f[_F["in_activation_k"]] + f[_F["out_activation_k"]]
        row[_N["expanded_activation_k"]] += f[_F["expanded_activation_k"]]
        row[_N["num_layers"]] += 1
        row[_N["num_se_layers"]] += f[_F["has_se"]]
        row[_N["num_skip_layers"]] += f[_F["has_skip"]]
        row[_N["num_stride2_layers"]] += layer.strides == 2
    return row


def layer_latencies_ms(
    layers: Sequence[LayerSpec], *, table: dict[LayerSpec, float], layer_model: Regressor
) -> dict[LayerSpec, float]:
    """The latency of each distinct layer: measured when `table` has it, else `layer_model`'s (never below 0).

    Args:
        layers: The layers (repeats allowed; no domain check here).
        table: Measured single-layer latencies.
        layer_model: Regressor over `LAYER_FEATURES` for the layers the table lacks.
    """
    distinct = list(dict.fromkeys(layers))
    out = {layer: table[layer] for layer in distinct if layer in table}
    unmeasured = [layer for layer in distinct if layer not in table]
    if unmeasured:
        predicted = layer_model.predict(np.array([layer_features(x) for x in unmeasured]))
        out.update((layer, max(float(ms), 0.0)) for layer, ms in zip(unmeasured, predicted, strict=True))
    return out


class LatencyPredictor:
    """Predicts a spec's latency on one device and runtime setting (see the module docstring).

    Args:
        info: What it describes.
        domain: The layers it may be asked about.
        table: Measured single-layer latencies, by layer.
        layer_model: Regressor of a layer's latency from `LAYER_FEATURES`.
        network_model: Regressor of a network's latency over its layer sum (`NETWORK_FEATURES[0]`),
            from `NETWORK_FEATURES`.
    """

    def __init__(
        self,
        *,
        info: PredictorInfo,
        domain: LayerDomain,
        table: dict[LayerSpec, float],
        layer_model: Regressor,
        network_model: Regressor,
    ) -> None:
        if layer_model.num_features != len(LAYER_FEATURES):
            raise ValueError(f"layer model reads {layer_model.num_features} features, expected {len(LAYER_FEATURES)}")
        if network_model.num_features != len(NETWORK_FEATURES):
            raise ValueError(
                f"network model reads {network_model.num_features} features, expected {len(NETWORK_FEATURES)}"
            )
        self.info = info
        self.domain = domain
        self.table = dict(table)
        self.layer_model = layer_model
        self.network_model = network_model
        self._layer_ms: dict[LayerSpec, float] = {}  # checked layers and their latencies
        self._rows: dict[LayerFields, list[float]] = {}  # a checked layer's share of `network_features`
        self._parts: dict[tuple[Any, ...], tuple[list[float], tuple[int, int, int]]] = {}  # a stem, block or head

    # -- prediction -------------------------------------------------------------------------------

    def layer_latency_ms(self, layers: Sequence[LayerSpec]) -> list[float]:
        """Each layer's latency: measured when the table has it, else the layer model's.

        Raises:
            OutOfDomainError: A layer is outside the domain.
        """
        known = self._layer_ms
        missing = [layer for layer in dict.fromkeys(layers) if layer not in known]
        if missing:
            for layer in missing:
                self.domain.check(layer)
            known.update(layer_latencies_ms(missing, table=self.table, layer_model=self.layer_model))
        return [known[layer] for layer in layers]

    def check_setting(self, *, input_shape: tuple[int, int, int], num_classes: int) -> tuple[int, int, int]:
        """The input shape as ints, if the predictor was trained at it and at `num_classes`.

        Raises:
            OutOfDomainError: Another input shape or class count.
        """
        shape = tuple(int(v) for v in input_shape)
        if shape not in self.info.input_shapes:
            raise OutOfDomainError(
                f"the predictor was trained at input shape(s) {[list(s) for s in self.info.input_shapes]}, "
                f"not {list(shape)}"
            )
        if num_classes not in self.info.num_classes:
            raise OutOfDomainError(
                f"the predictor was trained with num_classes {list(self.info.num_classes)}, not {num_classes}"
            )
        return shape  # type: ignore[return-value]

    def features(
        self, spec: ArchSpec, *, input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 1000
    ) -> list[float]:
        """The network model's input for `spec` (`NETWORK_FEATURES` order).

        Raises:
            OutOfDomainError: Another input shape or class count, or a layer outside the domain.
        """
        shape = self.check_setting(input_shape=input_shape, num_classes=num_classes)
        height, width, _ = shape
        state = (spec.stem_filters, -(-height // 2), -(-width // 2))
        known = self._parts  # a stem's, block's or head's share of the sums, cached by what decides it
        key: tuple[Any, ...] = ("stem", spec.stem_filters, spec.activation, shape)
        parts = [(known.get(key) or self._add_part(key, [stem_fields(spec, input_shape=shape)], state))[0]]
        for block in spec.blocks:
            key = (block, spec.activation_of(block), state)
            row, state = known.get(key) or self._add_part(key, *block_layer_fields(block, key[1].value, state))
            parts.append(row)
        key = ("head", state, spec.head_filters, spec.activation, num_classes)
        parts.append((known.get(key) or self._add_part(key, [head_fields(spec, state, num_classes=num_classes)],
                                                       state))[0])  # fmt: skip
        sums = [sum(column) for column in zip(*parts)]
        return [*sums, 1.0 / sums[0] if sums[0] > 0 else 0.0]

    def _add_part(
        self, key: tuple[Any, ...], layers: list[LayerFields], state: tuple[int, int, int]
    ) -> tuple[list[float], tuple[int, int, int]]:
        """Caches the sums over `layers` (and the output `state` they hand on) under `key`."""
        row = [sum(column) for column in zip(*self.layer_rows(layers))] if layers else [0.0] * _SUMS
        self._parts[key] = (row, state)
        return row, state

    def layer_rows(self, layers: Sequence[LayerFields]) -> list[list[float]]:
        """Each layer's share of `network_features` (all but its last entry), from its latency (cached).

        Raises:
            OutOfDomainError: A layer is outside the domain.
        """
        rows = self._rows
        missing = [fields for fields in dict.fromkeys(layers) if fields not in rows]
        if missing:
            specs = [layer_from_fields(fields) for fields in missing]
            for fields, layer, ms in zip(missing, specs, self.layer_latency_ms(specs), strict=True):
                rows[fields] = _layer_sums([layer], [ms])
        return [rows[fields] for fields in layers]

    def predict_many(
        self,
        specs: Sequence[ArchSpec],
        *,
        input_shape: tuple[int, int, int] = (224, 224, 3),
        num_classes: int = 1000,
    ) -> np.ndarray:
        """Predicted latencies in ms, one per spec (one call of the network model for all).

        Raises:
            OutOfDomainError: A spec is outside the domain (the message names what).
        """
        if not specs:
            return np.zeros(0)
        rows = np.array([self.features(s, input_shape=input_shape, num_classes=num_classes) for s in specs])
        return rows[:, 0] * np.maximum(self.network_model.predict(rows), 0.0)

    def predict(
        self, spec: ArchSpec, *, input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 1000
    ) -> float:
        """The predicted latency of one spec, in ms (see `predict_many`)."""
        row = self.features(spec, input_shape=input_shape, num_classes=num_classes)
        return row[0] * max(float(self.network_model.predict(np.array([row]))[0]), 0.0)

    # -- files ------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        info = self.info
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "device": info.device,
            "runtime": info.runtime,
            "runtime_version": info.runtime_version,
            "precision": info.precision,
            "threads": info.threads,
            "space": info.space,
            "input_shapes": [list(s) for s in info.input_shapes],
            "num_classes": list(info.num_classes),
            "created_at": info.created_at,
            "training": info.training,
            "feature_schema": {"layer": list(LAYER_FEATURES), "network": list(NETWORK_FEATURES),
                               "network_target": NETWORK_TARGET},  # fmt: skip
            "domain": self.domain.to_json(),
            "layer_table": [
                {"layer": layer.to_json(), "latency_ms": ms}
                for layer, ms in sorted(self.table.items(), key=lambda item: item[0].key())
            ],
            "layer_model": self.layer_model.to_json(),
            "network_model": self.network_model.to_json(),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the predictor file (JSON, folder created when missing)."""
        return write_json_file(path, self.to_json())

    @classmethod
    def from_json(cls, data: Any, *, source: str = "<predictor>") -> LatencyPredictor:
        """A predictor from a file's decoded content.

        Raises:
            PredictorFileError: Not a predictor file, another version, another feature schema, or malformed.
        """
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise PredictorFileError(f"{source}: not an edgenas latency predictor file (no format {FILE_FORMAT!r})")
        if data.get("version") != FILE_VERSION:
            raise PredictorFileError(f"{source}: predictor file version {data.get('version')!r}; "
                                     f"this edgenas reads {FILE_VERSION}")  # fmt: skip
        schema = data.get("feature_schema", {})
        if (not isinstance(schema, dict) or schema.get("layer") != list(LAYER_FEATURES)
                or schema.get("network") != list(NETWORK_FEATURES)
                or schema.get("network_target") != NETWORK_TARGET):  # fmt: skip
            raise PredictorFileError(f"{source}: the file's feature schema differs from this edgenas version's; "
                                     "retrain it from its measurement store (edgenas predictor train)")
        try:
            info = PredictorInfo(
                device=str(data["device"]),
                runtime=str(data["runtime"]),
                runtime_version=str(data["runtime_version"]),
                precision=str(data["precision"]),
                threads=int(data["threads"]),
                space=str(data["space"]),
                input_shapes=tuple(tuple(int(v) for v in s) for s in data["input_shapes"]),  # type: ignore[misc]
                num_classes=tuple(int(c) for c in data["num_classes"]),
                created_at=str(data["created_at"]),
                training=dict(data.get("training", {})),
            )
            table = {LayerSpec.from_json(row["layer"]): float(row["latency_ms"]) for row in data["layer_table"]}
            return cls(
                info=info,
                domain=LayerDomain.from_json(data["domain"]),
                table=table,
                layer_model=regressor_from_json(data["layer_model"]),
                network_model=regressor_from_json(data["network_model"]),
            )
        except (LookupError, TypeError, ValueError) as e:  # LookupError: KeyError, IndexError, an unknown family
            raise PredictorFileError(f"{source}: malformed predictor file: {e!r}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LatencyPredictor:
        """Reads a predictor file.

        Raises:
            FileNotFoundError: No such file.
            PredictorFileError: Not JSON, or not a valid predictor file (the message names the file).
        """
        return cls.from_json(read_json_file(path), source=os.fspath(path))
