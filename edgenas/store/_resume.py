"""Which study a resume continues: the stored one, checked against the run's (private)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from edgenas.store.errors import StudyMismatchError
from edgenas.store.study import Study

__all__ = ["resumed_study"]

_SHOWN_CHARS = 80
_SHOWN_TRIALS = 10


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _trials(indices: Sequence[int]) -> str:
    """'its 2 done trials (#0, #2)': the count, and the first indices."""
    shown = ", ".join(f"#{i}" for i in indices[:_SHOWN_TRIALS])
    more = f" and {len(indices) - _SHOWN_TRIALS} more" if len(indices) > _SHOWN_TRIALS else ""
    return f"its {len(indices)} done trial{'' if len(indices) == 1 else 's'} ({shown}{more})"


def _change(name: str, stored: Study, given: Study, done: Sequence[int]) -> str:
    text = f"{name}: stored {_short(getattr(stored, name))}, given {_short(getattr(given, name))}"
    if name == "export_recipe" and done:
        one = len(done) == 1
        text += (
            f"; {_trials(done)} {'was' if one else 'were'} exported with recipe {stored.export_recipe} and "
            f"{'is' if one else 'are'} stale"
        )
    return text


def resumed_study(stored: Study, given: Study, *, done: Sequence[int], path: Path) -> Study:
    """The study a resume continues, or the refusal to continue it.

    Every field of `Study.RESUME_CHECKED_FIELDS` that `stored` recorded must
    equal `given`'s. A field it did not record (a study of trial store schema 1)
    is taken from `given` when the study has no done trial, since nothing
    measured can then mix with what this run measures; with done trials the
    resume is refused, as their models may be other than the ones this run exports.

    Args:
        stored: The study in the store.
        given: The study as this run would create it.
        done: The indices of the stored study's done trials.
        path: The store file (for the message).

    Returns:
        `stored`, with the fields it did not record taken from `given`.

    Raises:
        StudyMismatchError: Naming each refused field with its stored and given
            value; after an export recipe change, or with unrecorded fields, also
            the done trials whose models are stale or unknown.
    """
    differing = stored.differing_fields(given)
    unrecorded = tuple(name for name in differing if getattr(stored, name) is None)
    changed = tuple(name for name in differing if name not in unrecorded)
    if not changed and not (unrecorded and done):
        return dataclasses.replace(stored, **{name: getattr(given, name) for name in unrecorded})
    reasons = []
    if changed:
        details = "; ".join(_change(name, stored, given, done) for name in changed)
        reasons.append(f"it was created with another search setup ({details})")
    if unrecorded and done:
        values = ", ".join(f"{name} {_short(getattr(given, name))}" for name in unrecorded)
        reasons.append(
            f"it was written by an edgenas that did not record its {_listed(unrecorded)} (trial store schema 1), "
            f"so {_trials(done)} may hold models other than this run's (given {values})"
        )
    advice = "Resume with the original settings, or start" if changed else "Start"
    raise StudyMismatchError(
        f"cannot resume study {stored.name!r} in {str(path)!r}: {'; and '.join(reasons)}. "
        f"{advice} a new study name or database",
        study_name=stored.name,
        fields=tuple(name for name in differing if name in changed or done),
    )
