"""Drawing a detector predictor's training detectors from a space whose points are whole detectors.

A detection space on chain backbones (`edgenas.spaces.get("mnasnet",
task="detection")`: FPN detectors; `edgenas.spaces.get("nasfpn")`: NAS-FPN
detectors) yields complete detectors, so, unlike a SpineNet topology, a point
needs no scaling point: it is measured at an input size, by default its
family's deployment one (320 for FPN, 384 for NAS-FPN). Drawing each
detector's size from several (`image_sizes=(256, 320)`) makes the input size a
feature the predictor learns. `edgenas.collect.detectors.collect_detectors`
times what this draws. Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

__all__ = ["detection_space", "random_chain_detectors", "space_label"]


def detection_space(space_name: str, *, task: str | None = None) -> tuple[Any, Any]:
    """The space `space_name` (for `task`, default its own) and the family of its points.

    Raises:
        UnknownNameError: No such space, or its networks serve no such task (the message names the tasks).
    """
    from edgenas import spaces  # noqa: PLC0415
    from edgenas.families import family_of_type  # noqa: PLC0415

    space = spaces.get(space_name) if task is None else spaces.get(space_name, task=task)
    return space, family_of_type(space.spec_type)


def space_label(space_name: str, *, task: str | None = None) -> str:
    """The `space` column of a measurement: the space's name, `:<task>` added for a task other than its own.

    `space_label("mnasnet", task="detection")` is "mnasnet:detection", so that a
    store's FPN detectors are never taken for the chain classifiers of "mnasnet".
    """
    _, family = detection_space(space_name)
    return space_name if task is None or task == family.task.value else f"{space_name}:{task}"


def random_chain_detectors(
    space_name: str,
    *,
    count: int,
    seed: int,
    task: str | None = None,
    image_sizes: Sequence[int] | None = None,
) -> list[tuple[str, tuple[int, int, int]]]:
    """`count` distinct random detectors (spec string, input shape) of a detection space, each at a drawn size.

    Args:
        space_name: A space whose points (for `task`) are whole detectors of a whole-network family.
        count: How many.
        seed: Seed of the points and of the sizes.
        task: The space's task (default: its own), e.g. "detection" for "mnasnet".
        image_sizes: Square input sides, one drawn per detector (default: the family's deployment side).

    Raises:
        ValueError: `count` is negative, `image_sizes` is empty, or the space's points are not whole detectors.
        SpecError: A size the detectors cannot take (the message names the nearest legal sides).
        UnknownNameError: No such space, or its networks serve no such task.
    """
    from edgenas.families import PredictorKind  # noqa: PLC0415

    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an integer >= 0, got {count!r}")
    space, family = detection_space(space_name, task=task)
    if family.predictor_kind is not PredictorKind.WHOLE_NETWORK:
        raise ValueError(
            f"space {space_name!r} yields {family.name} networks, which a detector predictor does not serve; "
            "draw from a detection space (e.g. 'nasfpn', or 'mnasnet' with task='detection')"
        )
    sides = (family.deployment.input_shape[0],) if image_sizes is None else tuple(image_sizes)
    if not sides:
        raise ValueError("image_sizes is empty; give at least one input side (e.g. (256, 320))")
    points = space.sample(n=max(count, 1) * 2, seed=seed)
    for side in dict.fromkeys(sides):  # refuse a size no detector takes before any is drawn
        family.check_input(points[0], input_shape=(side, side, 3), num_classes=family.deployment.num_classes)
    rng = random.Random(seed)
    out: list[tuple[str, tuple[int, int, int]]] = []
    for point in points:
        if len(out) == count:
            break
        side = rng.choice(sides)
        drawn = (str(point), (side, side, 3))
        if drawn not in out:
            out.append(drawn)
    return out
