"""FpnSpec: strict token and JSON round trips, validation, and the decoder's analytic size against TF Model Garden's."""

import dataclasses

import pytest

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs import FpnSpec, mobilenet_v2_fpn_retinanet
from edgenas.specs.chain_detector_costs import fpn_cost
from edgenas.specs.chain_levels import feature_taps

_SPECS = (FpnSpec(), FpnSpec(256, False), FpnSpec(1, True), FpnSpec(num_filters=64, use_separable_conv=False))


def test_defaults_are_the_mobile_recipe_and_tokens_read_back():
    assert FpnSpec() == FpnSpec(num_filters=128, use_separable_conv=True)
    assert str(FpnSpec()) == "fpn_f128_sep"
    assert str(FpnSpec(256, False)) == "fpn_f256"
    for spec in _SPECS:
        assert FpnSpec.parse(str(spec)) == spec
        assert FpnSpec.from_json(spec.to_json()) == spec
    assert FpnSpec(256, False).to_json() == {"num_filters": 256, "use_separable_conv": False}


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("fpn_f0128_sep", SpecParseError, "FPN token 'fpn_f0128_sep' is not in canonical form; write 'fpn_f128_sep'"),
        ("fpn_f0", SpecError, r"FpnSpec.num_filters must be an int >= 1, got 0"),
        ("fpn_f128_SEP", SpecParseError,
         "malformed FPN token 'fpn_f128_SEP': expected e.g. 'fpn_f128_sep' or 'fpn_f256'"),
        ("fpn_f128sep", SpecParseError, "malformed FPN token"),
        ("fpn_128_sep", SpecParseError, "malformed FPN token"),
        ("fpn_f128_sep ", SpecParseError, "malformed FPN token"),
        ("fpn_f+128", SpecParseError, "malformed FPN token"),
        ("head_c4_f128_a9_sep", SpecParseError, "malformed FPN token"),
        ("", SpecParseError, "malformed FPN token ''"),
    ],
)
def test_bad_tokens_are_rejected_with_a_clear_message(text, error, match):
    with pytest.raises(error, match=match):
        FpnSpec.parse(text)


def test_parse_needs_a_str():
    with pytest.raises(SpecParseError, match="an FPN token must be a str, got bytes"):
        FpnSpec.parse(b"fpn_f128_sep")


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        (dict(num_filters=0), r"num_filters must be an int >= 1, got 0"),
        (dict(num_filters=True), r"num_filters must be an int >= 1, got True"),
        (dict(num_filters=128.0), r"num_filters must be an int >= 1, got 128.0"),
        (dict(use_separable_conv=1), r"use_separable_conv must be a bool, got 1"),
        (dict(use_separable_conv="yes"), r"use_separable_conv must be a bool, got 'yes'"),
    ],
)
def test_construction_is_validated(fields, match):
    with pytest.raises(SpecError, match=match):
        FpnSpec(**fields)


def test_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FpnSpec().num_filters = 64
    assert len({FpnSpec(), FpnSpec(128, True), FpnSpec(256, False)}) == 2


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        ({"num_filters": 128}, SpecParseError,
         r"feature pyramid \(FPN\) JSON: missing keys \['use_separable_conv'\], unknown keys \[\]"),
        ({"num_filters": 128, "use_separable_conv": True, "levels": 5}, SpecParseError, r"unknown keys \['levels'\]"),
        ([128, True], SpecParseError, r"a feature pyramid \(FPN\) must be a JSON object, got list"),
        ({"num_filters": "128", "use_separable_conv": True}, SpecError, "num_filters must be an int >= 1, got '128'"),
    ],
)
def test_bad_json_is_rejected(data, error, match):
    with pytest.raises(error, match=match):
        FpnSpec.from_json(data)


def test_decoder_size_is_model_gardens():
    # TF Model Garden (tf-models-no-deps 2.19.0), official/vision/modeling/decoders/fpn.py,
    # FPN(min_level=3, max_level=7, ...) on MobileNetV2's level 3/4/5 features (32, 96, 320 channels),
    # counted by the lead with Model Garden's own code: 149,056 (128 filters, separable convs) and
    # 3,070,976 (256 filters, plain convs). Our builder's count is checked in tests/edgenas/models.
    taps = feature_taps(mobilenet_v2_fpn_retinanet().backbone)
    assert [(tap.level, tap.filters) for tap in taps] == [(3, 32), (4, 96), (5, 320)]
    assert fpn_cost(FpnSpec(128, True), taps=taps, input_shape=(320, 320, 3)).params == 149_056
    assert fpn_cost(FpnSpec(256, False), taps=taps, input_shape=(320, 320, 3)).params == 3_070_976


def test_decoder_macs_follow_each_levels_pixels():
    taps = feature_taps(mobilenet_v2_fpn_retinanet().backbone)
    cost = fpn_cost(FpnSpec(8, False), taps=taps, input_shape=(128, 128, 3))
    sides = {3: 16, 4: 8, 5: 4, 6: 2, 7: 1}
    laterals = sum(sides[tap.level] ** 2 * tap.filters * 8 for tap in taps)
    threes = sum(side**2 * 9 * 8 * 8 for side in sides.values())
    assert cost.macs == laterals + threes
    assert cost.largest_activation == 16 * 16 * 8
