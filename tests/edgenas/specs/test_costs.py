import keras
import numpy as np
import pytest

from edgenas import build_keras, spaces
from edgenas.errors import SpecError
from edgenas.specs import ArchSpec, efficientnet_v2_reference, estimate_cost


def _keras_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one image, counted from the built model's layers (biases and adds are free)."""
    macs = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            _, height, width, channels = layer.output.shape
            macs += height * width * channels * int(np.prod(layer.kernel_size))
        elif isinstance(layer, keras.layers.Conv2D):
            _, height, width, channels = layer.output.shape
            macs += height * width * channels * int(np.prod(layer.kernel_size)) * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            macs += layer.input.shape[-1] * layer.units
        elif isinstance(layer, keras.layers.Multiply):  # the SE gate: one product per value
            macs += int(np.prod(layer.output.shape[1:]))
    return macs


def test_mobilenet_v2_reference_cost_matches_published_figures():
    spec = spaces.get("mnasnet", reference="mobilenet_v2").reference("mobilenet_v2")
    cost = estimate_cost(spec, input_shape=(224, 224, 3), num_classes=1000)
    # keras.applications.MobileNetV2(weights=None).count_params() == 3,538,984.
    assert cost.params == 3_538_984
    # MobileNetV2 1.0 at 224: 300M multiply-adds (paper; TF-slim model table).
    assert cost.macs == pytest.approx(300e6, rel=0.01)


def test_mnasnet_a1_reference_cost_matches_published_figures():
    spec = spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
    cost = estimate_cost(spec, input_shape=(224, 224, 3), num_classes=1000)
    # MnasNet-A1: 3.9M parameters and 312M multiply-adds (MnasNet paper; official TPU release).
    assert cost.params == pytest.approx(3.9e6, rel=0.01)
    assert cost.macs == pytest.approx(312e6, rel=0.005)


def test_cost_grows_with_resolution_and_classes():
    spec = spaces.get("mnasnet").sample(1, seed=4)[0]
    small = estimate_cost(spec, input_shape=(96, 96, 3), num_classes=10)
    large = estimate_cost(spec, input_shape=(192, 192, 3), num_classes=10)
    assert small.params == large.params
    assert 3.5 < large.macs / small.macs < 4.5
    assert estimate_cost(spec, num_classes=0).params < estimate_cost(spec, num_classes=1000).params


def test_bad_input_shape():
    spec = ArchSpec.parse("relu-stem32-mbconv_r1_k3_s1_e1_se0_c16-head64")
    with pytest.raises(SpecError, match="input_shape"):
        estimate_cost(spec, input_shape=(224, 224))


def test_largest_activation_is_the_largest_tensor_of_one_image():
    spec = spaces.get("mnasnet", reference="mobilenet_v2").reference("mobilenet_v2")
    # The 1x1 expansion of the first stride-2 block, 112x112x96 (Keras MobileNetV2's block_1_expand).
    assert estimate_cost(spec, input_shape=(224, 224, 3)).largest_activation == 112 * 112 * 96
    # An image larger than any tensor of the network counts too.
    wide = ArchSpec.parse("relu-stem1-conv_r1_k3_s1_e1_se0_c1-head1")
    assert estimate_cost(wide, input_shape=(64, 64, 3), num_classes=10).largest_activation == 64 * 64 * 3
    # ... and so do a wide head and a wide classifier.
    wide_head = ArchSpec.parse("relu-stem1-conv_r1_k3_s1_e1_se0_c1-head100000")
    assert estimate_cost(wide_head, input_shape=(4, 4, 3), num_classes=10).largest_activation == 2 * 2 * 100_000
    assert estimate_cost(wide, input_shape=(4, 4, 3), num_classes=10**6).largest_activation == 10**6


_FUSED_SPECS = [
    # expand 1: one k x k conv (with stride), no skip 32 -> 16, then with skip 16 -> 16
    "swish-stem32-fused_mbconv_r2_k3_s1_e1_se0_c16-head64",
    # expand 1 with SE (it gates the block's input), strided, relu inside the block only
    "swish-stem24-fused_mbconv_r2_k5_s2_e1_se0.25_c24_relu-head64",
    # expand 4 with SE, strided then skipped; an mbconv after it with its own activation
    "relu6-stem16-fused_mbconv_r3_k3_s2_e4_se0.25_c24-mbconv_r2_k5_s2_e6_se0.25_c40_swish-head96",
    # conv blocks with their own activation, a fused block with a 7x7 kernel
    "swish-stem8-conv_r2_k3_s2_e1_se0_c16_hard_swish-fused_mbconv_r1_k7_s1_e2_se0_c16_relu6-head32",
]


@pytest.mark.parametrize("text", _FUSED_SPECS)
@pytest.mark.parametrize("input_shape", [(64, 64, 3), (33, 47, 1)])
def test_cost_of_fused_blocks_and_block_activations_is_the_built_models(text, input_shape):
    spec = ArchSpec.parse(text)
    model = build_keras(spec, input_shape=input_shape, num_classes=7)
    cost = estimate_cost(spec, input_shape=input_shape, num_classes=7)
    assert (cost.params, cost.macs) == (model.count_params(), _keras_macs(model))


@pytest.mark.parametrize("seed", range(4))
def test_cost_of_efficientnet_v2_points_is_the_built_models(seed):
    spec = spaces.get("efficientnet_v2").sample(1, seed=seed)[0]
    model = build_keras(spec, input_shape=(64, 64, 3), num_classes=10)
    cost = estimate_cost(spec, input_shape=(64, 64, 3), num_classes=10)
    assert (cost.params, cost.macs) == (model.count_params(), _keras_macs(model))


def test_efficientnetv2_b0_cost():
    cost = estimate_cost(efficientnet_v2_reference("efficientnetv2_b0"), input_shape=(224, 224, 3), num_classes=1000)
    # keras.applications.EfficientNetV2B0(weights=None).count_params() == 7,200,312 (tests/edgenas/models).
    assert cost.params == 7_200_312
    # The figure published for B0 at 224 is 0.72B FLOPs (multiply-adds); ours counts the SE gates' products too.
    assert cost.macs == pytest.approx(0.72e9, rel=0.005)
    assert cost.macs == 719_342_144  # the layer-by-layer count of the built model (tests above)
    # The largest tensors: the stem's output, and the 4x expansion of 32 filters in block 2 (at 56x56: a fused
    # expansion carries the stride).
    assert cost.largest_activation == 112 * 112 * 32 == 56 * 56 * 128
