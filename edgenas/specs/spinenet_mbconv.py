"""`SpineNetMBConv`: the inverted-residual settings shared by every block of a SpineNet-Mobile.

Paper: Efficient Scale-Permuted Backbone with Learned Resource Distribution,
Du et al., ECCV 2020, https://arxiv.org/abs/2010.11426.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from edgenas.errors import SpecError, SpecParseError

__all__ = ["SpineNetMBConv"]

_ALLOWED_KERNELS = (3, 5, 7)
_TOKEN_RE = re.compile(r"mbconv_e(?P<e>\d+)_k(?P<k>\d+)_se(?P<se>\d+(?:\.\d+)?)")
_FIELDS = ("expand_ratio", "kernel_size", "se_ratio")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetMBConv:
    """Settings of the mbconv blocks of a mobile SpineNet (stems and scale-permuted blocks).

    The compact string view is `mbconv_e{expand}_k{kernel}_se{se_ratio}`, e.g.
    `mbconv_e6_k3_se0.2`.

    Attributes:
        expand_ratio: Channel expansion of the 1x1 convolution (1 means none).
        kernel_size: Kernel of the depthwise convolution (3, 5 or 7).
        se_ratio: Squeeze-and-excitation width relative to the block's input
            filters, in [0, 1); 0 means no SE.
    """

    expand_ratio: int = 6
    kernel_size: int = 3
    se_ratio: float = 0.2

    def __post_init__(self) -> None:
        for name in ("expand_ratio", "kernel_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"mbconv {name} must be an integer, got {value!r}")
        if self.expand_ratio < 1:
            raise SpecError(f"mbconv expand_ratio must be at least 1, got {self.expand_ratio}")
        if self.kernel_size not in _ALLOWED_KERNELS:
            raise SpecError(f"mbconv kernel_size must be one of {_ALLOWED_KERNELS}, got {self.kernel_size}")
        if isinstance(self.se_ratio, bool) or not isinstance(self.se_ratio, (int, float)):
            raise SpecError(f"mbconv se_ratio must be a number, got {self.se_ratio!r}")
        object.__setattr__(self, "se_ratio", float(self.se_ratio))
        if not 0.0 <= self.se_ratio < 1.0:
            raise SpecError(f"mbconv se_ratio must be in [0, 1), got {self.se_ratio}")

    def __str__(self) -> str:
        return f"mbconv_e{self.expand_ratio}_k{self.kernel_size}_se{format(self.se_ratio, 'g')}"

    @classmethod
    def parse(cls, text: str) -> SpineNetMBConv:
        """Parses the compact string view strictly.

        Raises:
            SpecParseError: If `text` is malformed or not canonical.
            SpecError: On invalid values.
        """
        match = _TOKEN_RE.fullmatch(text)
        if match is None:
            raise SpecParseError(f"malformed mbconv settings {text!r}; expected e.g. 'mbconv_e6_k3_se0.2'")
        settings = cls(expand_ratio=int(match["e"]), kernel_size=int(match["k"]), se_ratio=float(match["se"]))
        if str(settings) != text:
            raise SpecParseError(f"mbconv settings {text!r} are not in canonical form; write {str(settings)!r}")
        return settings

    def to_json(self) -> dict[str, Any]:
        """Returns the settings as a JSON-ready dict."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpineNetMBConv:
        """Builds the settings from `to_json()` output, rejecting missing or unknown keys.

        Raises:
            SpecParseError: On a key set other than the fields.
            SpecError: On invalid values.
        """
        if not isinstance(data, dict):
            raise SpecParseError(f"mbconv settings must be a JSON object, got {type(data).__name__}")
        if set(data) != set(_FIELDS):
            raise SpecParseError(
                f"mbconv settings JSON: missing keys {sorted(set(_FIELDS) - set(data))}, "
                f"unknown keys {sorted(set(data) - set(_FIELDS))}"
            )
        return cls(**data)
