"""Segmenter specs: a backbone's level 3-5 features fused by a light decoder into per-pixel logits at stride 8.

`ChainSegmenterSpec` (a chain backbone, `ArchSpec`: its stages' level 3-5
features, `edgenas.specs.chain_levels.feature_taps`) and `SpineNetSegmenterSpec`
(a SpineNet backbone: its level 3-5 endpoints) carry the same decoder,
`SegmentationHeadSpec`. The compact string is the backbone's string, a `|`,
then the decoder token::

    relu6-stem32-mbconv_r1_k3_s1_e1_se0_c16-...-head1280|seg_f128_sep
    spinenet-swish-levels3to7-...-mbconv_l6_in13+15_out|seg_f48_sep

The decoder token (`seg_...`) is parsed first and is unlike any other head
token (`head_...`, `fpn_...`, `nasfpn_...`), so the segmenters' strict parsers
refuse every other spec string, and the others refuse theirs. The number of
classes is not part of the architecture: it is given when the model is built
or exported (logits: `num_classes + 1`, background first).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.arch import ArchSpec
from edgenas.specs.chain_levels import feature_taps
from edgenas.specs.image_shape import image_shape
from edgenas.specs.json_form import canonical_json, parse_envelope
from edgenas.specs.segmentation_head import SEGMENTATION_HEAD_EXAMPLE, SEGMENTATION_LEVELS, SegmentationHeadSpec
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_family import SpineNetFamily

__all__ = [
    "CHAIN_SEGMENTER_SIDE_MULTIPLE_PX",
    "ChainSegmenterSpec",
    "SpineNetSegmenterSpec",
    "default_chain_segmenter",
    "default_spinenet_segmenter",
]

CHAIN_SEGMENTER_SIDE_MULTIPLE_PX = 32
"""A chain segmenter's input sides are multiples of this: level 5's stride, so the top-down 2x up-sampling
restores level 4's and level 3's sides exactly."""

_SEPARATOR = "|"
_JSON_KEYS = frozenset({"schema", "backbone", "head"})
_MOBILE_CHAIN_HEAD = SegmentationHeadSpec(num_filters=128, use_separable_conv=True)


class _Segmenter:
    """What both segmenter specs share: validation, the string and JSON views, the digest.

    Class attributes a subclass sets: BACKBONE_TYPE (with `parse`, `str`, `to_json`, `from_json`), SCHEMA,
    NOUN (messages call the spec "<NOUN> spec").
    """

    BACKBONE_TYPE: ClassVar[type]
    SCHEMA: ClassVar[str]
    NOUN: ClassVar[str]

    backbone: Any
    head: SegmentationHeadSpec

    def __post_init__(self) -> None:
        name = type(self).__name__
        for field, kind in (("backbone", self.BACKBONE_TYPE), ("head", SegmentationHeadSpec)):
            value = getattr(self, field)
            if not isinstance(value, kind):
                raise SpecError(f"{name}.{field} must be a {kind.__name__}, got {type(value).__name__}")
        self._check_levels()

    def _check_levels(self) -> None:
        """Raises `SpecError` if the backbone has no level 3, 4 and 5 features."""

    def digest(self) -> str:
        """Returns a stable hex SHA-256 of the spec's canonical string."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    def __str__(self) -> str:
        return f"{self.backbone}{_SEPARATOR}{self.head}"

    @classmethod
    def parse(cls, text: str) -> Any:
        """Parses the compact string view strictly (`parse(str(spec)) == spec`).

        Args:
            text: A string made by `str(spec)`: `<backbone string>|<decoder token>`.

        Raises:
            SpecParseError: If `text` is malformed or not canonical; the message says which part is wrong.
            SpecError: If it parses but describes an invalid backbone or decoder.
        """
        what = f"{cls.NOUN} spec"
        if not isinstance(text, str):
            raise SpecParseError(f"a spec string must be a str, got {type(text).__name__}")
        parts = text.split(_SEPARATOR)
        if len(parts) != 2:
            raise SpecParseError(
                f"malformed {what} {text!r}: it must be '<{cls.BACKBONE_TYPE.__name__}>|<segmentation head>' with "
                f"exactly one '{_SEPARATOR}' (found {len(parts) - 1}), e.g. '...|{SEGMENTATION_HEAD_EXAMPLE}'"
            )
        backbone_text, head_text = parts
        try:
            head = SegmentationHeadSpec.parse(head_text)
        except SpecError as error:
            raise type(error)(f"{what} {text!r}: {error}") from None
        try:
            backbone = cls.BACKBONE_TYPE.parse(backbone_text)
        except SpecError as error:
            raise type(error)(f"{what} backbone: {error}") from None
        return cls(backbone=backbone, head=head)  # type: ignore[call-arg]

    def to_json(self) -> dict[str, Any]:
        """Returns the spec as a JSON-ready dict with a schema tag (the backbone nested in full)."""
        return {"schema": self.SCHEMA, "backbone": self.backbone.to_json(), "head": self.head.to_json()}

    def to_json_string(self) -> str:
        """Returns canonical JSON text (sorted keys, no spaces)."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> Any:
        """Builds a spec from `to_json()` output (a dict or JSON text), strictly.

        Raises:
            SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown keys.
            SpecError: On invalid values.
        """
        what = f"{cls.NOUN} spec"
        data = parse_envelope(data, what=what, schema=cls.SCHEMA, keys=_JSON_KEYS)
        if not isinstance(data["backbone"], dict):
            raise SpecParseError(f"{what} JSON: 'backbone' must be an object, got {type(data['backbone']).__name__}")
        try:
            backbone = cls.BACKBONE_TYPE.from_json(data["backbone"])
        except SpecError as error:
            raise type(error)(f"{what} backbone: {error}") from None
        return cls(backbone=backbone, head=SegmentationHeadSpec.from_json(data["head"]))  # type: ignore[call-arg]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChainSegmenterSpec(_Segmenter):
    """A segmenter on a chain backbone: its stages' level 3-5 features and the decoder.

    The chain's 1x1 head convolution and pooling are a classifier's and are not
    built, so `backbone.head_filters` changes the spec string but not the network.
    Input sides are multiples of 32 (`CHAIN_SEGMENTER_SIDE_MULTIPLE_PX`).

    Attributes:
        backbone: The chain.
        head: The decoder.

    Raises:
        SpecError: If a field has the wrong type, or the chain has no level 3, 4 and 5 features
            (`feature_taps`: it must end at stride 32).
    """

    BACKBONE_TYPE: ClassVar[type] = ArchSpec
    SCHEMA: ClassVar[str] = "edgenas.ChainSegmenterSpec/1"
    NOUN: ClassVar[str] = "chain segmenter"

    backbone: ArchSpec
    head: SegmentationHeadSpec

    def _check_levels(self) -> None:
        try:
            feature_taps(self.backbone)
        except SpecError as error:
            raise SpecError(f"ChainSegmenterSpec.backbone: {error}") from None

    def check_input_shape(self, input_shape: Sequence[int]) -> tuple[int, int, int]:
        """The (height, width, channels) of one image as ints, if the segmenter can take it.

        Raises:
            SpecError: If `input_shape` is not three positive ints, or a side is not a multiple of 32.
        """
        height, width, channels = image_shape(input_shape)
        multiple = CHAIN_SEGMENTER_SIDE_MULTIPLE_PX
        bad = [f"{name} {side}" for name, side in (("height", height), ("width", width)) if side % multiple]
        if bad:
            raise SpecError(
                f"input {height}x{width} does not suit a chain segmenter: {' and '.join(bad)} not a multiple of "
                f"{multiple} (the backbone's stride at level 5)"
            )
        return height, width, channels


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetSegmenterSpec(_Segmenter):
    """A segmenter on a SpineNet backbone: its level 3-5 endpoints and the decoder.

    The built network holds only the blocks levels 3-5 depend on (a level 6 or 7
    block that feeds none of them is dropped). Input sides are the backbone's
    (multiples of `2 ** backbone.max_block_level`).

    Attributes:
        backbone: The SpineNet.
        head: The decoder.

    Raises:
        SpecError: If a field has the wrong type, or the backbone's output levels do not include 3, 4 and 5.
    """

    BACKBONE_TYPE: ClassVar[type] = SpineNetSpec
    SCHEMA: ClassVar[str] = "edgenas.SpineNetSegmenterSpec/1"
    NOUN: ClassVar[str] = "SpineNet segmenter"

    backbone: SpineNetSpec
    head: SegmentationHeadSpec

    def _check_levels(self) -> None:
        low, high = SEGMENTATION_LEVELS[0], SEGMENTATION_LEVELS[-1]
        if not self.backbone.min_level <= low <= high <= self.backbone.max_level:
            raise SpecError(
                f"SpineNetSegmenterSpec.backbone: a segmenter fuses levels {low}-{high}; this SpineNet outputs "
                f"levels {self.backbone.min_level}-{self.backbone.max_level}"
            )

    def check_input_shape(self, input_shape: Sequence[int]) -> tuple[int, int, int]:
        """The backbone's rule (`SpineNetSpec.check_input_shape`).

        Raises:
            SpecError: If the shape is not three positive ints, or a side is not a multiple of the coarsest
                level's stride.
        """
        return self.backbone.check_input_shape(input_shape)


def default_chain_segmenter(backbone: ArchSpec) -> ChainSegmenterSpec:
    """The mobile recipe on a chain backbone: a decoder of 128 filters with a separable 3x3 conv.

    128 is the width of the chain detectors' mobile FPN (`default_chain_detector`).

    Raises:
        SpecError: If `backbone` is not an `ArchSpec` with level 3, 4 and 5 features.
    """
    return ChainSegmenterSpec(backbone=backbone, head=_MOBILE_CHAIN_HEAD)


def default_spinenet_segmenter(backbone: SpineNetSpec) -> SpineNetSegmenterSpec:
    """The decoder as wide as the backbone's endpoints; separable for a mobile SpineNet (as its default detection
    head is, `default_detection_head`).

    Raises:
        SpecError: If `backbone` is not a `SpineNetSpec` with output levels 3, 4 and 5.
    """
    if not isinstance(backbone, SpineNetSpec):
        raise SpecError(f"a SpineNet segmenter's backbone must be a SpineNetSpec, got {type(backbone).__name__}")
    head = SegmentationHeadSpec(
        num_filters=backbone.endpoints_num_filters, use_separable_conv=backbone.family is SpineNetFamily.MOBILE
    )
    return SpineNetSegmenterSpec(backbone=backbone, head=head)
