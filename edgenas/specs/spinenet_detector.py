"""`SpineNetDetectorSpec`: a RetinaNet detector on a SpineNet backbone with a chosen head.

Papers: SpineNet, https://arxiv.org/abs/1912.05027; SpineNet-Mobile,
https://arxiv.org/abs/2010.11426; RetinaNet, https://arxiv.org/abs/1708.02002.

A bare `SpineNetSpec` built with `num_classes > 0` gets its default head
(`default_detection_head`: for a mobile backbone, separable convs as wide as its
endpoints, as in TF Model Garden's SpineNet-Mobile-49XS/49S/49 configs with 24/40/48
head filters; 256-filter plain convs for a ResNet-style one); this spec pins the
head too, for published detectors whose head differs from the default
(SpineNet-49S: 128 filters) and for searches over head sizes.

The compact string is the backbone's string, a `|`, then the head token::

    spinenet-swish-levels3to7-...-mbconv_l6_in13+15_out|head_c4_f24_a9_sep

`|` never occurs in a `SpineNetSpec` string (its grammar uses lowercase letters,
digits, `_`, `.`, `+` and `-` only), nor in an `ArchSpec` string, so the three
spec strings cannot collide.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.detection_head import (
    HEAD_EXAMPLE,
    HEAD_FIELDS,
    DetectionHeadSpec,
    default_detection_head,
    head_token,
    parse_head_token,
)
from edgenas.specs.json_form import canonical_json, check_block_object, parse_envelope
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_family import SpineNetFamily

__all__ = ["SpineNetDetectorSpec"]

_SCHEMA = "edgenas.SpineNetDetectorSpec/1"
_HEAD_SEPARATOR = "|"
_JSON_KEYS = frozenset({"schema", "backbone", "head"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetDetectorSpec:
    """A RetinaNet detector: a SpineNet backbone and the detection head on its output levels.

    Frozen, hashable and validated at construction. `str(spec)` is the
    backbone's string, `|` and a head token (`head_c4_f24_a9_sep`: 4 tower
    convs, 24 filters, 9 anchors per location, separable convs), and parses
    back strictly. The number of classes is not part of the architecture: it
    is given when the model is built or exported (`num_classes > 0`).

    A detector spec whose head equals the backbone's default builds the same
    network as its bare backbone spec with `num_classes > 0`, but it is a
    different spec string (hence a different artifact key).

    Attributes:
        backbone: The SpineNet backbone.
        head: The detection head (class and box subnets shared across levels).

    Raises:
        SpecError: If `backbone` is not a `SpineNetSpec` or `head` is not a
            `DetectionHeadSpec`.
    """

    backbone: SpineNetSpec
    head: DetectionHeadSpec

    def __post_init__(self) -> None:
        if not isinstance(self.backbone, SpineNetSpec):
            raise SpecError(
                f"SpineNetDetectorSpec.backbone must be a SpineNetSpec, got {type(self.backbone).__name__}"
            )
        if not isinstance(self.head, DetectionHeadSpec):
            raise SpecError(
                f"SpineNetDetectorSpec.head must be a DetectionHeadSpec, got {type(self.head).__name__}"
            )

    # ----- derived facts -------------------------------------------------------------------

    @property
    def family(self) -> SpineNetFamily:
        """The backbone's family (ResNet-style or mobile)."""
        return self.backbone.family

    @property
    def has_default_head(self) -> bool:
        """Whether the head is the backbone's default (`default_detection_head` of its family and endpoints)."""
        return self.head == default_detection_head(
            self.family is SpineNetFamily.MOBILE, endpoints_num_filters=self.backbone.endpoints_num_filters
        )

    def check_input_shape(self, input_shape: Sequence[int]) -> tuple[int, int, int]:
        """Validates an input shape for the backbone (see `SpineNetSpec.check_input_shape`).

        Args:
            input_shape: Height, width and channels of one image.

        Returns:
            The shape as three ints.

        Raises:
            SpecError: If it is not three positive integers, or the height or width
                is not a multiple of `2 ** backbone.max_block_level`.
        """
        return self.backbone.check_input_shape(input_shape)

    def digest(self) -> str:
        """Returns a stable hex SHA-256 of the spec's canonical string."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    # ----- string and JSON views -------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.backbone}{_HEAD_SEPARATOR}{head_token(self.head)}"

    @classmethod
    def parse(cls, text: str) -> SpineNetDetectorSpec:
        """Parses the compact string view strictly (`parse(str(spec)) == spec`).

        Args:
            text: A string made by `str(spec)`, `<SpineNetSpec string>|head_c4_f24_a9_sep`.

        Returns:
            The spec.

        Raises:
            SpecParseError: If `text` is malformed or not canonical; the message
                says which part (backbone or head) is wrong.
            SpecError: If it parses but describes an invalid backbone or head.
        """
        if not isinstance(text, str):
            raise SpecParseError(f"a spec string must be a str, got {type(text).__name__}")
        parts = text.split(_HEAD_SEPARATOR)
        if len(parts) != 2:
            found = "none" if len(parts) == 1 else f"{len(parts) - 1}"
            raise SpecParseError(
                f"malformed SpineNet detector spec {text!r}: it must be '<SpineNet spec>|<head>' with exactly "
                f"one '{_HEAD_SEPARATOR}' (found {found}), e.g. 'spinenet-...|{HEAD_EXAMPLE}'"
            )
        backbone_text, head_text = parts
        try:
            backbone = SpineNetSpec.parse(backbone_text)
        except SpecError as error:
            raise type(error)(f"SpineNet detector backbone: {error}") from None
        head = parse_head_token(head_text, text=text, what="SpineNet detector spec")
        return cls(backbone=backbone, head=head)

    def to_json(self) -> dict[str, Any]:
        """Returns the spec as a JSON-ready dict with a schema tag (the backbone nested in full)."""
        return {
            "schema": _SCHEMA,
            "backbone": self.backbone.to_json(),
            "head": {name: getattr(self.head, name) for name in HEAD_FIELDS},
        }

    def to_json_string(self) -> str:
        """Returns canonical JSON text (sorted keys, no spaces)."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> SpineNetDetectorSpec:
        """Builds a spec from `to_json()` output (a dict or JSON text), strictly.

        Raises:
            SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown keys
                (in the spec, its backbone or its head).
            SpecError: On invalid values.
        """
        data = parse_envelope(data, what="SpineNet detector spec", schema=_SCHEMA, keys=_JSON_KEYS)
        if not isinstance(data["backbone"], dict):
            raise SpecParseError(
                f"SpineNet detector spec JSON: 'backbone' must be an object, got {type(data['backbone']).__name__}"
            )
        try:
            backbone = SpineNetSpec.from_json(data["backbone"])
        except SpecError as error:
            raise type(error)(f"SpineNet detector backbone: {error}") from None
        head_data = check_block_object(data["head"], what="SpineNet detector head", fields=HEAD_FIELDS)
        return cls(backbone=backbone, head=DetectionHeadSpec(**head_data))
