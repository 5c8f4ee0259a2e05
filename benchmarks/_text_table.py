"""Aligned text tables for the benchmark scripts' output."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["aligned_lines"]


def aligned_lines(header: Sequence[str], body: Sequence[Sequence[str]], *, left: set[int]) -> list[str]:
    """The header, a rule and each row, columns as wide as their widest cell (`left`: left-aligned columns)."""
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [fmt(header), "  ".join("-" * w for w in widths), *(fmt(cells) for cells in body)]
