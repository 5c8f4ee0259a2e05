"""`Halving`: successive halving over proxy training steps (which trials train to the end).

A candidate trains with the proxy task's schedule as usual, but is scored on
the held-out data at a few intermediate step counts, the *rungs*: with the
defaults (`eta` = 3, `rungs` = 2) and a 300-step task, after 100 steps, then at
300; with `rungs` = 3, after 33, 100 and 300. At each intermediate rung it goes
on only if it ranks in the best 1 / `eta` of every trial of the study scored at
that rung so far (itself included, the best one always; `PromotionRule` says
how points rank: a strictly higher score is needed to rank ahead, so latency
alone never stops a training). The default has one rung: on the default proxy
task every network still scores at chance after 33 steps (measured by
`benchmarks/halving_search.py`), so an earlier rung would stop nothing. A trial that stops
keeps its last rung's score as its accuracy and is marked as stopped early: it
costs a fraction of a training, and the report and the front leave it out.

This is the in-trial form of asynchronous successive halving (ASHA): nothing is
checkpointed or re-trained, and a trial is judged against those that reached
the same rung before it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from edgenas.errors import EdgenasError

__all__ = ["Halving", "HalvingError", "intermediate_rungs"]

_MAX_ETA = 100
_MAX_RUNGS = 10


class HalvingError(EdgenasError, ValueError):
    """A successive-halving setting that cannot be used."""


def _positive_int(name: str, value: object, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise HalvingError(f"halving {name} must be an integer from {minimum} to {maximum}, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class Halving:
    """Successive halving over proxy training steps.

    Attributes:
        eta: The reduction factor: a trial goes on past a rung when it ranks in the best 1 / eta there,
            and rungs are eta times apart in steps.
        rungs: Scored step counts per training, the last being the task's full steps (2 or more).
    """

    eta: int = 3
    rungs: int = 2

    def __post_init__(self) -> None:
        _positive_int("eta", self.eta, minimum=2, maximum=_MAX_ETA)
        _positive_int("rungs", self.rungs, minimum=2, maximum=_MAX_RUNGS)

    def rung_steps(self, steps: int) -> tuple[int, ...]:
        """The step counts a training of `steps` steps is scored at, ascending, the last being `steps`.

        Raises:
            HalvingError: If the first rung would have less than one step.
        """
        counts = tuple(round(steps / self.eta ** (self.rungs - 1 - k)) for k in range(self.rungs))
        if counts[0] < 1 or len(set(counts)) < len(counts):
            raise HalvingError(
                f"{self} needs rungs {self.eta}x apart below {steps} steps, which gives {list(counts)}: "
                "train longer or use fewer rungs"
            )
        return counts

    def to_json(self) -> dict[str, int]:
        """The setting as a JSON object (what the study stores)."""
        return {"eta": self.eta, "rungs": self.rungs}

    @classmethod
    def from_json(cls, data: Any) -> Halving:
        """The setting of `to_json()` output (a dict, or its JSON text).

        Raises:
            HalvingError: If `data` is not such an object.
        """
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as error:
                raise HalvingError(f"halving setting is not JSON: {error}") from None
        if not isinstance(data, dict) or set(data) != {"eta", "rungs"}:
            raise HalvingError(f"halving setting must be an object with eta and rungs, got {data!r}")
        return cls(eta=data["eta"], rungs=data["rungs"])

    @classmethod
    def parse(cls, text: str) -> Halving:
        """`"ETA:RUNGS"` (e.g. `"3:2"`), or `"on"` for the defaults; the command line's form.

        Raises:
            HalvingError: On any other text.
        """
        value = text.strip().lower()
        if value == "on":
            return cls()
        eta, sep, rungs = value.partition(":")
        if not sep or not eta.strip().isdigit() or not rungs.strip().isdigit():
            raise HalvingError(f"halving must be 'on' or ETA:RUNGS such as '3:2', got {text!r}")
        return cls(eta=int(eta), rungs=int(rungs))

    def __str__(self) -> str:
        return f"halving eta {self.eta}, {self.rungs} rungs"


def intermediate_rungs(halving: Halving | None, family: Any, task: Any) -> tuple[int, ...]:
    """The intermediate rungs of a search's trainings (none without halving), checked before any trial.

    Raises:
        EdgenasError: If `halving` is not a `Halving`, or the family's proxy training has no rungs.
        HalvingError: If the task has no steps, or too few for the rungs.
    """
    if halving is None:
        return ()
    if not isinstance(halving, Halving):
        raise EdgenasError(f"halving must be an edgenas.search.Halving or None, got {type(halving).__name__}")
    if not family.supports_rungs:
        family.train_proxy_with_rungs(None, task, rung_steps=(), gate=lambda k, s: True)  # raises, saying why
    steps = getattr(task, "steps", None)
    if not isinstance(steps, int):
        raise HalvingError(f"halving needs a proxy task with a number of steps; {type(task).__name__} has none")
    return halving.rung_steps(steps)[:-1]
