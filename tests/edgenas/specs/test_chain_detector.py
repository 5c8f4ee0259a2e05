"""ChainDetectorSpec: strict string and JSON round trips, no collision with other spec strings, validation, costs.

The reference, MobileNetV2 + FPN + RetinaNet at 320x320 with 91 classes, is
pinned to TF Model Garden's own count (see `test_reference_size_is_model_gardens`).
"""

import dataclasses
import json

import pytest

from edgenas import spaces
from edgenas.errors import SpecError, SpecParseError
from edgenas.families import family_of, parse_spec
from edgenas.specs import (
    ArchSpec,
    BlockSpec,
    ChainDetectorSpec,
    DetectionHeadSpec,
    FpnSpec,
    SpineNetDetectorSpec,
    SpineNetSpec,
    default_chain_detector,
    estimate_chain_detector_cost,
    mobilenet_v2_fpn_retinanet,
    spinenet_reference,
)
from edgenas.specs.chain_detector_costs import chain_backbone_cost
from edgenas.spaces.mnasnet_choices import REFERENCES

_MOBILENET_V2 = REFERENCES["mobilenet_v2"].spec()
_REFERENCE = mobilenet_v2_fpn_retinanet()
_TEXT = str(_MOBILENET_V2) + "|fpn_f128_sep|head_c4_f128_a9_sep"
_SPINENET_DETECTOR = SpineNetDetectorSpec(
    backbone=spinenet_reference("spinenet_mobile49xs"),
    head=DetectionHeadSpec(head_num_filters=24, use_separable_conv=True),
)
_PLAIN = dataclasses.replace(_REFERENCE, decoder=FpnSpec(256, False), head=DetectionHeadSpec())


def _backbones() -> list[ArchSpec]:
    return [*spaces.get("mnasnet").sample(4, seed=5), *spaces.get("efficientnet_v2").sample(4, seed=5)]


def test_string_form_is_backbone_fpn_head():
    assert str(_REFERENCE) == _TEXT
    assert _TEXT.count("|") == 2
    assert str(_PLAIN).endswith("-head1280|fpn_f256|head_c4_f256_a9")
    assert ChainDetectorSpec.parse(_TEXT) == _REFERENCE


def test_the_reference_is_the_mobile_recipe_on_mobilenet_v2():
    assert _REFERENCE == default_chain_detector(_MOBILENET_V2)
    assert _REFERENCE.backbone == spaces.get("mnasnet").reference("mobilenet_v2")
    assert _REFERENCE.decoder == FpnSpec(num_filters=128, use_separable_conv=True)
    assert _REFERENCE.head == DetectionHeadSpec(
        head_num_convs=4, head_num_filters=128, num_anchors=9, use_separable_conv=True
    )


@pytest.mark.parametrize("spec", [_REFERENCE, _PLAIN], ids=["reference", "plain"])
def test_round_trips_through_string_and_json(spec):
    assert ChainDetectorSpec.parse(str(spec)) == spec
    assert ChainDetectorSpec.from_json(spec.to_json()) == spec
    assert ChainDetectorSpec.from_json(spec.to_json_string()) == spec
    data = json.loads(spec.to_json_string())
    assert data["schema"] == "edgenas.ChainDetectorSpec/1"
    assert data["backbone"] == spec.backbone.to_json()
    assert data["decoder"] == spec.decoder.to_json()
    assert data["head"] == {
        "head_num_convs": spec.head.head_num_convs,
        "head_num_filters": spec.head.head_num_filters,
        "num_anchors": spec.head.num_anchors,
        "use_separable_conv": spec.head.use_separable_conv,
    }
    assert spec.digest() == ChainDetectorSpec.parse(str(spec)).digest()
    assert hash(spec) == hash(ChainDetectorSpec.parse(str(spec)))


def test_random_backbones_round_trip_and_digests_are_distinct():
    backbones = _backbones()
    specs = [default_chain_detector(b) for b in backbones] + [
        dataclasses.replace(default_chain_detector(b), decoder=FpnSpec(64, False)) for b in backbones
    ]
    for spec in specs:
        assert ChainDetectorSpec.parse(str(spec)) == spec
        assert ChainDetectorSpec.from_json(spec.to_json_string()) == spec
        assert parse_spec(str(spec)) == spec
    digests = {spec.digest() for spec in specs} | {b.digest() for b in backbones}
    assert len(digests) == len(specs) + len(backbones)


def test_strings_do_not_collide_with_other_spec_types():
    with pytest.raises(SpecParseError, match=r"exactly one '\|' \(found 2\)"):
        SpineNetDetectorSpec.parse(_TEXT)
    with pytest.raises(SpecParseError):
        ArchSpec.parse(_TEXT)
    with pytest.raises(SpecParseError):
        SpineNetSpec.parse(_TEXT)
    with pytest.raises(SpecParseError, match=r"exactly two '\|' \(found 1\)"):
        ChainDetectorSpec.parse(str(_SPINENET_DETECTOR))
    with pytest.raises(SpecParseError, match=r"exactly two '\|' \(found 0\)"):
        ChainDetectorSpec.parse(str(_MOBILENET_V2))
    # Each string finds its own family.
    assert parse_spec(_TEXT) == _REFERENCE
    assert family_of(parse_spec(_TEXT)).name == "chain_detector"
    assert parse_spec(str(_SPINENET_DETECTOR)) == _SPINENET_DETECTOR
    assert parse_spec(str(_MOBILENET_V2)) == _MOBILENET_V2


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        (_TEXT + "|head_c4_f128_a9", SpecParseError, r"exactly two '\|' \(found 3\)"),
        (_TEXT.replace("|fpn_f128_sep", ""), SpecParseError,
         r"found 1\), e.g. 'relu6-stem32-...-head1280\|fpn_f128_sep\|"),
        (_TEXT.replace("|", "-"), SpecParseError, "found 0"),
        (_TEXT.replace("fpn_f128_sep", "fpn_f0128_sep"), SpecParseError, "not in canonical form; write 'fpn_f128_sep'"),
        (_TEXT.replace("fpn_f128_sep", "fpn_f0"), SpecError, "chain detector spec .*: FpnSpec.num_filters must be"),
        (_TEXT.replace("fpn_f128_sep", "fpn128"), SpecParseError,
         "chain detector spec .*: malformed FPN token 'fpn128'"),
        (_TEXT.replace("fpn_f128_sep|", "|"), SpecParseError, "malformed FPN token ''"),
        (_TEXT.replace("_sep|head", "|fpn_f1|head"), SpecParseError, r"found 3"),
        (_TEXT.replace("fpn_f128_sep|head_c4_f128_a9_sep", "head_c4_f128_a9_sep|fpn_f128_sep"), SpecParseError,
         "malformed FPN token 'head_c4_f128_a9_sep'"),
        (_TEXT + "_x", SpecParseError, "the head token is 'head_c4_f128_a9_sep_x'"),
        (_TEXT.replace("f128_a9", "f0128_a9"), SpecParseError, "not in canonical form; write 'head_c4_f128_a9_sep'"),
        (_TEXT.replace("a9_sep", "a0_sep"), SpecError, "num_anchors must be an int >= 1, got 0"),
        (_TEXT + " ", SpecParseError, "the head token"),
        (" " + _TEXT, SpecParseError, "chain detector spec backbone: .*canonical"),
        (_TEXT.replace("head1280|", "head01280|"), SpecParseError, "chain detector spec backbone: .*canonical"),
        (_TEXT.replace("_s2_e6_se0_c160", "_s1_e6_se0_c160"), SpecError,
         "ChainDetectorSpec.backbone: a detection backbone must end at stride 32"),
        ("|fpn_f128_sep|head_c4_f128_a9_sep", SpecParseError, "chain detector spec backbone"),
        ("", SpecParseError, "found 0"),
    ],
)
def test_bad_strings_are_rejected_with_a_clear_message(text, error, match):
    with pytest.raises(error, match=match):
        ChainDetectorSpec.parse(text)


def test_parse_needs_a_str():
    with pytest.raises(SpecParseError, match="must be a str, got bytes"):
        ChainDetectorSpec.parse(_TEXT.encode())


def test_construction_is_validated_frozen_and_keyword_only():
    fpn, head = FpnSpec(), DetectionHeadSpec()
    with pytest.raises(SpecError, match="ChainDetectorSpec.backbone must be an ArchSpec, got str"):
        ChainDetectorSpec(backbone=str(_MOBILENET_V2), decoder=fpn, head=head)
    with pytest.raises(SpecError, match="ChainDetectorSpec.backbone must be an ArchSpec, got SpineNetSpec"):
        ChainDetectorSpec(backbone=spinenet_reference("spinenet49"), decoder=fpn, head=head)
    with pytest.raises(SpecError, match="ChainDetectorSpec.decoder must be an FpnSpec, got dict"):
        ChainDetectorSpec(backbone=_MOBILENET_V2, decoder={"num_filters": 128}, head=head)
    with pytest.raises(SpecError, match="ChainDetectorSpec.head must be a DetectionHeadSpec, got FpnSpec"):
        ChainDetectorSpec(backbone=_MOBILENET_V2, decoder=fpn, head=fpn)
    with pytest.raises(TypeError):
        ChainDetectorSpec(_MOBILENET_V2, fpn, head)  # keyword-only by design
    with pytest.raises(dataclasses.FrozenInstanceError):
        _REFERENCE.head = head
    assert dataclasses.replace(_REFERENCE, head=head) != _REFERENCE


def test_a_backbone_without_levels_3_to_5_is_refused():
    stride16 = ArchSpec(blocks=(BlockSpec.parse("conv_r1_k3_s2_e1_se0_c8"),) * 3)
    with pytest.raises(SpecError) as error:
        default_chain_detector(stride16)
    assert str(error.value) == (
        "ChainDetectorSpec.backbone: a detection backbone must end at stride 32 (level 5) with stages ending at "
        "levels 3, 4 and 5; this chain's stages end at levels 2, 3, 4 (total stride 16)"
    )
    stride64 = ArchSpec(blocks=(BlockSpec.parse("conv_r1_k3_s2_e1_se0_c8"),) * 5)
    with pytest.raises(SpecError, match=r"stages end at levels 2, 3, 4, 5, 6 \(total stride 64\)"):
        default_chain_detector(stride64)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((200, 320, 3), "input 200x320 does not suit a chain detector: height 200 is not a multiple of 32 "
                        "(the nearest legal sides are 192 and 224) (sides must be multiples of 32, the backbone's "
                        "stride at level 5, and at least 128)"),
        ((320, 96, 3), "input 320x96 does not suit a chain detector: width 96 is below 128 (the nearest legal side "
                       "is 128) (sides must be multiples of 32, the backbone's stride at level 5, and at least 128)"),
        ((100, 330, 3), "input 100x330 does not suit a chain detector: height 100 is below 128 (the nearest legal "
                        "side is 128); width 330 is not a multiple of 32 (the nearest legal sides are 320 and 352) "
                        "(sides must be multiples of 32, the backbone's stride at level 5, and at least 128)"),
        ((320, 320), "input_shape must be (height, width, channels), got (320, 320)"),
    ],
)
def test_input_shapes_are_checked_with_the_nearest_legal_sides(shape, message):
    with pytest.raises(SpecError) as error:
        _REFERENCE.check_input_shape(shape)
    assert str(error.value) == message


def test_legal_input_shapes():
    assert _REFERENCE.check_input_shape((320, 320, 3)) == (320, 320, 3)
    assert _REFERENCE.check_input_shape([128, 160, 1]) == (128, 160, 1)


def _json(**changes):
    data = _REFERENCE.to_json()
    for key, value in changes.items():
        if value is _DELETE:
            del data[key]
        else:
            data[key] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (_json(schema="edgenas.SpineNetDetectorSpec/1"), SpecParseError,
         "schema must be 'edgenas.ChainDetectorSpec/1'"),
        (_json(decoder=_DELETE), SpecParseError, r"missing keys \['decoder'\]"),
        (_json(num_classes=91), SpecParseError, r"unknown keys \['num_classes'\]"),
        (_json(backbone=str(_MOBILENET_V2)), SpecParseError, "'backbone' must be an object, got str"),
        (_json(decoder={"num_filters": 128}), SpecParseError, r"missing keys \['use_separable_conv'\]"),
        (_json(decoder="fpn_f128_sep"), SpecParseError, "must be a JSON object, got str"),
        (_json(head={"head_num_convs": 4}), SpecParseError, r"chain detector spec head JSON: missing keys"),
        (_json(head={**_REFERENCE.to_json()["head"], "num_anchors": 0}), SpecError, "num_anchors must be an int >= 1"),
        (_json(backbone={**_MOBILENET_V2.to_json(), "stem_filters": 0}), SpecError,
         "chain detector spec backbone: stem_filters must be positive"),
        ("{not json", SpecParseError, "chain detector spec JSON is malformed"),
    ],
)
def test_bad_json_is_rejected(data, error, match):
    with pytest.raises(error, match=match):
        ChainDetectorSpec.from_json(data)


def test_reference_size_is_model_gardens():
    # TF Model Garden, tf-models-no-deps 2.19.0, counted by running its own code (320x320, 91 classes):
    #   official/vision/modeling/backbones/mobilenet.py  MobileNet(model_id="MobileNetV2")    2,257,984
    #     of which its final 1x1 conv to 1280 + BatchNorm (no decoder reads its output;
    #     our detector does not build it): 320 * 1280 + 4 * 1280 =                              414,720
    #   official/vision/modeling/decoders/fpn.py  FPN(min_level=3, max_level=7, num_filters=128,
    #     use_separable_conv=True)                                                              149,056
    #   official/vision/modeling/heads/dense_prediction_heads.py  RetinaNetHead(min_level=3, max_level=7,
    #     num_classes=91, num_anchors_per_location=9, num_convs=4, num_filters=128,
    #     use_separable_conv=True)                                                              274,391
    # 2,257,984 - 414,720 + 149,056 + 274,391 = 2,266,711. The built model's count is checked in
    # tests/edgenas/models/test_chain_detector.py (and Keras' MobileNetV2 has the same 2,257,984).
    assert chain_backbone_cost(_MOBILENET_V2, input_shape=(320, 320, 3)).params == 2_257_984 - 414_720
    cost = estimate_chain_detector_cost(_REFERENCE, input_shape=(320, 320, 3), num_classes=91)
    assert cost.params == 2_257_984 - 414_720 + 149_056 + 274_391 == 2_266_711
    # The largest tensor is stage 1's 6x expansion of 16 channels at 160x160; the class outputs (anchors
    # over levels 40, 20, 10, 5 and 3 pixels wide) come second.
    assert cost.largest_activation == 160 * 160 * 96
    assert 9 * (40**2 + 20**2 + 10**2 + 5**2 + 3**2) * 91 == 1_747_746
    assert estimate_chain_detector_cost(_REFERENCE, input_shape=(320, 320, 3), num_classes=200).largest_activation == (
        9 * (40**2 + 20**2 + 10**2 + 5**2 + 3**2) * 200
    )
    assert cost.macs == 1_161_197_312


def test_plain_head_size_is_model_gardens():
    # Model Garden's RetinaNetHead(num_convs=4, num_filters=256, use_separable_conv=False, 91 classes, 9 anchors)
    # on five 256-channel levels: 6,732,375 (its BatchNorms' moving statistics included); FPN(num_filters=256,
    # use_separable_conv=False) on MobileNetV2's features: 3,070,976.
    cost = estimate_chain_detector_cost(_PLAIN, input_shape=(320, 320, 3), num_classes=91)
    assert cost.params == 2_257_984 - 414_720 + 3_070_976 + 6_732_375


def test_the_backbone_cost_leaves_out_only_the_classifier_head():
    from edgenas.specs import estimate_cost  # noqa: PLC0415

    for backbone in _backbones():
        whole = estimate_cost(backbone, input_shape=(160, 192, 3), num_classes=0)
        part = chain_backbone_cost(backbone, input_shape=(160, 192, 3))
        last = backbone.blocks[-1].output_filters
        assert whole.params - part.params == last * backbone.head_filters + 4 * backbone.head_filters
        assert whole.macs - part.macs == 5 * 6 * last * backbone.head_filters
