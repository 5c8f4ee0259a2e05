import pyglove as pg
import pytest

from edgenas.errors import DuplicateNameError, EdgenasError, UnknownNameError
from edgenas.search.algorithms import registry
from edgenas.search.algorithms import (
    AlgorithmOptionError,
    GridSearch,
    PPOController,
    UnknownAlgorithmOptionError,
    OptunaGenerator,
    algorithm_names,
    is_multi_objective,
    make_algorithm,
    multi_objective_algorithm_names,
    random_search,
    register_algorithm,
)


ALL = ("evolution", "grid", "motpe", "nsga2", "ppo", "random", "surrogate_evolution", "tpe")


def test_builtin_names():
    assert algorithm_names() == ALL
    assert multi_objective_algorithm_names() == ("motpe", "nsga2", "surrogate_evolution")
    assert [is_multi_objective(name) for name in ALL] == [False, False, True, True, False, False, True, False]
    with pytest.raises(UnknownNameError, match="unknown algorithm 'darts'"):
        is_multi_objective("darts")


@pytest.mark.parametrize("name", ALL)
def test_each_name_makes_a_fresh_dna_generator(name):
    first, second = make_algorithm(name, seed=0), make_algorithm(name, seed=0)
    assert isinstance(first, pg.DNAGenerator)
    assert first is not second


def test_names_map_to_the_expected_generators():
    assert isinstance(make_algorithm("random", seed=3), pg.geno.Random)
    assert make_algorithm("random", seed=3).seed == 3
    assert isinstance(make_algorithm("grid", seed=0), GridSearch)
    assert isinstance(make_algorithm("ppo", seed=0), PPOController)
    evolution = make_algorithm("evolution", seed=0)
    assert isinstance(evolution, pg.evolution.Evolution) and not evolution.multi_objective
    assert make_algorithm("nsga2", seed=0).multi_objective
    for name, multi in (("tpe", False), ("motpe", True), ("nsga2", True)):
        generator = make_algorithm(name, seed=4)
        assert isinstance(generator, OptunaGenerator) and generator.multi_objective is multi
        assert generator.seed == 4


def test_unknown_name_lists_known_ones():
    with pytest.raises(UnknownNameError) as error:
        make_algorithm("darts", seed=0)
    assert str(error.value) == (
        "unknown algorithm 'darts'; known algorithms: evolution, grid, motpe, nsga2, ppo, random, surrogate_evolution, "
        "tpe"
    )


def test_unknown_option_lists_accepted_ones():
    with pytest.raises(
        TypeError,
        match="algorithm 'evolution' takes options \\['population_size', 'tournament_size'\\]; "
        "got unknown \\['populaton_size'\\]",
    ):
        make_algorithm("evolution", seed=0, populaton_size=10)
    with pytest.raises(TypeError, match="'random' takes options none"):
        make_algorithm("random", seed=0, population_size=10)


@pytest.mark.parametrize("seed", [None, 1.5, "0", True])
def test_seed_must_be_an_integer(seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        make_algorithm("random", seed=seed)


def test_invalid_option_values_raise():
    with pytest.raises(ValueError, match="tournament_size"):
        make_algorithm("evolution", seed=0, population_size=10, tournament_size=1)
    with pytest.raises(ValueError, match="population_size"):
        make_algorithm("evolution", seed=0, population_size=5, tournament_size=10)
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        make_algorithm("ppo", seed=0, learning_rate=0.0)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("evolution", {"population_size": 1}, "algorithm 'evolution': population_size must be an integer >= 2, got 1"),
        ("evolution", {"population_size": "abc"},
         "algorithm 'evolution': population_size must be an integer >= 2, got 'abc'"),
        ("evolution", {"population_size": 2.5},
         "algorithm 'evolution': population_size must be an integer >= 2, got 2.5"),
        ("evolution", {"tournament_size": True},
         "algorithm 'evolution': tournament_size must be an integer >= 2, got True"),
        ("evolution", {"population_size": 4, "tournament_size": 9},
         "algorithm 'evolution': The value of `population_size` (4) must be no less than the value of "
         "`tournament_size` (9)."),
        ("nsga2", {"population_size": 0}, "algorithm 'nsga2': population_size must be an integer >= 2, got 0"),
        ("grid", {"max_points": "x"}, "algorithm 'grid': max_points must be an integer >= 1, got 'x'"),
        ("ppo", {"learning_rate": 0}, "algorithm 'ppo': learning_rate must be positive, got 0.0"),
        ("ppo", {"batch_size": 0}, "algorithm 'ppo': Value 0 is out of range (min=1, max=None). (path=batch_size)"),
        ("ppo", {"learning_rate": "fast"},
         "algorithm 'ppo': Expect <class 'float'> but encountered <class 'str'>: fast. (path=learning_rate)"),
    ],
)
def test_bad_option_values_are_algorithm_option_errors_naming_the_algorithm(name, options, message):
    with pytest.raises(AlgorithmOptionError) as raised:
        make_algorithm(name, seed=0, **options)
    assert str(raised.value) == message
    assert isinstance(raised.value, EdgenasError) and isinstance(raised.value, ValueError)


def test_unknown_option_and_bad_seed_are_edgenas_errors():
    with pytest.raises(UnknownAlgorithmOptionError) as raised:
        make_algorithm("random", seed=0, population_size=10)
    assert isinstance(raised.value, EdgenasError) and isinstance(raised.value, TypeError)
    with pytest.raises(AlgorithmOptionError, match=r"^seed must be an integer, got 1.5$"):
        make_algorithm("random", seed=1.5)


def test_a_factory_bug_is_not_turned_into_an_option_error():
    def broken(*, seed, space_size=None):
        raise ValueError("bug")

    register_algorithm("broken-factory", broken)
    try:
        with pytest.raises(ValueError, match="^bug$") as raised:
            make_algorithm("broken-factory", seed=0)
        assert not isinstance(raised.value, EdgenasError)
    finally:
        registry._FACTORIES.unregister("broken-factory")


def test_a_small_population_gets_a_tournament_that_fits():
    space = pg.dna_spec(pg.List([pg.oneof(range(10)) for _ in range(6)]))
    algorithm = make_algorithm("evolution", seed=0, population_size=3)  # the default tournament 5 would not fit
    algorithm.setup(space)
    proposed = []
    for reward in (0.1, 0.9, 0.2, 0.5):
        dna = algorithm.propose()
        proposed.append(dna.to_numbers())
        algorithm.feedback(dna, reward)
    # The fourth is a child of the tournament over all three: the best (0.9) one, mutated.
    assert sum(a != b for a, b in zip(proposed[3], proposed[1], strict=True)) <= 2


def test_duplicate_registration_raises_and_lists_known_names():
    with pytest.raises(DuplicateNameError, match="'random' is already registered; known algorithms: evolution"):
        register_algorithm("random", random_search)


def test_factory_must_take_seed_and_space_size():
    with pytest.raises(TypeError, match="must take keyword arguments seed and space_size"):
        register_algorithm("bad-factory", lambda *, seed: pg.geno.Random(seed=seed))
    assert "bad-factory" not in algorithm_names()
