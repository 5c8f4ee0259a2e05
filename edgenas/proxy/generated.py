"""The registry of generated classification sets a proxy task can train on by name."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from edgenas.proxy.errors import ProxyConfigError
from edgenas.proxy.scenes import SCENE_CLASSES, generate_scenes
from edgenas.proxy.shapes import SHAPE_CLASSES, generate_shapes

__all__ = ["GENERATED_SETS", "GeneratedSet", "generated_set"]


@dataclasses.dataclass(frozen=True)
class GeneratedSet:
    """A classification set made by a pure function of `(num_images, image_size, seed)`.

    Attributes:
        name: What `ProxyTask(dataset=...)` and `--dataset` call it.
        class_names: One name per class, in label order.
        generate: `generate(num_images, image_size=, seed=)` -> uint8 images `(n, size, size, 3)`, int32 labels.
        summary: One line for help texts.
    """

    name: str
    class_names: tuple[str, ...]
    generate: Callable[..., tuple[np.ndarray, np.ndarray]]
    summary: str


GENERATED_SETS: dict[str, GeneratedSet] = {
    entry.name: entry
    for entry in (
        GeneratedSet("shapes", SHAPE_CLASSES, generate_shapes,
                     "10 plain shapes, one per image: quick to learn, saturates when trained longer"),
        GeneratedSet("scenes", SCENE_CLASSES, generate_scenes,
                     "10 shapes at a per-image difficulty (texture, clutter, occlusion): the default"),
    )
}  # fmt: skip
"""Every generated set, by name."""


def generated_set(name: str) -> GeneratedSet:
    """The generated set called `name`.

    Raises:
        ProxyConfigError: No generated set has that name (the message lists those that exist).
    """
    entry = GENERATED_SETS.get(name) if isinstance(name, str) else None
    if entry is None:
        raise ProxyConfigError(f"no generated dataset {name!r}; known: {', '.join(sorted(GENERATED_SETS))}")
    return entry
