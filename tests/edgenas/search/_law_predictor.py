"""A latency predictor file trained on a store filled by a known law, so a test knows what it predicts."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import edgenas
from latency_models.layers import layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.train import fit_predictor

SHAPE, CLASSES = (64, 64, 3), 10
RESULT = json.dumps({"runtime": "litert", "runtime_version": "2.3.0"})


@functools.cache
def predictor_file(folder: Path, *, scale: float, precision: str = "fp32", space: str = "mnasnet") -> Path:
    """A predictor for (64, 64, 3) / 10 classes whose networks cost `scale` ms per million MACs (plus layers).

    Made once per folder and settings (a search only reads the file): tests pass a shared folder to reuse
    one fit."""
    key = MeasurementKey("board", precision, 1)
    specs = edgenas.spaces.get(space).sample(n=300, seed=11)
    with MeasurementStore(folder / f"law-{space}-{scale}-{precision}.sqlite") as store:
        for layer in {x for s in specs for x in layers_of(s, input_shape=SHAPE, num_classes=CLASSES)}:
            store.add_layer(key, layer, 0.01, RESULT)
        for spec in specs[:40]:
            ms = scale * edgenas.estimate_cost(spec, input_shape=SHAPE, num_classes=CLASSES).macs / 1e6
            store.add_network(key, NetworkMeasurement(space, str(spec), SHAPE, CLASSES, ms), RESULT)
        predictor = fit_predictor(store, key, families=("linear",))
    return predictor.save(folder / f"board-{space}-{scale}-{precision}.json")
