"""The NAS-FPN decoder builder: Model Garden's parameter counts, costs, wiring, errors, TFLite export.

What is verified where:
- Here: `keras.Model.count_params()` of the decoder built alone on MobileNetV2's
  level 3/4/5 features (32/96/320 channels) equals the count of TF Model Garden's
  NASFPN decoder (tf-models-no-deps 2.19.0) for the published cells, and
  `nasfpn_cost`'s parameters, MACs and largest activation equal a walk over the
  built layers. The wiring (resampling, combine, attention operand order,
  unconsumed nodes, repeats) is checked against a NumPy evaluation with identity
  convolutions. The decoder, with its backbone stand-in, exports to one TFLite
  graph that XNNPACK runs in one partition.
- Once, by hand (not a test: Model Garden cannot be imported by the test
  environment): with equal weights, our decoder's outputs equal those of
  Model Garden's NASFPN (tf_keras) to float32 round-off, for the published cells
  at 64 plain and 48 separable filters, and for a cell list with same-level
  attention and unconsumed nodes on backbone levels 3-6.
"""

from pathlib import Path

import keras
import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from edgenas.errors import SpecError
from edgenas.export.calibration import calibrate_batchnorm, calibration_images
from edgenas.export.settings import Precision
from edgenas.export.tflite import convert_to_tflite
from edgenas.models.layers import BatchNormConfig
from edgenas.models.nasfpn import nasfpn_decoder
from edgenas.spaces.choices import Choice
from edgenas.spaces.nasfpn_choices import NasFpnEncoding
from edgenas.specs import Activation
from edgenas.specs.nasfpn import NasFpnCell, NasFpnSpec, published_nasfpn
from edgenas.specs.nasfpn_costs import nasfpn_cost

pytestmark = pytest.mark.slow

_MOBILENET_V2 = {3: 32, 4: 96, 5: 320}
_BN = BatchNormConfig()


def _inputs(channels, size=128):
    return {
        level: keras.Input((size >> level, size >> level, c), name=f"level{level}") for level, c in channels.items()
    }


def _decoder(spec, channels=_MOBILENET_V2, *, size=128, activation=Activation.RELU):
    inputs = _inputs(channels, size)
    outputs = nasfpn_decoder(inputs, spec=spec, activation=activation, bn=_BN)
    return keras.Model(
        {f"level{level}": x for level, x in inputs.items()}, {f"level{level}": x for level, x in outputs.items()}
    )


@pytest.fixture(autouse=True)
def _fresh_session():
    yield
    keras.backend.clear_session()


# Model Garden's NASFPN (tf-models-no-deps 2.19.0, official/vision/modeling/decoders/nasfpn.py) on MobileNetV2's
# level 3/4/5 features (32/96/320 channels), count_params(): 12,531,712 (256 filters, 3 repeats), 20,807,168
# (256, 5): ours equal them. At 128 separable filters it has 2,450,112 (3 repeats) and 4,043,712 (5), because its
# cells merge at its resampling's default of 256 channels (a 1x1 conv + BatchNorm per cell input); ours merge at
# num_filters (edgenas/specs/nasfpn.py), which removes 2,008,704 and 3,347,840 of those parameters.
@pytest.mark.parametrize(
    ("filters", "repeats", "separable", "params"),
    [
        (256, 3, False, 12_531_712),
        (128, 3, True, 2_450_112 - 2_008_704),
        (256, 5, False, 20_807_168),
        (128, 5, True, 4_043_712 - 3_347_840),
    ],
)
def test_parameter_counts_are_model_gardens(filters, repeats, separable, params):
    spec = published_nasfpn(num_filters=filters, num_repeats=repeats, use_separable_conv=separable)
    model = _decoder(spec)
    assert model.count_params() == params
    assert nasfpn_cost(spec, input_filters=_MOBILENET_V2, input_shape=(128, 128, 3)).params == params


def _walk(model):
    """(params, MACs, largest map) read off the built layers."""
    macs, largest = 0, 0
    for layer in model.layers:
        out = layer.output
        values = int(np.prod(out.shape[1:]))
        largest = max(largest, values)
        pixels = int(np.prod(out.shape[1:3])) if len(out.shape) == 4 else 0
        if isinstance(layer, keras.layers.SeparableConv2D):
            cin, area = layer.input.shape[-1], int(np.prod(layer.kernel_size))
            macs += pixels * (area * cin + cin * layer.filters)
        elif isinstance(layer, keras.layers.Conv2D):
            cin, area = layer.input.shape[-1], int(np.prod(layer.kernel_size))
            macs += pixels * area * cin * layer.filters
        elif isinstance(layer, keras.layers.Multiply):
            macs += values
    return model.count_params(), macs, largest


def _random_specs(count, seed):
    rng = np.random.default_rng(seed)
    specs = []
    for index in range(count):
        encoding = NasFpnEncoding(
            num_filters=int(rng.choice([16, 40, 256])), num_repeats=1 + index % 2, use_separable_conv=bool(index % 3)
        )

        def pick(tree):
            if isinstance(tree, Choice):
                return tree.candidates[int(rng.integers(len(tree.candidates)))]
            if isinstance(tree, dict):
                return {key: pick(value) for key, value in tree.items()}
            return [pick(value) for value in tree]

        specs.append(encoding.to_decoder(pick(encoding.tree())))
    return specs


_BACKBONES = (  # level -> channels: some equal to a decoder's width, levels 3..k for k = 3..7
    _MOBILENET_V2,
    {3: 24, 4: 40, 5: 256, 6: 16},
    {3: 16},
    {3: 256, 4: 40, 5: 40, 6: 40, 7: 40},
    {3: 40, 4: 40, 5: 16},
    {3: 40, 4: 40, 5: 16, 6: 256},
)


@pytest.mark.parametrize(
    ("spec", "channels"),
    list(zip(_random_specs(len(_BACKBONES), seed=0), _BACKBONES, strict=True)),
    ids=lambda value: str(value) if isinstance(value, NasFpnSpec) else "-".join(map(str, value.values())),
)
def test_cost_equals_the_built_layers_on_random_points(spec, channels):
    model = _decoder(spec, channels, size=256)
    cost = nasfpn_cost(spec, input_filters=channels, input_shape=(256, 256, 3))
    assert (cost.params, cost.macs, cost.largest_activation) == _walk(model)


def test_outputs_are_levels_3_to_7_of_num_filters_and_finite():
    spec = published_nasfpn(num_filters=24, num_repeats=2, use_separable_conv=True)
    model = _decoder(spec, size=256, activation=Activation.SWISH)
    rng = np.random.default_rng(0)
    batch = {
        f"level{level}": rng.normal(size=(2, 256 >> level, 256 >> level, c)).astype(np.float32)
        for level, c in _MOBILENET_V2.items()
    }
    out = model(batch, training=False)
    assert sorted(out) == [f"level{level}" for level in range(3, 8)]
    for level in range(3, 8):
        assert tuple(out[f"level{level}"].shape) == (2, 256 >> level, 256 >> level, 24)
        assert np.isfinite(np.asarray(out[f"level{level}"])).all()


def test_layer_names_are_unique_deterministic_and_prefixed():
    spec = published_nasfpn(num_filters=16, num_repeats=2)

    def names():
        inputs = _inputs(_MOBILENET_V2)
        outputs = nasfpn_decoder(inputs, spec=spec, activation=Activation.RELU, bn=_BN, name="neck")
        model = keras.Model(list(inputs.values()), list(outputs.values()))
        keras.backend.clear_session()
        return [layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]

    first = names()
    assert first == names()
    assert len(first) == len(set(first))
    assert all(name.startswith("neck_") for name in first)
    expected = {"neck_l3_proj_conv", "neck_l6_pool", "neck_r0_c0_gate_max", "neck_r1_c6_bn", "neck_r0_c4_extra"}
    assert expected <= set(first)


# ----- wiring, against NumPy with identity convolutions ----------------------------------------


def _identity_weights(model):
    """Every 3x3 conv the identity (centre tap), every BatchNorm the identity (inference)."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel = np.zeros(layer.kernel.shape, np.float32)
            kernel[1, 1] = np.eye(kernel.shape[-1], dtype=np.float32)
            layer.set_weights([kernel, np.zeros(layer.filters, np.float32)])
        elif isinstance(layer, keras.layers.BatchNormalization):
            channels = layer.gamma.shape[0]
            ones, zeros = np.ones(channels, np.float32), np.zeros(channels, np.float32)
            layer.set_weights([ones, zeros, zeros, ones - layer.epsilon])


def _down(x, factor):
    b, h, w, c = x.shape
    return x.reshape(b, h // factor, factor, w // factor, factor, c).max(axis=(2, 4))


def _up(x, factor):
    return np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)


def _numpy_decoder(spec, features):
    """The decoder with identity convolutions and BatchNorm, ReLU, written from the spec's rules."""
    nodes = [features[3], features[4], features[5]]
    nodes += [_down(nodes[-1], 2), _down(_down(nodes[-1], 2), 2)]
    for _ in range(spec.num_repeats):
        levels = [3, 4, 5, 6, 7]
        read = [False] * 5
        for cell in spec.cells:

            def bring(node, cell=cell):
                d = cell.level - levels[node]
                return _down(nodes[node], 2**d) if d > 0 else _up(nodes[node], 2**-d) if d < 0 else nodes[node]

            first, second = cell.inputs
            read[first] = read[second] = True
            if cell.combine.value == "sum":
                x = bring(first) + bring(second)
            else:
                a, b = (first, second) if levels[first] >= levels[second] else (second, first)
                gate = 1 / (1 + np.exp(-bring(a).max(axis=(1, 2), keepdims=True)))
                x = bring(a) + bring(b) * gate
            if cell.is_output:
                for j in range(len(nodes)):
                    if not read[j] and levels[j] == cell.level:
                        read[j] = True
                        x = x + bring(j)
            nodes.append(np.maximum(x, 0))
            levels.append(cell.level)
            read.append(False)
        last = dict(zip(levels[-5:], nodes[-5:]))
        nodes = [last[level] for level in range(3, 8)]
    return dict(zip(range(3, 8), nodes))


_WIRING = [
    published_nasfpn(num_repeats=2),
    NasFpnSpec(  # gates from the second input and from a same-level pair; unconsumed nodes 5 and 4 added
        (
            NasFpnCell(6, "sum", (0, 1), False),
            NasFpnCell(7, "attention", (2, 3), False),  # node 3 (level 6) gates
            NasFpnCell(4, "attention", (0, 6), True),  # node 6 (level 7) gates
            NasFpnCell(6, "sum", (2, 7), True),  # adds node 5 (level 6, unread)
            NasFpnCell(3, "sum", (7, 8), True),
            NasFpnCell(7, "attention", (3, 8), True),  # both level 6: node 3 gates; adds node 4 (level 7, unread)
            NasFpnCell(5, "sum", (9, 10), True),
        ),
        num_repeats=2,
    ),
]


@pytest.mark.parametrize("spec", _WIRING, ids=str)
def test_wiring_equals_the_rules_of_the_spec(spec):
    assert spec.num_filters == 256  # cell inputs are 256 wide already: no merge convolutions
    channels = {3: 256, 4: 256, 5: 256}  # no projections
    model = _decoder(spec, channels, size=128)
    _identity_weights(model)
    rng = np.random.default_rng(1)
    features = {level: rng.normal(size=(2, 128 >> level, 128 >> level, 256)).astype(np.float32) for level in channels}
    out = model({f"level{level}": x for level, x in features.items()}, training=False)
    expected = _numpy_decoder(spec, features)
    for level in range(3, 8):
        np.testing.assert_allclose(np.asarray(out[f"level{level}"]), expected[level], rtol=1e-5, atol=1e-5)


# ----- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channels", "size", "message"),
    [
        (
            {4: 96, 5: 320},
            128,
            "features must be the backbone's levels 3..k for some k in 3..7 (e.g. [3, 4, 5]); got levels [4, 5]",
        ),
        (
            {3: 8, 4: 8, 5: 8, 6: 8, 7: 8, 8: 8},
            256,
            "features must be the backbone's levels 3..k for some k in 3..7 (e.g. [3, 4, 5]); "
            "got levels [3, 4, 5, 6, 7, 8]",
        ),
        (
            _MOBILENET_V2,
            160,
            "the level-3 feature is 20x20; NAS-FPN needs static sides that are multiples of 16 "
            "(levels 3-7 of an image whose sides are multiples of 128)",
        ),
    ],
)
def test_features_that_do_not_fit_are_refused(channels, size, message):
    with pytest.raises(SpecError) as error:
        nasfpn_decoder(_inputs(channels, size), spec=published_nasfpn(), activation=Activation.RELU, bn=_BN)
    assert str(error.value) == message


def test_features_of_mismatched_sides_and_other_specs_are_refused():
    inputs = _inputs(_MOBILENET_V2)
    inputs[4] = keras.Input((7, 8, 96))
    with pytest.raises(SpecError) as error:
        nasfpn_decoder(inputs, spec=published_nasfpn(), activation=Activation.RELU, bn=_BN)
    assert str(error.value) == (
        "the level-4 feature is 7x8; with a level-3 feature of 16x16 it must be 8x8 "
        "(level L is the level-3 size / 2**(L-3))"
    )
    with pytest.raises(SpecError, match="nasfpn_decoder needs a NasFpnSpec, got str"):
        nasfpn_decoder(_inputs(_MOBILENET_V2), spec=str(published_nasfpn()), activation=Activation.RELU, bn=_BN)
    with pytest.raises(SpecError, match="unknown activation 'gelu'"):
        nasfpn_decoder(_inputs(_MOBILENET_V2), spec=published_nasfpn(), activation="gelu", bn=_BN)


# ----- export --------------------------------------------------------------------------------


def _detector_stand_in(spec):
    """A small strided-conv backbone (levels 3, 4, 5) and the decoder on it, from one image."""
    image = keras.Input((128, 128, 3), name="image")
    f3 = keras.layers.Conv2D(16, 3, strides=8, padding="same", name="backbone_l3")(image)
    f4 = keras.layers.Conv2D(24, 3, strides=2, padding="same", name="backbone_l4")(f3)
    f5 = keras.layers.Conv2D(32, 3, strides=2, padding="same", name="backbone_l5")(f4)
    out = nasfpn_decoder({3: f3, 4: f4, 5: f5}, spec=spec, activation=Activation.RELU, bn=_BN)
    return keras.Model(image, {f"level{level}": x for level, x in out.items()})


@pytest.mark.parametrize(
    ("separable", "precision"),
    [(False, Precision.FP32), (True, Precision.FP32), (True, Precision.INT8)],
)
def test_exported_decoder_runs_in_litert_as_one_xnnpack_partition(tmp_path: Path, separable, precision):
    spec = published_nasfpn(num_filters=64, num_repeats=1, use_separable_conv=separable)
    model = _detector_stand_in(spec)
    images = calibration_images(input_shape=(128, 128, 3), count=4, seed=0)
    calibrate_batchnorm(model, images)  # as the exporter does: BatchNorm statistics of real maps
    path = tmp_path / f"nasfpn_{precision.value}.tflite"
    convert_to_tflite(model, path, precision=precision, calibration=images)

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}  # noqa: SLF001
    assert "TILE" not in ops and "RESIZE_NEAREST_NEIGHBOR" not in ops
    interpreter.allocate_tensors()
    assert sum(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details()) == 1  # noqa: SLF001

    image = interpreter.get_input_details()[0]
    sample = images[:1]
    if image["dtype"] == np.int8:
        scale, zero = image["quantization"]
        sample = np.clip(np.round(sample / scale) + zero, -128, 127).astype(np.int8)
    interpreter.set_tensor(image["index"], sample)
    interpreter.invoke()
    outputs = {d["name"]: d for d in interpreter.get_output_details()}
    assert sorted(outputs) == [f"level{level}" for level in range(3, 8)]
    expected = model(images[:1], training=False)
    for name, detail in outputs.items():
        got = interpreter.get_tensor(detail["index"]).astype(np.float32)
        assert got.shape == tuple(expected[name].shape)
        assert np.isfinite(got).all()
        if precision is Precision.FP32:
            np.testing.assert_allclose(got, np.asarray(expected[name]), rtol=1e-3, atol=1e-3)
