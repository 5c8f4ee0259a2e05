import itertools

import pyglove as pg
import pytest

from edgenas.search.algorithms import GridSearch, SpaceTooLargeError, UnsupportedSpaceError, make_algorithm

TINY = pg.List([pg.oneof([1, 2, 3]), pg.oneof(["a", "b"]), pg.oneof([0.0, 0.25])])


def test_grid_enumerates_a_tiny_space_exactly_once():
    algorithm = make_algorithm("grid", seed=0, space_size=12)
    algorithm.setup(pg.dna_spec(TINY))
    proposals = []
    with pytest.raises(StopIteration):
        for _ in range(100):
            proposals.append(tuple(algorithm.propose().to_numbers()))
    assert sorted(proposals) == list(itertools.product(range(3), range(2), range(2)))
    assert len(proposals) == len(set(proposals)) == 12


def test_grid_drives_pg_sample_to_the_end():
    values = []
    for value, feedback in pg.sample(TINY, make_algorithm("grid", seed=0)):
        values.append(list(value))
        feedback(0.0)  # pg.sample hands out the same trial until it gets a reward.
    assert len(values) == 12
    assert sorted(map(tuple, values)) == sorted(itertools.product([1, 2, 3], ["a", "b"], [0.0, 0.25]))


def test_grid_ignores_the_seed():
    def run(seed):
        algorithm = make_algorithm("grid", seed=seed)
        algorithm.setup(pg.dna_spec(TINY))
        return [algorithm.propose().to_numbers() for _ in range(12)]

    assert run(0) == run(99)


def test_grid_refuses_a_large_space_when_made():
    with pytest.raises(SpaceTooLargeError, match="10,000,000 points, more than max_points=1,000,000"):
        make_algorithm("grid", seed=0, space_size=10**7)
    with pytest.raises(SpaceTooLargeError, match="more than max_points=10"):
        make_algorithm("grid", seed=0, space_size=12, max_points=10)


def test_grid_refuses_a_large_space_at_setup():
    large = pg.List([pg.oneof(list(range(10))) for _ in range(7)])  # 10**7 points
    algorithm = make_algorithm("grid", seed=0)
    with pytest.raises(SpaceTooLargeError, match="10,000,000 points"):
        algorithm.setup(pg.dna_spec(large))
    with pytest.raises(SpaceTooLargeError, match="max_points=5"):
        GridSearch(max_points=5).setup(pg.dna_spec(TINY))


def test_grid_refuses_continuous_spaces():
    algorithm = make_algorithm("grid", seed=0)
    with pytest.raises(UnsupportedSpaceError, match="continuous decisions"):
        algorithm.setup(pg.dna_spec(pg.List([pg.floatv(0.0, 1.0)])))
