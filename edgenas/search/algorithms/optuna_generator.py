"""`OptunaGenerator`: an Optuna sampler behind PyGlove's DNA generator interface (ask/tell).

Each proposal is a fresh trial of an in-memory Optuna study (`study.ask()`),
whose parameters `suggest_dna` turns into a DNA; the feedback of that DNA is
told to the same trial. Every objective is maximised, as our rewards are
(`ParetoObjectives` is `(accuracy, -latency_ms)`). The sampler is seeded and
built afresh at every `setup`, so the same seed and the same feedback give the
same proposals: a search resumes by replaying its trials through propose and
feedback, as for the other algorithms.

Optuna is imported only when a generator is set up or an option is checked.
"""

from __future__ import annotations

import collections
from typing import Any

import pyglove as pg

from edgenas.search.algorithms.errors import AlgorithmOptionError
from edgenas.search.algorithms.optuna_params import check_optuna_space, suggest_dna

__all__ = ["SAMPLER_KINDS", "OptunaGenerator", "build_sampler"]

SAMPLER_KINDS = ("tpe", "nsga2")
"""The Optuna samplers a generator can drive: `TPESampler` and `NSGAIISampler`."""


def build_sampler(kind: str, *, seed: int, options: dict[str, Any]) -> Any:
    """A new seeded Optuna sampler of `kind` with `options` (keyword arguments of its constructor).

    Raises:
        AlgorithmOptionError: If Optuna refuses an option's value (the message is Optuna's).
    """
    import optuna  # noqa: PLC0415

    classes = {"tpe": optuna.samplers.TPESampler, "nsga2": optuna.samplers.NSGAIISampler}
    try:
        return classes[kind](seed=seed, **options)
    except (TypeError, ValueError) as error:
        raise AlgorithmOptionError(str(error)) from None


def _quiet_optuna() -> None:
    """Optuna logs every trial at INFO, and warns when it samples a dynamic space's parameters one by one."""
    import warnings  # noqa: PLC0415

    import optuna  # noqa: PLC0415

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


@pg.members(
    [
        ("sampler", pg.typing.Enum(SAMPLER_KINDS[0], list(SAMPLER_KINDS)), "Which Optuna sampler proposes."),
        ("seed", pg.typing.Int(), "Seed of the sampler."),
        ("options", pg.typing.Dict([(pg.typing.StrKey(), pg.typing.Any())]), "Keyword arguments of the sampler."),
        ("num_objectives", pg.typing.Int(min_value=1, default=1), "Objectives of the feedback, all maximised."),
    ],
    init_arg_list=["sampler", "seed", "options", "num_objectives"],
)
class OptunaGenerator(pg.DNAGenerator):
    """Proposes with an Optuna sampler over the DNA spec's decisions (see `optuna_params`).

    Feedback is a float for one objective, a tuple of floats for several; a DNA
    must be fed back once for each time it was proposed. The study lives in
    memory: what survives an interruption is the caller's store of trials.
    """

    @property
    def multi_objective(self) -> bool:
        return self.num_objectives > 1

    def _setup(self) -> None:
        import optuna  # noqa: PLC0415

        check_optuna_space(self.dna_spec)
        _quiet_optuna()
        sampler = build_sampler(self.sampler, seed=self.seed, options=dict(self.options))
        self._study = optuna.create_study(sampler=sampler, directions=["maximize"] * self.num_objectives)
        self._waiting: dict[tuple[Any, ...], collections.deque[Any]] = collections.defaultdict(collections.deque)

    def _propose(self) -> pg.DNA:
        trial = self._study.ask()
        dna = suggest_dna(self.dna_spec, trial)
        self._waiting[tuple(dna.to_numbers())].append(trial)
        return dna

    def _feedback(self, dna: pg.DNA, reward: float | tuple[float, ...]) -> None:
        key = tuple(dna.to_numbers())
        if not self._waiting.get(key):
            raise ValueError(f"{type(self).__name__} was given feedback on a DNA it has no open proposal of: {dna}")
        trial = self._waiting[key].popleft()
        if not self._waiting[key]:
            del self._waiting[key]
        values = [float(v) for v in reward] if isinstance(reward, tuple) else float(reward)
        self._study.tell(trial, values)
