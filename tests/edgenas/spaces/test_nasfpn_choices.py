"""The NAS-FPN decisions exactly as in shared/spaces.md, with a DNA encoding that is a bijection onto the specs."""

import itertools
import math
import random

import pytest

from edgenas.errors import SpecError
from edgenas.spaces.choices import Choice, decision_sizes, has_point
from edgenas.spaces.nasfpn_choices import NasFpnEncoding
from edgenas.specs.nasfpn import NasFpnCell, NasFpnCombine, NasFpnSpec, published_nasfpn

_ENCODING = NasFpnEncoding()


def _random_point(tree, rng):
    """A plain point: each `Choice` replaced by one of its candidates."""
    if isinstance(tree, Choice):
        return rng.choice(tree.candidates)
    if isinstance(tree, dict):
        return {key: _random_point(value, rng) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_random_point(value, rng) for value in tree]
    return tree


def _random_spec(rng: random.Random) -> NasFpnSpec:
    """A valid 256-filter, 3-repeat spec drawn from the rules directly (not through the encoding)."""
    cells = []
    for i in range(2):
        pair = tuple(sorted(rng.sample(range(5 + i), 2)))
        cells.append(NasFpnCell(rng.choice((4, 5, 6, 7)), rng.choice(list(NasFpnCombine)), pair, False))
    levels = [3, 4, 5, 6, 7]
    rng.shuffle(levels)
    for j, level in enumerate(levels):
        pair = tuple(sorted(rng.sample(range(7 + j), 2)))
        cells.append(NasFpnCell(level, rng.choice(list(NasFpnCombine)), pair, True))
    return NasFpnSpec(tuple(cells))


def test_decisions_are_those_of_shared_spaces_md():
    tree = _ENCODING.tree()
    assert list(tree) == ["intermediate_cells", "output_levels", "output_cells"]
    for i, cell in enumerate(tree["intermediate_cells"]):
        assert cell["level"] == Choice((4, 5, 6, 7))
        assert cell["combine"] == Choice(("sum", "attention"))
        assert cell["inputs"] == Choice(tuple(range(math.comb(5 + i, 2))))
        assert _ENCODING.intermediate_pairs(i) == tuple(itertools.combinations(range(5 + i), 2))
    # The output levels' order: which free position takes level 3, then 4, 5, 6 (7 takes the last one).
    assert tree["output_levels"] == {
        "level3": Choice((0, 1, 2, 3, 4)),
        "level4": Choice((0, 1, 2, 3)),
        "level5": Choice((0, 1, 2)),
        "level6": Choice((0, 1)),
    }
    for j, cell in enumerate(tree["output_cells"]):
        assert cell == {"combine": Choice(("sum", "attention")), "inputs": Choice(tuple(range(math.comb(7 + j, 2))))}
        assert _ENCODING.output_pairs(j) == tuple(itertools.combinations(range(7 + j), 2))


def test_size_and_distinct_specs_are_pinned_and_equal():
    assert decision_sizes(_ENCODING.tree()) == (4, 2, 10, 4, 2, 15, 5, 4, 3, 2, 2, 21, 2, 28, 2, 36, 2, 45, 2, 55)
    assert _ENCODING.size == _ENCODING.num_distinct_specs == 1_931_334_451_200_000
    # (4 * 2 * 10) * (4 * 2 * 15) * 5! * prod(2 * C(7 + j, 2) for j in 0..4)
    assert _ENCODING.size == 80 * 120 * 120 * math.prod(2 * math.comb(7 + j, 2) for j in range(5))


def test_the_published_cells_are_a_point():
    for encoding in (_ENCODING, NasFpnEncoding(num_filters=64, num_repeats=1, use_separable_conv=True)):
        published = encoding.published
        assert published == published_nasfpn(
            num_filters=encoding.num_filters,
            num_repeats=encoding.num_repeats,
            use_separable_conv=encoding.use_separable_conv,
        )
        assert has_point(encoding.tree(), encoding.to_decoder, encoding.from_decoder, published)
    assert _ENCODING.from_decoder(_ENCODING.published) == {
        "intermediate_cells": [
            {"level": 4, "combine": "attention", "inputs": 5},  # (1, 3)
            {"level": 4, "combine": "sum", "inputs": 8},  # (1, 5)
        ],
        "output_levels": {"level3": 0, "level4": 0, "level5": 0, "level6": 1},  # 3, 4, 5, 7, 6
        "output_cells": [
            {"combine": "sum", "inputs": 5},  # (0, 6)
            {"combine": "sum", "inputs": 27},  # (6, 7)
            {"combine": "attention", "inputs": 35},  # (7, 8)
            {"combine": "attention", "inputs": 41},  # (6, 9)
            {"combine": "attention", "inputs": 54},  # (9, 10)
        ],
    }


def test_random_points_round_trip_so_distinct_dna_give_distinct_specs():
    rng = random.Random(0)
    tree = _ENCODING.tree()
    points = [_random_point(tree, rng) for _ in range(2000)]
    specs = [_ENCODING.to_decoder(point) for point in points]
    for point, spec in zip(points, specs):
        assert _ENCODING.from_decoder(spec) == point  # from_decoder is a left inverse: to_decoder is injective
    distinct_points = {repr(point) for point in points}
    assert len(set(specs)) == len(distinct_points)


def test_every_valid_spec_is_a_point():
    rng = random.Random(1)
    for _ in range(2000):
        spec = _random_spec(rng)
        assert _ENCODING.to_decoder(_ENCODING.from_decoder(spec)) == spec  # to_decoder is onto


def test_exhaustive_enumeration_of_each_part_gives_distinct_specs():
    """Every value of the intermediate cells (9,600), of the output order (120), of each output cell."""
    base = _ENCODING.from_decoder(_ENCODING.published)
    tree = _ENCODING.tree()

    def specs_varying(path_values):
        found = set()
        for values in path_values:
            point = {
                "intermediate_cells": [dict(cell) for cell in base["intermediate_cells"]],
                "output_levels": dict(base["output_levels"]),
                "output_cells": [dict(cell) for cell in base["output_cells"]],
            }
            for (group, index, key), value in values:
                target = point[group] if index is None else point[group][index]
                target[key] = value
            found.add(_ENCODING.to_decoder(point))
        return found

    def all_values(group, index):
        sub = tree[group] if index is None else tree[group][index]
        keys = list(sub)
        for combo in itertools.product(*(sub[key].candidates for key in keys)):
            yield [((group, index, key), value) for key, value in zip(keys, combo)]

    intermediate = [
        first + second
        for first, second in itertools.product(all_values("intermediate_cells", 0), all_values("intermediate_cells", 1))
    ]
    assert len(specs_varying(intermediate)) == len(intermediate) == 9_600
    assert len(specs_varying(all_values("output_levels", None))) == 120
    for j in range(5):
        assert len(specs_varying(all_values("output_cells", j))) == 2 * math.comb(7 + j, 2)


def test_specs_of_another_width_depth_or_kind_are_not_points():
    for spec in (
        published_nasfpn(num_filters=128),
        published_nasfpn(num_repeats=5),
        published_nasfpn(use_separable_conv=True),
    ):
        assert not has_point(_ENCODING.tree(), _ENCODING.to_decoder, _ENCODING.from_decoder, spec)
    with pytest.raises(SpecError) as error:
        _ENCODING.from_decoder(published_nasfpn(num_filters=128, use_separable_conv=True))
    assert str(error.value) == (
        "spec is not a point of this NAS-FPN space: its (num_filters, num_repeats, use_separable_conv) are "
        "(128, 3, True); the space's are (256, 3, False)"
    )
    with pytest.raises(SpecError, match="the NAS-FPN space holds NasFpnSpecs, got str"):
        _ENCODING.from_decoder("nasfpn_f256_r3")  # type: ignore[arg-type]


def test_bad_scalars_are_refused_when_the_encoding_is_made():
    with pytest.raises(SpecError, match="NasFpnSpec.num_filters must be an int >= 1, got 0"):
        NasFpnEncoding(num_filters=0)
    with pytest.raises(TypeError):
        NasFpnEncoding(128)  # type: ignore[misc]  # keyword-only


def test_the_tree_becomes_a_pyglove_space_of_the_same_size():
    import pyglove as pg

    from edgenas.spaces.search_space import hyper_of

    hyper = hyper_of(_ENCODING.tree())
    dna_spec = pg.dna_spec(hyper)
    assert dna_spec.space_size == _ENCODING.size
    assert len(dna_spec.decision_points) == 20
    rng = random.Random(3)
    for _ in range(20):
        dna = pg.random_dna(dna_spec, rng)
        spec = _ENCODING.to_decoder(pg.materialize(hyper, dna))  # PyGlove values, read by indexing
        assert pg.DNA.from_numbers(_flat(_ENCODING.from_decoder(spec)), dna_spec) == dna


def _flat(point):
    """The decision values of a plain point in DNA order (as indices of their candidates)."""
    tree = _ENCODING.tree()

    def walk(sub, value):
        if isinstance(sub, Choice):
            yield sub.candidates.index(value)
        elif isinstance(sub, dict):
            for key in sub:
                yield from walk(sub[key], value[key])
        elif isinstance(sub, list):
            for item, item_value in zip(sub, value):
                yield from walk(item, item_value)

    return list(walk(tree, point))
