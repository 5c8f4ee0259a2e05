"""Drawing a preview's grid with matplotlib, by `preview_layout`'s pixels (private to `write_preview`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from edgenas.augment.ops import AugmentTask
from edgenas.augment.overlay import IGNORE_STRIPES, label_colour
from edgenas.augment.preview import PreviewGrid
from edgenas.augment.preview_sizes import CAPTION_FONT_PT, DPI, HEADER_FONT_PT, PAD_PX, char_px

__all__ = ["render_preview"]


def _rgb(colour: tuple[int, int, int]) -> tuple[float, float, float]:
    return colour[0] / 255, colour[1] / 255, colour[2] / 255


class _Canvas:
    """Places things on a figure by pixels from its top-left corner."""

    def __init__(self, figure: Figure, width_px: int, height_px: int) -> None:
        self.figure, self.width_px, self.height_px = figure, width_px, height_px

    def box(self, left_px: float, top_px: float, width_px: float, height_px: float) -> list[float]:
        return [left_px / self.width_px, 1 - (top_px + height_px) / self.height_px,
                width_px / self.width_px, height_px / self.height_px]  # fmt: skip

    def text(self, left_px: float, top_px: float, text: str, *, points: float, colour: str = "black") -> None:
        self.figure.text(left_px / self.width_px, 1 - top_px / self.height_px, text, fontsize=points,
                         family="monospace", va="top", ha="left", color=colour)  # fmt: skip

    def swatch(self, left_px: float, top_px: float, side_px: float, **style: object) -> None:
        x, y, w, h = self.box(left_px, top_px, side_px, side_px)
        self.figure.add_artist(Rectangle((x, y), w, h, transform=self.figure.transFigure, **style))


def _legend(canvas: _Canvas, top_px: float, line_px: int, *, class_names: Sequence[str], ignore: bool) -> None:
    side_px = line_px * 0.7
    left_px = float(PAD_PX)
    items = [(name, {"facecolor": _rgb(label_colour(c)), "edgecolor": "none"}) for c, name in enumerate(class_names)]
    if ignore:
        items.append(("ignored (255)", {"facecolor": _rgb(IGNORE_STRIPES[0]), "edgecolor": _rgb(IGNORE_STRIPES[1]),
                                        "hatch": "////", "linewidth": 0.5}))  # fmt: skip
    for name, style in items:
        canvas.swatch(left_px, top_px + (line_px - side_px) / 2 - 1, side_px, **style)
        canvas.text(left_px + side_px + 4, top_px, name, points=HEADER_FONT_PT)
        left_px += side_px + 4 + (len(name) + 3) * char_px(HEADER_FONT_PT)


def render_preview(grid: PreviewGrid, path: Path) -> None:
    """Draws the grid with its header and legend, and writes it to `path` as PNG (`grid.layout`'s size)."""
    layout = grid.layout
    width_px, height_px = layout.width_px, layout.height_px
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    canvas = _Canvas(figure, width_px, height_px)
    header_line_px = layout.header_line_px
    for k, line in enumerate(layout.header):
        canvas.text(PAD_PX, PAD_PX + k * header_line_px, line, points=HEADER_FONT_PT)
    legend_top_px = PAD_PX + len(layout.header) * header_line_px
    ignore = grid.policy.task is AugmentTask.SEGMENTATION  # masks get striped ignored pixels; boxes have none
    _legend(canvas, legend_top_px, header_line_px, class_names=grid.class_names, ignore=ignore)
    caption_line_px = layout.caption_line_px
    for row, cells in enumerate(grid.rows):
        for column, cell in enumerate(cells):
            left_px, top_px = layout.cell_origin_px(row, column)
            axes = figure.add_axes(canvas.box(left_px, top_px, layout.cell_px, layout.cell_px))
            shrinks = cell.image.shape[0] > layout.cell_px
            axes.imshow(cell.painted(), interpolation="antialiased" if shrinks else "nearest", aspect="auto")
            axes.set_axis_off()
            for k, line in enumerate(cell.caption):
                colour = "dimgray" if line.endswith(" skipped") else "black"
                canvas.text(left_px, top_px + layout.cell_px + 2 + k * caption_line_px, line,
                            points=CAPTION_FONT_PT, colour=colour)  # fmt: skip
    figure.savefig(path, format="png", dpi=DPI)
