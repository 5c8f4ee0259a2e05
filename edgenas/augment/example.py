"""What an augmentation op returns: the image with the boxes and mask that follow it, and the fill values.

    result = apply_policy(policy, image, boxes=boxes, seed=seed)
    classes = tf.gather(classes, result.box_indices)   # labels follow the boxes an op kept

A `NamedTuple`, so `tf.data.Dataset.map` can return it. No TensorFlow.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["IGNORE_LABEL", "IMAGE_FILL_VALUE", "Augmented"]

IMAGE_FILL_VALUE = 128
"""What geometric ops and cutouts write into the image where it has no content: mid-grey, in every channel.

Our choice, the same grey the papers' implementations fill with; mid-grey is close to the mean of natural images,
so a fill changes the normalised input least."""

IGNORE_LABEL = 255
"""What masks get where the image was filled (moved in from outside, or cut out): no loss is taken there."""


class Augmented(NamedTuple):
    """An augmented example.

    Attributes:
        image: uint8 [H, W, 3], the same size as the input.
        boxes: float32 [K', 4] normalised (ymin, xmin, ymax, xmax), clipped to [0, 1]; None if none were given.
        mask: [H, W] of the input's dtype (int32 or uint8), `IGNORE_LABEL` where filled; None if none was given.
        box_indices: int32 [K'], for each returned box the index of the input box it came from (gather class
            labels with it: geometric ops drop the boxes that leave the image); None if no boxes were given.
    """

    image: Any
    boxes: Any = None
    mask: Any = None
    box_indices: Any = None
