"""The built-in search algorithms, each a factory of a seeded `pg.DNAGenerator`.

Papers:
    Regularized evolution, Real et al., AAAI 2019, https://arxiv.org/abs/1802.01548.
    PPO, Schulman et al., 2017, https://arxiv.org/abs/1707.06347 (see `ppo.py`).

Feedback: "random" and "grid" ignore it; "evolution" and "ppo" take a float.
The multi-objective algorithms are Optuna's (`optuna_samplers`) and ours
(`surrogate_evolution`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyglove as pg

from edgenas.search.algorithms._option_checks import check_count
from edgenas.search.algorithms.errors import AlgorithmOptionError
from edgenas.search.algorithms.grid_search import DEFAULT_MAX_GRID_POINTS, GridSearch, check_grid_size
from edgenas.search.algorithms.mutation import DistinctUniform
from edgenas.search.algorithms.ppo_controller import PPOController
from edgenas.search.algorithms.registry import register_algorithm
from edgenas.search.algorithms.screened_evolution import SurrogateEvolution

__all__ = ["evolution", "grid", "ppo", "random_search", "surrogate_evolution"]


def _derived_seed(seed: int, stream: int) -> int:
    """An independent seed for one random stream of an algorithm (init, selection, mutation)."""
    return int(np.random.SeedSequence([seed & 0xFFFFFFFF, stream]).generate_state(1)[0])


def random_search(*, seed: int, space_size: int | None = None) -> pg.DNAGenerator:
    """Uniform random points (`pg.geno.Random`).

    When to use it: the baseline every other algorithm must beat; also the
    right choice for a handful of trials, or for parallel trials without feedback.
    """
    del space_size
    return pg.geno.Random(seed=seed)


def evolution(
    *, seed: int, space_size: int | None = None, population_size: int = 20, tournament_size: int | None = None
) -> pg.DNAGenerator:
    """Regularized (aging) evolution with a seeded uniform mutator whose children differ from their parent.

    When to use it: the default for a scalar reward (MnasNet's or TuNAS's) on
    any space; robust to noisy rewards, and good from a few hundred trials on.
    The first `population_size` trials are random. `tournament_size` defaults
    to 5, or the whole population when it is smaller.

    Raises:
        AlgorithmOptionError: `population_size` or `tournament_size` is not an
            integer >= 2, or the tournament is larger than the population.
    """
    del space_size
    check_count("population_size", population_size, minimum=2)
    if tournament_size is None:
        tournament_size = min(5, population_size)
    check_count("tournament_size", tournament_size, minimum=2)
    mutator = DistinctUniform(seed=_derived_seed(seed, 1))
    try:
        return pg.evolution.regularized_evolution(
            mutator, population_size=population_size, tournament_size=tournament_size, seed=seed
        )
    except ValueError as error:  # PyGlove's own check of the two sizes together
        raise AlgorithmOptionError(str(error)) from None


def grid(
    *, seed: int, space_size: int | None = None, max_points: int = DEFAULT_MAX_GRID_POINTS
) -> pg.DNAGenerator:
    """Every point once (`pg.geno.Sweeping`), for small spaces; the seed is not used.

    When to use it: spaces of at most `max_points` points (a few fixed
    decisions), where exhaustive evaluation is affordable and deterministic.

    Raises:
        AlgorithmOptionError: `max_points` is not an integer >= 1.
        SpaceTooLargeError: If `space_size` is given and over `max_points`
            (otherwise the check runs at `setup`).
    """
    del seed
    check_count("max_points", max_points, minimum=1)
    if space_size is not None:
        check_grid_size(space_size, max_points=max_points)
    return GridSearch(max_points=max_points)


def ppo(
    *,
    seed: int,
    space_size: int | None = None,
    learning_rate: float = 0.05,
    clip_epsilon: float = 0.2,
    batch_size: int = 10,
    update_epochs: int = 4,
    baseline_decay: float = 0.95,
    entropy_weight: float = 0.0,
) -> pg.DNAGenerator:
    """A reinforcement-learning controller trained by clipped PPO (see `PPOController`).

    When to use it: large categorical spaces with a scalar reward, as in
    MnasNet and Vertex AI NAS.

    Raises:
        AlgorithmOptionError: An option out of its range or of the wrong type
            (PyGlove's check of `PPOController`'s fields names the field).
    """
    del space_size
    try:
        return PPOController(
            seed=seed,
            learning_rate=learning_rate,
            clip_epsilon=clip_epsilon,
            batch_size=batch_size,
            update_epochs=update_epochs,
            baseline_decay=baseline_decay,
            entropy_weight=entropy_weight,
        )
    except (TypeError, ValueError) as error:  # PyGlove validates each field's type and range on construction
        raise AlgorithmOptionError(str(error)) from None


def surrogate_evolution(
    *,
    seed: int,
    space_size: int | None = None,
    population_size: int = 20,
    tournament_size: int = 5,
    candidates: int = 100,
    crossover_prob: float = 0.5,
    ridge: float = 1.0,
) -> pg.DNAGenerator:
    """Evolution along the accuracy/latency front, each child chosen by a surrogate (see `SurrogateEvolution`).

    When to use it: the default. Its feedback is `(accuracy, -latency_ms)`
    whatever the reward (the reward still ranks the trials); it searches the
    whole front, aiming each proposal at a random latency, and trains only the
    child of `candidates` that a ridge regression over the finished trials
    ranks best. The first `population_size` trials are random.

    Raises:
        AlgorithmOptionError: An option out of its range or of the wrong type.
    """
    del space_size
    check_count("population_size", population_size, minimum=2)
    check_count("tournament_size", tournament_size, minimum=1)
    check_count("candidates", candidates, minimum=1)
    try:
        return SurrogateEvolution(
            seed=seed,
            population_size=population_size,
            tournament_size=tournament_size,
            candidates=candidates,
            crossover_prob=crossover_prob,
            ridge=ridge,
        )
    except (TypeError, ValueError) as error:  # PyGlove's check of each field's type and range, and ours
        raise AlgorithmOptionError(str(error)) from None


register_algorithm("random", random_search)
register_algorithm("evolution", evolution)
register_algorithm("grid", grid)
register_algorithm("ppo", ppo)
register_algorithm("surrogate_evolution", surrogate_evolution)
