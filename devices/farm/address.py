"""`FarmAddress`: a farm's base URL and a device tag, from ``farm://host:port/tag``."""

from __future__ import annotations

import dataclasses
import urllib.parse

from .errors import FarmConfigError

__all__ = ["FARM_SCHEMES", "FarmAddress"]

FARM_SCHEMES = {"farm": "http", "farm+http": "http", "farm+https": "https"}
"""URL schemes of a farm address and the HTTP scheme each maps to."""


@dataclasses.dataclass(frozen=True)
class FarmAddress:
    """Where a farm is and which of its device tags to use.

    Attributes:
        base_url: The farm's HTTP root, e.g. ``http://farm.lan:8470``.
        tag: The device tag, e.g. ``soc=sd865``.
    """

    base_url: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> FarmAddress:
        """Parses ``farm://host:port/tag`` (``farm+https://`` for a farm behind TLS).

        Raises:
            FarmConfigError: (a `ValueError`) Not such a URL, no host, or no tag; the message shows the form.
        """
        form = "expected farm://HOST:PORT/TAG (or farm+https://HOST:PORT/TAG)"
        if not isinstance(text, str):
            raise FarmConfigError(f"a farm address must be a string, got {text!r}; {form}")
        parts = urllib.parse.urlsplit(text)
        scheme = FARM_SCHEMES.get(parts.scheme)
        if scheme is None:
            raise FarmConfigError(f"not a farm address: {text!r}; {form}")
        try:
            port = parts.port
        except ValueError:
            raise FarmConfigError(f"bad port in farm address {text!r}; {form}") from None
        if not parts.hostname:
            raise FarmConfigError(f"no host in farm address {text!r}; {form}")
        tag = urllib.parse.unquote(parts.path.lstrip("/"))
        if not tag or "/" in tag or parts.query or parts.fragment:
            raise FarmConfigError(f"farm address {text!r} must end with exactly one device tag; {form}")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        netloc = host if port is None else f"{host}:{port}"
        return cls(base_url=f"{scheme}://{netloc}", tag=tag)

    def __str__(self) -> str:
        scheme, rest = self.base_url.split("://", 1)
        prefix = "farm" if scheme == "http" else "farm+https"
        return f"{prefix}://{rest}/{urllib.parse.quote(self.tag, safe='=:+.,-_')}"
