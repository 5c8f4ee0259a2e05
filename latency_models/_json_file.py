"""Predictor files on disk: written whole or not at all, read back with a clear error for non-JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import PredictorFileError

__all__ = ["read_json_file", "write_json_file"]


def write_json_file(path: str | os.PathLike[str], data: Any) -> Path:
    """Writes `data` as indented JSON through a `.part` file renamed into place (folder created when missing)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


def read_json_file(path: str | os.PathLike[str]) -> Any:
    """The decoded content of a predictor file.

    Raises:
        FileNotFoundError: No such file.
        PredictorFileError: Not UTF-8 JSON (the message names the file).
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PredictorFileError(f"{os.fspath(path)}: not a predictor file (not JSON: {e})") from None
