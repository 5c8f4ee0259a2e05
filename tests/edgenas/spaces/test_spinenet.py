"""The SpineNet spaces exactly as in shared/spaces.md, with an honest DNA encoding."""

import dataclasses
import itertools
import json
import math
import random

import pyglove as pg
import pytest

from edgenas import spaces
from edgenas.cli import main
from edgenas.errors import SpecError, UnknownNameError
from edgenas.search.algorithms.ppo_controller import check_categorical
from edgenas.spaces.spinenet import (
    SPINENET_CHOICES,
    MultisetPermutation,
    SpineNetChoices,
    SpineNetSpace,
    count_level_sequences,
)
from edgenas.specs import SpineNetBlockFn, SpineNetBlockSpec, SpineNetSpec, spinenet_reference

_TABLE = {
    # name: (allocation, offsets, block_fns) -- the table of shared/spaces.md
    "spinenet": ({2: 1, 3: 3, 4: 5, 5: 2}, [-1, 0, 1, 2], ["residual", "bottleneck"]),
    "spinenet_v2": ({2: 1, 3: 3, 4: 5, 5: 1}, [-1, 0, 1], ["bottleneck"]),
    "spinenet_mbconv": ({2: 1, 3: 1, 4: 5, 5: 4}, [-1, 0, 1, 2], ["mbconv"]),
}


def _candidates(space):
    """{decision id: candidate list} read off the PyGlove DNA spec itself."""
    return {
        str(point.id): list(pg.KeyPath.parse(str(point.id)).query(space.hyper).candidates)
        for point in space.dna_spec.decision_points
    }


@pytest.mark.parametrize("name", sorted(_TABLE))
def test_dna_spec_has_exactly_the_published_choices(name):
    allocation, offsets, fns = _TABLE[name]
    space = spaces.get(name)
    decisions = _candidates(space)
    n = sum(allocation.values())
    # Level order: one decision per level but the last, choosing among the free positions.
    free, levels = n, sorted(allocation)
    for level in levels[:-1]:
        assert decisions.pop(f"intermediate_levels.level{level}") == list(range(math.comb(free, allocation[level])))
        free -= allocation[level]
    for i in range(n):
        assert decisions.pop(f"intermediate_blocks[{i}].level_offset") == offsets
        if len(fns) > 1:
            assert decisions.pop(f"intermediate_blocks[{i}].block_fn") == fns
        window = range(max(0, i + 2 - 4), i + 2)  # the previous 4 blocks, stems included
        assert space.choices.intermediate_pairs(i) == tuple(itertools.combinations(window, 2))
        if i > 0:
            assert decisions.pop(f"intermediate_blocks[{i}].input_offsets") == list(range(math.comb(len(window), 2)))
    for level in range(3, 7):
        assert decisions.pop(f"output_levels.level{level}") == list(range(8 - level))
    for j in range(5):
        if len(fns) > 1:
            assert decisions.pop(f"output_blocks[{j}].block_fn") == fns
        assert space.choices.output_pairs(j) == tuple(itertools.combinations(range(2 + n + j), 2))
        assert decisions.pop(f"output_blocks[{j}].input_offsets") == list(range(math.comb(2 + n + j, 2)))
    assert decisions == {}


def test_space_sizes():
    outputs = math.factorial(5) * math.prod(math.comb(k, 2) for k in range(13, 18))  # 11 intermediate
    v2_outputs = math.factorial(5) * math.prod(math.comb(k, 2) for k in range(12, 17))  # 10 intermediate
    pairs11 = 1 * 3 * 6**9
    pairs10 = 1 * 3 * 6**8
    expected = {
        "spinenet": 27_720 * 4**11 * 2**11 * pairs11 * outputs * 2**5,  # 11!/(1! 3! 5! 2!) level orders
        "spinenet_v2": 5_040 * 3**10 * pairs10 * v2_outputs,  # 10!/(1! 3! 5! 1!)
        "spinenet_mbconv": 13_860 * 4**11 * pairs11 * outputs,  # 11!/(1! 1! 5! 4!)
    }
    for name, size in expected.items():
        assert spaces.get(name).size == size
    assert spaces.get("spinenet").size == 336_234_492_926_862_600_924_360_333_066_240_000


def _level_sequences_by_sorting(allocation, offsets):
    """Independent count for contiguous offsets: a multiset is reachable iff sorted levels
    minus sorted bases lie in [min offset, max offset] position by position."""
    bases = sorted(level for level, count in allocation.items() for _ in range(count))
    lo, hi = min(offsets), max(offsets)
    total = 0
    for levels in itertools.combinations_with_replacement(range(bases[0] + lo, bases[-1] + hi + 1), len(bases)):
        if all(lo <= level - base <= hi for level, base in zip(levels, bases)):
            total += math.factorial(len(levels)) // math.prod(math.factorial(levels.count(v)) for v in set(levels))
    return total


@pytest.mark.parametrize("name", sorted(_TABLE))
def test_distinct_specs_are_counted_exactly(name):
    allocation, offsets, _ = _TABLE[name]
    space = spaces.get(name)
    sequences = _level_sequences_by_sorting(allocation, offsets)
    orders = math.factorial(sum(allocation.values())) // math.prod(math.factorial(c) for c in allocation.values())
    dna_per_sequence_part = orders * len(offsets) ** sum(allocation.values())
    assert space.num_distinct_specs == space.size // dna_per_sequence_part * sequences
    assert space.num_distinct_specs < space.size  # base + offset aliases: see the module docstring


@pytest.mark.parametrize(
    ("allocation", "offsets"),
    [(((2, 1), (3, 2)), (-1, 0, 1)), (((2, 2), (4, 1)), (-1, 1)), (((3, 1), (4, 1), (5, 2)), (0, 2))],
)
def test_level_sequence_count_matches_brute_force(allocation, offsets):
    bases = [level for level, count in allocation for _ in range(count)]
    reachable = {
        tuple(b + o for b, o in zip(order, offs))
        for order in set(itertools.permutations(bases))
        for offs in itertools.product(offsets, repeat=len(bases))
    }
    assert count_level_sequences(allocation, offsets) == len(reachable)


@pytest.mark.parametrize("name", sorted(_TABLE))
def test_multiset_permutation_has_one_dna_per_distinct_order(name):
    allocation = tuple(sorted(_TABLE[name][0].items()))
    perm = MultisetPermutation(allocation)
    hyper = perm.hyper()
    keys = list(hyper.keys())
    orders = set()
    for ranks in itertools.product(*(range(len(hyper[k].candidates)) for k in keys)):
        decision = dict(zip(keys, ranks))
        order = perm.decode(decision)
        assert perm.encode(order) == decision
        orders.add(order)
    dna_points = math.prod(len(hyper[k].candidates) for k in keys)
    assert len(orders) == dna_points == perm.size
    with pytest.raises(ValueError, match="is not an order of the levels"):
        perm.encode((2,) * perm.length)


def test_tiny_space_enumerated_exhaustively():
    choices = SpineNetChoices(
        intermediate_allocation=((2, 1), (3, 1)),
        level_offsets=(0, 1),
        block_fns=(SpineNetBlockFn.BOTTLENECK,),
        min_level=7,
        max_level=7,
    )
    space = SpineNetSpace(choices=choices, reference="spinenet49s", name="tiny")
    counts = [len(pg.KeyPath.parse(str(p.id)).query(space.hyper).candidates) for p in space.dna_spec.decision_points]
    # level orders 2, offsets 2 * 2, inputs of block 1: 3 pairs, of the output block: 6 pairs.
    assert math.prod(counts) == space.size == 2 * 4 * 3 * 6
    specs = {}
    for numbers in itertools.product(*(range(c) for c in counts)):
        spec = space.spec_from_dna(pg.DNA.from_numbers(list(numbers), space.dna_spec))
        specs.setdefault(spec, numbers)
    # Level sequences: (2, 3), (3, 2), (2, 4), (4, 2), (3, 3), (3, 4), (4, 3) -- 7 of the 8 (order, offsets) pairs.
    assert len(specs) == space.num_distinct_specs == 7 * 3 * 6
    for spec in list(specs)[:20]:
        assert space.spec_from_dna(space.dna_of(spec)) == spec
    assert space.reference_names() == ()  # one output level: SpineNet-49 is not a point


@pytest.mark.parametrize("name", sorted(_TABLE))
def test_random_points_are_valid_and_invert(name):
    space = spaces.get(name)
    assert space.sample(5, seed=3) == space.sample(5, seed=3)
    assert space.sample(5, seed=3) != space.sample(5, seed=4)
    specs = space.sample(150, seed=0)
    allocation, offsets, fns = _TABLE[name]
    n = sum(allocation.values())
    for spec in specs[:30]:
        assert space.spec_from_dna(space.dna_of(spec)) == spec
    for spec in specs:
        assert [b.is_output for b in spec.blocks] == [False] * n + [True] * 5
        assert sorted(b.level for b in spec.blocks[n:]) == [3, 4, 5, 6, 7]
        assert {b.block_fn.value for b in spec.blocks} <= set(fns)
        for i, block in enumerate(spec.blocks[:n]):
            assert max(0, i - 2) <= block.input_offsets[0] < block.input_offsets[1] < i + 2
    levels = {b.level for s in specs for b in s.blocks[:n]}
    assert levels == set(range(min(allocation) + min(offsets), max(allocation) + max(offsets) + 1))


def test_plain_value_fast_path_agrees_with_pyglove_materialize():
    fast = spaces.get("spinenet")
    slow = spaces.SearchSpace("spinenet_slow", fast.hyper, fast._to_spec)  # materialize path
    rng = random.Random(5)
    for _ in range(10):
        dna = fast.random_dna(rng)
        assert fast.spec_from_dna(dna) == slow.spec_from_dna(dna)


@pytest.mark.parametrize("name", sorted(_TABLE))
def test_dna_is_flat_and_categorical_for_every_algorithm(name):
    space = spaces.get(name)
    assert len(check_categorical(space.dna_spec)) == space.num_decisions


@pytest.mark.parametrize("reference", ["spinenet_mobile49xs", "spinenet_mobile49s", "spinenet_mobile49"])
def test_spinenet_mobile_references_are_points_of_spinenet_mbconv(reference):
    space = spaces.get("spinenet_mbconv", reference=reference)
    spec = space.reference(reference)
    assert spec == spinenet_reference(reference)
    assert space.reference_names() == (reference,)
    assert space.spec_from_dna(space.dna_of(spec)) == spec
    # Every point of the space takes the reference's scaling.
    assert {(s.endpoints_num_filters, s.filter_size_scale) for s in space.sample(5)} == {
        (spec.endpoints_num_filters, spec.filter_size_scale)
    }


def test_spinenet49_is_not_a_point_of_the_resnet_spaces_and_why():
    spinenet = spaces.get("spinenet", reference="spinenet49")
    v2 = spaces.get("spinenet_v2", reference="spinenet49")
    spec = spinenet_reference("spinenet49")
    assert spinenet.reference_names() == v2.reference_names() == ()
    with pytest.raises(SpecError, match="it needs 11 intermediate blocks, then 5 output blocks; got 15 blocks"):
        spinenet.dna_of(spec)
    with pytest.raises(SpecError, match="block residual_l4_in0\\+1 uses residual; choices are \\['bottleneck'\\]"):
        v2.dna_of(spec)
    all_bottleneck = dataclasses.replace(
        spec, blocks=tuple(dataclasses.replace(b, block_fn=SpineNetBlockFn.BOTTLENECK) for b in spec.blocks)
    )
    with pytest.raises(SpecError, match=r"levels \(2, 4, 3, 4, 6, 4, 5, 7, 5, 5\) are not a permutation"):
        v2.dna_of(all_bottleneck)


def test_dna_of_rejects_specs_outside_the_space():
    space = spaces.get("spinenet_mbconv")
    spec = space.sample(1, seed=2)[0]
    other_scaling = spaces.get("spinenet_mbconv", reference="spinenet_mobile49s").sample(1, seed=2)[0]
    with pytest.raises(SpecError, match="its scaling differs from spinenet_mobile49's"):
        space.dna_of(other_scaling)
    blocks = list(spec.blocks)
    blocks[6] = SpineNetBlockSpec(level=blocks[6].level, block_fn="mbconv", input_offsets=(0, 1))
    far = dataclasses.replace(spec, blocks=tuple(blocks))
    with pytest.raises(SpecError, match=r"reads \(0, 1\); its inputs must be 2 of blocks 4..7"):
        space.dna_of(far)
    with pytest.raises(SpecError, match="holds SpineNetSpecs, got ArchSpec"):
        space.dna_of(spaces.get("mnasnet").reference("mobilenet_v2"))
    assert not space.contains(far)


def test_registry_references_and_errors():
    assert {"spinenet", "spinenet_v2", "spinenet_mbconv"} <= set(spaces.names())
    assert spaces.registry.factory("spinenet").REFERENCE_CHOICES == ("spinenet49s", "spinenet49")
    assert spaces.registry.factory("spinenet_mbconv").REFERENCE_CHOICES == (
        "spinenet_mobile49xs",
        "spinenet_mobile49s",
        "spinenet_mobile49",
    )
    assert spaces.get("spinenet").scaling_reference == "spinenet49"
    assert spaces.get("spinenet_mbconv").scaling_reference == "spinenet_mobile49"
    known = "known: spinenet_mobile49xs, spinenet_mobile49s, spinenet_mobile49"
    with pytest.raises(UnknownNameError, match=f"unknown spinenet_mbconv reference 'spinenet49'; {known}"):
        spaces.get("spinenet_mbconv", reference="spinenet49")
    with pytest.raises(SpecError, match="is a mobile SpineNet; space 'x' chooses among \\['bottleneck'\\]"):
        SpineNetSpace(choices=SPINENET_CHOICES["spinenet_v2"], reference="spinenet_mobile49", name="x")
    with pytest.raises(TypeError):
        spaces.get("spinenet", scaling="spinenet49")


def test_cli_lists_the_spinenet_spaces(capsys):
    assert main(["spaces", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    mbconv = {row["options"]: row for row in rows if row["space"] == "spinenet_mbconv"}
    references = [f"--reference spinenet_mobile49{size}" for size in ("xs", "s", "")]
    assert set(mbconv) == {*references, *(f"{reference} --task segmentation" for reference in references)}
    assert {mbconv[reference]["task"] for reference in references} == {"detection"}
    assert mbconv["--reference spinenet_mobile49"]["references"] == ["spinenet_mobile49"]
    assert mbconv["--reference spinenet_mobile49"]["size"] == spaces.get("spinenet_mbconv").size
    assert {row["space"] for row in rows} >= {"spinenet", "spinenet_v2"}


def test_sampled_spec_strings_parse_back(capsys):
    assert main(["sample", "--space", "spinenet_v2", "-n", "3", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [str(SpineNetSpec.parse(line)) for line in lines] == lines
