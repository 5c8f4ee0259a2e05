import pytest

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs import Activation, BlockFn, BlockSpec


def _block(**overrides):
    fields = dict(
        block_fn="mbconv",
        num_repeats=2,
        kernel_size=3,
        strides=2,
        expand_ratio=6,
        se_ratio=0.25,
        output_filters=24,
    )
    fields.update(overrides)
    return BlockSpec(**fields)


def test_string_view_is_compact_and_round_trips():
    block = _block()
    assert str(block) == "mbconv_r2_k3_s2_e6_se0.25_c24"
    assert BlockSpec.parse(str(block)) == block
    assert block.block_fn is BlockFn.MBCONV


def test_json_round_trip():
    block = _block(se_ratio=0.0)
    assert BlockSpec.from_json(block.to_json()) == block
    assert block.to_json()["block_fn"] == "mbconv"


def test_frozen_and_hashable():
    block = _block()
    with pytest.raises(AttributeError):
        block.kernel_size = 5
    assert len({block, _block(), _block(kernel_size=5)}) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"strides": 3}, "strides must be 1 or 2, got 3"),
        ({"output_filters": -8}, "output_filters must be positive, got -8"),
        ({"block_fn": "fancy"}, "unknown block_fn 'fancy'; known: conv, mbconv, fused_mbconv"),
        ({"kernel_size": 4}, "kernel_size must be one of (1, 3, 5, 7), got 4"),
        ({"num_repeats": 0}, "num_repeats must be at least 1, got 0"),
        ({"se_ratio": 1.5}, "se_ratio must be in [0, 1), got 1.5"),
        ({"expand_ratio": 0}, "expand_ratio must be at least 1, got 0"),
        ({"output_filters": 2.5}, "output_filters must be an integer, got 2.5"),
        ({"block_fn": "conv"}, "a conv block has no expansion and no SE"),
        ({"activation": "gelu"}, "unknown activation 'gelu'; known: relu, relu6, swish, hard_swish"),
    ],
)
def test_invalid_blocks_raise_precise_messages(overrides, message):
    with pytest.raises(SpecError) as error:
        _block(**overrides)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "mbconv_r2_k3_s2_e6_c24",  # se missing
        "mbconv_r2_k3_s2_e6_se0.25_c24_extra",
        "MBCONV_r2_k3_s2_e6_se0.25_c24",
        "mbconv_r02_k3_s2_e6_se0.25_c24",  # not canonical
        "mbconv_r2_k3_s2_e6_se0.250_c24",  # not canonical
        "mbconv_r2_k3_s2_e6_se0.25_c24_",  # an empty activation suffix
        "mbconv_r2_k3_s2_e6_se0.25_c24_RELU",
        "mbconv_r2_k3_s2_e6_se0.25_c24_relu_relu",
        "mbconv_r2_k3_s2_e6_se0.25_relu_c24",  # the activation comes last
        "fused_mbconv_r2_k3_s2_e6_se0.25_c024_relu",  # not canonical
        "",
    ],
)
def test_parse_is_strict(text):
    with pytest.raises(SpecParseError):
        BlockSpec.parse(text)


def test_parse_reports_invalid_values_as_spec_errors():
    with pytest.raises(SpecError, match="strides must be 1 or 2, got 3"):
        BlockSpec.parse("mbconv_r2_k3_s3_e6_se0_c24")


def test_from_json_rejects_unknown_and_missing_keys():
    data = _block().to_json()
    with pytest.raises(SpecParseError, match="unknown keys \\['colour'\\]"):
        BlockSpec.from_json({**data, "colour": "red"})
    del data["strides"]
    with pytest.raises(SpecParseError, match="missing keys \\['strides'\\]"):
        BlockSpec.from_json(data)


def test_fused_mbconv_is_its_own_block_kind():
    block = _block(block_fn="fused_mbconv", expand_ratio=4, se_ratio=0.0, output_filters=32)
    assert block.block_fn is BlockFn.FUSED_MBCONV
    assert str(block) == "fused_mbconv_r2_k3_s2_e4_se0_c32"
    assert BlockSpec.parse(str(block)) == block
    assert block != _block(block_fn="mbconv", expand_ratio=4, se_ratio=0.0, output_filters=32)
    assert BlockSpec.from_json(block.to_json()) == block


def test_a_block_activation_is_a_suffix_written_only_when_set():
    plain = _block()
    assert plain.activation is None and "activation" not in plain.to_json()
    relu = _block(activation="relu")
    assert relu.activation is Activation.RELU
    assert str(relu) == "mbconv_r2_k3_s2_e6_se0.25_c24_relu"
    for activation in Activation:
        block = _block(block_fn="fused_mbconv", activation=activation)
        assert str(block) == f"fused_mbconv_r2_k3_s2_e6_se0.25_c24_{activation.value}"
        assert BlockSpec.parse(str(block)) == block
        assert BlockSpec.from_json(block.to_json()) == block
    assert relu.to_json()["activation"] == "relu"
    assert len({plain, relu, _block(activation=Activation.RELU)}) == 2


def test_an_unknown_activation_suffix_is_a_parse_error_that_lists_the_known_ones():
    with pytest.raises(SpecParseError) as error:
        BlockSpec.parse("mbconv_r2_k3_s2_e6_se0.25_c24_gelu")
    assert str(error.value) == (
        "malformed block 'mbconv_r2_k3_s2_e6_se0.25_c24_gelu': suffix 'gelu' is no activation; "
        "known: relu, relu6, swish, hard_swish"
    )


def test_json_without_activation_reads_as_before_and_null_is_refused():
    old = {  # a block's JSON as written before blocks had an activation of their own
        "block_fn": "mbconv",
        "num_repeats": 2,
        "kernel_size": 3,
        "strides": 2,
        "expand_ratio": 6,
        "se_ratio": 0.25,
        "output_filters": 24,
    }
    assert BlockSpec.from_json(old) == _block()
    assert _block().to_json() == old
    with pytest.raises(SpecParseError) as error:
        BlockSpec.from_json({**old, "activation": None})
    assert str(error.value) == "block JSON: 'activation' is written only when set; omit it for the network's"
    with pytest.raises(SpecError, match="unknown activation 'gelu'"):
        BlockSpec.from_json({**old, "activation": "gelu"})
