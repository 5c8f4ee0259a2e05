"""Where everything sits in an augmentation preview PNG, and the checks of a preview's arguments.

    layout = preview_layout(policy, images=4, draws=3, image_size_px=128)
    layout.width_px, layout.height_px          # the PNG `write_preview` writes for the same arguments
    layout.cell_origin_px(row=1, column=2)     # where the second draw of the second image is

Pixels at `DPI`: the header (the policy, how draws are seeded, a legend of
class colours), then one row per image, each image in a square cell with its
caption lines under it. Text is monospace, so a line's width is known without
drawing it. No TensorFlow, no matplotlib.
"""

from __future__ import annotations

import dataclasses
import math
import textwrap

from edgenas.augment.errors import PolicyError, PreviewError
from edgenas.augment.policy import AutoAugmentPolicy, Policy, RandAugmentPolicy

__all__ = [
    "CAPTION_FONT_PT",
    "DPI",
    "HEADER_FONT_PT",
    "IMAGE_SIZES_PX",
    "MAX_DRAWS",
    "MAX_IMAGES",
    "PAD_PX",
    "PreviewLayout",
    "char_px",
    "check_preview_args",
    "draw_seed",
    "preview_layout",
]

MAX_IMAGES = 64
"""Most rows of a preview: more would make a PNG too tall to look at (and take minutes)."""
MAX_DRAWS = 64
"""Most augmented columns of a preview."""
IMAGE_SIZES_PX = (16, 1024)
"""Least and largest side of the generated images: the datasets' least, and a size that still renders quickly."""

DPI = 100
"""Pixels per inch of the PNG: every size below is in its pixels."""
PAD_PX = 8
"""The margin around the grid and the gap between images."""
HEADER_FONT_PT, CAPTION_FONT_PT = 8.0, 7.0
"""Sizes of the monospace text above the grid and under each image."""

# A cell shows the image at its own size within these bounds. 256 px fits the longest caption line,
# "TranslateXOnlyBBoxes(m=10, p=0.6) per box" (42 characters of 6 px at 7 pt).
_CELL_PX = (256, 512)
_MAX_SEED = 2**63 - 1  # a stateless TensorFlow seed is int64
_CHAR_EM = 0.602  # advance width of DejaVu Sans Mono, matplotlib's monospace font, in ems
_LINE_SPACING = 1.35


def _line_px(points: float) -> int:
    return math.ceil(points / 72 * DPI * _LINE_SPACING)


def char_px(points: float) -> int:
    """The width of one character of the monospace font at `points`, in pixels.

    Matplotlib's Agg renderer hints glyph advances to whole pixels: 6 px at 7 pt, 7 px at 8 pt (measured).
    """
    return math.ceil(points / 72 * DPI * _CHAR_EM)


@dataclasses.dataclass(frozen=True)
class PreviewLayout:
    """Where everything sits in a preview PNG, in pixels (at `DPI`).

    Attributes:
        rows: Images, one row each.
        columns: 1 (the original) + draws.
        cell_px: The side of the square each image is shown in.
        header: The header's lines (the policy, how the draws are seeded), already wrapped to the width.
        caption_lines: Lines of text under each image.
    """

    rows: int
    columns: int
    cell_px: int
    header: tuple[str, ...]
    caption_lines: int

    header_line_px = _line_px(HEADER_FONT_PT)
    """The height of a header line (and of the legend under the header)."""
    caption_line_px = _line_px(CAPTION_FONT_PT)
    """The height of a caption line."""

    @property
    def header_px(self) -> int:
        """The header's height: its lines and the legend of class colours."""
        return (len(self.header) + 1) * self.header_line_px + PAD_PX

    @property
    def caption_px(self) -> int:
        """The height of the text under each image."""
        return self.caption_lines * self.caption_line_px + PAD_PX // 2

    @property
    def width_px(self) -> int:
        """The PNG's width."""
        return PAD_PX + self.columns * (self.cell_px + PAD_PX)

    @property
    def height_px(self) -> int:
        """The PNG's height."""
        return PAD_PX + self.header_px + self.rows * (self.cell_px + self.caption_px + PAD_PX)

    def cell_origin_px(self, row: int, column: int) -> tuple[int, int]:
        """The (left, top) pixel of the image at `row`, `column` (from the PNG's top-left corner)."""
        left = PAD_PX + column * (self.cell_px + PAD_PX)
        top = PAD_PX + self.header_px + row * (self.cell_px + self.caption_px + PAD_PX)
        return left, top


def _count(name: str, value: object, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise PreviewError(f"{name} must be an integer in 1..{maximum}, got {value!r}")
    return value


def check_preview_args(
    policy: object, *, images: object, draws: object, seed: object, image_size_px: object
) -> Policy:
    """Checks a preview's arguments (`write_preview`'s) and returns the policy.

    Raises:
        PolicyError: Not a policy.
        PreviewError: `images` or `draws` not an integer in 1..64, a seed outside 0..2**63 - 1 (an int64), or an
            image size outside `IMAGE_SIZES_PX`.
    """
    if not isinstance(policy, (RandAugmentPolicy, AutoAugmentPolicy)):
        raise PolicyError(f"policy must be a RandAugmentPolicy or an AutoAugmentPolicy, got {policy!r}")
    _count("images", images, MAX_IMAGES)
    _count("draws", draws, MAX_DRAWS)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise PreviewError(f"seed must be an integer in 0..{_MAX_SEED}, got {seed!r}")
    low, high = IMAGE_SIZES_PX
    if isinstance(image_size_px, bool) or not isinstance(image_size_px, int) or not low <= image_size_px <= high:
        raise PreviewError(f"image_size_px must be an integer in {low}..{high}, got {image_size_px!r}")
    return policy


def _header(policy: Policy, *, draws: int, seed: int) -> list[str]:
    if isinstance(policy, RandAugmentPolicy):
        what = [f"{policy}: each draw applies {policy.num_ops} of the {len(policy.bank)} {policy.task} ops "
                f"(drawn with replacement) at magnitude {policy.magnitude}"]  # fmt: skip
    else:
        what = [f"{policy.space}: each draw applies one sub-policy; its ops run in turn, each with its "
                "probability (a box-only op: each box with p/3)"]  # fmt: skip
        for k, sub in enumerate(policy.sub_policies):
            what.append(f"  sub-policy {k}: " + " + ".join(
                f"{policy.op(s)}(m={s.magnitude}, p={s.probability:.1f})" for s in sub))  # fmt: skip
    # The rule of `draw_seed`, in words.
    seeds = (f"generated {policy.task} images, dataset seed {seed}; draw d of image i: "
             f"apply_policy seed ({seed}, i * {draws} + d)")  # fmt: skip
    return [*what, seeds]


def draw_seed(seed: int, image: int, draw: int, *, draws: int) -> tuple[int, int]:
    """The `apply_policy` seed of draw `draw` (from 0) of image `image` (from 0) in a preview of `draws` draws."""
    return seed, image * draws + draw


def preview_layout(
    policy: Policy, *, images: int = 4, draws: int = 3, seed: int = 0, image_size_px: int = 128
) -> PreviewLayout:
    """The layout `write_preview` gives these arguments (its PNG is `width_px` x `height_px`).

    Raises:
        PolicyError: Not a policy.
        PreviewError: A count, seed or image size out of range (see `write_preview`).
    """
    policy = check_preview_args(policy, images=images, draws=draws, seed=seed, image_size_px=image_size_px)
    cell_px = min(max(image_size_px, _CELL_PX[0]), _CELL_PX[1])
    columns = 1 + draws
    width_px = PAD_PX + columns * (cell_px + PAD_PX)
    chars = (width_px - 2 * PAD_PX) // char_px(HEADER_FONT_PT)
    header = tuple(
        wrapped for line in _header(policy, draws=draws, seed=seed)
        for wrapped in textwrap.wrap(line, chars, subsequent_indent="    ", drop_whitespace=False)
    )  # fmt: skip
    caption_lines = policy.num_ops if isinstance(policy, RandAugmentPolicy) else 3
    return PreviewLayout(rows=images, columns=columns, cell_px=cell_px, header=header, caption_lines=caption_lines)
