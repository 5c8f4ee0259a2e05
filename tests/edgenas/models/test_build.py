"""The Keras builder: published parameter counts, every point of the space, errors."""

import keras
import numpy as np
import pytest

from edgenas import build_keras, spaces
from edgenas.errors import SpecError, UnknownNameError
from edgenas.specs import ArchSpec, estimate_cost


def _weight_shapes(model):
    return sorted(tuple(w.shape) for w in model.weights)


def test_mobilenet_v2_reference_is_keras_mobilenet_v2():
    spec = spaces.get("mnasnet", reference="mobilenet_v2").reference("mobilenet_v2")
    ours = build_keras(spec, input_shape=(224, 224, 3), num_classes=1000)
    theirs = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3), classes=1000)
    assert ours.count_params() == theirs.count_params() == 3_538_984
    # Same layers, not just the same total: every weight tensor has a twin.
    assert _weight_shapes(ours) == _weight_shapes(theirs)
    assert ours.output_shape == (None, 1000)


def test_mnasnet_a1_reference_parameter_count():
    spec = spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
    model = build_keras(spec, input_shape=(224, 224, 3), num_classes=1000)
    # Independent implementation: timm 1.0.31 `semnasnet_100` (MnasNet-A1) has
    # sum(p.numel()) == 3,887,038 parameters and 16,744 BatchNorm channels; torch
    # counts no BN moving statistics, Keras counts both: 3,887,038 + 2 * 16,744.
    # The official TPU MnasNet release quotes 3.9M.
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 3_887_038
    assert model.count_params() == 3_887_038 + 2 * 16_744 == 3_920_526


@pytest.mark.parametrize("seed", range(6))
def test_every_sampled_point_builds_and_matches_the_analytic_cost(seed):
    spec = spaces.get("mnasnet", reference="mnasnet_a1").sample(1, seed=seed)[0]
    model = build_keras(spec, input_shape=(64, 64, 3), num_classes=10)
    assert model.count_params() == estimate_cost(spec, input_shape=(64, 64, 3), num_classes=10).params
    out = model(np.zeros((2, 64, 64, 3), np.float32), training=False)
    assert out.shape == (2, 10)


def test_skip_connections_only_where_shapes_allow():
    spec = ArchSpec.parse(
        "relu-stem16-mbconv_r2_k3_s1_e3_se0_c16-mbconv_r2_k3_s2_e3_se0.25_c24-conv_r2_k3_s1_e1_se0_c24-head64"
    )
    model = build_keras(spec, input_shape=(32, 32, 3), num_classes=4)
    adds = sorted(layer.name for layer in model.layers if isinstance(layer, keras.layers.Add))
    # Stage 0: 16->16 stride 1 twice; stage 1: only the second (stride-1, 24->24) block;
    # conv blocks never add.
    assert adds == ["stage0_block0_add", "stage0_block1_add", "stage1_block1_add"]
    se = [layer.name for layer in model.layers if layer.name.endswith("_se_reduce")]
    assert se == ["stage1_block0_se_reduce", "stage1_block1_se_reduce"]
    # SE width is a ratio of the block's input filters: 16 * 0.25 = 4, then 24 * 0.25 = 6.
    assert [model.get_layer(n).filters for n in se] == [4, 6]


def test_backbone_without_classifier_and_softmax_option():
    spec = spaces.get("mnasnet").sample(1, seed=0)[0]
    backbone = build_keras(spec, input_shape=(64, 64, 3), num_classes=0)
    assert backbone.output_shape == (None, 1280)
    probs = build_keras(spec, input_shape=(64, 64, 3), num_classes=5, classifier_activation="softmax")
    out = np.asarray(probs(np.random.default_rng(0).normal(size=(3, 64, 64, 3)).astype(np.float32)))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_input_smaller_than_total_stride_is_rejected():
    spec = spaces.get("mnasnet").reference("mobilenet_v2")
    with pytest.raises(SpecError, match="smaller than the network's total stride 32"):
        build_keras(spec, input_shape=(16, 16, 3))
    with pytest.raises(SpecError, match="input_shape"):
        build_keras(spec, input_shape=(224, 224))


def test_unknown_spec_type_is_rejected():
    with pytest.raises(UnknownNameError) as unknown:
        build_keras("relu-stem32-...")
    assert str(unknown.value) == (
        "unknown spec type 'str'; known spec types: ArchSpec, ChainDetectorSpec, ChainSegmenterSpec, "
        "NasFpnDetectorSpec, SpineNetDetectorSpec, SpineNetSegmenterSpec, SpineNetSpec"
    )
