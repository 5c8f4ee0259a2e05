"""`ScalingPoint`: how to size a SpineNet detector (input, backbone widths and depth, head), as plain data.

A point says nothing about the topology: `point.apply(spec)` keeps the blocks of
a found (or published) SpineNet and gives it the point's endpoint filters,
`filter_size_scale`, `resample_alpha` and `block_repeats`, an input of
`image_size` x `image_size` pixels and a RetinaNet head of `head_num_convs`
convs of `head_num_filters` filters. Everything is checked there, before any
model is built.

Papers: SpineNet, https://arxiv.org/abs/1912.05027 (Sec. 4.1, scaling a found
topology); SpineNet-Mobile, https://arxiv.org/abs/2010.11426.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.detection_head import DetectionHeadSpec, default_detection_head
from edgenas.specs.json_form import canonical_json, parse_envelope
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_family import SpineNetFamily

__all__ = ["IMAGE_CHANNELS", "POINT_FIELDS", "ScaledDetector", "ScalingPoint"]

IMAGE_CHANNELS = 3
"""Channels of the input image `ScalingPoint.apply` gives a detector (RGB)."""

POINT_FIELDS = (
    "image_size",
    "endpoints_num_filters",
    "filter_size_scale",
    "resample_alpha",
    "block_repeats",
    "head_num_convs",
    "head_num_filters",
)
"""The fields of a `ScalingPoint`, in declaration order (the order a scaling space enumerates them)."""

_SCHEMA = "edgenas.ScalingPoint/1"
_JSON_KEYS = frozenset({"schema", *POINT_FIELDS})
_FLOAT = r"\d+(?:\.\d+)?(?:e[+-]\d+)?"
# (field names, pattern, shown in messages, optional) in string order; patterns match at a position.
_TOKENS: tuple[tuple[tuple[str, ...], re.Pattern[str], str, bool], ...] = (
    ((), re.compile(r"scaling"), "scaling", False),
    (("image_size",), re.compile(r"-size(\d+)"), "-size<image_size>", False),
    (("endpoints_num_filters",), re.compile(r"-endpoints(\d+)"), "-endpoints<endpoints_num_filters>", False),
    (("filter_size_scale",), re.compile(rf"-scale({_FLOAT})"), "-scale<filter_size_scale>", False),
    (("resample_alpha",), re.compile(rf"-alpha({_FLOAT})"), "-alpha<resample_alpha>", True),
    (("block_repeats",), re.compile(r"-repeats(\d+)"), "-repeats<block_repeats>", False),
    (
        ("head_num_convs", "head_num_filters"),
        re.compile(r"-head(\d+)x(\d+)"),
        "-head<head_num_convs>x<head_num_filters>",
        False,
    ),
)
_FORM = "".join(f"[{shown}]" if optional else shown for _, _, shown, optional in _TOKENS)
_FLOAT_FIELDS = frozenset({"filter_size_scale", "resample_alpha"})


def _fmt(value: float) -> str:
    """The shortest text that reads back as exactly `value` (`1.0` is written `1`)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _check_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"ScalingPoint.{name} must be an integer, got {value!r}")
    if value < minimum:
        raise SpecError(f"ScalingPoint.{name} must be >= {minimum}, got {value}")
    return value


def _check_positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"ScalingPoint.{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise SpecError(f"ScalingPoint.{name} must be a positive finite number, got {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScaledDetector:
    """A SpineNet RetinaNet detector ready to build: backbone, head and input shape.

    `edgenas.models.spinenet.build_spinenet(d.spec, input_shape=d.input_shape,
    num_classes=..., detection_head=d.head)` builds it.

    Attributes:
        spec: The backbone.
        head: The detection head.
        input_shape: Height, width and channels of one image; height and width are
            multiples of `2 ** spec.max_block_level`.

    Raises:
        SpecError: If a field has the wrong type or the input shape does not suit
            the backbone (see `SpineNetSpec.check_input_shape`).
    """

    spec: SpineNetSpec
    head: DetectionHeadSpec
    input_shape: tuple[int, int, int]

    def __post_init__(self) -> None:
        if not isinstance(self.spec, SpineNetSpec):
            raise SpecError(f"ScaledDetector.spec must be a SpineNetSpec, got {type(self.spec).__name__}")
        if not isinstance(self.head, DetectionHeadSpec):
            raise SpecError(f"ScaledDetector.head must be a DetectionHeadSpec, got {type(self.head).__name__}")
        object.__setattr__(self, "input_shape", self.spec.check_input_shape(self.input_shape))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScalingPoint:
    """One way to size a SpineNet detector; apply it to a topology with `apply`.

    Frozen, hashable and validated at construction. `str(point)` is a compact
    one-line view that parses back strictly (`ScalingPoint.parse(str(p)) == p`),
    e.g. `scaling-size640-endpoints256-scale1.2-alpha0.75-repeats3-head4x256`;
    a point for SpineNet-Mobile has no `alpha` token:
    `scaling-size384-endpoints48-scale1-repeats1-head4x48`.

    Attributes:
        image_size: Height and width of the square input image, in pixels.
        endpoints_num_filters: Filters of the backbone's 1x1 convolution on each output level.
        filter_size_scale: Multiplier of the backbone's base filters per level.
        resample_alpha: Width of the resampling 1x1 convolution of ResNet-style
            SpineNets; None for SpineNet-Mobile (which has no such convolution).
        block_repeats: Blocks stacked per backbone node.
        head_num_convs: Convs in each subnet tower of the head (0 allowed, as in
            `DetectionHeadSpec`).
        head_num_filters: Filters of every tower conv of the head.

    Raises:
        SpecError: On a field of the wrong type or out of range; the message
            names the field and the value. Whether the point suits a given
            backbone (its family, filter counts, input size) is checked by `apply`.
    """

    image_size: int
    endpoints_num_filters: int
    filter_size_scale: float
    resample_alpha: float | None
    block_repeats: int
    head_num_convs: int
    head_num_filters: int

    def __post_init__(self) -> None:
        for name in ("image_size", "endpoints_num_filters", "block_repeats", "head_num_filters"):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("head_num_convs", self.head_num_convs, minimum=0)
        object.__setattr__(
            self, "filter_size_scale", _check_positive_float("filter_size_scale", self.filter_size_scale)
        )
        if self.resample_alpha is not None:
            object.__setattr__(self, "resample_alpha", _check_positive_float("resample_alpha", self.resample_alpha))

    @property
    def family(self) -> SpineNetFamily:
        """The SpineNet family this point can size: mobile when `resample_alpha` is None."""
        return SpineNetFamily.MOBILE if self.resample_alpha is None else SpineNetFamily.RESNET

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """The detector's input shape: `(image_size, image_size, 3)`."""
        return (self.image_size, self.image_size, IMAGE_CHANNELS)

    def apply(self, spec: SpineNetSpec, *, head: DetectionHeadSpec | None = None) -> ScaledDetector:
        """The detector of `spec`'s topology sized by this point.

        The blocks, activation, mbconv settings and output levels of `spec` are
        kept; its endpoint filters, filter scale, resample alpha and block
        repeats are replaced by the point's. The head takes the point's
        `head_num_convs` and `head_num_filters` and keeps `num_anchors` and
        `use_separable_conv` of `head` (default: `default_detection_head` of
        the spec's family).

        Args:
            spec: A backbone whose topology (blocks) is to be sized.
            head: The head whose anchors and conv type to keep.

        Returns:
            The scaled detector, validated.

        Raises:
            SpecError: If `spec` or `head` has the wrong type, `resample_alpha` is
                given for a mobile spec or missing for a ResNet-style one, a filter
                count of the scaled backbone rounds to 0, or `image_size` is not a
                multiple of `2 ** spec.max_block_level`; the message names the
                field and the value.
        """
        if not isinstance(spec, SpineNetSpec):
            raise SpecError(f"a scaling point applies to a SpineNetSpec, got {type(spec).__name__}")
        if head is not None and not isinstance(head, DetectionHeadSpec):
            raise SpecError(f"head must be a DetectionHeadSpec or None, got {type(head).__name__}")
        family = spec.family
        if family is SpineNetFamily.MOBILE and self.resample_alpha is not None:
            raise SpecError(
                f"scaling point {self}: resample_alpha must be None for a mobile SpineNet (mbconv blocks "
                f"resample without the alpha 1x1 convolution), got {_fmt(self.resample_alpha)}"
            )
        if family is SpineNetFamily.RESNET and self.resample_alpha is None:
            raise SpecError(
                f"scaling point {self}: resample_alpha is None, but a ResNet-style SpineNet needs one (e.g. 0.5)"
            )
        try:
            scaled = dataclasses.replace(
                spec,
                endpoints_num_filters=self.endpoints_num_filters,
                filter_size_scale=self.filter_size_scale,
                resample_alpha=self.resample_alpha,
                block_repeats=self.block_repeats,
            )
        except SpecError as error:
            raise SpecError(f"scaling point {self} does not suit the backbone: {error}") from None
        try:
            input_shape = scaled.check_input_shape(self.input_shape)
        except SpecError as error:
            raise SpecError(
                f"scaling point {self}: image_size {self.image_size} does not suit the backbone: {error}"
            ) from None
        base = head if head is not None else default_detection_head(family is SpineNetFamily.MOBILE)
        scaled_head = dataclasses.replace(
            base, head_num_convs=self.head_num_convs, head_num_filters=self.head_num_filters
        )
        return ScaledDetector(spec=scaled, head=scaled_head, input_shape=input_shape)

    @classmethod
    def from_detector(cls, detector: ScaledDetector) -> ScalingPoint:
        """The point that sizes `detector` (the inverse of `apply` on its sizes).

        Args:
            detector: A detector with a square input.

        Raises:
            SpecError: If `detector` is not a ScaledDetector or its input is not square.
        """
        if not isinstance(detector, ScaledDetector):
            raise SpecError(f"from_detector needs a ScaledDetector, got {type(detector).__name__}")
        height, width, _ = detector.input_shape
        if height != width:
            raise SpecError(f"a scaling point has a square image_size; the detector's input is {height}x{width}")
        return cls(
            image_size=height,
            endpoints_num_filters=detector.spec.endpoints_num_filters,
            filter_size_scale=detector.spec.filter_size_scale,
            resample_alpha=detector.spec.resample_alpha,
            block_repeats=detector.spec.block_repeats,
            head_num_convs=detector.head.head_num_convs,
            head_num_filters=detector.head.head_num_filters,
        )

    # ----- string and JSON views -------------------------------------------------------------

    def __str__(self) -> str:
        alpha = "" if self.resample_alpha is None else f"-alpha{_fmt(self.resample_alpha)}"
        return (
            f"scaling-size{self.image_size}-endpoints{self.endpoints_num_filters}"
            f"-scale{_fmt(self.filter_size_scale)}{alpha}-repeats{self.block_repeats}"
            f"-head{self.head_num_convs}x{self.head_num_filters}"
        )

    @classmethod
    def parse(cls, text: str) -> ScalingPoint:
        """Parses the compact string view strictly (`parse(str(point)) == point`).

        Args:
            text: A string made by `str(point)`.

        Returns:
            The point.

        Raises:
            SpecParseError: If `text` is malformed or not canonical; the message
                says where and what was expected.
            SpecError: If it parses but a value is out of range.
        """
        if not isinstance(text, str):
            raise SpecParseError(f"a scaling point string must be a str, got {type(text).__name__}")
        values: dict[str, Any] = {"resample_alpha": None}
        position = 0
        for names, pattern, shown, optional in _TOKENS:
            match = pattern.match(text, position)
            if match is None:
                if optional:
                    continue
                found = text[position:] or "the end"
                raise SpecParseError(
                    f"malformed scaling point {text!r}: at character {position} expected {shown!r}, "
                    f"found {found!r}; the form is {_FORM!r}"
                )
            for name, raw in zip(names, match.groups(), strict=True):
                values[name] = float(raw) if name in _FLOAT_FIELDS else int(raw)
            position = match.end()
        if position != len(text):
            raise SpecParseError(
                f"malformed scaling point {text!r}: unexpected {text[position:]!r} after the head token; "
                f"the form is {_FORM!r}"
            )
        point = cls(**values)
        if str(point) != text:
            raise SpecParseError(f"scaling point {text!r} is not in canonical form; write {str(point)!r}")
        return point

    def to_json(self) -> dict[str, Any]:
        """Returns the point as a JSON-ready dict with a schema tag."""
        return {"schema": _SCHEMA, **{name: getattr(self, name) for name in POINT_FIELDS}}

    def to_json_string(self) -> str:
        """Returns canonical JSON text (sorted keys, no spaces)."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> ScalingPoint:
        """Builds a point from `to_json()` output (a dict or JSON text), strictly.

        Raises:
            SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown keys.
            SpecError: On invalid values.
        """
        data = parse_envelope(data, what="scaling point", schema=_SCHEMA, keys=_JSON_KEYS)
        return cls(**{name: data[name] for name in POINT_FIELDS})

