"""Applying ops and policies: labels follow (or stay), draws come from the seed, tf.data works, bad input is refused."""

import numpy as np
import pytest
import tensorflow as tf

from edgenas.augment import (
    AugmentInputError,
    AugmentOp,
    AutoAugmentPolicy,
    OpSetting,
    PolicyError,
    RandAugmentPolicy,
)
from edgenas.augment.apply import apply_op, apply_policy, draw_randaugment_ops, draw_sub_policy
from edgenas.augment.image_ops import color, equalize, sharpness, solarize, solarize_add

_O = AugmentOp
_H, _W = 48, 64
_RNG = np.random.default_rng(7)
# Values 0..100 only: the grey fill 128 shows where an op filled.
_IMAGE = _RNG.integers(0, 101, (_H, _W, 3), dtype=np.uint8)
_MASK = _RNG.integers(0, 6, (_H, _W)).astype(np.int32)
_BOXES = np.array([[0.1, 0.1, 0.4, 0.5], [0.5, 0.25, 0.9, 0.75], [0.2, 0.6, 0.6, 0.95]], np.float32)
_INSIDE = np.zeros((_H, _W), bool)
for _y0, _x0, _y1, _x1 in _BOXES * [_H, _W, _H, _W]:
    _INSIDE[int(np.floor(_y0)) : int(np.ceil(_y1)), int(np.floor(_x0)) : int(np.ceil(_x1))] = True


def _same(a, b):
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("op", [_O.EQUALIZE, _O.SOLARIZE, _O.COLOR, _O.SOLARIZE_ADD, _O.SHARPNESS, _O.CUTOUT_IMAGE])
def test_colour_ops_leave_boxes_and_masks_bit_for_bit(op):
    result = apply_op(op, _IMAGE, magnitude=3, seed=1, boxes=_BOXES, mask=_MASK)  # solarize: threshold 77
    assert result.boxes.dtype == tf.float32 and result.mask.dtype == tf.int32
    np.testing.assert_array_equal(result.boxes.numpy(), _BOXES)
    np.testing.assert_array_equal(result.mask.numpy(), _MASK)
    assert result.box_indices.numpy().tolist() == [0, 1, 2]
    assert not np.array_equal(result.image.numpy(), _IMAGE)


def test_ops_use_the_magnitude_table():
    image_only = [op for op in _O if not op.value.endswith("OnlyBBoxes") and op is not _O.CUTOUT_SEGMENTATION]
    at = {op: apply_op(op, _IMAGE, magnitude=3, seed=0).image.numpy() for op in image_only}
    np.testing.assert_array_equal(at[_O.SOLARIZE], solarize(_IMAGE, 76.8).numpy())
    np.testing.assert_array_equal(at[_O.SOLARIZE_ADD], solarize_add(_IMAGE, 33).numpy())
    np.testing.assert_array_equal(at[_O.COLOR], color(_IMAGE, 0.64).numpy())
    np.testing.assert_array_equal(at[_O.SHARPNESS], sharpness(_IMAGE, 0.64).numpy())
    np.testing.assert_array_equal(at[_O.EQUALIZE], equalize(_IMAGE).numpy())
    # Cutout half-size 100 * 0.3 px at 640, so 3 px at this image's longer side (64): a 6 x 6 grey square,
    # 3 to 6 pixels a side where the image's edge clips it.
    for seed in range(8):
        cut = (apply_op(_O.CUTOUT_IMAGE, _IMAGE, magnitude=3, seed=seed).image.numpy() == 128).all(axis=-1)
        rows, cols = np.nonzero(cut)
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert cut.sum() == height * width and 3 <= height <= 6 and 3 <= width <= 6
        assert height == 6 or rows.min() == 0 or rows.max() == _H - 1
    for op in (_O.COLOR, _O.SHARPNESS):  # factor 1.8 * 0.5 + 0.1 = 1: no change
        np.testing.assert_array_equal(apply_op(op, _IMAGE, magnitude=5, seed=0).image.numpy(), _IMAGE)


def test_cutout_segmentation_cuts_the_mask_exactly_where_the_image_was_cut():
    for seed in range(4):
        result = apply_op(_O.CUTOUT_SEGMENTATION, _IMAGE, magnitude=10, seed=seed, mask=_MASK)
        cut = (result.image.numpy() == 128).all(axis=-1)
        rows, cols = np.nonzero(cut)
        assert cut.sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) > 0  # a (clipped) square
        np.testing.assert_array_equal(result.mask.numpy() == 255, cut)
        np.testing.assert_array_equal(result.mask.numpy()[~cut], _MASK[~cut])


@pytest.mark.parametrize("op", [op for op in _O if op.value.endswith("OnlyBBoxes")])
def test_box_only_ops_change_pixels_inside_boxes_only_and_keep_the_boxes(op):
    changed_inside = False
    for seed in range(6):
        result = apply_op(op, _IMAGE, magnitude=2, seed=seed, boxes=_BOXES, probability=1.0)
        np.testing.assert_array_equal(result.boxes.numpy(), _BOXES)
        assert result.box_indices.numpy().tolist() == [0, 1, 2]
        image = result.image.numpy()
        np.testing.assert_array_equal(image[~_INSIDE], _IMAGE[~_INSIDE])
        changed_inside |= not np.array_equal(image, _IMAGE)
    assert changed_inside
    never = apply_op(op, _IMAGE, magnitude=2, seed=0, boxes=_BOXES, probability=0.0)
    np.testing.assert_array_equal(never.image.numpy(), _IMAGE)


def test_flip_only_bboxes_mirrors_each_chosen_box():
    boxes = np.array([[0.0, 0.0, 0.5, 0.25], [0.5, 0.5, 1.0, 1.0]], np.float32)  # whole pixels, disjoint
    windows = [(slice(0, 24), slice(0, 16)), (slice(24, 48), slice(32, 64))]
    seen = set()
    for seed in range(12):
        image = apply_op(_O.FLIP_ONLY_BBOXES, _IMAGE, magnitude=0, seed=seed, boxes=boxes).image.numpy()
        for index, window in enumerate(windows):
            flipped = np.array_equal(image[window], _IMAGE[window][:, ::-1])
            assert flipped or np.array_equal(image[window], _IMAGE[window])
            seen.add((index, flipped))
    assert seen == {(0, True), (0, False), (1, True), (1, False)}


def test_each_box_changes_with_probability_p_over_3():
    # 48 one-by-four-pixel boxes; Solarize at level 0 inverts every pixel of a chosen box.
    boxes = np.array(
        [[r / _H, c / _W, (r + 1) / _H, (c + 4) / _W] for r in range(0, 48, 4) for c in range(0, 64, 16)], np.float32
    )
    chosen = 0
    for seed in range(4):
        image = apply_op(_O.SOLARIZE_ONLY_BBOXES, _IMAGE, magnitude=0, seed=seed, boxes=boxes, probability=1.0).image
        chosen += sum(
            int((image.numpy()[r, c : c + 4] != _IMAGE[r, c : c + 4]).all())
            for r in range(0, 48, 4)
            for c in range(0, 64, 16)
        )
    assert 0.2 < chosen / (4 * len(boxes)) < 0.47  # 1/3 expected; 192 draws put 0.2 and 0.47 over 3.5 sd away


def test_signed_ops_flip_their_sign_from_the_seed_and_scale_with_the_image():
    box = np.array([[0.25, 0.25, 0.75, 0.75]], np.float32)
    shifts = set()
    for seed in range(10):
        result = apply_op(_O.TRANSLATE_X, _IMAGE, magnitude=4, seed=seed, boxes=box)
        shifts.add(round(float(result.boxes.numpy()[0, 1] - 0.25) * _W, 3))
    assert shifts == {-10.0, 10.0}  # 250 * 0.4 px at 640, 10 px at this image's longer side (64)


def test_randaugment_applies_the_drawn_ops_at_magnitude_m():
    policy = RandAugmentPolicy(task="segmentation", num_ops=1, magnitude=6)
    seed = tf.constant([11, 0], tf.int64)
    index = int(draw_randaugment_ops(policy, seed)[0])
    # The op's own seed is the policy seed folded with its position + 1 (pinned: changing it changes every study).
    op_seed = tf.random.experimental.stateless_fold_in(seed, 1)
    expected = apply_op(policy.bank[index], _IMAGE, magnitude=6, seed=op_seed, mask=_MASK)
    assert _same(apply_policy(policy, _IMAGE, mask=_MASK, seed=seed), expected)


def test_randaugment_draws_uniformly_with_replacement_and_by_seed():
    policy = RandAugmentPolicy(task="detection", num_ops=2, magnitude=3)
    draws = np.array([draw_randaugment_ops(policy, seed).numpy() for seed in range(300)])
    assert draws.shape == (300, 2) and draws.min() == 0 and draws.max() == 9
    counts = np.bincount(draws.ravel(), minlength=10)
    assert counts.min() > 30 and counts.max() < 90  # 60 expected each
    assert (draws[:, 0] == draws[:, 1]).sum() > 10  # with replacement: about 30 of 300 repeat
    np.testing.assert_array_equal(draw_randaugment_ops(policy, 5).numpy(), draws[5])
    np.testing.assert_array_equal(draw_randaugment_ops(policy, (5, 0)).numpy(), draws[5])


def _autoaugment(task, *pairs):
    return AutoAugmentPolicy(task=task, sub_policies=[(OpSetting(*a), OpSetting(*b)) for a, b in pairs])


def test_autoaugment_runs_the_drawn_sub_policy():
    # Five deterministic sub-policies (no sign, no position): each output tells which one ran.
    policy = _autoaugment(
        "segmentation",
        ((1, 0, 1.0), (0, 0, 0.0)),
        ((4, 10, 1.0), (1, 0, 0.0)),
        ((2, 0, 1.0), (0, 0, 0.0)),
        ((0, 0, 1.0), (1, 0, 0.0)),
        ((10, 0, 1.0), (1, 10, 1.0)),
    )
    expected = [
        255 - _IMAGE,
        solarize_add(_IMAGE, 110).numpy(),
        color(_IMAGE, 0.1).numpy(),
        equalize(_IMAGE).numpy(),
        sharpness(_IMAGE, 0.1).numpy(),
    ]
    drawn = []
    for seed in range(25):
        index = int(draw_sub_policy(policy, seed))
        result = apply_policy(policy, _IMAGE, mask=_MASK, seed=seed)
        np.testing.assert_array_equal(result.image.numpy(), expected[index])
        np.testing.assert_array_equal(result.mask.numpy(), _MASK)
        drawn.append(index)
    assert set(drawn) == set(range(5))


def test_autoaugment_ops_run_with_their_probability_in_turn():
    half = _autoaugment("detection", *[((1, 0, 0.5), (0, 0, 0.0))] * 5)  # invert with probability 0.5
    inverted = 0
    for seed in range(40):
        image = apply_policy(half, _IMAGE, boxes=_BOXES, seed=seed).image.numpy()
        assert np.array_equal(image, _IMAGE) or np.array_equal(image, 255 - _IMAGE)
        inverted += np.array_equal(image, 255 - _IMAGE)
    assert 8 < inverted < 32
    twice = _autoaugment("detection", *[((1, 0, 1.0), (1, 0, 1.0))] * 5)  # inverting twice restores
    np.testing.assert_array_equal(apply_policy(twice, _IMAGE, boxes=_BOXES, seed=3).image.numpy(), _IMAGE)
    never = _autoaugment("detection", *[((9, 10, 0.0), (5, 10, 0.0))] * 5)
    assert _same(apply_policy(never, _IMAGE, boxes=_BOXES, seed=3), (_IMAGE, _BOXES, None, [0, 1, 2]))


def test_same_seed_same_output_and_other_seeds_other_outputs():
    policy = RandAugmentPolicy(task="detection", num_ops=2, magnitude=9)
    first = apply_policy(policy, _IMAGE, boxes=_BOXES, seed=(4, 2))
    assert _same(first[:2], apply_policy(policy, _IMAGE, boxes=_BOXES, seed=tf.constant([4, 2]))[:2])
    images = {apply_policy(policy, _IMAGE, boxes=_BOXES, seed=seed).image.numpy().tobytes() for seed in range(6)}
    assert len(images) >= 4


def test_policies_run_inside_tf_data_on_images_of_any_size():
    policy = _autoaugment(
        "detection",
        ((9, 8, 0.6), (2, 4, 0.7)),
        ((5, 6, 0.8), (18, 5, 1.0)),
        ((1, 3, 0.5), (12, 9, 1.0)),
        ((7, 10, 0.9), (20, 0, 1.0)),
        ((3, 6, 1.0), (15, 4, 1.0)),
    )
    examples = [(_IMAGE, _BOXES), (_IMAGE[:40, :36], _BOXES[:2]), (_IMAGE[:32, :56], _BOXES[1:])]
    signature = (tf.TensorSpec([None, None, 3], tf.uint8), tf.TensorSpec([None, 4], tf.float32))
    dataset = tf.data.Dataset.from_generator(lambda: iter(examples), output_signature=signature).enumerate()

    def augment(index, example):
        return apply_policy(policy, example[0], boxes=example[1], seed=tf.stack([tf.constant(21, tf.int64), index]))

    mapped = list(dataset.map(augment).as_numpy_iterator())
    again = list(dataset.map(augment).as_numpy_iterator())
    assert len(mapped) == 3 and mapped[0].mask is None
    for index, ((image, boxes), out, out_again) in enumerate(zip(examples, mapped, again, strict=True)):
        eager = apply_policy(policy, image, boxes=boxes, seed=(21, index))
        assert out.image.shape == image.shape
        assert _same(out, out_again) and _same(out, (eager.image, eager.boxes, None, eager.box_indices))


def test_the_policys_task_needs_its_labels():
    detection = RandAugmentPolicy(task="detection", num_ops=1, magnitude=1)
    segmentation = RandAugmentPolicy(task="segmentation", num_ops=1, magnitude=1)
    with pytest.raises(
        PolicyError, match="^randaugment_detection is a detection policy: it needs boxes, none were given$"
    ):
        apply_policy(detection, _IMAGE, mask=_MASK, seed=0)
    with pytest.raises(PolicyError, match="^randaugment_segmentation is a segmentation policy: it needs mask, none"):
        apply_policy(segmentation, _IMAGE, boxes=_BOXES, seed=0)
    with pytest.raises(PolicyError, match="^FlipOnlyBBoxes needs boxes; none were given$"):
        apply_op(_O.FLIP_ONLY_BBOXES, _IMAGE, magnitude=1, seed=0)
    with pytest.raises(PolicyError, match="^CutoutSegmentation needs mask; none were given$"):
        apply_op(_O.CUTOUT_SEGMENTATION, _IMAGE, magnitude=1, seed=0, boxes=_BOXES)
    with pytest.raises(PolicyError, match="^policy must be a RandAugmentPolicy or an AutoAugmentPolicy, got 'N=2'"):
        apply_policy("N=2", _IMAGE, boxes=_BOXES, seed=0)
    with pytest.raises(PolicyError, match=r"^probability must be a number in \[0, 1\], got 1.5$"):
        apply_op(_O.SOLARIZE, _IMAGE, magnitude=1, seed=0, probability=1.5)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"image": _IMAGE.astype(np.float32)},
            r"image must be uint8 \[H, W, 3\] \(raw, before normalisation\), got float32 \(48, 64, 3\)$",
        ),
        ({"image": _IMAGE[..., 0]}, r"image must be uint8 \[H, W, 3\] .* got uint8 \(48, 64\)$"),
        ({"image": _IMAGE[None]}, r"image must be uint8 \[H, W, 3\] .* got uint8 \(1, 48, 64, 3\)$"),
        ({"image": _IMAGE[..., :1]}, r"got uint8 \(48, 64, 1\)$"),
        (
            {"boxes": _BOXES[:, :3]},
            r"boxes must be float32 \[K, 4\] normalised \(ymin, xmin, ymax, xmax\), got float32",
        ),
        ({"boxes": _BOXES.astype(np.float64)}, r"boxes must be float32 \[K, 4\] .* got float64 \(3, 4\)$"),
        ({"mask": _MASK.astype(np.float32)}, r"mask must be int32 or uint8 \[H, W\], got float32 \(48, 64\)$"),
        ({"mask": _MASK[:40]}, r"mask \(40, 64\) and image \(48, 64, 3\) differ in size$"),
        ({"seed": 1.5}, r"seed must be an int, two ints or an integer tensor of shape \[2\], got 1.5$"),
        ({"seed": (1, 2, 3)}, r"seed must be .* got \(1, 2, 3\)$"),
        ({"seed": tf.constant([[1, 2]])}, r"seed must be .* got int32 \(1, 2\)$"),
        ({"seed": True}, r"seed must be .* got True$"),
    ],
)
def test_bad_inputs_are_refused_with_one_clear_error(inputs, message):
    policy = RandAugmentPolicy(task="detection", num_ops=1, magnitude=1)
    arguments = {"image": _IMAGE, "boxes": _BOXES, "mask": _MASK, "seed": 0, **inputs}
    with pytest.raises(AugmentInputError, match=message):
        apply_policy(policy, arguments.pop("image"), **arguments)
