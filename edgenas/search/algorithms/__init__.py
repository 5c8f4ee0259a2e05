"""Search algorithms: seeded PyGlove DNA generators, built by name.

`make_algorithm("evolution", seed=0)` returns a `pg.DNAGenerator`; drive it with
`pg.sample(space.hyper, algo)` or by hand: `algo.setup(space.dna_spec)`, then
`dna = algo.propose()` and `algo.feedback(dna, reward)`. Rewards are floats,
except for "nsga2", which takes a tuple of maximised objectives.
"""

from edgenas.search.algorithms.builtin import evolution, grid, nsga2, ppo, random_search
from edgenas.search.algorithms.errors import (
    AlgorithmOptionError,
    SpaceTooLargeError,
    UnknownAlgorithmOptionError,
    UnsupportedSpaceError,
)
from edgenas.search.algorithms.grid_search import DEFAULT_MAX_GRID_POINTS, GridSearch
from edgenas.search.algorithms.ppo_controller import PPOController
from edgenas.search.algorithms.registry import (
    AlgorithmFactory,
    algorithm_names,
    make_algorithm,
    register_algorithm,
)

__all__ = [
    "DEFAULT_MAX_GRID_POINTS",
    "AlgorithmFactory",
    "AlgorithmOptionError",
    "GridSearch",
    "PPOController",
    "SpaceTooLargeError",
    "UnknownAlgorithmOptionError",
    "UnsupportedSpaceError",
    "algorithm_names",
    "evolution",
    "grid",
    "make_algorithm",
    "nsga2",
    "ppo",
    "random_search",
    "register_algorithm",
]
