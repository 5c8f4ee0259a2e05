"""The MnasNet space exactly as in shared/spaces.md."""

import pyglove as pg
import pytest

from edgenas import spaces
from edgenas.errors import SpecError
from edgenas.spaces.mnasnet import MNASNET_STRIDES
from edgenas.specs import Activation, BlockFn

_MOBILENET_V2 = {"repeats": [1, 2, 3, 4, 3, 3, 1], "filters": [16, 24, 32, 64, 96, 160, 320]}
_MNASNET_A1 = {"repeats": [1, 2, 3, 4, 2, 3, 1], "filters": [16, 24, 40, 80, 112, 160, 320]}


def _decision_values(space):
    """{(stage, field): candidate list} read off the PyGlove DNA spec itself."""
    out = {}
    for point in space.dna_spec.decision_points:
        stage, field = str(point.id).split(".")
        choice = pg.KeyPath.parse(str(point.id)).query(space.hyper)
        out[(int(stage.strip("[]")), field)] = list(choice.candidates)
    return out


@pytest.mark.parametrize(("reference", "table"), [("mobilenet_v2", _MOBILENET_V2), ("mnasnet_a1", _MNASNET_A1)])
def test_dna_spec_has_exactly_the_published_choices(reference, table):
    space = spaces.get("mnasnet", reference=reference)
    values = _decision_values(space)
    assert space.num_decisions == 7 * 6 == len(values)
    for stage, (r, o) in enumerate(zip(table["repeats"], table["filters"])):
        assert sorted(values[(stage, "num_repeats")]) == ([r - 1, r, r + 1] if r > 1 else [1, 2])
        assert values[(stage, "block_fn")] == ["conv", "mbconv"]
        assert values[(stage, "expand_ratio")] == [1, 3, 6]
        assert values[(stage, "kernel_size")] == [3, 5]
        assert values[(stage, "se_ratio")] == [0.0, 0.25]
        assert values[(stage, "output_filters")] == [int(0.75 * o), o, int(1.25 * o)]
    # Five stages with 3 repeat choices, two with 2; 2*3*2*2*3 = 72 for the rest.
    assert space.size == (2 * 72) ** 2 * (3 * 72) ** 5


def test_strides_are_fixed():
    for spec in spaces.get("mnasnet").sample(10, seed=0):
        assert tuple(b.strides for b in spec.blocks) == MNASNET_STRIDES == (1, 2, 2, 2, 1, 2, 1)
        assert spec.stem_filters == 32 and spec.head_filters == 1280


def test_references_are_the_published_networks_and_points_of_their_space():
    v2_space = spaces.get("mnasnet", reference="mobilenet_v2")
    v2 = v2_space.reference("mobilenet_v2")
    assert [b.expand_ratio for b in v2.blocks] == [1, 6, 6, 6, 6, 6, 6]
    assert {b.kernel_size for b in v2.blocks} == {3} and {b.se_ratio for b in v2.blocks} == {0.0}
    assert v2.activation is Activation.RELU6
    assert v2_space.contains(v2)

    a1_space = spaces.get("mnasnet", reference="mnasnet_a1")
    a1 = a1_space.reference("mnasnet_a1")
    assert [b.kernel_size for b in a1.blocks] == [3, 3, 5, 3, 3, 5, 3]
    assert [b.expand_ratio for b in a1.blocks] == [1, 6, 3, 6, 6, 6, 6]
    assert [b.se_ratio for b in a1.blocks] == [0, 0, 0.25, 0, 0.25, 0.25, 0]
    assert all(b.block_fn is BlockFn.MBCONV for b in a1.blocks)
    assert a1.activation is Activation.RELU
    assert a1_space.spec_from_dna(a1_space.dna_of(a1)) == a1
    assert not v2_space.contains(a1)  # 112 filters are not a choice around 96


def test_sampling_is_reproducible_and_covers_choices():
    space = spaces.get("mnasnet")
    assert space.sample(8, seed=3) == space.sample(8, seed=3)
    assert space.sample(8, seed=3) != space.sample(8, seed=4)
    specs = space.sample(200, seed=0)
    assert {b.block_fn for s in specs for b in s.blocks} == {BlockFn.CONV, BlockFn.MBCONV}
    assert {b.kernel_size for s in specs for b in s.blocks} == {3, 5}
    assert {s.blocks[0].output_filters for s in specs} == {12, 16, 20}


def test_conv_blocks_are_normalised_and_still_points():
    space = spaces.get("mnasnet")
    specs = [s for s in space.sample(50, seed=2) if any(b.block_fn is BlockFn.CONV for b in s.blocks)]
    assert specs
    for spec in specs:
        for block in spec.blocks:
            if block.block_fn is BlockFn.CONV:
                assert block.expand_ratio == 1 and block.se_ratio == 0.0
        assert space.spec_from_dna(space.dna_of(spec)) == spec


def test_narrow_fixes_and_narrows_choices():
    space = spaces.get("mnasnet")
    narrowed = space.narrow(name="mnasnet_k3", kernel_size=[3], se_ratio=[0.0])
    assert narrowed.name == "mnasnet_k3"
    assert narrowed.num_decisions == space.num_decisions - 14
    assert narrowed.size * 4**7 == space.size
    assert narrowed.reference_names() == ("mobilenet_v2",)
    for spec in narrowed.sample(30, seed=0):
        assert {b.kernel_size for b in spec.blocks} == {3}
        assert {b.se_ratio for b in spec.blocks} == {0.0}
        assert space.contains(spec)
    last = space.narrow(stages=[6], num_repeats=[2], output_filters=[400])
    assert all(s.blocks[6].num_repeats == 2 and s.blocks[6].output_filters == 400 for s in last.sample(5))
    assert last.reference_names() == ()  # the reference has 1 x 320 there


def test_narrow_rejects_values_outside_the_space():
    space = spaces.get("mnasnet")
    with pytest.raises(SpecError, match=r"stage 0: kernel_size \[7\] not among its choices \(3, 5\)"):
        space.narrow(kernel_size=[7])
    with pytest.raises(SpecError, match="unknown mnasnet choice \\['colour'\\]"):
        space.narrow(colour=["red"])
    with pytest.raises(SpecError, match="out of range"):
        space.narrow(stages=[9], kernel_size=[3])


def test_narrowed_space_registers_and_is_used_by_name():
    narrowed = spaces.get("mnasnet").narrow(name="mnasnet_no_se", se_ratio=[0.0])
    spaces.register("mnasnet_no_se", narrowed)
    try:
        assert spaces.get("mnasnet_no_se").sample(3, seed=1) == narrowed.sample(3, seed=1)
    finally:
        spaces.unregister("mnasnet_no_se")


def test_dna_of_rejects_specs_outside_the_space():
    space = spaces.get("mnasnet")
    spec = space.reference("mobilenet_v2")
    outside = spec.__class__.parse(str(spec).replace("k3_s2_e6_se0_c24", "k7_s2_e6_se0_c24"))
    with pytest.raises(SpecError, match="not among its choices"):
        space.dna_of(outside)
