import json

import pytest

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs import Activation, ArchSpec, BlockSpec

_TEXT = "relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-conv_r2_k5_s2_e1_se0_c24-mbconv_r3_k3_s2_e6_se0.25_c40-head1280"


def test_parse_and_str_round_trip():
    spec = ArchSpec.parse(_TEXT)
    assert str(spec) == _TEXT
    assert spec.activation is Activation.RELU6
    assert spec.stem_filters == 32 and spec.head_filters == 1280
    assert [b.output_filters for b in spec.blocks] == [16, 24, 40]
    assert spec.total_stride == 8
    assert spec.num_layers == 6


def test_json_round_trip_dict_and_text():
    spec = ArchSpec.parse(_TEXT)
    assert ArchSpec.from_json(spec.to_json()) == spec
    assert ArchSpec.from_json(spec.to_json_string()) == spec
    assert json.loads(spec.to_json_string())["schema"] == "edgenas.ArchSpec/1"


def test_digest_is_stable_and_distinguishes_specs():
    spec = ArchSpec.parse(_TEXT)
    other = ArchSpec.parse(_TEXT.replace("c40", "c48"))
    assert spec.digest() == ArchSpec.parse(_TEXT).digest()
    assert spec.digest() != other.digest()
    assert len(spec.digest()) == 64


def test_blocks_list_is_frozen_into_tuple_and_hashable():
    block = BlockSpec.parse("mbconv_r1_k3_s1_e1_se0_c16")
    spec = ArchSpec(blocks=[block])
    assert isinstance(spec.blocks, tuple)
    assert hash(spec) == hash(ArchSpec(blocks=(block,)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("relu6-stem32-head1280", "malformed spec"),
        ("relu6-stemX-mbconv_r1_k3_s1_e1_se0_c16-head1280", "expected 'stem<filters>'"),
        ("relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-top1280", "expected 'head<filters>'"),
        ("gelu-stem32-mbconv_r1_k3_s1_e1_se0_c16-head1280", "unknown activation 'gelu'"),
        ("relu6-stem32-mbconv_r1_k3_s3_e1_se0_c16-head1280", "block 0: strides must be 1 or 2, got 3"),
        ("relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-head01280", "not in canonical form"),
        ("relu6-stem0-mbconv_r1_k3_s1_e1_se0_c16-head1280", "stem_filters must be positive, got 0"),
        ("relu6-stem32-mbconv_r1_k3_s1_e1_c16-head1280", "block 0: malformed block"),
    ],
)
def test_parse_errors_are_precise(text, message):
    with pytest.raises(SpecError) as error:
        ArchSpec.parse(text)
    assert message in str(error.value)


def test_from_json_rejects_bad_documents():
    with pytest.raises(SpecParseError, match="malformed"):
        ArchSpec.from_json("{not json")
    data = ArchSpec.parse(_TEXT).to_json()
    with pytest.raises(SpecParseError, match="schema"):
        ArchSpec.from_json({**data, "schema": "other/2"})
    with pytest.raises(SpecParseError, match="unknown keys \\['extra'\\]"):
        ArchSpec.from_json({**data, "extra": 1})
    data["blocks"][1]["strides"] = 3
    with pytest.raises(SpecError, match="block 1: strides must be 1 or 2, got 3"):
        ArchSpec.from_json(data)


def test_empty_spec_is_rejected():
    with pytest.raises(SpecError, match="at least one block"):
        ArchSpec(blocks=())


_MIXED = (
    "swish-stem32-fused_mbconv_r1_k3_s1_e1_se0_c16_relu-fused_mbconv_r2_k5_s2_e4_se0.25_c32"
    "-mbconv_r3_k3_s2_e6_se0.25_c48_relu-head1280"
)


def test_blocks_may_have_their_own_activation():
    spec = ArchSpec.parse(_MIXED)
    assert str(spec) == _MIXED
    assert [b.activation for b in spec.blocks] == [Activation.RELU, None, Activation.RELU]
    assert [spec.activation_of(b) for b in spec.blocks] == [Activation.RELU, Activation.SWISH, Activation.RELU]
    assert ArchSpec.from_json(spec.to_json_string()) == spec
    assert [("activation" in b) for b in spec.to_json()["blocks"]] == [True, False, True]


def test_a_block_activation_equal_to_the_networks_is_refused():
    with pytest.raises(SpecError) as error:
        ArchSpec.parse(_MIXED.replace("c32", "c32_swish"))
    assert str(error.value) == (
        "block 1: activation 'swish' is the network's; leave the block's activation unset (None) for the network's"
    )
    block = BlockSpec.parse("mbconv_r1_k3_s1_e1_se0_c16_relu6")
    with pytest.raises(SpecError, match="block 0: activation 'relu6' is the network's"):
        ArchSpec(blocks=(block,), activation="relu6")
    data = ArchSpec.parse(_MIXED).to_json()
    data["blocks"][0]["activation"] = "swish"
    with pytest.raises(SpecError, match="block 0: activation 'swish' is the network's"):
        ArchSpec.from_json(data)


def test_json_written_before_block_activations_still_reads():
    old = (
        '{"activation":"relu6","blocks":[{"block_fn":"mbconv","expand_ratio":1,"kernel_size":3,"num_repeats":1,'
        '"output_filters":16,"se_ratio":0.0,"strides":1}],"head_filters":1280,"schema":"edgenas.ArchSpec/1",'
        '"stem_filters":32}'
    )
    spec = ArchSpec.from_json(old)
    assert str(spec) == "relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-head1280"
    assert spec.to_json_string() == old
