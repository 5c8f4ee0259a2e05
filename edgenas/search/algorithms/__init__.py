"""Search algorithms: seeded PyGlove DNA generators, built by name.

`make_algorithm("evolution", seed=0)` returns a `pg.DNAGenerator`; drive it with
`pg.sample(space.hyper, algo)` or by hand: `algo.setup(space.dna_spec)`, then
`dna = algo.propose()` and `algo.feedback(dna, reward)`. Rewards are floats,
except for the multi-objective algorithms (`is_multi_objective(name)`), which
take a tuple of maximised objectives, `(accuracy, -latency_ms)`.
"""

from edgenas.search.algorithms.builtin import evolution, grid, ppo, random_search, surrogate_evolution
from edgenas.search.algorithms.errors import (
    AlgorithmOptionError,
    SpaceTooLargeError,
    UnknownAlgorithmOptionError,
    UnsupportedSpaceError,
)
from edgenas.search.algorithms.grid_search import DEFAULT_MAX_GRID_POINTS, GridSearch
from edgenas.search.algorithms.optuna_generator import OptunaGenerator
from edgenas.search.algorithms.optuna_samplers import motpe, nsga2, tpe
from edgenas.search.algorithms.ppo_controller import PPOController
from edgenas.search.algorithms.screened_evolution import SurrogateEvolution
from edgenas.search.algorithms.registry import (
    AlgorithmFactory,
    algorithm_names,
    is_multi_objective,
    make_algorithm,
    multi_objective_algorithm_names,
    register_algorithm,
)

__all__ = [
    "DEFAULT_MAX_GRID_POINTS",
    "AlgorithmFactory",
    "AlgorithmOptionError",
    "GridSearch",
    "OptunaGenerator",
    "PPOController",
    "SpaceTooLargeError",
    "SurrogateEvolution",
    "UnknownAlgorithmOptionError",
    "UnsupportedSpaceError",
    "algorithm_names",
    "evolution",
    "grid",
    "is_multi_objective",
    "make_algorithm",
    "motpe",
    "multi_objective_algorithm_names",
    "nsga2",
    "ppo",
    "random_search",
    "register_algorithm",
    "surrogate_evolution",
    "tpe",
]
