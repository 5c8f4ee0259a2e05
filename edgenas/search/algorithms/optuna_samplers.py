"""Optuna's samplers as search algorithms: "tpe", "motpe" and "nsga2", each a factory of `OptunaGenerator`s.

Papers:
    TPE, Bergstra et al., NeurIPS 2011, https://papers.nips.cc/paper/4443.
    Multi-objective TPE, Ozaki et al., GECCO 2020, https://doi.org/10.1145/3377930.3389817.
    NSGA-II, Deb et al., IEEE TEVC 2002, https://ieeexplore.ieee.org/document/996017.

Each factory takes a few typed options of the sampler, checks their types and
ranges here (Optuna checks some only when it first samples), and builds the
sampler once so that Optuna's own checks run before any trial.
"""

from __future__ import annotations

from typing import Any

import pyglove as pg

from edgenas.search.algorithms._option_checks import check_count, check_flag, check_probability
from edgenas.search.algorithms.errors import AlgorithmOptionError
from edgenas.search.algorithms.optuna_generator import OptunaGenerator, build_sampler
from edgenas.search.algorithms.registry import register_algorithm

__all__ = ["motpe", "nsga2", "tpe"]


def _generator(kind: str, *, seed: int, options: dict[str, Any], num_objectives: int) -> pg.DNAGenerator:
    build_sampler(kind, seed=seed, options=options)  # Optuna's own checks, now rather than at the first trial
    return OptunaGenerator(kind, seed, options, num_objectives)


def _tpe_options(
    n_startup_trials: int, n_ei_candidates: int, multivariate: bool, group: bool, constant_liar: bool
) -> dict[str, Any]:
    if check_flag("group", group) and not check_flag("multivariate", multivariate):
        raise AlgorithmOptionError("group=true needs multivariate=true")
    return {
        "n_startup_trials": check_count("n_startup_trials", n_startup_trials, minimum=0),
        "n_ei_candidates": check_count("n_ei_candidates", n_ei_candidates, minimum=1),
        "multivariate": check_flag("multivariate", multivariate),
        "group": group,
        "constant_liar": check_flag("constant_liar", constant_liar),
    }


def tpe(
    *,
    seed: int,
    space_size: int | None = None,
    n_startup_trials: int = 10,
    n_ei_candidates: int = 24,
    multivariate: bool = True,
    group: bool = False,
    constant_liar: bool = True,
) -> pg.DNAGenerator:
    """Optuna's Tree-structured Parzen Estimator on a scalar reward.

    When to use it: a scalar reward (MnasNet's or TuNAS's) and a budget of tens
    to hundreds of trials; it models which choices the good trials share,
    jointly over all decisions by default (`multivariate`, Optuna's own default
    for one objective). The first `n_startup_trials` trials are random.

    Raises:
        AlgorithmOptionError: An option of the wrong type or out of its range.
    """
    del space_size
    options = _tpe_options(n_startup_trials, n_ei_candidates, multivariate, group, constant_liar)
    return _generator("tpe", seed=seed, options=options, num_objectives=1)


def motpe(
    *,
    seed: int,
    space_size: int | None = None,
    n_startup_trials: int = 10,
    n_ei_candidates: int = 24,
    multivariate: bool = False,
    group: bool = False,
    constant_liar: bool = True,
) -> pg.DNAGenerator:
    """Optuna's TPE on two or more objectives (MOTPE); feedback is a tuple of maximised objectives.

    When to use it: with a `ParetoReward`, to find the accuracy/latency front
    in a budget too small for a genetic algorithm's generations. Each decision
    is modelled on its own by default (`multivariate=False`, Optuna's default
    for several objectives).

    Raises:
        AlgorithmOptionError: An option of the wrong type or out of its range.
    """
    del space_size
    options = _tpe_options(n_startup_trials, n_ei_candidates, multivariate, group, constant_liar)
    return _generator("tpe", seed=seed, options=options, num_objectives=2)


def nsga2(
    *,
    seed: int,
    space_size: int | None = None,
    population_size: int = 50,
    mutation_prob: float | None = None,
    crossover_prob: float = 0.9,
    swapping_prob: float = 0.5,
) -> pg.DNAGenerator:
    """Optuna's NSGA-II; feedback is a tuple of maximised objectives.

    It replaced our own NSGA-II (PyGlove's `pg.evolution.nsga2` with a uniform
    mutator), which it beat on every objective seed of
    `benchmarks/search_efficiency.py`.

    When to use it: with a `ParetoReward` and a budget of several generations
    (a few times `population_size` trials). The first generation is random;
    children mix two parents (uniform crossover) and mutate each decision with
    `mutation_prob` (default 1 / number of decisions).

    Raises:
        AlgorithmOptionError: An option of the wrong type or out of its range.
    """
    del space_size
    options: dict[str, Any] = {
        "population_size": check_count("population_size", population_size, minimum=2),
        "mutation_prob": None if mutation_prob is None else check_probability("mutation_prob", mutation_prob),
        "crossover_prob": check_probability("crossover_prob", crossover_prob),
        "swapping_prob": check_probability("swapping_prob", swapping_prob),
    }
    return _generator("nsga2", seed=seed, options=options, num_objectives=2)


register_algorithm("tpe", tpe)
register_algorithm("motpe", motpe)
register_algorithm("nsga2", nsga2)
