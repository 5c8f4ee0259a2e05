"""`FiltersTokenSpec`: the shared form of a decoder's settings written `<prefix>_f<filters>[_sep]`.

The FPN (`fpn_f128_sep`) and the segmentation decoder (`seg_f128_sep`) are both
set by a filter count and a separable flag. This base holds their validation,
token, strict parsing and JSON form once; each subclass names its prefix and the
words its messages use.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Self

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.json_form import check_block_object

__all__ = ["FILTERS_TOKEN_FIELDS", "FiltersTokenSpec"]

FILTERS_TOKEN_FIELDS = ("num_filters", "use_separable_conv")
"""The fields, in the order of the JSON object."""


class FiltersTokenSpec:
    """Base of a frozen dataclass with `num_filters: int` and `use_separable_conv: bool` fields.

    Subclasses set:
        TOKEN_PREFIX: The token's prefix ("fpn", "seg").
        TOKEN_NAME: What the token is called in messages, with its article ("an FPN", "a segmentation head").
        TOKEN_OTHER_EXAMPLE: A second example token for the malformed-token message.
        TOKEN_SEP_MEANING: What `_sep` means, for that message.
        JSON_WHAT: What the JSON object is called in messages.
    """

    TOKEN_PREFIX: ClassVar[str]
    TOKEN_NAME: ClassVar[str]
    TOKEN_OTHER_EXAMPLE: ClassVar[str]
    TOKEN_SEP_MEANING: ClassVar[str]
    JSON_WHAT: ClassVar[str]

    num_filters: int
    use_separable_conv: bool

    def _check_fields(self) -> None:
        name = type(self).__name__
        if isinstance(self.num_filters, bool) or not isinstance(self.num_filters, int) or self.num_filters < 1:
            raise SpecError(f"{name}.num_filters must be an int >= 1, got {self.num_filters!r}")
        if not isinstance(self.use_separable_conv, bool):
            raise SpecError(f"{name}.use_separable_conv must be a bool, got {self.use_separable_conv!r}")

    def __post_init__(self) -> None:
        self._check_fields()

    def __str__(self) -> str:
        return f"{self.TOKEN_PREFIX}_f{self.num_filters}{'_sep' if self.use_separable_conv else ''}"

    @classmethod
    def _noun(cls) -> str:
        return cls.TOKEN_NAME.split(" ", 1)[1]

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parses the token strictly (`parse(str(spec)) == spec`).

        Raises:
            SpecParseError: If `text` is not a str, is malformed or is not canonical.
            SpecError: If it names invalid settings (0 filters).
        """
        if not isinstance(text, str):
            raise SpecParseError(f"{cls.TOKEN_NAME} token must be a str, got {type(text).__name__}")
        match = re.fullmatch(rf"{cls.TOKEN_PREFIX}_f(?P<filters>\d+)(?P<sep>_sep)?", text)
        if match is None:
            raise SpecParseError(
                f"malformed {cls._noun()} token {text!r}: expected e.g. '{cls()}' or '{cls.TOKEN_OTHER_EXAMPLE}' "
                f"({cls.TOKEN_PREFIX}_f<filters>, '_sep' for {cls.TOKEN_SEP_MEANING})"
            )
        spec = cls(num_filters=int(match["filters"]), use_separable_conv=match["sep"] is not None)
        if str(spec) != text:
            raise SpecParseError(f"{cls._noun()} token {text!r} is not in canonical form; write {str(spec)!r}")
        return spec

    def to_json(self) -> dict[str, Any]:
        """Returns the settings as a JSON-ready dict (`FILTERS_TOKEN_FIELDS`)."""
        return {name: getattr(self, name) for name in FILTERS_TOKEN_FIELDS}

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Builds the settings from `to_json()` output, strictly.

        Raises:
            SpecParseError: On a value that is not an object, or missing or unknown keys.
            SpecError: On invalid values.
        """
        data = check_block_object(data, what=cls.JSON_WHAT, fields=FILTERS_TOKEN_FIELDS)
        return cls(**{name: data[name] for name in FILTERS_TOKEN_FIELDS})
