"""`ChainBackboneDetector`: what every RetinaNet detector on a chain backbone shares, whatever its decoder.

A detector spec on a chain backbone is a frozen dataclass with three fields,
`backbone` (an `ArchSpec`), `decoder` (the decoder's spec: `FpnSpec`,
`NasFpnSpec`) and `head` (a `DetectionHeadSpec`), that inherits this mixin and
sets its class attributes. The mixin gives it validation, the input-size rule,
the compact string `<backbone>|<decoder token>|<head token>` and the JSON form.
The decoder tokens do not overlap (`fpn_...`, `nasfpn_...`), so each detector
type's strict parser refuses the other's strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.arch import ArchSpec
from edgenas.specs.chain_levels import feature_taps
from edgenas.specs.detection_head import HEAD_EXAMPLE, HEAD_FIELDS, DetectionHeadSpec, head_token, parse_head_token
from edgenas.specs.image_shape import image_shape
from edgenas.specs.json_form import canonical_json, check_block_object, parse_envelope

__all__ = ["ChainBackboneDetector"]

_SEPARATOR = "|"
_JSON_KEYS = frozenset({"schema", "backbone", "decoder", "head"})


class ChainBackboneDetector:
    """Mixin of the detector specs on chain backbones (see the module docstring).

    Class attributes a subclass sets:
        DECODER_TYPE: The decoder's spec type (with `parse`, `str`, `to_json`, `from_json`).
        DECODER_EXAMPLE: A decoder token, for messages.
        SCHEMA: The JSON schema tag.
        NOUN: What the network is called in messages ("chain detector"); its spec is "<NOUN> spec".
        SIDE_MULTIPLE_PX: Input sides must be multiples of this.
        MIN_SIDE_PX: And at least this.
        SIDE_RULE: Why, for messages.
    """

    DECODER_TYPE: ClassVar[type]
    DECODER_EXAMPLE: ClassVar[str]
    SCHEMA: ClassVar[str]
    NOUN: ClassVar[str]
    SIDE_MULTIPLE_PX: ClassVar[int]
    MIN_SIDE_PX: ClassVar[int]
    SIDE_RULE: ClassVar[str]

    backbone: ArchSpec
    decoder: Any
    head: DetectionHeadSpec

    @classmethod
    def _what(cls) -> str:
        return f"{cls.NOUN} spec"

    def __post_init__(self) -> None:
        name = type(self).__name__
        for field, kind in (("backbone", ArchSpec), ("decoder", self.DECODER_TYPE), ("head", DetectionHeadSpec)):
            value = getattr(self, field)
            if not isinstance(value, kind):
                article = "an" if kind.__name__[0] in "AEFHILMNORSX" else "a"  # as the letter is read: "an FpnSpec"
                raise SpecError(f"{name}.{field} must be {article} {kind.__name__}, got {type(value).__name__}")
        try:
            feature_taps(self.backbone)
        except SpecError as error:
            raise SpecError(f"{name}.backbone: {error}") from None

    # ----- derived facts -------------------------------------------------------------------

    def check_input_shape(self, input_shape: Sequence[int]) -> tuple[int, int, int]:
        """The (height, width, channels) of one image as ints, if the detector can take it.

        Raises:
            SpecError: If `input_shape` is not three positive integers, or a side is
                not a legal one; the message names the nearest legal sides.
        """
        height, width, channels = image_shape(input_shape)
        problems = [self._side_problem(name, side) for name, side in (("height", height), ("width", width))]
        problems = [problem for problem in problems if problem]
        if problems:
            raise SpecError(
                f"input {height}x{width} does not suit a {self.NOUN}: {'; '.join(problems)} (sides must "
                f"be multiples of {self.SIDE_MULTIPLE_PX}, {self.SIDE_RULE}, and at least {self.MIN_SIDE_PX})"
            )
        return height, width, channels

    @classmethod
    def _side_problem(cls, name: str, side_px: int) -> str:
        """What is wrong with one input side, naming the nearest legal sides ("" if it is legal)."""
        multiple, smallest = cls.SIDE_MULTIPLE_PX, cls.MIN_SIDE_PX
        if side_px < smallest:
            return f"{name} {side_px} is below {smallest} (the nearest legal side is {smallest})"
        if side_px % multiple:
            below = side_px // multiple * multiple
            nearest = f"{below} and {below + multiple}" if below >= smallest else f"{below + multiple}"
            return f"{name} {side_px} is not a multiple of {multiple} (the nearest legal sides are {nearest})"
        return ""

    def digest(self) -> str:
        """Returns a stable hex SHA-256 of the spec's canonical string."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    # ----- string and JSON views -------------------------------------------------------------

    def __str__(self) -> str:
        return _SEPARATOR.join((str(self.backbone), str(self.decoder), head_token(self.head)))

    @classmethod
    def parse(cls, text: str) -> Any:
        """Parses the compact string view strictly (`parse(str(spec)) == spec`).

        Args:
            text: A string made by `str(spec)`: `<ArchSpec string>|<decoder token>|<head token>`.

        Raises:
            SpecParseError: If `text` is malformed or not canonical; the message says
                which part (backbone, decoder or head) is wrong.
            SpecError: If it parses but describes an invalid backbone, decoder or head.
        """
        if not isinstance(text, str):
            raise SpecParseError(f"a spec string must be a str, got {type(text).__name__}")
        parts = text.split(_SEPARATOR)
        if len(parts) != 3:
            raise SpecParseError(
                f"malformed {cls._what()} {text!r}: it must be '<ArchSpec>|<decoder>|<head>' with exactly two "
                f"'{_SEPARATOR}' (found {len(parts) - 1}), "
                f"e.g. 'relu6-stem32-...-head1280|{cls.DECODER_EXAMPLE}|{HEAD_EXAMPLE}'"
            )
        backbone_text, decoder_text, head_text = parts
        try:
            decoder = cls.DECODER_TYPE.parse(decoder_text)
        except SpecError as error:
            raise type(error)(f"{cls._what()} {text!r}: {error}") from None
        try:
            backbone = ArchSpec.parse(backbone_text)
        except SpecError as error:
            raise type(error)(f"{cls._what()} backbone: {error}") from None
        head = parse_head_token(head_text, text=text, what=cls._what())
        return cls(backbone=backbone, decoder=decoder, head=head)  # type: ignore[call-arg]

    def to_json(self) -> dict[str, Any]:
        """Returns the spec as a JSON-ready dict with a schema tag (backbone and decoder nested in full)."""
        return {
            "schema": self.SCHEMA,
            "backbone": self.backbone.to_json(),
            "decoder": self.decoder.to_json(),
            "head": {name: getattr(self.head, name) for name in HEAD_FIELDS},
        }

    def to_json_string(self) -> str:
        """Returns canonical JSON text (sorted keys, no spaces)."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> Any:
        """Builds a spec from `to_json()` output (a dict or JSON text), strictly.

        Raises:
            SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown keys
                (in the spec, its backbone, its decoder or its head).
            SpecError: On invalid values.
        """
        data = parse_envelope(data, what=cls._what(), schema=cls.SCHEMA, keys=_JSON_KEYS)
        if not isinstance(data["backbone"], dict):
            raise SpecParseError(
                f"{cls._what()} JSON: 'backbone' must be an object, got {type(data['backbone']).__name__}"
            )
        try:
            backbone = ArchSpec.from_json(data["backbone"])
        except SpecError as error:
            raise type(error)(f"{cls._what()} backbone: {error}") from None
        decoder = cls.DECODER_TYPE.from_json(data["decoder"])
        head_data = check_block_object(data["head"], what=f"{cls._what()} head", fields=HEAD_FIELDS)
        return cls(backbone=backbone, decoder=decoder, head=DetectionHeadSpec(**head_data))  # type: ignore[call-arg]
