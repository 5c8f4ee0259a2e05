import pyglove as pg

from edgenas.search.algorithms.mutation import DistinctUniform


def _two_way_space() -> pg.DNASpec:
    return pg.dna_spec(pg.List([pg.oneof([0, 1]) for _ in range(4)]))


def test_children_always_differ_from_their_parent():
    space = _two_way_space()
    parent = pg.DNA([0, 0, 0, 0]).use_spec(space)
    plain = pg.evolution.mutators.Uniform(seed=0)
    distinct = DistinctUniform(seed=0)
    plain_unchanged = sum(plain.mutate(parent).to_numbers() == [0, 0, 0, 0] for _ in range(200))
    distinct_children = [distinct.mutate(parent).to_numbers() for _ in range(200)]
    assert plain_unchanged > 50  # the reason for this mutator: half the plain draws change nothing
    assert all(child != [0, 0, 0, 0] for child in distinct_children)
    # Mostly one decision flipped (the root is sometimes re-drawn whole).
    assert sum(sum(child) == 1 for child in distinct_children) > 100


def test_the_same_seed_gives_the_same_children():
    space = _two_way_space()
    parent = pg.DNA([1, 0, 1, 0]).use_spec(space)
    first, second = DistinctUniform(seed=5), DistinctUniform(seed=5)
    assert [first.mutate(parent).to_numbers() for _ in range(20)] == [
        second.mutate(parent).to_numbers() for _ in range(20)
    ]


def test_a_space_of_one_point_returns_the_parent():
    space = pg.dna_spec(pg.List([pg.oneof([7]), pg.oneof([8])]))
    parent = pg.DNA([0, 0]).use_spec(space)
    assert DistinctUniform(seed=0).mutate(parent).to_numbers() == [0, 0]
