"""Fused-MBConv blocks, per-block activations and EfficientNetV2-B0, against Keras' own EfficientNetV2."""

import collections
import re

import keras
import numpy as np
import pytest
from keras.src.applications.efficientnet_v2 import FusedMBConvBlock

from edgenas import build_keras
from edgenas.models.layers import BatchNormConfig, fused_mbconv
from edgenas.specs import Activation, ArchSpec, efficientnet_v2_reference, estimate_cost

_B0_PARAMS = 7_200_312
"""`keras.applications.EfficientNetV2B0(weights=None).count_params()`, with or without include_preprocessing."""

_B0_STAGE_PARAMS = {
    "stem": 992,
    "0": 4_672,
    "1": 53_248,
    "2": 136_832,
    "3": 235_068,
    "4": 961_224,
    "5": 4_276_396,
    "head": 250_880,
    "classifier": 1_281_000,
}
"""B0's parameters per part; stages 0-5 are Keras' `block1`..`block6` groups."""


def _b0() -> ArchSpec:
    return efficientnet_v2_reference("efficientnetv2_b0")


def _params_by_part(model: keras.Model, pattern: str, names: dict[str, str]) -> dict[str, int]:
    """Parameters per block group (the number `pattern` captures, made 0-based) or per renamed part."""
    counts: collections.Counter[str] = collections.Counter()
    for layer in model.layers:
        size = sum(int(np.prod(w.shape)) for w in layer.weights)
        if not size:
            continue
        match = re.match(pattern, layer.name)
        if match:
            counts[str(int(match[1]) - int(pattern.startswith("block")))] += size
        else:
            counts[names[layer.name.split("_")[0]]] += size
    return dict(counts)


def test_efficientnetv2_b0_reference_has_keras_parameter_count():
    model = build_keras(_b0(), input_shape=(224, 224, 3), num_classes=1000)
    assert model.count_params() == _B0_PARAMS
    assert _params_by_part(model, r"stage(\d+)_", {"stem": "stem", "head": "head", "classifier": "classifier"}) == (
        _B0_STAGE_PARAMS
    )
    # No stochastic depth or dropout in the inference graph.
    assert not [layer.name for layer in model.layers if isinstance(layer, keras.layers.Dropout)]


@pytest.mark.slow
def test_efficientnetv2_b0_is_keras_efficientnetv2b0():
    ours = build_keras(_b0(), input_shape=(224, 224, 3), num_classes=1000)
    theirs = keras.applications.EfficientNetV2B0(weights=None, include_preprocessing=False)
    assert keras.applications.EfficientNetV2B0(weights=None).count_params() == _B0_PARAMS
    assert ours.count_params() == theirs.count_params() == _B0_PARAMS
    names = {"stem": "stem", "top": "head", "predictions": "classifier"}
    assert _params_by_part(theirs, r"block(\d+)[a-z]_", names) == _B0_STAGE_PARAMS
    # Same weight tensors in the same order; given the same values, the same features.
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    rng = np.random.default_rng(0)
    values = [rng.normal(scale=0.1, size=w.shape).astype(np.float32) for w in theirs.weights]
    values = [np.abs(v) + 0.5 if "variance" in w.path else v for v, w in zip(values, theirs.weights, strict=True)]
    ours.set_weights(values)
    theirs.set_weights(values)
    ours_features = keras.Model(ours.input, ours.get_layer("pool").output)
    theirs_features = keras.Model(theirs.input, theirs.get_layer("avg_pool").output)
    images = rng.uniform(-1, 1, size=(2, 224, 224, 3)).astype(np.float32)
    np.testing.assert_allclose(ours_features(images), theirs_features(images), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("in_filters", "filters", "expand_ratio", "kernel_size", "strides", "se_ratio", "activation"),
    [
        (32, 16, 1, 3, 1, 0.0, "swish"),  # B0's first block: one 3x3 conv
        (16, 16, 1, 5, 1, 0.25, "relu"),  # expand 1 with SE (on the input) and a skip
        (16, 24, 4, 3, 2, 0.0, "swish"),  # strided expansion, no skip
        (24, 24, 6, 5, 1, 0.25, "relu"),  # SE from the input filters, skip
        (8, 12, 2, 3, 2, 0.25, "relu6"),
    ],
)
def test_fused_block_is_keras_fused_mbconv_block(
    in_filters, filters, expand_ratio, kernel_size, strides, se_ratio, activation
):
    shape = (9, 11, in_filters)
    inputs = keras.Input(shape=shape)
    ours = keras.Model(
        inputs,
        fused_mbconv(
            inputs,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            expand_ratio=expand_ratio,
            se_ratio=se_ratio,
            activation=Activation(activation),
            bn=BatchNormConfig(),
            name="b",
        ),
    )
    theirs_block = FusedMBConvBlock(
        input_filters=in_filters,
        output_filters=filters,
        expand_ratio=expand_ratio,
        kernel_size=kernel_size,
        strides=strides,
        se_ratio=se_ratio,
        activation=keras.activations.relu6 if activation == "relu6" else activation,
        survival_probability=0.0,  # no stochastic depth
        name="k_",
    )
    keras_inputs = keras.Input(shape=shape)
    theirs = keras.Model(keras_inputs, theirs_block(keras_inputs))
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    rng = np.random.default_rng(1)
    values = [rng.normal(scale=0.3, size=w.shape).astype(np.float32) for w in theirs.weights]
    values = [np.abs(v) + 0.5 if "variance" in w.path else v for v, w in zip(values, theirs.weights, strict=True)]
    ours.set_weights(values)
    theirs.set_weights(values)
    images = rng.normal(size=(2, *shape)).astype(np.float32)
    np.testing.assert_allclose(ours(images), theirs(images), rtol=1e-5, atol=1e-5)


def test_fused_blocks_skip_only_where_shapes_allow_and_expand_1_is_one_conv():
    spec = ArchSpec.parse(
        "swish-stem16-fused_mbconv_r2_k3_s1_e1_se0_c16-fused_mbconv_r2_k3_s2_e4_se0.25_c24-head64"
    )
    model = build_keras(spec, input_shape=(32, 32, 3), num_classes=4)
    adds = sorted(layer.name for layer in model.layers if isinstance(layer, keras.layers.Add))
    assert adds == ["stage0_block0_add", "stage0_block1_add", "stage1_block1_add"]
    convs = [layer.name for layer in model.layers if layer.name.startswith("stage0_block0")]
    assert convs == [f"stage0_block0_{part}" for part in ("project_conv", "project_bn", "project_act", "add")]
    expand = model.get_layer("stage1_block0_expand_conv")
    assert (expand.kernel_size, expand.strides, expand.filters) == ((3, 3), (2, 2), 64)
    project = model.get_layer("stage1_block0_project_conv")
    assert (project.kernel_size, project.strides, project.filters) == ((1, 1), (1, 1), 24)
    assert "stage1_block0_project_act" not in [layer.name for layer in model.layers]  # a linear projection
    # SE width is a ratio of the block's input filters: 16 * 0.25 = 4, then 24 * 0.25 = 6.
    assert [model.get_layer(f"stage1_block{i}_se_reduce").filters for i in (0, 1)] == [4, 6]
    assert model.count_params() == estimate_cost(spec, input_shape=(32, 32, 3), num_classes=4).params


def _activation_of(layer: keras.layers.Layer) -> str:
    if isinstance(layer, keras.layers.ReLU):
        return "relu6" if layer.max_value == 6.0 else "relu"
    return layer.get_config()["activation"]  # Keras names swish "silu"


def test_a_block_activation_is_used_inside_its_block_only():
    spec = ArchSpec.parse(
        "swish-stem16-mbconv_r1_k3_s2_e4_se0.25_c16_relu-fused_mbconv_r1_k3_s1_e2_se0.25_c16_relu6-head32"
    )
    model = build_keras(spec, input_shape=(32, 32, 3), num_classes=4)
    acts = {
        layer.name: _activation_of(layer)
        for layer in model.layers
        if isinstance(layer, (keras.layers.ReLU, keras.layers.Activation))
    }
    assert acts == {
        "stem_act": "silu",
        "stage0_block0_expand_act": "relu",
        "stage0_block0_dw_act": "relu",
        "stage0_block0_se_reduce_act": "relu",
        "stage1_block0_expand_act": "relu6",
        "stage1_block0_se_reduce_act": "relu6",
        "head_act": "silu",
    }
