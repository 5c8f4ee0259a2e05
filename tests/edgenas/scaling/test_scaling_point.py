"""ScalingPoint: validation, apply() to a topology, strict string and JSON round trips."""

import dataclasses
import json

import pytest

from edgenas.errors import SpecError, SpecParseError
from edgenas.scaling import ScaledDetector, ScalingPoint
from edgenas.specs import SpineNetFamily, spinenet_reference
from edgenas.specs.detection_head import DetectionHeadSpec

_RESNET = dict(
    image_size=640,
    endpoints_num_filters=256,
    filter_size_scale=1.2,
    resample_alpha=0.75,
    block_repeats=3,
    head_num_convs=4,
    head_num_filters=192,
)
_MOBILE = dict(
    image_size=384,
    endpoints_num_filters=48,
    filter_size_scale=1.0,
    resample_alpha=None,
    block_repeats=1,
    head_num_convs=4,
    head_num_filters=48,
)


def _point(base=None, **fields):
    return ScalingPoint(**{**(base or _RESNET), **fields})


def test_fields_are_typed_frozen_and_keyword_only():
    point = _point(filter_size_scale=1, resample_alpha=1)
    assert point.filter_size_scale == 1.0 and isinstance(point.filter_size_scale, float)
    assert isinstance(point.resample_alpha, float)
    assert point.family is SpineNetFamily.RESNET
    assert _point(_MOBILE).family is SpineNetFamily.MOBILE
    assert point.input_shape == (640, 640, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.image_size = 512
    with pytest.raises(TypeError):
        ScalingPoint(*_RESNET.values())
    assert hash(point) == hash(_point(filter_size_scale=1.0, resample_alpha=1.0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("image_size", 0),
        ("image_size", -512),
        ("image_size", 512.0),
        ("image_size", True),
        ("endpoints_num_filters", 0),
        ("endpoints_num_filters", "256"),
        ("filter_size_scale", 0.0),
        ("filter_size_scale", -1.0),
        ("filter_size_scale", float("nan")),
        ("filter_size_scale", float("inf")),
        ("filter_size_scale", "1.0"),
        ("resample_alpha", 0.0),
        ("resample_alpha", -0.5),
        ("resample_alpha", True),
        ("block_repeats", 0),
        ("head_num_convs", -1),
        ("head_num_filters", 0),
    ],
)
def test_bad_field_fails_naming_field_and_value(field, value):
    with pytest.raises(SpecError, match=rf"ScalingPoint\.{field} .*{value!r}"):
        _point(**{field: value})


def test_zero_head_convs_allowed_like_the_head_spec():
    assert _point(head_num_convs=0).head_num_convs == 0


def test_apply_keeps_topology_and_sets_sizes():
    topology = spinenet_reference("spinenet49")
    point = _point()
    detector = point.apply(topology)
    assert isinstance(detector, ScaledDetector)
    spec = detector.spec
    assert spec.blocks == topology.blocks
    assert (spec.activation, spec.min_level, spec.max_level, spec.mbconv) == (
        topology.activation,
        topology.min_level,
        topology.max_level,
        topology.mbconv,
    )
    assert (spec.endpoints_num_filters, spec.filter_size_scale, spec.resample_alpha, spec.block_repeats) == (
        256,
        1.2,
        0.75,
        3,
    )
    assert detector.head == DetectionHeadSpec(
        head_num_convs=4, head_num_filters=192, num_anchors=9, use_separable_conv=False
    )
    assert detector.input_shape == (640, 640, 3)
    assert ScalingPoint.from_detector(detector) == point


def test_apply_mobile_uses_the_mobile_default_head_or_the_given_one():
    topology = spinenet_reference("spinenet_mobile49s")
    point = _point(_MOBILE, head_num_convs=3, head_num_filters=32)
    detector = point.apply(topology)
    assert detector.spec.mbconv == topology.mbconv
    assert detector.head == DetectionHeadSpec(
        head_num_convs=3, head_num_filters=32, num_anchors=9, use_separable_conv=True
    )
    given = DetectionHeadSpec(head_num_convs=7, head_num_filters=99, num_anchors=3, use_separable_conv=False)
    assert point.apply(topology, head=given).head == DetectionHeadSpec(
        head_num_convs=3, head_num_filters=32, num_anchors=3, use_separable_conv=False
    )


def test_alpha_for_a_mobile_spec_fails():
    with pytest.raises(SpecError, match=r"resample_alpha .*None.*got 0\.75"):
        _point().apply(spinenet_reference("spinenet_mobile49"))


def test_missing_alpha_for_a_resnet_spec_fails():
    with pytest.raises(SpecError, match=r"resample_alpha is None.*ResNet-style"):
        _point(_MOBILE).apply(spinenet_reference("spinenet49"))


@pytest.mark.parametrize("size", [320, 500, 64])
def test_image_size_not_a_multiple_of_the_coarsest_level_fails(size):
    with pytest.raises(SpecError, match=rf"image_size {size} .*not a multiple of 128"):
        _point(image_size=size).apply(spinenet_reference("spinenet49"))


def test_filter_count_rounding_to_zero_fails_naming_the_field():
    # Mobile level 0 (the stem conv) has 8 base filters: int(8 * 0.1) == 0.
    with pytest.raises(SpecError, match=r"filter_size_scale 0\.1 leaves level-0 layers with 0 filters"):
        _point(_MOBILE, filter_size_scale=0.1).apply(spinenet_reference("spinenet_mobile49"))
    # ResNet-style level 2 has 64: int(64 * 0.01) == 0.
    with pytest.raises(SpecError, match=r"filter_size_scale 0\.01 leaves level-2 layers with 0 filters"):
        _point(filter_size_scale=0.01).apply(spinenet_reference("spinenet49"))
    # The resampling conv: int(int(64 * 0.05) * 0.25) == 0.
    with pytest.raises(SpecError, match=r"resample_alpha 0\.25 leaves the resampling"):
        _point(filter_size_scale=0.05, resample_alpha=0.25).apply(spinenet_reference("spinenet49"))


def test_apply_rejects_wrong_types():
    with pytest.raises(SpecError, match="SpineNetSpec"):
        _point().apply("spinenet49")
    with pytest.raises(SpecError, match="DetectionHeadSpec"):
        _point().apply(spinenet_reference("spinenet49"), head={"head_num_convs": 4})


def test_scaled_detector_validates_its_input_shape():
    spec = spinenet_reference("spinenet49")
    with pytest.raises(SpecError, match="not a multiple of 128"):
        ScaledDetector(spec=spec, head=DetectionHeadSpec(), input_shape=(300, 300, 3))
    detector = ScaledDetector(spec=spec, head=DetectionHeadSpec(), input_shape=[256, 384, 3])
    assert detector.input_shape == (256, 384, 3)
    with pytest.raises(SpecError, match="square"):
        ScalingPoint.from_detector(detector)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        (_RESNET, "scaling-size640-endpoints256-scale1.2-alpha0.75-repeats3-head4x192"),
        (_MOBILE, "scaling-size384-endpoints48-scale1-repeats1-head4x48"),
        ({**_MOBILE, "filter_size_scale": 1e-05}, "scaling-size384-endpoints48-scale1e-05-repeats1-head4x48"),
        (
            {**_RESNET, "resample_alpha": 1 / 3},
            "scaling-size640-endpoints256-scale1.2-alpha0.3333333333333333-repeats3-head4x192",
        ),
    ],
)
def test_string_round_trip(fields, text):
    point = ScalingPoint(**fields)
    assert str(point) == text
    assert ScalingPoint.parse(text) == point


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("spinenet-size640", "expected 'scaling'"),
        ("scaling-size640-endpoints256", "expected '-scale<filter_size_scale>', found 'the end'"),
        ("scaling-size640-endpoints256-scale1.2-alpha0.75-head4x192", "expected '-repeats<block_repeats>'"),
        ("scaling-size640-endpoints256-scale1.2-alpha0.75-repeats3-head4", "expected '-head<head_num_convs>x"),
        ("scaling-size640-endpoints256-scale1.2-alpha0.75-repeats3-head4x192-x", "unexpected '-x'"),
        ("scaling-size640-endpoints256-scale1.0-alpha0.75-repeats3-head4x192", "canonical"),
        ("scaling-size0640-endpoints256-scale1.2-alpha0.75-repeats3-head4x192", "canonical"),
        ("scaling-size640-endpoints256-scale1.20-alpha0.75-repeats3-head4x192", "canonical"),
    ],
)
def test_parse_is_strict(text, message):
    with pytest.raises(SpecParseError, match=message):
        ScalingPoint.parse(text)


def test_parse_rejects_bad_values_and_non_strings():
    with pytest.raises(SpecError, match=r"ScalingPoint\.image_size must be >= 1, got 0"):
        ScalingPoint.parse("scaling-size0-endpoints256-scale1.2-alpha0.75-repeats3-head4x192")
    with pytest.raises(SpecParseError, match="must be a str"):
        ScalingPoint.parse(640)


@pytest.mark.parametrize("fields", [_RESNET, _MOBILE])
def test_json_round_trip(fields):
    point = ScalingPoint(**fields)
    assert ScalingPoint.from_json(point.to_json()) == point
    assert ScalingPoint.from_json(point.to_json_string()) == point
    assert json.loads(point.to_json_string())["schema"] == "edgenas.ScalingPoint/1"


def test_from_json_is_strict():
    data = _point().to_json()
    with pytest.raises(SpecParseError, match="schema"):
        ScalingPoint.from_json({**data, "schema": "edgenas.SpineNetSpec/1"})
    with pytest.raises(SpecParseError, match=r"missing keys \['image_size'\]"):
        ScalingPoint.from_json({k: v for k, v in data.items() if k != "image_size"})
    with pytest.raises(SpecParseError, match=r"unknown keys \['activation'\]"):
        ScalingPoint.from_json({**data, "activation": "swish"})
    with pytest.raises(SpecParseError, match="malformed"):
        ScalingPoint.from_json("{not json")
    with pytest.raises(SpecError, match=r"ScalingPoint\.block_repeats must be an integer, got 3\.0"):
        ScalingPoint.from_json({**data, "block_repeats": 3.0})
