"""Tests of latency_models/predictor.py and train.py on a store filled with a known latency law.

The latencies here are made up by a known formula, so that what the predictor
must learn is known exactly; the real-device accuracy is shown by
benchmarks/predictor_accuracy.py, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import edgenas
from latency_models.errors import PredictorFileError
from latency_models.layers import LAYER_FEATURES, LayerKind, LayerSpec, layer_features, layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.predictor import LatencyPredictor, LayerDomain, OutOfDomainError
from latency_models.train import TrainingError, fit_predictor

KEY = MeasurementKey("board", "fp32", 1)
MACS, ACT = LAYER_FEATURES.index("macs_m"), LAYER_FEATURES.index("out_activation_k")
RESULT = json.dumps({"runtime": "litert", "runtime_version": "2.3.0"})


def _layer_ms(layer: LayerSpec) -> float:
    """The made-up single-layer latency law."""
    f = layer_features(layer)
    return 0.02 + 0.004 * f[MACS] + 0.0004 * f[ACT]


def _network_ms(spec, shape=(224, 224, 3)) -> float:
    """The made-up network law: layers cost 15 % more inside a network, plus a fixed 0.3 ms."""
    return 1.15 * sum(_layer_ms(x) for x in layers_of(spec, input_shape=shape)) + 0.3


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> MeasurementStore:
    space = edgenas.spaces.get("mnasnet")
    store = MeasurementStore(tmp_path_factory.mktemp("lat") / "lat.sqlite")
    train = space.sample(n=60, seed=1)
    for layer in {x for spec in train for x in layers_of(spec)}:
        store.add_layer(KEY, layer, _layer_ms(layer), RESULT)
    for spec in train:
        store.add_network(KEY, NetworkMeasurement("mnasnet", str(spec), (224, 224, 3), 1000, _network_ms(spec)), RESULT)
    return store


@pytest.fixture(scope="module")
def predictor(store: MeasurementStore) -> LatencyPredictor:
    return fit_predictor(store, KEY, families=("linear", "gbt"), seed=0)


def test_the_predictor_learns_the_network_law_from_layers_and_networks(predictor: LatencyPredictor) -> None:
    fresh = edgenas.spaces.get("mnasnet").sample(n=200, seed=99)
    inside = []
    for spec in fresh:
        try:
            predictor.features(spec)
        except OutOfDomainError:
            continue
        inside.append(spec)
    assert len(inside) > 100
    predicted = predictor.predict_many(inside)
    truth = np.array([_network_ms(s) for s in inside])
    assert np.max(np.abs(predicted - truth) / truth) < 0.02
    assert predictor.predict(inside[0]) == pytest.approx(predicted[0])
    info = predictor.info
    assert (info.device, info.precision, info.threads, info.space) == ("board", "fp32", 1, "mnasnet")
    assert (info.runtime, info.runtime_version, info.input_shapes, info.num_classes) == (
        "litert", "2.3.0", ((224, 224, 3),), (1000,)
    )  # fmt: skip
    assert info.training["network_family"] == "linear"  # the law is linear in the layer sum; CV finds that
    assert set(info.training["network_family_cv_mape"]) == {"linear", "gbt"}


def test_a_layer_the_table_lacks_comes_from_the_layer_model(predictor: LatencyPredictor) -> None:
    spec = next(s for s in edgenas.spaces.get("mnasnet").sample(n=500, seed=5)
                if any(x not in predictor.table for x in layers_of(s)) and _inside(predictor, s))  # fmt: skip
    missing = [x for x in layers_of(spec) if x not in predictor.table]
    estimates = predictor.layer_latency_ms(missing)
    truth = [_layer_ms(x) for x in missing]
    assert all(e > 0 for e in estimates)
    assert np.max(np.abs(np.array(estimates) - truth) / np.array(truth)) < 0.5  # a model, not the table


def _inside(predictor: LatencyPredictor, spec) -> bool:
    try:
        predictor.features(spec)
    except OutOfDomainError:
        return False
    return True


def test_questions_outside_the_domain_raise_clear_errors(predictor: LatencyPredictor) -> None:
    spec = edgenas.spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
    with pytest.raises(OutOfDomainError, match=r"trained at input shape\(s\) \[\[224, 224, 3\]\], not \[160, 160, 3\]"):
        predictor.predict(spec, input_shape=(160, 160, 3))
    with pytest.raises(OutOfDomainError, match=r"num_classes \[1000\], not 10"):
        predictor.predict(spec, num_classes=10)
    domain = predictor.domain
    act = edgenas.spaces.get("mnasnet").sample(n=1, seed=0)[0].activation
    domain.check(LayerSpec(LayerKind.MBCONV, 16, 24, 112, 112, 3, 2, expand_ratio=6, activation=act))  # inside
    with pytest.raises(OutOfDomainError, match="never saw a mbconv layer with kernel 7"):
        domain.check(LayerSpec(LayerKind.MBCONV, 16, 24, 112, 112, 7, 2, expand_ratio=6, activation=act))
    with pytest.raises(OutOfDomainError, match="in_channels 4000 of a mbconv layer is outside the range"):
        domain.check(LayerSpec(LayerKind.MBCONV, 4000, 24, 112, 112, 3, 2, expand_ratio=6, activation=act))
    with pytest.raises(OutOfDomainError, match="never saw a conv layer .* and swish"):
        domain.check(LayerSpec(LayerKind.CONV, 16, 24, 112, 112, 3, 2, activation=edgenas.specs.enums.Activation.SWISH))
    # A predictor of the mnasnet space never saw a fused block: an EfficientNetV2 is refused, not summed as mbconvs.
    with pytest.raises(OutOfDomainError, match="never saw a fused_mbconv layer with kernel 3, stride 1, expansion 4"):
        domain.check(LayerSpec(LayerKind.FUSED_MBCONV, 24, 24, 56, 56, 3, 1, expand_ratio=4, activation=act))
    b0 = edgenas.spaces.get("efficientnet_v2").reference("efficientnetv2_b0")
    with pytest.raises(OutOfDomainError, match="never saw a"):
        predictor.predict(b0)


def test_tree_models_extrapolate_to_networks_slower_than_any_trained_on(tmp_path: Path) -> None:
    """The network model predicts latency / layer sum, so gradient-boosted trees (which cannot predict outside the
    range of their targets) still scale to the slowest networks; trained on the faster half, tested on the rest."""
    space = edgenas.spaces.get("mnasnet")
    specs = space.sample(n=120, seed=4)
    ordered = sorted(specs, key=_network_ms)
    fast, slow = ordered[:60], ordered[60:]
    with MeasurementStore(tmp_path / "fast.sqlite") as fast_store:
        for layer in {x for spec in specs for x in layers_of(spec)}:
            fast_store.add_layer(KEY, layer, _layer_ms(layer), RESULT)
        for spec in fast:
            fast_store.add_network(KEY, NetworkMeasurement("mnasnet", str(spec), (224, 224, 3), 1000,
                                                           _network_ms(spec)), RESULT)  # fmt: skip
        trees = fit_predictor(fast_store, KEY, families=("gbt",), select=False)
    slow = [s for s in slow if _inside(trees, s)]
    assert len(slow) > 30 and min(_network_ms(s) for s in slow) >= max(_network_ms(s) for s in fast)
    errors = trees.predict_many(slow) / np.array([_network_ms(s) for s in slow]) - 1
    assert trees.info.training["network_family"] == "gbt"
    assert np.max(np.abs(errors)) < 0.05, errors  # a tree predicting the latency itself would cap at the fast half's
    assert np.max(trees.predict_many(slow)) > 1.2 * max(_network_ms(s) for s in fast)


def test_a_predictor_file_is_plain_json_and_round_trips(predictor: LatencyPredictor, tmp_path: Path) -> None:
    path = predictor.save(tmp_path / "board-fp32.json")
    data = json.loads(path.read_text())
    assert data["format"] == "edgenas-latency-predictor" and data["version"] == 2
    assert data["feature_schema"]["layer"] == list(LAYER_FEATURES)
    assert data["network_model"]["family"] == "linear" and len(data["layer_table"]) == len(predictor.table)
    loaded = LatencyPredictor.load(path)
    specs = [s for s in edgenas.spaces.get("mnasnet").sample(n=40, seed=3) if _inside(predictor, s)]
    assert np.array_equal(loaded.predict_many(specs), predictor.predict_many(specs))
    assert loaded.info == predictor.info and loaded.domain == predictor.domain


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(format="onnx"), "not an edgenas latency predictor file"),
        (lambda d: d.update(version=1), "predictor file version 1; this edgenas reads 2"),
        (lambda d: d["feature_schema"].update(network_target="latency_ms"), "feature schema differs"),
        (lambda d: d["feature_schema"]["layer"].append("dilation"), "feature schema differs"),
        (lambda d: d.pop("layer_table"), "malformed predictor file"),
        (lambda d: d["network_model"].update(family="forest"), "malformed predictor file"),
        (lambda d: d["domain"]["ranges"]["mbconv"].pop("in_width"), "malformed predictor file"),
    ],
)
def test_a_damaged_predictor_file_is_refused(predictor: LatencyPredictor, tmp_path: Path, change, problem) -> None:
    data = predictor.to_json()
    change(data)
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PredictorFileError, match=problem) as raised:
        LatencyPredictor.load(path)
    assert str(path) in str(raised.value)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\x00\x01 not json")
    with pytest.raises(PredictorFileError, match="not a predictor file"):
        LatencyPredictor.load(path)
    with pytest.raises(FileNotFoundError):
        LatencyPredictor.load(tmp_path / "missing.json")


def test_training_needs_enough_measurements(tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "small.sqlite") as small:
        spec = edgenas.spaces.get("mnasnet").sample(n=1, seed=0)[0]
        for layer in layers_of(spec):
            small.add_layer(KEY, layer, _layer_ms(layer), RESULT)
        small.add_network(KEY, NetworkMeasurement("mnasnet", str(spec), (224, 224, 3), 1000, 5.0), RESULT)
        with pytest.raises(TrainingError, match="needs at least 8 and 8"):
            fit_predictor(small, KEY)
        with pytest.raises(TrainingError, match="holds 0 layers and 0 mnasnet networks"):
            fit_predictor(small, MeasurementKey("board", "int8", 1), space="mnasnet")


def test_a_domain_round_trips_and_spans_what_it_saw() -> None:
    layers = layers_of(edgenas.spaces.get("mnasnet", reference="mobilenet_v2").reference("mobilenet_v2"))
    domain = LayerDomain.of(layers)
    assert LayerDomain.from_json(json.loads(json.dumps(domain.to_json()))) == domain
    assert domain.ranges["mbconv"]["in_channels"] == (16, 160)
    for layer in layers:
        domain.check(layer)
