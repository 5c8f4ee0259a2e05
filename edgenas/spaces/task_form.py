"""`task=`: a space's networks for another task (`get("mnasnet", task="detection")`).

A space's own task is its family's (`Family.task`); a family may serve other
tasks by wrapping its networks (`Family.task_forms`: a chain backbone becomes a
detector with an FPN and a RetinaNet head). The wrapped space has the same
decisions and size; its points, references and listing are the wrapped
networks', and studies record the task (`SearchSpace.options`), so a detection
study is never resumed as a classification one.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from edgenas.errors import UnknownNameError
from edgenas.families import TaskForm, family_of_type

if TYPE_CHECKING:
    from edgenas.spaces.search_space import SearchSpace
    from edgenas.spaces.space_info import SpaceInfo

__all__ = ["TASK_OPTION", "check_task", "tasks_of", "with_task", "with_task_info"]

TASK_OPTION = "task"
"""The factory option that picks a task."""


def tasks_of(spec_type: type) -> tuple[str, ...]:
    """The tasks a space of `spec_type` points serves: its family's own first, then its wrapped forms'."""
    family = family_of_type(spec_type)
    return (family.task.value, *(form.task.value for form in family.task_forms()))


def check_task(space_name: str, spec_type: type, task: Any) -> TaskForm | None:
    """The form that serves `task` (None: the space's own task).

    Raises:
        UnknownNameError: If the space's networks serve no such task; the message
            names the tasks they serve.
    """
    family = family_of_type(spec_type)
    if task == family.task.value:
        return None
    for form in family.task_forms():
        if task == form.task.value:
            return form
    raise UnknownNameError(
        f"space {space_name!r} has no {task!r} form: its networks ({spec_type.__name__}) serve "
        f"{' or '.join(repr(t) for t in tasks_of(spec_type))}"
    )


def with_task(space: SearchSpace, task: Any) -> SearchSpace:
    """`space` for `task`: itself for its own task, else its wrapped form.

    Raises:
        UnknownNameError: If its networks serve no such task.
    """
    form = check_task(space.name, space.spec_type, task)
    if form is None:
        return space
    return space.transformed(
        to_point=form.wrap,
        from_point=form.unwrap,
        options={TASK_OPTION: form.task.value},
        description=f"{space.description} {form.description}",
    )


def with_task_info(info: SpaceInfo, task: Any) -> SpaceInfo:
    """The listing of `with_task(space, task)` from the space's own listing.

    Raises:
        UnknownNameError: If its networks serve no such task.
    """
    form = check_task(info.name, info.spec_type, task)
    if form is None:
        return info
    return dataclasses.replace(info, spec_type=form.spec_type, description=f"{info.description} {form.description}")

