"""Segmenter specs: strict strings and JSON, validation, input rules, and the cost of what the model keeps."""

import pytest

from edgenas import spaces
from edgenas.errors import SpecError, SpecParseError
from edgenas.specs import spinenet_reference
from edgenas.specs.segmentation_head import SegmentationHeadSpec
from edgenas.specs.segmenter import (
    ChainSegmenterSpec,
    SpineNetSegmenterSpec,
    default_chain_segmenter,
    default_spinenet_segmenter,
)
from edgenas.specs.segmenter_costs import estimate_segmenter_cost, segmentation_head_cost
from edgenas.specs.spinenet_costs import estimate_spinenet_cost

_CHAIN = spaces.get("mnasnet").reference("mobilenet_v2")
_MOBILE49 = spinenet_reference("spinenet_mobile49")


def test_the_head_token_round_trips_and_is_strict():
    for head in (SegmentationHeadSpec(), SegmentationHeadSpec(num_filters=64, use_separable_conv=False)):
        assert SegmentationHeadSpec.parse(str(head)) == head
        assert SegmentationHeadSpec.from_json(head.to_json()) == head
    assert str(SegmentationHeadSpec()) == "seg_f128_sep"
    with pytest.raises(SpecParseError, match="not in canonical form; write 'seg_f64'"):
        SegmentationHeadSpec.parse("seg_f064")
    with pytest.raises(SpecParseError, match="malformed segmentation head token 'fpn_f128_sep'"):
        SegmentationHeadSpec.parse("fpn_f128_sep")
    with pytest.raises(SpecError, match="num_filters must be an int >= 1, got 0"):
        SegmentationHeadSpec(num_filters=0)
    with pytest.raises(SpecError, match="use_separable_conv must be a bool, got 1"):
        SegmentationHeadSpec(use_separable_conv=1)


@pytest.mark.parametrize(
    "spec", [default_chain_segmenter(_CHAIN), default_spinenet_segmenter(_MOBILE49)], ids=["chain", "spinenet"]
)
def test_a_segmenter_reads_back_from_its_string_and_json_through_every_parser(spec):
    text = str(spec)
    assert text.count("|") == 1 and text.endswith(str(spec.head))
    assert type(spec).parse(text) == spec
    assert type(spec).from_json(spec.to_json_string()) == spec
    assert spec.digest() == type(spec).parse(text).digest()


def test_defaults_and_bad_specs():
    assert default_chain_segmenter(_CHAIN).head == SegmentationHeadSpec(128, True)
    assert default_spinenet_segmenter(_MOBILE49).head == SegmentationHeadSpec(48, True)  # as wide as its endpoints
    assert default_spinenet_segmenter(spinenet_reference("spinenet49")).head == SegmentationHeadSpec(256, False)
    with pytest.raises(SpecError, match="ChainSegmenterSpec.backbone must be a ArchSpec, got SpineNetSpec"):
        ChainSegmenterSpec(backbone=_MOBILE49, head=SegmentationHeadSpec())
    with pytest.raises(SpecError, match="SpineNetSegmenterSpec.head must be a SegmentationHeadSpec"):
        SpineNetSegmenterSpec(backbone=_MOBILE49, head="seg_f48_sep")
    import dataclasses

    blocks = tuple(dataclasses.replace(b, is_output=False) if b.is_output and b.level == 3 else b
                   for b in _MOBILE49.blocks)  # fmt: skip
    narrow = dataclasses.replace(_MOBILE49, min_level=4, blocks=blocks)
    with pytest.raises(SpecError, match="fuses levels 3-5; this SpineNet outputs levels 4-7"):
        default_spinenet_segmenter(narrow)
    with pytest.raises(SpecParseError, match="malformed chain segmenter spec"):
        ChainSegmenterSpec.parse(f"{_CHAIN}|seg_f128_sep|x")
    with pytest.raises(SpecParseError, match="malformed segmentation head token 'head_c4_f48_a9_sep'"):
        SpineNetSegmenterSpec.parse(f"{_MOBILE49}|head_c4_f48_a9_sep")  # a detector's string is not a segmenter's


def test_input_rules():
    chain, spine = default_chain_segmenter(_CHAIN), default_spinenet_segmenter(_MOBILE49)
    assert chain.check_input_shape([96, 64, 3]) == (96, 64, 3)
    with pytest.raises(SpecError, match="input 100x64 does not suit a chain segmenter: height 100 not a multiple"):
        chain.check_input_shape((100, 64, 3))
    assert spine.check_input_shape((256, 128, 3)) == (256, 128, 3)
    with pytest.raises(SpecError, match="is not a multiple of 128"):
        spine.check_input_shape((192, 192, 3))


def test_the_head_cost_by_hand():
    # Laterals 32->128, 96->128, 320->128 with bias; separable 3x3 (9*128 + 128*128) + BatchNorm 4*128;
    # classifier 128 -> 4 logits with bias.
    pixels = {3: 8 * 8, 4: 4 * 4, 5: 2 * 2}
    cost = segmentation_head_cost(SegmentationHeadSpec(), level_filters={3: 32, 4: 96, 5: 320},
                                  level_pixels=pixels, num_classes=3)  # fmt: skip
    assert cost.params == (32 * 128 + 128) + (96 * 128 + 128) + (320 * 128 + 128) + (9 * 128 + 128 * 128) + 512 + (
        128 * 4 + 4
    )
    assert cost.params == 76292
    assert cost.macs == 64 * 32 * 128 + 16 * 96 * 128 + 4 * 320 * 128 + 64 * (9 * 128 + 128 * 128) + 64 * 128 * 4
    assert cost.largest_activation == 64 * 128


def test_a_spinenet_segmenter_costs_only_what_levels_3_to_5_need():
    spec = default_spinenet_segmenter(_MOBILE49)
    full = estimate_spinenet_cost(_MOBILE49, input_shape=(256, 256, 3))
    kept = estimate_spinenet_cost(_MOBILE49, input_shape=(256, 256, 3), output_levels=(3, 4, 5))
    assert kept.params < full.params  # levels 6 and 7's endpoints at least are gone
    whole = estimate_segmenter_cost(spec, input_shape=(256, 256, 3), num_classes=3)
    assert whole.params == kept.params + 7056 + 2928 + 196  # laterals 3 x (48*48 + 48), separable conv + BN, 48->4
