"""The segmenter builder: one named output at stride 8, the decoder's parameters by hand, the cost model exact."""

import keras
import numpy as np
import pytest

from edgenas import spaces
from edgenas.errors import SpecError
from edgenas.models.segmenter import build_segmenter
from edgenas.specs import spinenet_reference
from edgenas.specs.segmentation_head import SegmentationHeadSpec
from edgenas.specs.segmenter import ChainSegmenterSpec, default_chain_segmenter, default_spinenet_segmenter
from edgenas.specs.segmenter_costs import estimate_segmenter_cost

_MOBILENET_V2 = spaces.get("mnasnet").reference("mobilenet_v2")  # level 3-5 features: 32, 96 and 320 channels


def _decoder_params(model: keras.Model) -> int:
    """Parameters of the decoder's layers, read from the built model."""
    return sum(layer.count_params() for layer in model.layers
               if layer.name.startswith("seg_") or layer.name == "segmentation_logits")  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_session():
    yield
    keras.backend.clear_session()


def test_a_chain_segmenter_outputs_named_logits_at_stride_8_with_the_decoder_counted_by_hand():
    spec = default_chain_segmenter(_MOBILENET_V2)
    model = build_segmenter(spec, input_shape=(96, 64, 3), num_classes=3)
    assert list(model.output) == ["segmentation_logits"]
    assert tuple(model.output["segmentation_logits"].shape) == (None, 12, 8, 4)
    assert model.input.name == "image"
    # 1x1 laterals with bias 32/96/320 -> 128; separable 3x3 (9*128 + 128*128) and its BatchNorm (4*128);
    # classifier 128 -> 4 with bias.
    assert _decoder_params(model) == 4224 + 12416 + 41088 + 17536 + 512 + 516 == 76292
    assert model.count_params() == estimate_segmenter_cost(spec, input_shape=(96, 64, 3), num_classes=3).params
    logits = model(np.zeros((2, 96, 64, 3), np.float32), training=False)["segmentation_logits"]
    assert logits.shape == (2, 12, 8, 4)


def test_a_plain_decoder_counted_by_hand():
    head = SegmentationHeadSpec(num_filters=64, use_separable_conv=False)
    spec = ChainSegmenterSpec(backbone=_MOBILENET_V2, head=head)
    model = build_segmenter(spec, input_shape=(64, 64, 3), num_classes=2)
    # Laterals (32+96+320)*64 + 3*64; full 3x3 conv 9*64*64 without bias + BatchNorm 4*64; classifier 64*3 + 3.
    assert _decoder_params(model) == 28864 + 36864 + 256 + 195 == 66179
    assert model.count_params() == estimate_segmenter_cost(spec, input_shape=(64, 64, 3), num_classes=2).params


def test_a_spinenet_segmenter_keeps_only_what_levels_3_to_5_need():
    backbone = spinenet_reference("spinenet_mobile49xs")  # endpoints 24: decoder of 24 separable filters
    assert backbone.live_block_indices((3, 4, 5)) < backbone.live_block_indices()  # some blocks feed 6-7 only
    spec = default_spinenet_segmenter(backbone)
    model = build_segmenter(spec, input_shape=(128, 256, 3), num_classes=5)
    assert tuple(model.output["segmentation_logits"].shape) == (None, 16, 32, 6)
    assert not any(layer.name.startswith(("endpoint6", "endpoint7")) for layer in model.layers)
    # Laterals 3 x (24*24 + 24); separable 3x3 (9*24 + 24*24) and BatchNorm (4*24); classifier 24 -> 6 with bias.
    assert _decoder_params(model) == 3 * 600 + 792 + 96 + 150 == 2838
    assert model.count_params() == estimate_segmenter_cost(spec, input_shape=(128, 256, 3), num_classes=5).params


@pytest.mark.parametrize("name", ["mnasnet", "efficientnet_v2", "spinenet", "spinenet_mbconv"])
def test_sampled_segmenters_cost_exactly_their_keras_count(name):
    (backbone,) = spaces.get(name).sample(1, seed=4)
    spec = default_chain_segmenter(backbone) if name in ("mnasnet", "efficientnet_v2") else (
        default_spinenet_segmenter(backbone))  # fmt: skip
    model = build_segmenter(spec, input_shape=(128, 128, 3), num_classes=3)
    assert model.count_params() == estimate_segmenter_cost(spec, input_shape=(128, 128, 3), num_classes=3).params
    assert tuple(model.output["segmentation_logits"].shape) == (None, 16, 16, 4)


def test_bad_builds_are_refused():
    spec = default_chain_segmenter(_MOBILENET_V2)
    with pytest.raises(SpecError, match="num_classes must be an int > 0"):
        build_segmenter(spec, input_shape=(64, 64, 3), num_classes=0)
    with pytest.raises(SpecError, match="pass no dropout_rate or classifier_activation"):
        build_segmenter(spec, input_shape=(64, 64, 3), num_classes=2, classifier_activation="softmax")
    with pytest.raises(SpecError, match="not a multiple of 32"):
        build_segmenter(spec, input_shape=(48, 64, 3), num_classes=2)
    with pytest.raises(SpecError, match="needs a ChainSegmenterSpec or a SpineNetSegmenterSpec, got ArchSpec"):
        build_segmenter(_MOBILENET_V2, input_shape=(64, 64, 3), num_classes=2)
