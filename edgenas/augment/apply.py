"""Applying an augmentation op or a whole policy to one example: (image, boxes, mask), in TensorFlow.

    from edgenas.augment.apply import apply_policy
    policy = RandAugmentPolicy(task="detection", num_ops=2, magnitude=7)
    result = apply_policy(policy, image, boxes=boxes, seed=(7, 0))
    result.image, result.boxes, tf.gather(classes, result.box_indices)

    # In a tf.data pipeline, one seed per example: the same (seed, example) always gives the same output.
    dataset.enumerate().map(lambda i, ex: apply_policy(policy, ex["image"], mask=ex["mask"], seed=tf.stack([7, i])))

RandAugment: N ops drawn uniformly, with replacement, from the bank, all at
magnitude M, each always applied. AutoAugment: one of the five sub-policies drawn
uniformly; its two ops run in turn, each with its probability p; a box-only op
(detection's bank indices 12-20) always runs and changes each box independently
with probability p / 3. Signed ops (translate, shear, rotate) flip their sign
with probability 0.5 (box-only ones per box). Pixel magnitudes scale with the
image's longer side (`edgenas.augment.magnitudes`).

Randomness is stateless: every draw comes from the seed (int [2]) by
`stateless_fold_in`, so the result depends on the seed and the example only,
in eager mode and inside `tf.data.Dataset.map` alike. Ops are chosen with
`tf.switch_case`, so the image may have any size known only at run time.
Imports TensorFlow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from edgenas.augment.box_ops import apply_inside_boxes
from edgenas.augment.errors import AugmentInputError, PolicyError
from edgenas.augment.example import IGNORE_LABEL, Augmented
from edgenas.augment.geometry import affine_matrix, apply_geometric, warp_image
from edgenas.augment.image_ops import color, cutout, cutout_window, equalize, sharpness, solarize, solarize_add
from edgenas.augment.magnitudes import REFERENCE_IMAGE_SIZE_PX, OpParameters, op_parameters
from edgenas.augment.ops import AugmentOp, AugmentTask
from edgenas.augment.policy import AutoAugmentPolicy, Policy, RandAugmentPolicy

__all__ = ["Seed", "apply_op", "apply_policy", "draw_randaugment_ops", "draw_sub_policy"]

Seed = int | tuple[int, int] | tf.Tensor
"""A stateless seed: an int, two ints, or an integer tensor of shape [2] (e.g. `tf.stack([base_seed, index])`)."""

_State = dict[str, tf.Tensor]
"""The example as an op sees it: "image", and "boxes" with "box_indices" and/or "mask" when given."""

_O = AugmentOp
_BOX_PROBABILITY_DIVISOR = 3
"""A box-only op at probability p changes each box with probability p / 3 (`shared/spaces.md`)."""

# Draws from one op's seed: whether it runs, its sign, where it cuts or which boxes it changes.
_GATE, _SIGN, _PLACE = 0, 1, 2

_PIXEL_OPS: dict[AugmentOp, Callable[[tf.Tensor, tf.Tensor], tf.Tensor]] = {
    _O.EQUALIZE: lambda image, _: equalize(image),
    _O.SOLARIZE: solarize,
    _O.COLOR: color,
    _O.SOLARIZE_ADD: solarize_add,
    _O.SHARPNESS: sharpness,
}
"""Whole-image ops that change pixel values only, by their parameter: boxes and mask pass unchanged."""

_CUTOUTS = (_O.CUTOUT_IMAGE, _O.CUTOUT_SEGMENTATION)


def _warp_crop(op: AugmentOp) -> Callable[[tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor]:
    def warp(crop: tf.Tensor, value: tf.Tensor, _: tf.Tensor) -> tf.Tensor:
        shape = tf.shape(crop)
        return warp_image(crop, affine_matrix(op, value, height=shape[0], width=shape[1]))

    return warp


def _fold(seed: tf.Tensor, data: int | tf.Tensor) -> tf.Tensor:
    return tf.random.experimental.stateless_fold_in(seed, data)


def _op_seed(seed: tf.Tensor, position: int) -> tf.Tensor:
    """The seed of a policy's op at `position` (0-based) among those it applies, from the example's seed."""
    return _fold(seed, 1 + position)


def _random_window(shape: tf.Tensor, half_size_px: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """A cutout square centred on a uniformly drawn pixel of an image of `shape` [H, W, ...]."""
    size = tf.cast(shape[:2], tf.float32)
    center = tf.minimum(tf.floor(tf.random.stateless_uniform([2], seed=seed) * size), size - 1)
    return cutout_window(shape[0], shape[1], center_yx=tf.cast(center, tf.int32), half_size_px=tf.round(half_size_px))


_BOX_ONLY_OPS: dict[AugmentOp, Callable[[tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor]] = {
    _O.SOLARIZE_ONLY_BBOXES: lambda crop, value, _: solarize(crop, value),
    _O.CUTOUT_ONLY_BBOXES: lambda crop, value, seed: cutout(crop, _random_window(tf.shape(crop), value, seed)),
    _O.TRANSLATE_X_ONLY_BBOXES: _warp_crop(_O.TRANSLATE_X_ONLY_BBOXES),
    _O.TRANSLATE_Y_ONLY_BBOXES: _warp_crop(_O.TRANSLATE_Y_ONLY_BBOXES),
    _O.SHEAR_X_ONLY_BBOXES: _warp_crop(_O.SHEAR_X_ONLY_BBOXES),
    _O.SHEAR_Y_ONLY_BBOXES: _warp_crop(_O.SHEAR_Y_ONLY_BBOXES),
    _O.ROTATE_ONLY_BBOXES: _warp_crop(_O.ROTATE_ONLY_BBOXES),
    _O.EQUALIZE_ONLY_BBOXES: lambda crop, value, seed: equalize(crop),
    _O.FLIP_ONLY_BBOXES: lambda crop, value, seed: tf.reverse(crop, axis=[1]),
}
"""Ops that run on each box's crop, by (crop, parameter, the box's seed); boxes do not move."""


def _value(parameters: OpParameters, image: tf.Tensor) -> tf.Tensor:
    """The op's unsigned parameter for this image: pixel quantities scaled by its longer side."""
    value = tf.constant(parameters.value, tf.float32)
    if parameters.scales_with_image:
        longer = tf.cast(tf.reduce_max(tf.shape(image)[:2]), tf.float32)
        value = value * longer / REFERENCE_IMAGE_SIZE_PX
    return value


def _negates(seed: tf.Tensor) -> tf.Tensor:
    """Whether a signed op run with `seed` flips its parameter's sign (probability 0.5): bool scalar."""
    return tf.random.stateless_uniform([], seed=_fold(seed, _SIGN)) < 0.5


def _gate(seed: tf.Tensor, probability: float) -> tf.Tensor:
    """Whether an op of probability 0 < `probability` < 1, run with `seed`, changes the image: bool scalar."""
    return tf.random.stateless_uniform([], seed=_fold(seed, _GATE)) < probability


def _signed(value: tf.Tensor, parameters: OpParameters, seed: tf.Tensor) -> tf.Tensor:
    if not parameters.signed:
        return value
    return tf.where(_negates(seed), -value, value)


def _transform(op: AugmentOp, state: _State, parameters: OpParameters, seed: tf.Tensor) -> _State:
    """Runs a whole-image op once (no probability)."""
    image = state["image"]
    value = _signed(_value(parameters, image), parameters, seed)
    if op in _PIXEL_OPS:
        return {**state, "image": _PIXEL_OPS[op](image, value)}
    if op in _CUTOUTS:
        window = _random_window(tf.shape(image), value, _fold(seed, _PLACE))
        changed = {**state, "image": cutout(image, window)}
        if op is _O.CUTOUT_SEGMENTATION:
            mask = state["mask"]
            changed["mask"] = tf.where(window, tf.constant(IGNORE_LABEL, mask.dtype), mask)
        return changed
    warped = apply_geometric(
        op, image, value=value, boxes=state.get("boxes"), mask=state.get("mask"), box_indices=state.get("box_indices")
    )
    changed = {**state, "image": warped.image}
    if "mask" in state:
        changed["mask"] = warped.mask
    if "boxes" in state:
        changed["boxes"], changed["box_indices"] = warped.boxes, warped.box_indices
    return changed


def _inside_boxes(
    op: AugmentOp, state: _State, parameters: OpParameters, seed: tf.Tensor, probability: float
) -> _State:
    """Runs a box-only op: each box's crop changes with probability `probability` / 3."""
    value = _value(parameters, state["image"])

    def on_crop(crop: tf.Tensor, box_seed: tf.Tensor) -> tf.Tensor:
        return _BOX_ONLY_OPS[op](crop, _signed(value, parameters, box_seed), _fold(box_seed, _PLACE))

    per_box = probability / _BOX_PROBABILITY_DIVISOR
    image = apply_inside_boxes(state["image"], state["boxes"], on_crop, probability=per_box, seed=_fold(seed, _PLACE))
    return {**state, "image": image}


def _run(op: AugmentOp, state: _State, *, magnitude: int, probability: float, seed: tf.Tensor) -> _State:
    """Runs `op` with `probability` (per box for box-only ops) at `magnitude` on `state`."""
    parameters = op_parameters(op, magnitude)  # at the reference size; `_value` scales to the image
    if probability <= 0.0:
        return state
    if op in _BOX_ONLY_OPS:
        return _inside_boxes(op, state, parameters, seed, probability)
    if probability >= 1.0:
        return _transform(op, state, parameters, seed)
    return tf.cond(_gate(seed, probability), lambda: _transform(op, state, parameters, seed), lambda: dict(state))


_SEED_FORMS = "an int, two ints or an integer tensor of shape [2]"


def _seed(seed: Seed) -> tf.Tensor:
    if isinstance(seed, bool):
        raise AugmentInputError(f"seed must be {_SEED_FORMS}, got {seed!r}")
    if isinstance(seed, int):
        seed = (seed, 0)
    try:
        tensor = tf.convert_to_tensor(seed)
    except (TypeError, ValueError) as error:
        raise AugmentInputError(f"seed must be {_SEED_FORMS}, got {seed!r}") from error
    if not tensor.dtype.is_integer or tensor.shape.rank != 1 or tensor.shape[0] != 2:
        shown = _describe(tensor) if isinstance(seed, (tf.Tensor, np.ndarray)) else repr(seed)
        raise AugmentInputError(f"seed must be {_SEED_FORMS}, got {shown}")
    return tf.cast(tensor, tf.int64)


def _describe(tensor: tf.Tensor) -> str:
    return f"{tensor.dtype.name} {tensor.shape}"


def _inputs(image: tf.Tensor, boxes: tf.Tensor | None, mask: tf.Tensor | None) -> _State:
    """Checks the example and returns it as a state; raises `AugmentInputError` naming what is wrong."""
    image = tf.convert_to_tensor(image)
    if image.dtype != tf.uint8 or image.shape.rank != 3 or image.shape[2] not in (3, None):
        raise AugmentInputError(f"image must be uint8 [H, W, 3] (raw, before normalisation), got {_describe(image)}")
    state = {"image": tf.ensure_shape(image, [None, None, 3])}
    if boxes is not None:
        boxes = tf.convert_to_tensor(boxes)
        if boxes.dtype != tf.float32 or boxes.shape.rank != 2 or boxes.shape[1] not in (4, None):
            raise AugmentInputError(
                f"boxes must be float32 [K, 4] normalised (ymin, xmin, ymax, xmax), got {_describe(boxes)}"
            )
        state["boxes"] = tf.ensure_shape(boxes, [None, 4])
        state["box_indices"] = tf.range(tf.shape(boxes)[0], dtype=tf.int32)
    if mask is not None:
        mask = tf.convert_to_tensor(mask)
        if mask.dtype not in (tf.int32, tf.uint8) or mask.shape.rank != 2:
            raise AugmentInputError(f"mask must be int32 or uint8 [H, W], got {_describe(mask)}")
        if not mask.shape.is_compatible_with(image.shape[:2]):
            raise AugmentInputError(f"mask {mask.shape} and image {image.shape} differ in size")
        check = tf.debugging.assert_equal(tf.shape(mask), tf.shape(image)[:2], message="mask and image differ in size")
        with tf.control_dependencies([check]):
            state["mask"] = tf.identity(mask)
    return state


def _needs(op: AugmentOp) -> str | None:
    if op in _BOX_ONLY_OPS:
        return "boxes"
    if op is _O.CUTOUT_SEGMENTATION:
        return "mask"
    return None


def _result(state: _State) -> Augmented:
    return Augmented(state["image"], state.get("boxes"), state.get("mask"), state.get("box_indices"))


def apply_op(
    op: AugmentOp | str,
    image: tf.Tensor,
    *,
    magnitude: int,
    seed: Seed,
    boxes: tf.Tensor | None = None,
    mask: tf.Tensor | None = None,
    probability: float = 1.0,
) -> Augmented:
    """Applies one op to one example.

    Args:
        op: An `AugmentOp` or its name.
        image: uint8 [H, W, 3], raw (before normalisation and resizing).
        magnitude: The level, 0 to 10 (`edgenas.augment.magnitudes`).
        seed: The stateless seed (`Seed`).
        boxes: float32 [K, 4] normalised (ymin, xmin, ymax, xmax); needed by the box-only ops.
        mask: int32 or uint8 [H, W]; needed by CutoutSegmentation.
        probability: The chance the op runs; for a box-only op, p / 3 is each box's chance instead.

    Returns:
        The augmented example (`Augmented`).

    Raises:
        PolicyError: An unknown op, a magnitude or probability out of range, or an op without the labels it needs.
        AugmentInputError: An image, boxes, mask or seed of the wrong dtype, rank or shape.
    """
    op = op_parameters(op, magnitude).op  # checks the op and the magnitude
    if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0.0 <= probability <= 1.0:
        raise PolicyError(f"probability must be a number in [0, 1], got {probability!r}")
    needed = _needs(op)
    if needed is not None and {"boxes": boxes, "mask": mask}[needed] is None:
        raise PolicyError(f"{op} needs {needed}; none were given")
    state = _inputs(image, boxes, mask)
    return _result(_run(op, state, magnitude=magnitude, probability=float(probability), seed=_seed(seed)))


def draw_randaugment_ops(policy: RandAugmentPolicy, seed: Seed) -> tf.Tensor:
    """The bank indices of the ops `apply_policy` applies with this seed, in order: int32 [N]."""
    return tf.random.stateless_uniform(
        [policy.num_ops], seed=_fold(_seed(seed), 0), minval=0, maxval=len(policy.bank), dtype=tf.int32
    )


def draw_sub_policy(policy: AutoAugmentPolicy, seed: Seed) -> tf.Tensor:
    """The index of the sub-policy `apply_policy` applies with this seed: int32 scalar."""
    return tf.random.stateless_uniform(
        [], seed=_fold(_seed(seed), 0), minval=0, maxval=len(policy.sub_policies), dtype=tf.int32
    )


_LABELS_OF_TASK = {AugmentTask.DETECTION: "boxes", AugmentTask.SEGMENTATION: "mask"}


def _run_sub_policy(policy: AutoAugmentPolicy, settings: Sequence, state: _State, seed: tf.Tensor) -> _State:
    for position, setting in enumerate(settings):
        state = _run(
            policy.op(setting),
            state,
            magnitude=setting.magnitude,
            probability=setting.probability,
            seed=_op_seed(seed, position),
        )
    return state


def apply_policy(
    policy: Policy, image: tf.Tensor, *, seed: Seed, boxes: tf.Tensor | None = None, mask: tf.Tensor | None = None
) -> Augmented:
    """Augments one example by a RandAugment or AutoAugment policy.

    Args:
        policy: The policy; its task says which labels must come with the image.
        image: uint8 [H, W, 3], raw (before normalisation and resizing).
        seed: The stateless seed (`Seed`); in a `tf.data` pipeline make it per example (see the module docstring).
        boxes: float32 [K, 4] normalised (ymin, xmin, ymax, xmax); required by a detection policy.
        mask: int32 or uint8 [H, W] with ignore label 255; required by a segmentation policy.

    Returns:
        The augmented example (`Augmented`): boxes dropped by geometric ops are missing from `box_indices`.

    Raises:
        PolicyError: Not a policy, or the labels its task needs are missing.
        AugmentInputError: An image, boxes, mask or seed of the wrong dtype, rank or shape.
    """
    if not isinstance(policy, (RandAugmentPolicy, AutoAugmentPolicy)):
        raise PolicyError(f"policy must be a RandAugmentPolicy or an AutoAugmentPolicy, got {policy!r}")
    needed = _LABELS_OF_TASK[policy.task]
    if {"boxes": boxes, "mask": mask}[needed] is None:
        raise PolicyError(f"{policy.space} is a {policy.task} policy: it needs {needed}, none were given")
    state = _inputs(image, boxes, mask)
    seed = _seed(seed)
    if isinstance(policy, RandAugmentPolicy):
        indices = draw_randaugment_ops(policy, seed)
        for position in range(policy.num_ops):
            op_seed = _op_seed(seed, position)
            branches = [
                functools.partial(_run, op, state, magnitude=policy.magnitude, probability=1.0, seed=op_seed)
                for op in policy.bank
            ]
            state = tf.switch_case(indices[position], branches)
    else:
        branches = [functools.partial(_run_sub_policy, policy, sub, state, seed) for sub in policy.sub_policies]
        state = tf.switch_case(draw_sub_policy(policy, seed), branches)
    return _result(state)
