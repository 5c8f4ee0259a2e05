"""SpineNetSpec: strict string and JSON round trips, validation before any model, graph facts."""

import dataclasses
import json

import pytest

from edgenas import spaces
from edgenas.errors import SpecError, SpecParseError, UnknownNameError
from edgenas.specs import (
    SpineNetBlockSpec,
    SpineNetFamily,
    SpineNetMBConv,
    SpineNetSpec,
    spinenet_reference,
    spinenet_reference_names,
)

_SPINENET49 = (
    "spinenet-swish-levels3to7-endpoints256-scale1-alpha0.5-repeats1-"
    "bottleneck_l2_in0+1-residual_l4_in0+1-bottleneck_l3_in2+3-bottleneck_l4_in2+4-residual_l6_in3+5-"
    "bottleneck_l4_in3+5-residual_l5_in6+7-residual_l7_in6+8-bottleneck_l5_in8+9-bottleneck_l5_in8+10-"
    "bottleneck_l4_in5+10_out-bottleneck_l3_in4+10_out-bottleneck_l5_in7+12_out-bottleneck_l7_in5+14_out-"
    "bottleneck_l6_in12+14_out"
)


def _blocks(*tokens):
    return tuple(SpineNetBlockSpec.parse(t) for t in tokens)


_OUTPUTS = tuple(f"bottleneck_l{level}_in0+1_out" for level in range(3, 8))


def _resnet(*tokens, **fields):
    return SpineNetSpec(
        blocks=_blocks(*tokens, *_OUTPUTS),
        **{"endpoints_num_filters": 64, "filter_size_scale": 0.5, "resample_alpha": 0.5, **fields},
    )


def test_spinenet49_string_is_the_published_table():
    spec = spinenet_reference("spinenet49")
    assert str(spec) == _SPINENET49
    assert SpineNetSpec.parse(_SPINENET49) == spec
    assert spec.family is SpineNetFamily.RESNET
    assert spec.levels == (2, 2, 2, 4, 3, 4, 6, 4, 5, 7, 5, 5, 4, 3, 5, 7, 6)
    assert spec.output_block_indices() == {4: 12, 3: 13, 5: 14, 7: 15, 6: 16}


@pytest.mark.parametrize("name", spinenet_reference_names())
def test_references_round_trip_through_string_and_json(name):
    spec = spinenet_reference(name)
    assert SpineNetSpec.parse(str(spec)) == spec
    assert SpineNetSpec.from_json(spec.to_json()) == spec
    assert SpineNetSpec.from_json(spec.to_json_string()) == spec
    assert json.loads(spec.to_json_string())["schema"] == "edgenas.SpineNetSpec/1"
    assert spec.digest() == SpineNetSpec.parse(str(spec)).digest()


@pytest.mark.parametrize(
    ("space", "reference"),
    [("spinenet", "spinenet49s"), ("spinenet_v2", "spinenet49"), ("spinenet_mbconv", "spinenet_mobile49xs")],
)
def test_random_points_round_trip(space, reference):
    specs = spaces.get(space, reference=reference).sample(40, seed=11)
    assert len(set(specs)) == 40
    for spec in specs:
        assert SpineNetSpec.parse(str(spec)) == spec
        assert SpineNetSpec.from_json(spec.to_json_string()) == spec
    assert len({s.digest() for s in specs}) == 40


def test_mobile_reference_facts():
    spec = spinenet_reference("spinenet_mobile49s")
    assert spec.family is SpineNetFamily.MOBILE
    assert spec.levels[:2] == (1, 2)  # the mobile stem blocks sit at levels 1 and 2
    assert spec.mbconv == SpineNetMBConv(expand_ratio=6, kernel_size=3, se_ratio=0.2)
    assert spec.resample_alpha is None
    assert "-repeats1-mbconv_e6_k3_se0.2-mbconv_l2_in0+1-" in str(spec)
    # int(base filters * 0.65) per level: 8, 16, 24, 40, 80, 112 -> 5, 10, 15, 26, 52, 72
    assert [spec.level_filters(level) for level in range(6)] == [5, 10, 15, 26, 52, 72]


def test_merged_inputs_follow_the_reference_rule():
    # SpineNet-49: block 11 (level 5) is read by no later block, so the level-5 output
    # block 14 also sums it; SpineNet-Mobile-49: block 12 goes to output block 15.
    merged = spinenet_reference("spinenet49").merged_inputs()
    assert {i + 2: m for i, m in enumerate(merged) if m} == {14: (11,)}
    merged = spinenet_reference("spinenet_mobile49").merged_inputs()
    assert {i + 2: m for i, m in enumerate(merged) if m} == {15: (12,)}
    assert spinenet_reference("spinenet49").live_block_indices() == frozenset(range(17))


def test_dead_blocks_are_found():
    # Block 2 is read by nobody and is not an output: nothing the backbone returns
    # depends on it. Block 3 feeds block 4, which feeds the level-6 output.
    outputs = list(_OUTPUTS)
    outputs[3] = "bottleneck_l6_in1+4_out"
    spec = SpineNetSpec(
        blocks=_blocks("residual_l4_in0+1", "residual_l5_in0+1", "residual_l6_in1+3", *outputs),
        endpoints_num_filters=64,
        filter_size_scale=0.5,
        resample_alpha=0.5,
    )
    assert spec.live_block_indices() == frozenset({0, 1, 3, 4, 5, 6, 7, 8, 9})


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (("residual_l4_in0+2",), "block 0 (residual_l4_in0+2) reads block 2, which is not an earlier block: "
         "it can read blocks 0..1"),
        (("residual_l4_in0+1", "residual_l4_in1+5"), "block 1 (residual_l4_in1+5) reads block 5"),
    ],
)
def test_an_input_must_be_an_earlier_block(tokens, message):
    with pytest.raises(SpecError) as error:
        _resnet(*tokens)
    assert message in str(error.value)


def test_outputs_must_cover_levels_3_to_7_once():
    outputs = list(_OUTPUTS)
    with pytest.raises(SpecError, match=r"missing \[7\], repeated \[\], outside the range \[\]"):
        SpineNetSpec(blocks=_blocks(*outputs[:4]), endpoints_num_filters=8, filter_size_scale=1, resample_alpha=0.5)
    outputs[4] = "bottleneck_l6_in0+5_out"
    with pytest.raises(SpecError, match=r"missing \[7\], repeated \[6\]"):
        SpineNetSpec(blocks=_blocks(*outputs), endpoints_num_filters=8, filter_size_scale=1, resample_alpha=0.5)
    outputs[4] = "bottleneck_l2_in0+5_out"
    with pytest.raises(SpecError, match=r"outside the range \[2\]"):
        SpineNetSpec(blocks=_blocks(*outputs), endpoints_num_filters=8, filter_size_scale=1, resample_alpha=0.5)
    with pytest.raises(SpecError, match="1 <= min_level <= max_level <= 7, got 4..3"):
        _resnet(min_level=4, max_level=3)


def test_scaling_that_leaves_no_filters_is_rejected():
    message = r"filter_size_scale 0.01 leaves level-2 layers with 0 filters \(int\(64 \* 0.01\)\)"
    with pytest.raises(SpecError, match=message):
        _resnet(filter_size_scale=0.01)
    with pytest.raises(SpecError, match=r"resample_alpha 0.01 leaves the resampling of level-2 blocks with 0 filters"):
        _resnet(resample_alpha=0.01)
    with pytest.raises(SpecError, match="filter_size_scale must be positive, got -1"):
        _resnet(filter_size_scale=-1)
    with pytest.raises(SpecError, match="endpoints_num_filters must be positive, got 0"):
        _resnet(endpoints_num_filters=0)
    with pytest.raises(SpecError, match="block_repeats must be positive"):
        _resnet(block_repeats=0)
    mobile = spinenet_reference("spinenet_mobile49xs")
    with pytest.raises(SpecError, match=r"leaves level-0 layers with 0 filters \(int\(8 \* 0.1\)\)"):
        dataclasses.replace(mobile, filter_size_scale=0.1)


@pytest.mark.parametrize("field", ["filter_size_scale", "resample_alpha"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")], ids=["inf", "-inf", "nan"])
def test_non_finite_scaling_is_a_spec_error_naming_the_field(field, value):
    with pytest.raises(SpecError, match=rf"^{field} must be a finite number, got {value!r}$"):
        _resnet(**{field: value})


def test_scaling_too_large_for_a_float_is_a_spec_error_naming_the_field():
    # Finite, but the filter count it implies overflows a float (or the int is no float at all).
    with pytest.raises(SpecError, match=r"^filter_size_scale 1e\+307 is too large: 64 \* 1e\+307 filters"):
        _resnet(filter_size_scale=1e307)
    with pytest.raises(SpecError, match=r"^resample_alpha 1e\+307 is too large: \d+ \* 1e\+307 filters"):
        _resnet(resample_alpha=1e307)
    with pytest.raises(SpecError, match="^filter_size_scale must be a finite number, got an int too large"):
        _resnet(filter_size_scale=10**400)
    mobile = spinenet_reference("spinenet_mobile49xs")
    with pytest.raises(SpecError, match="^filter_size_scale must be a finite number, got inf$"):
        dataclasses.replace(mobile, filter_size_scale=float("inf"))


def test_non_finite_scaling_in_text_or_json_is_a_spec_error():
    with pytest.raises(SpecError, match="filter_size_scale must be a finite number, got inf"):
        SpineNetSpec.parse(_SPINENET49.replace("scale1-", "scale1e+400-"))
    data = json.loads(json.dumps({**spinenet_reference("spinenet49").to_json(), "resample_alpha": float("nan")}))
    with pytest.raises(SpecError, match="resample_alpha must be a finite number, got nan"):
        SpineNetSpec.from_json(data)
    with pytest.raises(SpecError, match="mbconv se_ratio must be in"):
        SpineNetMBConv(se_ratio=float("nan"))


def test_family_settings_are_consistent():
    with pytest.raises(SpecError, match="ResNet-style SpineNet needs resample_alpha"):
        _resnet(resample_alpha=None)
    with pytest.raises(SpecError, match="mbconv settings are only for mobile SpineNets"):
        _resnet(mbconv=SpineNetMBConv())
    mobile = spinenet_reference("spinenet_mobile49")
    with pytest.raises(SpecError, match="resample_alpha must be None"):
        dataclasses.replace(mobile, resample_alpha=0.5)
    with pytest.raises(SpecError, match="needs mbconv settings"):
        dataclasses.replace(mobile, mbconv=None)
    mixed = (SpineNetBlockSpec.parse("residual_l4_in0+1"), *mobile.blocks[1:])
    with pytest.raises(SpecError, match=r"either ResNet-style .* or mobile .*; got a mix of \['mbconv', 'residual'\]"):
        dataclasses.replace(mobile, blocks=mixed)
    with pytest.raises(SpecError, match="at least one block"):
        dataclasses.replace(mobile, blocks=())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("relu-stem32-head1280", "it must start with 'spinenet-'"),
        (_SPINENET49.replace("levels3to7", "levels3-7"), "token 2 is 'levels3', expected 'levels<min>to<max>'"),
        (_SPINENET49.replace("endpoints256", "endpoints"), "token 3 is 'endpoints', expected 'endpoints<filters>'"),
        (_SPINENET49.replace("scale1-", "scale1.0-"), "not in canonical form"),
        (_SPINENET49.replace("-repeats1", ""), "expected 'repeats<block_repeats>'"),
        (_SPINENET49.split("-repeats1")[0] + "-repeats1", "no blocks after the header"),
        ("spinenet-swish-levels3to7", "ends where 'endpoints<filters>' was expected"),
        (_SPINENET49.replace("swish", "gelu"), "unknown activation 'gelu'"),
        (_SPINENET49.replace("residual_l7_in6+8", "residual_l7_in6+9"), "block 7 (residual_l7_in6+9) reads block 9"),
        (_SPINENET49.replace("residual_l7_in6+8", "residual_l8_in6+8"), "block 7: level must be in 1..7, got 8"),
        (_SPINENET49.replace("residual_l7_in6+8", "residual_7_in6+8"), "block 7: malformed SpineNet block"),
    ],
)
def test_parse_errors_are_precise(text, message):
    with pytest.raises(SpecError) as error:
        SpineNetSpec.parse(text)
    assert message in str(error.value)


def test_from_json_rejects_bad_documents():
    data = spinenet_reference("spinenet49").to_json()
    with pytest.raises(SpecParseError, match="malformed"):
        SpineNetSpec.from_json("{nope")
    with pytest.raises(SpecParseError, match="schema must be 'edgenas.SpineNetSpec/1'"):
        SpineNetSpec.from_json({**data, "schema": "edgenas.ArchSpec/1"})
    with pytest.raises(SpecParseError, match=r"missing keys \['mbconv'\], unknown keys \['head'\]"):
        SpineNetSpec.from_json({**{k: v for k, v in data.items() if k != "mbconv"}, "head": 1})
    data["blocks"][3]["level"] = 9
    with pytest.raises(SpecError, match="block 3: level must be in 1..7, got 9"):
        SpineNetSpec.from_json(data)


def test_unknown_reference_lists_known_ones():
    message = "unknown SpineNet reference 'spinenet50'; known: spinenet49s, spinenet49, spinenet96, "
    with pytest.raises(UnknownNameError, match=message):
        spinenet_reference("spinenet50")


def test_input_shape_must_halve_exactly_down_to_the_coarsest_level():
    spec = spinenet_reference("spinenet49s")
    assert spec.check_input_shape((128, 256, 3)) == (128, 256, 3)
    with pytest.raises(SpecError, match=r"input 96x96 is not a multiple of 128 \(2 \*\* level 7"):
        spec.check_input_shape((96, 96, 3))
    with pytest.raises(SpecError, match="input_shape must be"):
        spec.check_input_shape((128, 128))
    with pytest.raises(SpecError, match="input_shape must be"):
        spec.check_input_shape((128, 128, "3"))


@pytest.mark.parametrize(
    ("token", "replacement", "message"),
    [
        ("alpha0.5", "alphainf", "resample_alpha must be a finite number, got inf"),
        ("alpha0.5", "alphanan", "resample_alpha must be a finite number, got nan"),
        ("alpha0.5", "alphainfinity", "resample_alpha must be a finite number, got inf"),
        ("scale1", "scaleinf", "filter_size_scale must be a finite number, got inf"),
        ("scale1", "scalenan", "filter_size_scale must be a finite number, got nan"),
    ],
)
def test_non_finite_word_in_the_text_says_the_value_is_not_finite(token, replacement, message):
    text = _SPINENET49.replace(f"-{token}-", f"-{replacement}-")
    with pytest.raises(SpecError) as raised:
        SpineNetSpec.parse(text)
    assert str(raised.value) == message
