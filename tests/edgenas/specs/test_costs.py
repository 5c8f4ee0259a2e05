import pytest

from edgenas import spaces
from edgenas.errors import SpecError
from edgenas.specs import ArchSpec, estimate_cost


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
