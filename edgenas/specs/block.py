"""`BlockSpec`: one stage of a chain network (a block repeated `num_repeats` times)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.enums import Activation, BlockFn, coerce_enum
from edgenas.specs.json_form import check_block_object

__all__ = ["BlockSpec"]

_ALLOWED_STRIDES = (1, 2)
_ALLOWED_KERNELS = (1, 3, 5, 7)
_BLOCK_RE = re.compile(
    r"(?P<fn>[a-z_]+)_r(?P<r>\d+)_k(?P<k>\d+)_s(?P<s>\d+)_e(?P<e>\d+)"
    r"_se(?P<se>\d+(?:\.\d+)?)_c(?P<c>\d+)(?:_(?P<act>[a-z][a-z0-9_]*))?"
)
_FIELDS = (
    "block_fn",
    "num_repeats",
    "kernel_size",
    "strides",
    "expand_ratio",
    "se_ratio",
    "output_filters",
)
_OPTIONAL_FIELDS = ("activation",)
"""Fields the JSON form writes only when set (so JSON written before they existed still reads)."""


def _format_ratio(value: float) -> str:
    return format(value, "g")


@dataclasses.dataclass(frozen=True)
class BlockSpec:
    """One stage: `num_repeats` copies of a block; only the first one strides.

    The compact string view is `{block_fn}_r{repeats}_k{kernel}_s{strides}_e{expand}
    _se{se_ratio}_c{filters}`, for example `mbconv_r2_k3_s2_e6_se0.25_c24`,
    followed by `_{activation}` when the block has an activation of its own:
    `fused_mbconv_r2_k3_s2_e4_se0_c32_relu`. The suffix is the last field and
    comes after the digits of `c`, so the grammar stays unambiguous.

    Attributes:
        block_fn: The block repeated in this stage.
        num_repeats: How many blocks the stage stacks (at least 1).
        kernel_size: Kernel of the spatial convolution (1, 3, 5 or 7).
        strides: Stride of the first block of the stage (1 or 2).
        expand_ratio: Channel expansion of an mbconv or fused_mbconv block (1 for
            conv blocks).
        se_ratio: Squeeze-and-excitation ratio, relative to each block's input
            filters, in [0, 1); 0 means no SE (always 0 for conv blocks).
        output_filters: Output channels of every block of the stage.
        activation: The non-linearity inside the stage's blocks (expansion,
            depthwise, SE squeeze, the conv of a conv block), or None for the
            network's (`ArchSpec.activation`). An `ArchSpec` refuses a block
            activation equal to its own: one network, one spec.
    """

    block_fn: BlockFn
    num_repeats: int
    kernel_size: int
    strides: int
    expand_ratio: int
    se_ratio: float
    output_filters: int
    activation: Activation | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "block_fn", coerce_enum(BlockFn, self.block_fn, field="block_fn"))
        for name in ("num_repeats", "kernel_size", "strides", "expand_ratio", "output_filters"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"{name} must be an integer, got {value!r}")
        if isinstance(self.se_ratio, bool) or not isinstance(self.se_ratio, (int, float)):
            raise SpecError(f"se_ratio must be a number, got {self.se_ratio!r}")
        object.__setattr__(self, "se_ratio", float(self.se_ratio))
        if self.activation is not None:
            object.__setattr__(self, "activation", coerce_enum(Activation, self.activation, field="activation"))
        if self.num_repeats < 1:
            raise SpecError(f"num_repeats must be at least 1, got {self.num_repeats}")
        if self.kernel_size not in _ALLOWED_KERNELS:
            raise SpecError(f"kernel_size must be one of {_ALLOWED_KERNELS}, got {self.kernel_size}")
        if self.strides not in _ALLOWED_STRIDES:
            raise SpecError(f"strides must be 1 or 2, got {self.strides}")
        if self.output_filters < 1:
            raise SpecError(f"output_filters must be positive, got {self.output_filters}")
        if self.expand_ratio < 1:
            raise SpecError(f"expand_ratio must be at least 1, got {self.expand_ratio}")
        if not 0.0 <= self.se_ratio < 1.0:
            raise SpecError(f"se_ratio must be in [0, 1), got {self.se_ratio}")
        if self.block_fn is BlockFn.CONV and (self.expand_ratio != 1 or self.se_ratio != 0.0):
            raise SpecError(
                "a conv block has no expansion and no SE: expand_ratio must be 1 and se_ratio 0, "
                f"got expand_ratio={self.expand_ratio}, se_ratio={_format_ratio(self.se_ratio)}"
            )

    def __str__(self) -> str:
        text = (
            f"{self.block_fn.value}_r{self.num_repeats}_k{self.kernel_size}_s{self.strides}"
            f"_e{self.expand_ratio}_se{_format_ratio(self.se_ratio)}_c{self.output_filters}"
        )
        return text if self.activation is None else f"{text}_{self.activation.value}"

    @classmethod
    def parse(cls, text: str) -> BlockSpec:
        """Parses the compact string view strictly (`parse(str(b)) == b`).

        Args:
            text: For example `mbconv_r2_k3_s2_e6_se0_c24` or `fused_mbconv_r2_k3_s2_e4_se0_c32_relu`.

        Returns:
            The block spec.

        Raises:
            SpecParseError: If `text` is not exactly a canonical block string, or
                its suffix names no activation.
            SpecError: If it parses but describes an invalid block.
        """
        match = _BLOCK_RE.fullmatch(text)
        if match is None:
            raise SpecParseError(
                f"malformed block {text!r}; expected e.g. 'mbconv_r2_k3_s2_e6_se0.25_c24' "
                "or, with an activation of its own, 'mbconv_r2_k3_s2_e6_se0.25_c24_relu'"
            )
        activation = match["act"]
        if activation is not None and activation not in {member.value for member in Activation}:
            known = ", ".join(member.value for member in Activation)
            raise SpecParseError(
                f"malformed block {text!r}: suffix {activation!r} is no activation; known: {known}"
            )
        block = cls(
            block_fn=match["fn"],
            num_repeats=int(match["r"]),
            kernel_size=int(match["k"]),
            strides=int(match["s"]),
            expand_ratio=int(match["e"]),
            se_ratio=float(match["se"]),
            output_filters=int(match["c"]),
            activation=activation,
        )
        if str(block) != text:
            raise SpecParseError(f"block {text!r} is not in canonical form; write {str(block)!r}")
        return block

    def to_json(self) -> dict[str, Any]:
        """Returns the block as a JSON-ready dict; "activation" only when the block has its own."""
        out = {name: getattr(self, name) for name in _FIELDS}
        out["block_fn"] = self.block_fn.value
        if self.activation is not None:
            out["activation"] = self.activation.value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockSpec:
        """Builds a block from `to_json()` output, rejecting missing or unknown keys.

        A missing "activation" means the network's (JSON written before blocks
        had one reads as it did); a present one must name an activation.

        Raises:
            SpecParseError: On a key set other than the block's fields (and
                optional "activation"), or an "activation" of null.
            SpecError: On invalid values.
        """
        data = check_block_object(data, what="block", fields=_FIELDS, optional=_OPTIONAL_FIELDS)
        if "activation" in data and data["activation"] is None:
            raise SpecParseError("block JSON: 'activation' is written only when set; omit it for the network's")
        return cls(**data)
