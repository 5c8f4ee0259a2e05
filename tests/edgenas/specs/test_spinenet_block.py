"""SpineNetBlockSpec and SpineNetMBConv: strict string and JSON views, validation."""

import pytest

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs import SpineNetBlockFn, SpineNetBlockSpec, SpineNetMBConv


@pytest.mark.parametrize(
    "text", ["bottleneck_l2_in0+1", "residual_l7_in6+8", "mbconv_l1_in0+13", "bottleneck_l4_in5+10_out"]
)
def test_block_string_and_json_round_trip(text):
    block = SpineNetBlockSpec.parse(text)
    assert str(block) == text
    assert SpineNetBlockSpec.from_json(block.to_json()) == block
    assert hash(block) == hash(SpineNetBlockSpec.parse(text))


def test_block_fields_are_typed():
    block = SpineNetBlockSpec(level=4, block_fn="bottleneck", input_offsets=[5, 10], is_output=True)
    assert block.block_fn is SpineNetBlockFn.BOTTLENECK
    assert block.input_offsets == (5, 10) and isinstance(block.input_offsets, tuple)
    assert block.to_json() == {"level": 4, "block_fn": "bottleneck", "input_offsets": [5, 10], "is_output": True}
    assert SpineNetBlockFn.BOTTLENECK.channel_multiplier == 4
    assert SpineNetBlockFn.RESIDUAL.channel_multiplier == SpineNetBlockFn.MBCONV.channel_multiplier == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level": 0}, "level must be in 1..7, got 0"),
        ({"level": 8}, "level must be in 1..7, got 8"),
        ({"level": 4.0}, "level must be an integer"),
        ({"block_fn": "conv"}, "unknown block_fn 'conv'; known: residual, bottleneck, mbconv"),
        ({"input_offsets": (3, 3)}, "two distinct indices in ascending order, got (3, 3)"),
        ({"input_offsets": (5, 2)}, "two distinct indices in ascending order, got (5, 2)"),
        ({"input_offsets": (-1, 2)}, "non-negative"),
        ({"input_offsets": (1, 2, 3)}, "two block indices"),
        ({"is_output": 1}, "is_output must be a bool"),
    ],
)
def test_block_validation_errors(fields, message):
    good = {"level": 4, "block_fn": "residual", "input_offsets": (0, 1), "is_output": False}
    with pytest.raises(SpecError) as error:
        SpineNetBlockSpec(**{**good, **fields})
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("bottleneck_l4_in5_10", SpecParseError, "malformed SpineNet block"),
        ("bottleneck_l04_in5+10", SpecParseError, "not in canonical form; write 'bottleneck_l4_in5+10'"),
        ("bottleneck_l4_in5+10_output", SpecParseError, "malformed SpineNet block"),
        ("basic_l4_in5+10", SpecError, "unknown block_fn 'basic'"),
        ("bottleneck_l9_in5+10", SpecError, "level must be in 1..7, got 9"),
    ],
)
def test_block_parse_errors_are_precise(text, error, message):
    with pytest.raises(error) as raised:
        SpineNetBlockSpec.parse(text)
    assert message in str(raised.value)


def test_block_from_json_rejects_bad_documents():
    with pytest.raises(SpecParseError, match=r"missing keys \['is_output'\], unknown keys \['extra'\]"):
        SpineNetBlockSpec.from_json({"level": 4, "block_fn": "residual", "input_offsets": [0, 1], "extra": 1})
    with pytest.raises(SpecParseError, match="must be a JSON object"):
        SpineNetBlockSpec.from_json([4, "residual"])


def test_mbconv_settings_round_trip_and_validation():
    settings = SpineNetMBConv(expand_ratio=6, kernel_size=3, se_ratio=0.2)
    assert str(settings) == "mbconv_e6_k3_se0.2"
    assert SpineNetMBConv.parse("mbconv_e6_k3_se0.2") == settings
    assert SpineNetMBConv.from_json(settings.to_json()) == settings
    assert SpineNetMBConv.parse("mbconv_e1_k5_se0") == SpineNetMBConv(expand_ratio=1, kernel_size=5, se_ratio=0)
    with pytest.raises(SpecParseError, match="not in canonical form; write 'mbconv_e6_k3_se0.2'"):
        SpineNetMBConv.parse("mbconv_e6_k3_se0.20")
    with pytest.raises(SpecError, match="kernel_size must be one of"):
        SpineNetMBConv(kernel_size=4)
    with pytest.raises(SpecError, match=r"se_ratio must be in \[0, 1\)"):
        SpineNetMBConv(se_ratio=1.0)
    with pytest.raises(SpecError, match="expand_ratio must be at least 1"):
        SpineNetMBConv(expand_ratio=0)
    with pytest.raises(SpecParseError, match=r"unknown keys \['kernel'\]"):
        SpineNetMBConv.from_json({"expand_ratio": 6, "kernel": 3, "se_ratio": 0.2, "kernel_size": 3})
