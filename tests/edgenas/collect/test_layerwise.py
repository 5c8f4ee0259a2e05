"""A real, short collection on this machine: single-layer and whole-network models timed by the local profiler.

Small input (64x64) and a budget of about a minute: enough to check that the
phases run, write to the store, resume without measuring anything twice, and
give a store a predictor can be trained on. The predictor's accuracy at full
size is the business of benchmarks/predictor_accuracy.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import edgenas
from devices import DeviceUnavailableError, LocalDevice
from edgenas.collect.layerwise import collect, space_layers
from latency_models.layers import LayerSpec
from latency_models.measurements import MeasurementKey, MeasurementStore
from latency_models.train import MIN_LAYERS, MIN_NETWORKS, fit_predictor

SHAPE = (64, 64, 3)


def _layer_type(layer: LayerSpec) -> tuple[object, ...]:
    return layer.kind, layer.kernel_size, layer.strides, layer.expand_ratio, layer.se_ratio, layer.activation


@pytest.mark.parametrize(("space_name", "distinct"), [("mnasnet", 1096), ("efficientnet_v2", 4225)])
def test_the_layer_list_covers_the_space_with_every_type_early(space_name: str, distinct: int) -> None:
    """Every (kind, kernel, stride, expansion, SE, activation) a predictor's domain checks comes first."""
    space = edgenas.spaces.get(space_name)
    layers = space_layers(space, input_shape=(224, 224, 3), num_classes=1000, seed=0)
    assert len(layers) == len(set(layers)) == distinct
    types = {_layer_type(x) for x in layers}
    first = {_layer_type(x) for x in layers[: len(types)]}
    assert first == types  # round-robin: the first len(types) layers are one of each type


@pytest.mark.slow
@pytest.mark.long
def test_a_short_collection_fills_the_store_resumes_and_trains(tmp_path: Path) -> None:
    store = MeasurementStore(tmp_path / "lat.sqlite")
    # Nine seconds, 3.6 of them for layers: the direct writer and a profiler session measure the whole 64x64
    # table (1,096 layers) in about half a minute here, so a longer first budget would leave little for the
    # resumes to do. With 3 s (1.2 s for layers) a slow CI run measured no layer: the profiler's start and the
    # first batch's two passes did not fit, and a batch the deadline stops between passes keeps nothing.
    first = collect("mnasnet", device=LocalDevice("local"), store=store, budget_min=0.15, layer_share=0.4,
                    input_shape=SHAPE, num_classes=10, runs=5, warmup_runs=1, warmup_networks=4, batch_size=4,
                    progress=False, log=lambda _: None)  # fmt: skip
    key = MeasurementKey("local", "fp32", 1)
    # How much a budget measures depends on the machine's load, so the counts are checked for consistency,
    # and the store is topped up below by resuming until a predictor can be fit.
    assert first.layers_measured >= 1, first
    assert first.layers_total == first.layers_measured and first.networks_total == first.networks_measured
    assert first.layers_in_space > first.layers_total  # the budget ran out before the table was complete
    assert all(ms > 0 for _, ms in store.layers(key))
    # Resume, layers only, then networks only, until the store holds what a predictor needs.
    totals = [first.layers_total, first.networks_total]

    def resume(layer_share: float) -> None:
        budget_min = 0.1 if layer_share else 0.3  # a network costs under a second, a layer a fraction of one
        more = collect("mnasnet", device=LocalDevice("local"), store=store, budget_min=budget_min,
                       layer_share=layer_share, input_shape=SHAPE, num_classes=10, runs=5, warmup_runs=1,
                       batch_size=4, progress=False, log=lambda _: None)  # fmt: skip
        # Nothing is measured twice, and the budget goes where layer_share sends it.
        assert [more.layers_total, more.networks_total] == [totals[0] + more.layers_measured,
                                                            totals[1] + more.networks_measured], more  # fmt: skip
        assert (more.networks_measured if layer_share == 1.0 else more.layers_measured) == 0, more
        totals[:] = [more.layers_total, more.networks_total]

    resume(1.0)
    for _ in range(6):
        if totals[0] > MIN_LAYERS:
            break
        resume(1.0)
    for _ in range(6):
        if totals[1] >= MIN_NETWORKS:
            break
        resume(0.0)
    layers, networks = totals
    assert layers > MIN_LAYERS and networks >= MIN_NETWORKS
    predictor = fit_predictor(store, key, families=("linear",))
    spec = edgenas.ArchSpec.parse(store.networks(key)[0].spec)
    assert predictor.predict(spec, input_shape=SHAPE, num_classes=10) > 0


def test_an_unreachable_device_stops_the_collection_before_anything_is_built(tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "lat.sqlite") as store:
        with pytest.raises(DeviceUnavailableError, match="board"):
            collect("mnasnet", device=LocalDevice("board", python=tmp_path / "no-python"), store=store, budget_min=1,
                    progress=False, log=lambda _: None)  # fmt: skip
        assert store.keys() == []
    with MeasurementStore(tmp_path / "lat2.sqlite") as store, pytest.raises(ValueError, match="budget_min"):
        collect("mnasnet", device=LocalDevice(), store=store, budget_min=0, progress=False)


@pytest.mark.slow
def test_a_direct_collection_never_imports_tensorflow_and_its_files_are_direct(tmp_path: Path) -> None:
    code = f"""
import sys
from devices import LocalDevice
from edgenas.collect.layerwise import collect
from latency_models.measurements import MeasurementStore
with MeasurementStore({str(tmp_path / "lat.sqlite")!r}) as store:
    summary = collect("mnasnet", device=LocalDevice("local"), store=store, budget_min=0.25, layer_share=0.5,
                      input_shape=(64, 64, 3), num_classes=10, runs=3, warmup_runs=1, warmup_networks=2,
                      batch_size=2, progress=False, log=lambda _: None)
assert summary.layers_measured >= 2 and summary.networks_measured >= 1, summary
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "imported TensorFlow"
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted((tmp_path / "lat-models").rglob("*.tflite"))
    assert files
    for path in files:
        assert _description(path) == "edgenas direct", path


def _description(path: Path) -> str:
    from ai_edge_litert import schema_py_generated as schema

    return schema.Model.GetRootAsModel(path.read_bytes(), 0).Description().decode()
