"""`SpineNetSpec`: a scale-permuted SpineNet backbone (blocks and scaling) as plain data.

Papers: SpineNet, https://arxiv.org/abs/1912.05027; SpineNet-Mobile,
https://arxiv.org/abs/2010.11426.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Collection, Sequence
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.enums import Activation, coerce_enum
from edgenas.specs.image_shape import image_shape
from edgenas.specs.json_form import canonical_json, parse_blocks, parse_envelope
from edgenas.specs.spinenet_block import MAX_BLOCK_LEVEL, MIN_BLOCK_LEVEL, SpineNetBlockFn, SpineNetBlockSpec
from edgenas.specs.spinenet_family import SpineNetFamily
from edgenas.specs.spinenet_mbconv import SpineNetMBConv

__all__ = ["NUM_STEM_BLOCKS", "SpineNetSpec"]

NUM_STEM_BLOCKS = 2
"""Block indices 0 and 1 are the stem blocks; scale-permuted block i has index i + 2."""

_SCHEMA = "edgenas.SpineNetSpec/1"
_PREFIX = "spinenet"
_SEPARATOR = "-"
_FLOAT = r"\d+(?:\.\d+)?(?:e\+\d+)?|inf|infinity|nan"
"""A number as `str(spec)` writes it; also the words `float()` reads as non-finite, so that `alphainf` is
refused by the field's check (`resample_alpha must be a finite number, got inf`), not as an unexpected token."""
_HEADER = (
    ("levels", re.compile(r"levels(?P<min>\d+)to(?P<max>\d+)"), "levels<min>to<max>"),
    ("endpoints", re.compile(r"endpoints(?P<value>\d+)"), "endpoints<filters>"),
    ("scale", re.compile(rf"scale(?P<value>{_FLOAT})"), "scale<filter_size_scale>"),
)
_ALPHA_RE = re.compile(rf"alpha(?P<value>{_FLOAT})")
_REPEATS_RE = re.compile(r"repeats(?P<value>\d+)")
_JSON_KEYS = frozenset(
    {
        "schema",
        "activation",
        "min_level",
        "max_level",
        "endpoints_num_filters",
        "filter_size_scale",
        "resample_alpha",
        "block_repeats",
        "mbconv",
        "blocks",
    }
)


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise SpecError(f"{name} must be positive, got {value}")
    return value


def _positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise SpecError(f"{name} must be a finite number, got an int too large for a float: {value}") from None
    if not math.isfinite(number):
        raise SpecError(f"{name} must be a finite number, got {value!r}")
    if not number > 0:
        raise SpecError(f"{name} must be positive, got {value}")
    return number


def _scaled_filters(name: str, count: int, factor: float) -> int:
    """`int(count * factor)`, or a SpecError naming `name` when the product is not finite."""
    product = count * factor
    if not math.isfinite(product):
        raise SpecError(
            f"{name} {_fmt(factor)} is too large: {count} * {_fmt(factor)} filters is not a finite number"
        )
    return int(product)


def _fmt(value: float) -> str:
    return format(value, "g")


def _family_of(blocks: Sequence[SpineNetBlockSpec]) -> SpineNetFamily:
    fns = {block.block_fn for block in blocks}
    if SpineNetBlockFn.MBCONV not in fns:
        return SpineNetFamily.RESNET
    if fns == {SpineNetBlockFn.MBCONV}:
        return SpineNetFamily.MOBILE
    raise SpecError(
        "a SpineNet is either ResNet-style (residual and bottleneck blocks) or mobile "
        f"(mbconv blocks only); got a mix of {sorted(fn.value for fn in fns)}"
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetSpec:
    """A SpineNet backbone: stem, scale-permuted blocks and the scaling that sizes them.

    Frozen, hashable and validated at construction (before any model is built).
    `str(spec)` is a compact one-line view that parses back strictly, e.g.
    `spinenet-swish-levels3to7-endpoints256-scale1-alpha0.5-repeats1-bottleneck_l2_in0+1-...`;
    a mobile spec has no `alpha` token and an `mbconv_e6_k3_se0.2` token after `repeats`.

    The family (see `SpineNetFamily`) follows from the blocks: all mbconv is
    SpineNet-Mobile, residual/bottleneck is ResNet-style SpineNet.

    Attributes:
        blocks: The scale-permuted blocks in build order; their indices start at 2
            (0 and 1 are the stem blocks).
        endpoints_num_filters: Filters of the 1x1 convolution applied to each output level.
        filter_size_scale: Multiplier of every block's base filters (the count is
            `int(base * scale)`).
        resample_alpha: ResNet-style only (None for mobile): the 1x1 convolution
            that starts a resampling keeps `int(alpha * source filters)` filters.
        block_repeats: How many blocks of its block_fn each node stacks.
        mbconv: Mobile only (None for ResNet-style): the mbconv block settings.
        activation: The non-linearity of the whole backbone.
        min_level: Lowest output level (3 in the published networks).
        max_level: Highest output level (7 in the published networks).

    Raises:
        SpecError: On any invalid field, an input that is not an earlier block,
            output blocks that do not cover min_level..max_level exactly once, or a
            scaling that leaves a layer with no filters.
    """

    blocks: tuple[SpineNetBlockSpec, ...]
    endpoints_num_filters: int
    filter_size_scale: float
    resample_alpha: float | None = None
    block_repeats: int = 1
    mbconv: SpineNetMBConv | None = None
    activation: Activation = Activation.SWISH
    min_level: int = 3
    max_level: int = 7

    def __post_init__(self) -> None:
        blocks = tuple(self.blocks) if isinstance(self.blocks, (list, tuple)) else self.blocks
        if not isinstance(blocks, tuple) or not blocks:
            raise SpecError("a SpineNetSpec needs at least one block")
        for index, block in enumerate(blocks):
            if not isinstance(block, SpineNetBlockSpec):
                raise SpecError(f"block {index} must be a SpineNetBlockSpec, got {type(block).__name__}")
        object.__setattr__(self, "blocks", blocks)
        _positive_int("endpoints_num_filters", self.endpoints_num_filters)
        _positive_int("block_repeats", self.block_repeats)
        for name in ("min_level", "max_level"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"{name} must be an integer, got {value!r}")
        if not MIN_BLOCK_LEVEL <= self.min_level <= self.max_level <= MAX_BLOCK_LEVEL:
            raise SpecError(
                f"output levels must satisfy {MIN_BLOCK_LEVEL} <= min_level <= max_level <= "
                f"{MAX_BLOCK_LEVEL}, got {self.min_level}..{self.max_level}"
            )
        object.__setattr__(self, "activation", coerce_enum(Activation, self.activation, field="activation"))
        object.__setattr__(self, "filter_size_scale", _positive_float("filter_size_scale", self.filter_size_scale))
        family = _family_of(blocks)
        self._check_family_settings(family)
        self._check_filters(family)
        self._check_inputs()
        self._check_outputs()

    def _check_family_settings(self, family: SpineNetFamily) -> None:
        if family is SpineNetFamily.RESNET:
            if self.resample_alpha is None:
                raise SpecError("a ResNet-style SpineNet needs resample_alpha (e.g. 0.5)")
            object.__setattr__(self, "resample_alpha", _positive_float("resample_alpha", self.resample_alpha))
            if self.mbconv is not None:
                raise SpecError(
                    "mbconv settings are only for mobile SpineNets (mbconv blocks); got residual/bottleneck blocks"
                )
        else:
            if self.resample_alpha is not None:
                raise SpecError(
                    "a mobile SpineNet resamples without the alpha 1x1 convolution: resample_alpha must be None, "
                    f"got {self.resample_alpha!r}"
                )
            if not isinstance(self.mbconv, SpineNetMBConv):
                raise SpecError(f"a mobile SpineNet needs mbconv settings (SpineNetMBConv), got {self.mbconv!r}")

    def _check_filters(self, family: SpineNetFamily) -> None:
        base = family.base_filters
        levels = sorted(set(self.levels) | ({0} if family is SpineNetFamily.MOBILE else set()))
        for level in levels:
            filters = _scaled_filters("filter_size_scale", base[level], self.filter_size_scale)
            if filters < 1:
                raise SpecError(
                    f"filter_size_scale {_fmt(self.filter_size_scale)} leaves level-{level} layers with "
                    f"{filters} filters (int({base[level]} * {_fmt(self.filter_size_scale)}))"
                )
            if (
                self.resample_alpha is not None
                and level > 0
                and _scaled_filters("resample_alpha", filters, self.resample_alpha) < 1
            ):
                raise SpecError(
                    f"resample_alpha {_fmt(self.resample_alpha)} leaves the resampling of level-{level} "
                    f"blocks with 0 filters (int({filters} * {_fmt(self.resample_alpha)}))"
                )

    def _check_inputs(self) -> None:
        for index, block in enumerate(self.blocks):
            absolute = NUM_STEM_BLOCKS + index
            for offset in block.input_offsets:
                if offset >= absolute:
                    raise SpecError(
                        f"block {index} ({block}) reads block {offset}, which is not an earlier block: "
                        f"it can read blocks 0..{absolute - 1} (0 and 1 are the stem blocks, "
                        f"scale-permuted block {index} is block {absolute})"
                    )

    def _check_outputs(self) -> None:
        levels = [block.level for block in self.blocks if block.is_output]
        wanted = list(range(self.min_level, self.max_level + 1))
        missing = [level for level in wanted if level not in levels]
        repeated = sorted({level for level in levels if levels.count(level) > 1})
        outside = sorted({level for level in levels if level not in wanted})
        if missing or repeated or outside:
            raise SpecError(
                f"output blocks must cover levels {self.min_level}..{self.max_level} exactly once; "
                f"missing {missing}, repeated {repeated}, outside the range {outside}"
            )

    # ----- derived facts -------------------------------------------------------------------

    @property
    def family(self) -> SpineNetFamily:
        """ResNet-style or mobile, from the blocks."""
        return _family_of(self.blocks)

    @property
    def stem_block_fn(self) -> SpineNetBlockFn:
        """The block function of the two stem blocks (bottleneck, or mbconv for mobile)."""
        if self.family is SpineNetFamily.MOBILE:
            return SpineNetBlockFn.MBCONV
        return SpineNetBlockFn.BOTTLENECK

    @property
    def levels(self) -> tuple[int, ...]:
        """Level of every block by index, stem blocks first."""
        return self.family.stem_levels + tuple(block.level for block in self.blocks)

    @property
    def num_blocks(self) -> int:
        """Number of blocks, stem blocks included."""
        return NUM_STEM_BLOCKS + len(self.blocks)

    @property
    def max_block_level(self) -> int:
        """The coarsest level any block or output sits at (the input must divide by 2**it)."""
        return max(max(self.levels), self.max_level)

    def level_filters(self, level: int) -> int:
        """Filters of a block at `level`: `int(base filters * filter_size_scale)`."""
        return int(self.family.base_filters[level] * self.filter_size_scale)

    def block_fn_at(self, index: int) -> SpineNetBlockFn:
        """Block function of block `index` (stem blocks included)."""
        if index < NUM_STEM_BLOCKS:
            return self.stem_block_fn
        return self.blocks[index - NUM_STEM_BLOCKS].block_fn

    def channels_at(self, index: int) -> int:
        """Output channels of block `index` (a bottleneck outputs 4x its filters)."""
        return self.level_filters(self.levels[index]) * self.block_fn_at(index).channel_multiplier

    def output_block_indices(self) -> dict[int, int]:
        """Output level -> index of the block that produces it."""
        return {
            block.level: NUM_STEM_BLOCKS + i for i, block in enumerate(self.blocks) if block.is_output
        }

    def merged_inputs(self) -> tuple[tuple[int, ...], ...]:
        """For each scale-permuted block, the extra blocks added to its merge.

        An output block also sums, unresampled, every earlier block that nothing
        has read so far and that has its level and channel count (the reference's
        rule; the stem blocks' own chain does not count as a read). Other blocks
        get an empty tuple.
        """
        levels = self.levels
        reads = [0] * self.num_blocks
        merged: list[tuple[int, ...]] = []
        for i, block in enumerate(self.blocks):
            index = NUM_STEM_BLOCKS + i
            for offset in block.input_offsets:
                reads[offset] += 1
            extra = []
            if block.is_output:
                channels = self.channels_at(index)
                for j in range(index):
                    if reads[j] == 0 and levels[j] == block.level and self.channels_at(j) == channels:
                        extra.append(j)
                        reads[j] += 1
            merged.append(tuple(extra))
        return tuple(merged)

    def live_block_indices(self, levels: Collection[int] | None = None) -> frozenset[int]:
        """Indices of the blocks the output levels depend on (the others are dead ends).

        A built model contains only these blocks: a block nothing reads and that is
        not an output computes nothing the network returns.

        Args:
            levels: The output levels the network returns (default: all, min_level..max_level);
                a segmenter returns levels 3-5 only and drops what only levels 6 and 7 need.
        """
        merged = self.merged_inputs()
        outputs = self.output_block_indices()
        stack = [index for level, index in outputs.items() if levels is None or level in levels]
        live: set[int] = set()
        while stack:
            index = stack.pop()
            if index in live:
                continue
            live.add(index)
            if index >= NUM_STEM_BLOCKS:
                i = index - NUM_STEM_BLOCKS
                stack.extend(self.blocks[i].input_offsets)
                stack.extend(merged[i])
            elif index == 1:
                stack.append(0)  # the second stem block reads the first
        return frozenset(live)

    def check_input_shape(self, input_shape: Sequence[int]) -> tuple[int, int, int]:
        """Validates an input shape for this backbone.

        Args:
            input_shape: Height, width and channels of one image.

        Returns:
            The shape as three ints.

        Raises:
            SpecError: If it is not three positive integers, or the height or width
                is not a multiple of `2 ** max_block_level` (every level must halve
                exactly, or nearest up-sampling cannot restore the sizes).
        """
        height, width, channels = image_shape(input_shape)
        stride = 2**self.max_block_level
        if height % stride or width % stride:
            raise SpecError(
                f"input {height}x{width} is not a multiple of {stride} (2 ** level {self.max_block_level}, "
                "the coarsest level of this SpineNet)"
            )
        return height, width, channels

    def digest(self) -> str:
        """Returns a stable hex SHA-256 of the spec's canonical string."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    # ----- string and JSON views -------------------------------------------------------------

    def __str__(self) -> str:
        parts = [
            _PREFIX,
            self.activation.value,
            f"levels{self.min_level}to{self.max_level}",
            f"endpoints{self.endpoints_num_filters}",
            f"scale{_fmt(self.filter_size_scale)}",
        ]
        if self.resample_alpha is not None:
            parts.append(f"alpha{_fmt(self.resample_alpha)}")
        parts.append(f"repeats{self.block_repeats}")
        if self.mbconv is not None:
            parts.append(str(self.mbconv))
        parts += [str(block) for block in self.blocks]
        return _SEPARATOR.join(parts)

    @classmethod
    def parse(cls, text: str) -> SpineNetSpec:
        """Parses the compact string view strictly (`parse(str(spec)) == spec`).

        Args:
            text: A string made by `str(spec)`.

        Returns:
            The spec.

        Raises:
            SpecParseError: If `text` is malformed or not canonical; the message
                names the token that is wrong.
            SpecError: If it parses but describes an invalid network.
        """
        if not isinstance(text, str):
            raise SpecParseError(f"a spec string must be a str, got {type(text).__name__}")
        tokens = text.split(_SEPARATOR)
        if tokens[0] != _PREFIX:
            raise SpecParseError(f"malformed SpineNet spec {text!r}: it must start with '{_PREFIX}-'")
        position = 1

        def take(pattern: re.Pattern[str] | None, expected: str) -> re.Match[str] | str:
            nonlocal position
            if position >= len(tokens):
                raise SpecParseError(f"malformed SpineNet spec {text!r}: it ends where '{expected}' was expected")
            token = tokens[position]
            if pattern is None:
                position += 1
                return token
            match = pattern.fullmatch(token)
            if match is None:
                raise SpecParseError(
                    f"malformed SpineNet spec {text!r}: token {position} is {token!r}, expected '{expected}'"
                )
            position += 1
            return match

        activation = take(None, "<activation>")
        levels, endpoints, scale = (take(pattern, shown) for _, pattern, shown in _HEADER)
        alpha = None
        if position < len(tokens) and _ALPHA_RE.fullmatch(tokens[position]):
            alpha = float(take(_ALPHA_RE, "alpha<resample_alpha>")["value"])
        repeats = take(_REPEATS_RE, "repeats<block_repeats>")
        mbconv = None
        if position < len(tokens) and tokens[position].startswith("mbconv_e"):
            mbconv = SpineNetMBConv.parse(tokens[position])
            position += 1
        block_tokens = tokens[position:]
        if not block_tokens:
            raise SpecParseError(f"malformed SpineNet spec {text!r}: no blocks after the header")
        blocks = []
        for index, token in enumerate(block_tokens):
            try:
                blocks.append(SpineNetBlockSpec.parse(token))
            except SpecError as error:
                raise type(error)(f"block {index}: {error}") from None
        spec = cls(
            blocks=tuple(blocks),
            endpoints_num_filters=int(endpoints["value"]),
            filter_size_scale=float(scale["value"]),
            resample_alpha=alpha,
            block_repeats=int(repeats["value"]),
            mbconv=mbconv,
            activation=activation,
            min_level=int(levels["min"]),
            max_level=int(levels["max"]),
        )
        if str(spec) != text:
            raise SpecParseError(f"SpineNet spec {text!r} is not in canonical form; write {str(spec)!r}")
        return spec

    def to_json(self) -> dict[str, Any]:
        """Returns the spec as a JSON-ready dict with a schema tag."""
        return {
            "schema": _SCHEMA,
            "activation": self.activation.value,
            "min_level": self.min_level,
            "max_level": self.max_level,
            "endpoints_num_filters": self.endpoints_num_filters,
            "filter_size_scale": self.filter_size_scale,
            "resample_alpha": self.resample_alpha,
            "block_repeats": self.block_repeats,
            "mbconv": None if self.mbconv is None else self.mbconv.to_json(),
            "blocks": [block.to_json() for block in self.blocks],
        }

    def to_json_string(self) -> str:
        """Returns canonical JSON text (sorted keys, no spaces)."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> SpineNetSpec:
        """Builds a spec from `to_json()` output (a dict or JSON text), strictly.

        Raises:
            SpecParseError: On malformed JSON, a wrong schema tag, missing or unknown keys.
            SpecError: On invalid values.
        """
        data = parse_envelope(data, what="SpineNet spec", schema=_SCHEMA, keys=_JSON_KEYS)
        blocks = parse_blocks(data["blocks"], SpineNetBlockSpec.from_json)
        mbconv = None if data["mbconv"] is None else SpineNetMBConv.from_json(data["mbconv"])
        return cls(
            blocks=tuple(blocks),
            endpoints_num_filters=data["endpoints_num_filters"],
            filter_size_scale=data["filter_size_scale"],
            resample_alpha=data["resample_alpha"],
            block_repeats=data["block_repeats"],
            mbconv=mbconv,
            activation=data["activation"],
            min_level=data["min_level"],
            max_level=data["max_level"],
        )
