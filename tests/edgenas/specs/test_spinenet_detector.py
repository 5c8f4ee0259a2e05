"""SpineNetDetectorSpec: strict string and JSON round trips, no collision with other spec strings, validation."""

import dataclasses
import json

import pytest

from edgenas import spaces
from edgenas.errors import SpecError, SpecParseError
from edgenas.specs import ArchSpec, SpineNetSpec, spinenet_reference, spinenet_reference_names
from edgenas.specs.detection_head import DetectionHeadSpec, default_detection_head
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

_XS = spinenet_reference("spinenet_mobile49xs")
_HEAD_24 = DetectionHeadSpec(head_num_convs=4, head_num_filters=24, num_anchors=9, use_separable_conv=True)
_DETECTOR = SpineNetDetectorSpec(backbone=_XS, head=_HEAD_24)
_TEXT = str(_XS) + "|head_c4_f24_a9_sep"

_HEADS = (
    _HEAD_24,
    DetectionHeadSpec(),  # the ResNet-style default: 4 plain convs of 256 filters
    DetectionHeadSpec(head_num_convs=0, head_num_filters=1, num_anchors=1),
    DetectionHeadSpec(head_num_convs=12, head_num_filters=1024, num_anchors=15, use_separable_conv=True),
)


def test_string_form_is_backbone_bar_head():
    assert str(_DETECTOR) == _TEXT
    assert _TEXT.count("|") == 1 and "|" not in str(_XS)
    plain = SpineNetDetectorSpec(backbone=spinenet_reference("spinenet49s"), head=DetectionHeadSpec())
    assert str(plain).endswith("-bottleneck_l6_in12+14_out|head_c4_f256_a9")
    assert SpineNetDetectorSpec.parse(_TEXT) == _DETECTOR


@pytest.mark.parametrize("name", spinenet_reference_names())
@pytest.mark.parametrize("head", _HEADS, ids=lambda h: f"c{h.head_num_convs}f{h.head_num_filters}")
def test_round_trips_through_string_and_json(name, head):
    spec = SpineNetDetectorSpec(backbone=spinenet_reference(name), head=head)
    assert SpineNetDetectorSpec.parse(str(spec)) == spec
    assert SpineNetDetectorSpec.from_json(spec.to_json()) == spec
    assert SpineNetDetectorSpec.from_json(spec.to_json_string()) == spec
    assert SpineNetDetectorSpec.from_json(json.loads(spec.to_json_string())) == spec
    data = json.loads(spec.to_json_string())
    assert data["schema"] == "edgenas.SpineNetDetectorSpec/1"
    assert data["backbone"] == spec.backbone.to_json()
    assert spec.digest() == SpineNetDetectorSpec.parse(str(spec)).digest()
    assert hash(spec) == hash(SpineNetDetectorSpec.parse(str(spec)))


def test_random_backbones_round_trip_and_digests_are_distinct():
    backbones = spaces.get("spinenet_mbconv", reference="spinenet_mobile49xs").sample(15, seed=3)
    specs = [SpineNetDetectorSpec(backbone=b, head=h) for b in backbones for h in _HEADS[:2]]
    for spec in specs:
        assert SpineNetDetectorSpec.parse(str(spec)) == spec
        assert SpineNetDetectorSpec.from_json(spec.to_json_string()) == spec
    digests = {spec.digest() for spec in specs} | {b.digest() for b in backbones}
    assert len(digests) == len(specs) + len(backbones)


def test_strings_do_not_collide_with_other_spec_types():
    with pytest.raises(SpecParseError):
        SpineNetSpec.parse(_TEXT)
    with pytest.raises(SpecError):
        ArchSpec.parse(_TEXT)
    with pytest.raises(SpecParseError, match=r"exactly one '\|' \(found none\)"):
        SpineNetDetectorSpec.parse(str(_XS))


def test_facts_and_default_head():
    # Mobile-49XS's endpoints are 24 filters, and so is its default (Model Garden's) head.
    assert _XS.endpoints_num_filters == 24 and _DETECTOR.has_default_head
    assert _DETECTOR.head == default_detection_head(True, endpoints_num_filters=24)
    wider = dataclasses.replace(_HEAD_24, head_num_filters=48)
    assert not SpineNetDetectorSpec(backbone=_XS, head=wider).has_default_head
    resnet = spinenet_reference("spinenet49")
    assert SpineNetDetectorSpec(backbone=resnet, head=DetectionHeadSpec()).has_default_head
    small = spinenet_reference("spinenet49s")  # 128 endpoints; the ResNet-style default stays 256 filters
    assert SpineNetDetectorSpec(backbone=small, head=DetectionHeadSpec()).has_default_head
    assert not SpineNetDetectorSpec(backbone=small, head=DetectionHeadSpec(head_num_filters=128)).has_default_head
    assert _DETECTOR.family is _XS.family
    assert _DETECTOR.check_input_shape((256, 384, 3)) == (256, 384, 3)
    with pytest.raises(SpecError, match="input 200x256 is not a multiple of 128"):
        _DETECTOR.check_input_shape((200, 256, 3))


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        (_TEXT + "|head_c4_f24_a9", SpecParseError, r"exactly one '\|' \(found 2\)"),
        (_TEXT.replace("|", "-"), SpecParseError, r"found none"),
        (str(_XS) + "|", SpecParseError, "the head token is ''"),
        (_TEXT + "_x", SpecParseError, "the head token is 'head_c4_f24_a9_sep_x'"),
        (_TEXT.replace("_sep", "_SEP"), SpecParseError, "expected e.g. 'head_c4_f48_a9_sep'"),
        (_TEXT.replace("_sep", "_separable"), SpecParseError, "the head token"),
        (_TEXT.replace("head_c4_f24", "head_f24_c4"), SpecParseError, "the head token"),
        (_TEXT.replace("f24", "f024"), SpecParseError, "not in canonical form; write 'head_c4_f24_a9_sep'"),
        (_TEXT.replace("a9", "a+9"), SpecParseError, "the head token"),
        (_TEXT.replace("f24", "f0"), SpecError, "head_num_filters must be an int >= 1, got 0"),
        (_TEXT.replace("a9", "a0"), SpecError, "num_anchors must be an int >= 1, got 0"),
        (_TEXT + " ", SpecParseError, "the head token"),
        (" " + _TEXT, SpecParseError, "SpineNet detector backbone: malformed SpineNet spec"),
        (_TEXT.replace("mbconv_l7_in6+15_out", "mbconv_l7_in6+15"), SpecError, "SpineNet detector backbone: "),
        (_TEXT.replace("levels3to7", "levels3to07"), SpecParseError, "SpineNet detector backbone: .*canonical"),
        ("|head_c4_f24_a9_sep", SpecParseError, "SpineNet detector backbone"),
        ("", SpecParseError, "found none"),
    ],
)
def test_bad_strings_are_rejected_with_a_clear_message(text, error, match):
    with pytest.raises(error, match=match):
        SpineNetDetectorSpec.parse(text)


def test_parse_needs_a_str():
    with pytest.raises(SpecParseError, match="must be a str, got bytes"):
        SpineNetDetectorSpec.parse(_TEXT.encode())


def test_construction_is_validated_frozen_and_keyword_only():
    with pytest.raises(SpecError, match="backbone must be a SpineNetSpec, got str"):
        SpineNetDetectorSpec(backbone=str(_XS), head=_HEAD_24)
    with pytest.raises(SpecError, match="backbone must be a SpineNetSpec, got SpineNetDetectorSpec"):
        SpineNetDetectorSpec(backbone=_DETECTOR, head=_HEAD_24)
    with pytest.raises(SpecError, match="head must be a DetectionHeadSpec, got dict"):
        SpineNetDetectorSpec(backbone=_XS, head={"head_num_filters": 24})
    with pytest.raises(TypeError):
        SpineNetDetectorSpec(_XS, _HEAD_24)  # noqa: keyword-only by design
    with pytest.raises(dataclasses.FrozenInstanceError):
        _DETECTOR.head = DetectionHeadSpec()
    assert dataclasses.replace(_DETECTOR, head=DetectionHeadSpec()) != _DETECTOR


def _json(**changes):
    data = _DETECTOR.to_json()
    data["head"] = dict(data["head"])
    for key, value in changes.items():
        if key.startswith("head."):
            data["head"][key[5:]] = value
        elif value is _DELETE:
            del data[key]
        else:
            data[key] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (_json(schema="edgenas.SpineNetSpec/1"), SpecParseError, "schema must be 'edgenas.SpineNetDetectorSpec/1'"),
        (_json(head=_DELETE), SpecParseError, r"missing keys \['head'\]"),
        (_json(num_classes=91), SpecParseError, r"unknown keys \['num_classes'\]"),
        (_json(**{"head.num_classes": 3}), SpecParseError, r"head JSON: missing keys \[\], unknown keys \['num_classes'\]"),
        (_json(backbone=str(_XS)), SpecParseError, "'backbone' must be an object, got str"),
        (_json(head=[4, 24, 9, True]), SpecParseError, "head must be a JSON object, got list"),
        (_json(**{"head.head_num_convs": True}), SpecError, "head_num_convs must be an int >= 0, got True"),
        (_json(**{"head.head_num_filters": 24.0}), SpecError, "head_num_filters must be an int >= 1, got 24.0"),
        (_json(**{"head.use_separable_conv": 1}), SpecError, "use_separable_conv must be a bool, got 1"),
        (
            _json(backbone={**_XS.to_json(), "endpoints_num_filters": 0}),
            SpecError,
            "SpineNet detector backbone: endpoints_num_filters must be positive",
        ),
        ("{not json", SpecParseError, "SpineNet detector spec JSON is malformed"),
    ],
)
def test_bad_json_is_rejected(data, error, match):
    with pytest.raises(error, match=match):
        SpineNetDetectorSpec.from_json(data)
