"""`shown` and `cut`: a client's value as an error message may echo it (at most ~100 characters)."""

from __future__ import annotations

import json

__all__ = ["MAX_SHOWN_CHARS", "cut", "shown"]

MAX_SHOWN_CHARS = 100
"""Longest echo of a value in an error message (a longer one is cut and ends with "…")."""


def shown(value: object, *, max_chars: int = MAX_SHOWN_CHARS) -> str:
    """`value` as JSON (``null``, ``true``, ``["cpu"]``...), cut to `max_chars` characters with an ellipsis.

    Args:
        value: What a client sent, already decoded.
        max_chars: The longest echo.
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # not JSON data, or nested too deep to print
        text = f"<{type(value).__name__}>"
    return cut(text, max_chars=max_chars)


def cut(text: str, *, max_chars: int = MAX_SHOWN_CHARS) -> str:
    """`text`, or its first `max_chars` characters and "…" when it is longer."""
    return text if len(text) <= max_chars else text[:max_chars] + "…"
