"""The EfficientNetV2 space exactly as in shared/spaces.md."""

import dataclasses

import pyglove as pg
import pytest

from edgenas import spaces
from edgenas.errors import UnknownNameError
from edgenas.spaces.efficientnet_v2_choices import EfficientNetV2Encoding
from edgenas.specs import EFFICIENTNET_V2_STRIDES, Activation, ArchSpec, BlockFn

_B0 = {"repeats": [1, 2, 2, 3, 5, 8], "filters": [16, 32, 48, 96, 112, 192]}


def _decision_values(space):
    """{(block, field): candidate list} read off the PyGlove DNA spec itself."""
    out = {}
    for point in space.dna_spec.decision_points:
        block, field = str(point.id).split(".")
        choice = pg.KeyPath.parse(str(point.id)).query(space.hyper)
        out[(int(block.strip("[]")), field)] = list(choice.candidates)
    return out


def test_dna_spec_has_exactly_the_published_choices():
    space = spaces.get("efficientnet_v2")
    values = _decision_values(space)
    assert space.num_decisions == 6 * 7 == len(values)
    for block, (r, o) in enumerate(zip(_B0["repeats"], _B0["filters"], strict=True)):
        assert values[(block, "num_repeats")] == ([r - 1, r, r + 1] if r > 1 else [1, 2])
        assert values[(block, "block_type")] == ["mbconv", "fused_mbconv"]
        assert values[(block, "expand_ratio")] == [1, 2, 4, 6]
        assert values[(block, "kernel_size")] == [3, 5]
        assert values[(block, "se_ratio")] == [0.0, 0.25]
        assert values[(block, "output_filters")] == [int(0.75 * o), o, int(1.25 * o)]
        assert values[(block, "activation")] == ["swish", "relu"]
    # The first block has 2 repeat choices, the others 3; 2*4*2*2*3*2 = 192 for the rest.
    assert space.size == (2 * 192) * (3 * 192) ** 5 == 24_346_898_290_704_384


def test_stem_head_strides_and_network_activation_are_fixed():
    for spec in spaces.get("efficientnet_v2").sample(10, seed=0):
        assert tuple(b.strides for b in spec.blocks) == EFFICIENTNET_V2_STRIDES == (1, 2, 2, 2, 1, 2)
        assert (spec.stem_filters, spec.head_filters, spec.activation) == (32, 1280, Activation.SWISH)


def test_the_reference_is_efficientnetv2_b0_and_a_point():
    space = spaces.get("efficientnet_v2", reference="efficientnetv2_b0")
    assert space.reference_names() == ("efficientnetv2_b0",)
    b0 = space.reference("efficientnetv2_b0")
    assert str(b0) == (
        "swish-stem32-fused_mbconv_r1_k3_s1_e1_se0_c16-fused_mbconv_r2_k3_s2_e4_se0_c32"
        "-fused_mbconv_r2_k3_s2_e4_se0_c48-mbconv_r3_k3_s2_e4_se0.25_c96-mbconv_r5_k3_s1_e6_se0.25_c112"
        "-mbconv_r8_k3_s2_e6_se0.25_c192-head1280"
    )
    assert space.contains(b0)
    assert space.spec_from_dna(space.dna_of(b0)) == b0
    assert space.base_reference == "efficientnetv2_b0"
    mobilenet_v2 = spaces.get("mnasnet").reference("mobilenet_v2")
    assert not space.contains(mobilenet_v2)  # 7 blocks, relu6


def test_unknown_reference_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as error:
        spaces.get("efficientnet_v2", reference="efficientnetv2_s")
    assert str(error.value) == "unknown efficientnet_v2 reference 'efficientnetv2_s'; known: efficientnetv2_b0"


def test_sampling_is_reproducible_and_covers_the_choices():
    space = spaces.get("efficientnet_v2")
    assert space.sample(8, seed=3) == space.sample(8, seed=3)
    assert space.sample(8, seed=3) != space.sample(8, seed=4)
    specs = space.sample(200, seed=0)
    blocks = [b for s in specs for b in s.blocks]
    assert {b.block_fn for b in blocks} == {BlockFn.MBCONV, BlockFn.FUSED_MBCONV}
    assert {b.expand_ratio for b in blocks} == {1, 2, 4, 6}
    assert {s.activation_of(b) for s in specs for b in s.blocks} == {Activation.SWISH, Activation.RELU}
    assert {s.blocks[0].output_filters for s in specs} == {12, 16, 20}


def test_the_networks_activation_is_no_block_activation():
    space = spaces.get("efficientnet_v2")
    for spec in space.sample(20, seed=5):
        assert {b.activation for b in spec.blocks} <= {None, Activation.RELU}
        assert space.spec_from_dna(space.dna_of(spec)) == spec
        assert ArchSpec.parse(str(spec)) == spec


def test_specs_off_the_space_are_no_points():
    space = spaces.get("efficientnet_v2")
    b0 = space.reference("efficientnetv2_b0")
    off = [
        dataclasses.replace(b0, stem_filters=24),
        dataclasses.replace(b0, activation=Activation.RELU),
        dataclasses.replace(b0, blocks=(dataclasses.replace(b0.blocks[0], block_fn=BlockFn.CONV), *b0.blocks[1:])),
        dataclasses.replace(b0, blocks=(dataclasses.replace(b0.blocks[0], activation="hard_swish"), *b0.blocks[1:])),
        dataclasses.replace(b0, blocks=(dataclasses.replace(b0.blocks[0], expand_ratio=3), *b0.blocks[1:])),
        dataclasses.replace(b0, blocks=b0.blocks[:5]),
    ]
    for spec in off:
        assert not space.contains(spec), str(spec)


def test_the_encoding_lists_what_the_built_space_is():
    encoding = EfficientNetV2Encoding.around("efficientnetv2_b0")
    space = spaces.get("efficientnet_v2")
    assert encoding.info() == spaces.SpaceInfo.of(space)
    assert space.encoding == encoding and len(space.blocks) == 6
