"""`DetectionHeadSpec`: settings of the RetinaNet-style detection head on a SpineNet backbone.

Defaults follow TF Model Garden's RetinaNet configs: 4 convs of 256 filters,
9 anchors (3 scales x 3 aspect ratios) for the ResNet-style SpineNets; the
SpineNet-Mobile RetinaNet configs use a separable-conv head as wide as the
backbone's endpoints (Mobile-49XS 24, Mobile-49S 40, Mobile-49 48 filters).
"""

from __future__ import annotations

import dataclasses
import re

from edgenas.errors import SpecError, SpecParseError

__all__ = [
    "HEAD_EXAMPLE",
    "HEAD_FIELDS",
    "MOBILE_FALLBACK_HEAD_FILTERS",
    "DetectionHeadSpec",
    "default_detection_head",
    "head_token",
    "parse_head_token",
]

HEAD_EXAMPLE = "head_c4_f48_a9_sep"
"""A head token as `head_token` writes it (for error messages)."""

HEAD_FIELDS = ("head_num_convs", "head_num_filters", "num_anchors", "use_separable_conv")
"""The fields of a head, in the order of its JSON object."""

_HEAD_RE = re.compile(r"head_c(?P<convs>\d+)_f(?P<filters>\d+)_a(?P<anchors>\d+)(?P<sep>_sep)?")


@dataclasses.dataclass(frozen=True)
class DetectionHeadSpec:
    """Shared class and box subnets across the output levels.

    Attributes:
        head_num_convs: 3x3 convs in each subnet tower (each followed by a BatchNorm per level).
        head_num_filters: Filters of every tower conv.
        num_anchors: Anchors per location (num_scales x len(aspect_ratios) of the anchor generator).
        use_separable_conv: Depthwise-separable convs (SpineNet-Mobile) instead of full 3x3 convs.
    """

    head_num_convs: int = 4
    head_num_filters: int = 256
    num_anchors: int = 9
    use_separable_conv: bool = False

    def __post_init__(self) -> None:
        for field, minimum in (("head_num_convs", 0), ("head_num_filters", 1), ("num_anchors", 1)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise SpecError(f"DetectionHeadSpec.{field} must be an int >= {minimum}, got {value!r}")
        if not isinstance(self.use_separable_conv, bool):
            raise SpecError(f"DetectionHeadSpec.use_separable_conv must be a bool, got {self.use_separable_conv!r}")


MOBILE_FALLBACK_HEAD_FILTERS = 48
"""Mobile head width when no endpoint width is given: SpineNet-Mobile-49's (its endpoints are 48)."""


def default_detection_head(mobile: bool, *, endpoints_num_filters: int | None = None) -> DetectionHeadSpec:
    """Model Garden's head for a backbone family (4 convs, 9 anchors).

    Mobile: separable convs as wide as the backbone's endpoints, as in Model
    Garden's SpineNet-Mobile RetinaNet configs (Mobile-49XS 24, Mobile-49S 40,
    Mobile-49 48 filters). ResNet-style: plain convs of 256 filters, Model
    Garden's RetinaNet default, whatever the endpoints (a head of another width,
    such as SpineNet-49S's published 128, is pinned with `SpineNetDetectorSpec`).

    Args:
        mobile: Whether the backbone is a SpineNet-Mobile (mbconv blocks).
        endpoints_num_filters: The backbone's `endpoints_num_filters`. Sets the
            mobile head's width; when None, a mobile head has
            `MOBILE_FALLBACK_HEAD_FILTERS` (48). Not used for the ResNet-style family.

    Returns:
        The head.

    Raises:
        SpecError: If `endpoints_num_filters` is given and is not an int >= 1.
    """
    width = endpoints_num_filters
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or width < 1):
        raise SpecError(f"endpoints_num_filters must be an int >= 1 or None, got {endpoints_num_filters!r}")
    if mobile:
        filters = MOBILE_FALLBACK_HEAD_FILTERS if width is None else width
        return DetectionHeadSpec(head_num_filters=filters, use_separable_conv=True)
    return DetectionHeadSpec()


def head_token(head: DetectionHeadSpec) -> str:
    """The head's token in a detector's spec string: `head_c{convs}_f{filters}_a{anchors}`, `_sep` if separable."""
    suffix = "_sep" if head.use_separable_conv else ""
    return f"head_c{head.head_num_convs}_f{head.head_num_filters}_a{head.num_anchors}{suffix}"


def parse_head_token(token: str, *, text: str, what: str) -> DetectionHeadSpec:
    """The head a token names, strictly (`parse_head_token(head_token(h), ...) == h`).

    Args:
        token: The head's part of a detector's spec string.
        text: The whole spec string, for messages.
        what: What the spec string is ("SpineNet detector spec"), for messages.

    Raises:
        SpecParseError: If the token is malformed or not canonical.
        SpecError: If it names an invalid head.
    """
    match = _HEAD_RE.fullmatch(token)
    if match is None:
        raise SpecParseError(
            f"malformed {what} {text!r}: the head token is {token!r}, expected e.g. '{HEAD_EXAMPLE}' "
            "(head_c<convs>_f<filters>_a<anchors>, '_sep' for separable convs)"
        )
    try:
        head = DetectionHeadSpec(
            head_num_convs=int(match["convs"]),
            head_num_filters=int(match["filters"]),
            num_anchors=int(match["anchors"]),
            use_separable_conv=match["sep"] is not None,
        )
    except SpecError as error:
        raise SpecError(f"{what} {text!r}: {error}") from None
    if head_token(head) != token:
        raise SpecParseError(f"{what} head {token!r} is not in canonical form; write {head_token(head)!r}")
    return head
