"""`write_preview`: a PNG grid of what a policy does to generated images, each draw captioned with its ops.

    from edgenas.augment import load_policy
    from edgenas.augment.preview import preview_grid, write_preview
    write_preview(load_policy("runs/aug/best_policy.json"), "preview.png", images=4, draws=3, seed=0)
    preview_grid(policy, images=2, draws=2).rows[0][1].trace      # the same content, as arrays and traces

One row per image of the policy's task's generated dataset (`NUM_CLASSES`
classes, square images of `image_size_px`, dataset seed `seed`:
`edgenas.proxy.detection_data` or `segmentation_data`, whose scenes are the
same for both tasks): the original, then `draws` augmentations of it. Draw `d`
(from 0) of image `i` is `apply_policy(policy, image, seed=draw_seed(seed, i, d,
draws=draws), ...)`, that is seed `(seed, i * draws + d)`, and its caption is
`trace_policy` of that seed: the ops in the order they ran, with their
magnitudes and signs, and for AutoAugment the sub-policy and whether each op
ran. Detection previews outline the boxes (the ones an op dropped are gone);
segmentation previews tint the masks and stripe the ignored pixels
(`edgenas.augment.overlay`); a class has one colour in both, named in the
header. Where the PNG puts what: `edgenas.augment.preview_sizes`.

Every argument is checked before anything is generated or written; the PNG is
written atomically (a reader never sees half of it), its folder created.
Importing this module imports neither TensorFlow nor matplotlib;
`preview_grid` imports TensorFlow, `write_preview` both.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edgenas.augment.errors import PreviewError
from edgenas.augment.ops import AugmentTask
from edgenas.augment.policy import Policy
from edgenas.augment.preview_sizes import (
    IMAGE_SIZES_PX,
    MAX_DRAWS,
    MAX_IMAGES,
    PreviewLayout,
    check_preview_args,
    draw_seed,
    preview_layout,
)

if TYPE_CHECKING:
    from edgenas.augment.trace import PolicyTrace

__all__ = [
    "IMAGE_SIZES_PX",
    "MAX_DRAWS",
    "MAX_IMAGES",
    "NUM_CLASSES",
    "PreviewCell",
    "PreviewGrid",
    "PreviewLayout",
    "check_preview_path",
    "draw_seed",
    "preview_grid",
    "preview_layout",
    "write_preview",
]

NUM_CLASSES = 3
"""Classes of the generated images (the proxy tasks' default): rectangle, ellipse, triangle."""


@dataclasses.dataclass(frozen=True, eq=False)
class PreviewCell:
    """One image of a preview with its labels and its caption.

    Attributes:
        image: uint8 [H, W, 3], as generated (the original) or as `apply_policy` returned it.
        caption: The lines under it: the original's description, or the trace's lines.
        boxes: Detection: float32 [K, 4] normalised (ymin, xmin, ymax, xmax); None for segmentation.
        classes: Detection: int32 [K], each box's class; None for segmentation.
        mask: Segmentation: uint8 [H, W] (0 background, class + 1, 255 ignored); None for detection.
        trace: The ops applied (`trace_policy` of the draw's seed); None for the original.
    """

    image: np.ndarray
    caption: tuple[str, ...]
    boxes: np.ndarray | None = None
    classes: np.ndarray | None = None
    mask: np.ndarray | None = None
    trace: PolicyTrace | None = None

    def painted(self) -> np.ndarray:
        """The image with its boxes outlined or its mask overlaid (`edgenas.augment.overlay`)."""
        from edgenas.augment.overlay import draw_boxes, overlay_mask  # noqa: PLC0415

        if self.mask is not None:
            return overlay_mask(self.image, self.mask)
        # A line 1 px wide at 128 px, so that it stays visible where a cell shows a large image smaller.
        return draw_boxes(self.image, self.boxes, self.classes, thickness_px=max(1, self.image.shape[0] // 128))


@dataclasses.dataclass(frozen=True, eq=False)
class PreviewGrid:
    """What a preview shows: a row per image, the original first, then its draws.

    Attributes:
        policy: The policy.
        layout: Where each part goes in the PNG.
        rows: `layout.rows` rows of `layout.columns` cells.
        class_names: The name of each class, by class id.
    """

    policy: Policy
    layout: PreviewLayout
    rows: tuple[tuple[PreviewCell, ...], ...]
    class_names: tuple[str, ...]


def check_preview_path(path: str | os.PathLike[str]) -> Path:
    """Checks that a preview can be written at `path`, without writing anything; returns it as a `Path`.

    Raises:
        PreviewError: `path` is a folder, does not end in .png, or lies under a file or an unwritable folder.
    """
    out = Path(path)
    if out.is_dir():
        raise PreviewError(f"{str(out)!r} is a folder; give the PNG's path, e.g. {str(out / 'preview.png')!r}")
    if out.suffix.lower() != ".png":
        raise PreviewError(f"the preview is a PNG: {str(out)!r} must end in .png")
    folder = out.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise PreviewError(f"cannot write {str(out)!r}: {str(folder)!r} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PreviewError(f"cannot write {str(out)!r}: folder {str(folder)!r} is not writable")
    return out


def _originals(
    task: AugmentTask, *, images: int, image_size_px: int, seed: int
) -> tuple[list[PreviewCell], tuple[str, ...]]:
    """The first `images` training images of the task's generated dataset, and the class names."""
    # The proxy datasets' object sizes (12..48 px at 128 px), scaled with the image.
    min_px = max(4, round(12 * image_size_px / 128))
    max_px = max(min_px, round(48 * image_size_px / 128))
    if task is AugmentTask.DETECTION:
        from edgenas.proxy.detection_data import DetectionDataSpec, generate_detection_data  # noqa: PLC0415

        spec = DetectionDataSpec(image_size=image_size_px, num_classes=NUM_CLASSES, min_box_px=min_px,
                                 max_box_px=max_px, num_train=images, num_val=1, seed=seed)  # fmt: skip
        split = generate_detection_data(spec).train
        cells = [
            PreviewCell(image, (f"image {i}: original, {len(boxes)} boxes",),
                        boxes=(boxes / np.float32(image_size_px)).astype(np.float32), classes=classes)
            for i, (image, boxes, classes) in enumerate(zip(split.images, split.boxes, split.classes, strict=True))
        ]  # fmt: skip
        return cells, spec.class_names
    from edgenas.proxy.segmentation_data import SegmentationDataSpec, generate_segmentation_data  # noqa: PLC0415

    spec = SegmentationDataSpec(image_size=image_size_px, num_classes=NUM_CLASSES, min_object_px=min_px,
                                max_object_px=max_px, num_train=images, num_val=1, seed=seed)  # fmt: skip
    split = generate_segmentation_data(spec).train
    cells = [  # the generated masks hold no 255: every non-zero value is a class
        PreviewCell(image, (f"image {i}: original, {np.count_nonzero(np.unique(mask))} classes",), mask=mask)
        for i, (image, mask) in enumerate(zip(split.images, split.masks, strict=True))
    ]
    return cells, spec.label_names[1:]


def _augmented(policy: Policy, original: PreviewCell, seed: tuple[int, int]) -> PreviewCell:
    from edgenas.augment.apply import apply_policy  # noqa: PLC0415
    from edgenas.augment.trace import trace_policy  # noqa: PLC0415

    trace = trace_policy(policy, seed)
    if original.mask is not None:
        result = apply_policy(policy, original.image, seed=seed, mask=original.mask)
        return PreviewCell(result.image.numpy(), trace.lines(), mask=result.mask.numpy(), trace=trace)
    result = apply_policy(policy, original.image, seed=seed, boxes=original.boxes)
    classes = original.classes[result.box_indices.numpy()]
    return PreviewCell(result.image.numpy(), trace.lines(), boxes=result.boxes.numpy(), classes=classes, trace=trace)


def preview_grid(
    policy: Policy, *, images: int = 4, draws: int = 3, seed: int = 0, image_size_px: int = 128
) -> PreviewGrid:
    """The images, labels and captions `write_preview` draws for these arguments (see `write_preview`).

    Raises:
        PolicyError: Not a policy.
        PreviewError: A count, seed or image size out of range.
    """
    layout = preview_layout(policy, images=images, draws=draws, seed=seed, image_size_px=image_size_px)
    originals, class_names = _originals(policy.task, images=images, image_size_px=image_size_px, seed=seed)
    rows = tuple(
        (original, *(_augmented(policy, original, draw_seed(seed, i, d, draws=draws)) for d in range(draws)))
        for i, original in enumerate(originals)
    )
    return PreviewGrid(policy, layout, rows, tuple(class_names))


def write_preview(
    policy: Policy,
    out_path: str | os.PathLike[str],
    *,
    images: int = 4,
    draws: int = 3,
    seed: int = 0,
    image_size_px: int = 128,
) -> Path:
    """Writes a PNG of `images` generated images, each followed by `draws` augmentations by `policy`.

    Args:
        policy: A RandAugment or AutoAugment policy; its task picks the dataset and the overlay.
        out_path: The PNG to write (must end in .png; its folder is created).
        images: Rows, 1..`MAX_IMAGES` (64).
        draws: Augmented images per row, 1..`MAX_DRAWS` (64).
        seed: The dataset's seed and the first half of every draw's seed (`draw_seed`), 0..2**63 - 1.
        image_size_px: Side of the generated square images, within `IMAGE_SIZES_PX` (16..1024).

    Returns:
        The PNG's path; the PNG is `preview_layout(...)`'s `width_px` x `height_px`.

    Raises:
        PolicyError: Not a policy.
        PreviewError: A count, seed or image size out of range, or an out path that cannot be written
            (`check_preview_path`); nothing is generated or written then.
    """
    check_preview_args(policy, images=images, draws=draws, seed=seed, image_size_px=image_size_px)
    out = check_preview_path(out_path)
    grid = preview_grid(policy, images=images, draws=draws, seed=seed, image_size_px=image_size_px)
    from edgenas.augment._preview_figure import render_preview  # noqa: PLC0415

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        render_preview(grid, partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out
