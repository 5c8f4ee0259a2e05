"""The farm's bearer token: given, from ``EDGENAS_FARM_TOKEN``, or kept in the farm's state folder.

A farm started with no token and no variable creates ``<state_dir>/token``
(random, mode 0600) on its first start and reuses it after; clients read the
same variable or are given the token.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import FarmConfigError

__all__ = ["TOKEN_ENV", "resolve_token"]

TOKEN_ENV = "EDGENAS_FARM_TOKEN"
"""Environment variable holding the farm token (server and clients)."""


def resolve_token(state_dir: str | os.PathLike[str], *, token: str | None = None) -> tuple[str, str]:
    """The farm's token and where it came from.

    Args:
        state_dir: The farm's state folder (``token`` file inside).
        token: A token given by the caller; used as is.

    Returns:
        ``(token, source)``, source being "argument", the variable's name, or the file path.

    Raises:
        FarmConfigError: (a `ValueError`) The token file is empty.
    """
    if token:
        return token, "argument"
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV], TOKEN_ENV
    path = Path(state_dir) / "token"
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            raise FarmConfigError(f"{path} is empty; delete it to get a new token")
        return text, os.fspath(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return text, os.fspath(path)
