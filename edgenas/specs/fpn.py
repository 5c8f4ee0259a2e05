"""`FpnSpec`: settings of a feature pyramid network decoder (levels 3-7) on a chain backbone.

Paper: Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017,
https://arxiv.org/abs/1612.03144. The decoder's layout (1x1 laterals, nearest
top-down sums, 3x3 convs per level, two stride-2 convs for levels 6 and 7, one
BatchNorm per output level) is that of TF Model Garden's FPN decoder; the
defaults are its mobile RetinaNet settings (128 filters, separable convs).

The token in a detector's spec string is `fpn_f<filters>`, plus `_sep` for
separable convs: `fpn_f128_sep`, `fpn_f256`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.json_form import check_block_object

__all__ = ["FPN_EXAMPLE", "FPN_FIELDS", "FpnSpec"]

FPN_EXAMPLE = "fpn_f128_sep"
"""An FPN token as `str(FpnSpec())` writes it (for error messages)."""

FPN_FIELDS = ("num_filters", "use_separable_conv")
"""The fields of an FPN, in the order of its JSON object."""

_TOKEN_RE = re.compile(r"fpn_f(?P<filters>\d+)(?P<sep>_sep)?")


@dataclasses.dataclass(frozen=True)
class FpnSpec:
    """A feature pyramid decoder: every output level has `num_filters` channels.

    Attributes:
        num_filters: Channels of every lateral, top-down and output convolution.
        use_separable_conv: Depthwise-separable convolutions instead of full ones
            (the 1x1 laterals too, as in Model Garden).

    Raises:
        SpecError: If `num_filters` is not an int >= 1 or `use_separable_conv` is not a bool.
    """

    num_filters: int = 128
    use_separable_conv: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.num_filters, bool) or not isinstance(self.num_filters, int) or self.num_filters < 1:
            raise SpecError(f"FpnSpec.num_filters must be an int >= 1, got {self.num_filters!r}")
        if not isinstance(self.use_separable_conv, bool):
            raise SpecError(f"FpnSpec.use_separable_conv must be a bool, got {self.use_separable_conv!r}")

    def __str__(self) -> str:
        return f"fpn_f{self.num_filters}{'_sep' if self.use_separable_conv else ''}"

    @classmethod
    def parse(cls, text: str) -> FpnSpec:
        """Parses the token strictly (`parse(str(fpn)) == fpn`).

        Args:
            text: A token made by `str(fpn)`, e.g. `fpn_f128_sep` or `fpn_f256`.

        Raises:
            SpecParseError: If `text` is not a str, is malformed or is not canonical.
            SpecError: If it names an invalid FPN (0 filters).
        """
        if not isinstance(text, str):
            raise SpecParseError(f"an FPN token must be a str, got {type(text).__name__}")
        match = _TOKEN_RE.fullmatch(text)
        if match is None:
            raise SpecParseError(
                f"malformed FPN token {text!r}: expected e.g. '{FPN_EXAMPLE}' or 'fpn_f256' "
                "(fpn_f<filters>, '_sep' for separable convs)"
            )
        fpn = cls(num_filters=int(match["filters"]), use_separable_conv=match["sep"] is not None)
        if str(fpn) != text:
            raise SpecParseError(f"FPN token {text!r} is not in canonical form; write {str(fpn)!r}")
        return fpn

    def to_json(self) -> dict[str, Any]:
        """Returns the settings as a JSON-ready dict (`FPN_FIELDS`)."""
        return {name: getattr(self, name) for name in FPN_FIELDS}

    @classmethod
    def from_json(cls, data: Any) -> FpnSpec:
        """Builds the settings from `to_json()` output, strictly.

        Raises:
            SpecParseError: On a value that is not an object, or missing or unknown keys.
            SpecError: On invalid values.
        """
        data = check_block_object(data, what="feature pyramid (FPN)", fields=FPN_FIELDS)
        return cls(**{name: data[name] for name in FPN_FIELDS})
