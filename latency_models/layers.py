"""A chain network as the layers that run on the device, and their features, read from the spec alone.

`layers_of` walks an `ArchSpec` the way `edgenas.build_keras` builds it: the
stem, every repeat of every block (the first repeat carries the block's
stride), and the head (1x1 conv, global pooling, classifier). Each `LayerSpec`
holds what decides its latency (op type, kernel, stride, expansion, SE, input
and output channels, input resolution) and can be built on its own as a
single-layer model (`edgenas.collect.layer_models`) to measure it.

Features are numbers computed from those fields (MACs and activation sizes of
each part of the layer); nothing is built. See Once-for-All
(https://arxiv.org/abs/1908.09791) and FBNet (https://arxiv.org/abs/1812.03443)
for per-layer latency tables.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
from typing import Any

from edgenas.specs.arch import ArchSpec
from edgenas.specs.block import BlockSpec
from edgenas.specs.costs import se_reduced_filters
from edgenas.specs.enums import Activation, BlockFn

__all__ = [
    "LAYER_FEATURES",
    "LayerFields",
    "LayerKind",
    "LayerSpec",
    "block_layer_fields",
    "head_fields",
    "layer_features",
    "layer_fields",
    "layer_from_fields",
    "layers_of",
    "stem_fields",
]


class LayerKind(enum.StrEnum):
    """What a layer is."""

    STEM = "stem"  # 3x3 conv, BatchNorm, activation
    CONV = "conv"  # k x k conv, BatchNorm, activation
    MBCONV = "mbconv"  # inverted residual, optional SE, skip when shapes allow
    FUSED_MBCONV = "fused_mbconv"  # k x k expansion (or one k x k conv at ratio 1), optional SE, 1x1 projection
    HEAD = "head"  # 1x1 conv to the head width, global pooling, classifier


_RESIDUAL_KINDS = (LayerKind.MBCONV, LayerKind.FUSED_MBCONV)
_KIND_OF_BLOCK = {BlockFn.CONV: LayerKind.CONV, BlockFn.MBCONV: LayerKind.MBCONV,
                  BlockFn.FUSED_MBCONV: LayerKind.FUSED_MBCONV}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """One layer of a chain network at a given input size.

    Attributes:
        kind: What it is.
        in_channels: Channels of its input.
        out_channels: Channels it outputs (the head width for the head).
        in_height: Height of its input.
        in_width: Width of its input.
        kernel_size: Kernel of its main convolution (1 for the head).
        strides: Stride of its main convolution.
        expand_ratio: Expansion of an mbconv or fused mbconv (1 otherwise).
        se_ratio: SE ratio of an mbconv or fused mbconv (0 otherwise).
        activation: The layer's activation: its block's own, else the network's.
        num_classes: Classifier outputs of the head (0 otherwise).
    """

    kind: LayerKind
    in_channels: int
    out_channels: int
    in_height: int
    in_width: int
    kernel_size: int
    strides: int
    expand_ratio: int = 1
    se_ratio: float = 0.0
    activation: Activation = Activation.RELU
    num_classes: int = 0

    @property
    def out_height(self) -> int:
        """Height of its output."""
        return math.ceil(self.in_height / self.strides)

    @property
    def out_width(self) -> int:
        """Width of its output."""
        return math.ceil(self.in_width / self.strides)

    @property
    def has_skip(self) -> bool:
        """Whether an mbconv or fused mbconv adds its input to its output."""
        return self.kind in _RESIDUAL_KINDS and self.strides == 1 and self.in_channels == self.out_channels

    def to_json(self) -> dict[str, Any]:
        """A JSON object of every field."""
        data = dataclasses.asdict(self)
        data["kind"], data["activation"] = self.kind.value, self.activation.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LayerSpec:
        """The inverse of `to_json`.

        Raises:
            ValueError: Missing, unknown or invalid fields.
        """
        fields = {f.name for f in dataclasses.fields(cls)}
        if set(data) != fields:
            raise ValueError(f"a layer needs exactly the fields {sorted(fields)}, got {sorted(data)}")
        try:
            return cls(**{**data, "kind": LayerKind(data["kind"]), "activation": Activation(data["activation"])})
        except (TypeError, ValueError) as e:
            raise ValueError(f"invalid layer {data}: {e}") from None

    def key(self) -> str:
        """A short stable text naming the layer (its measurements are stored under it)."""
        text = (
            f"{self.kind.value}:i{self.in_channels}:o{self.out_channels}:{self.in_height}x{self.in_width}"
            f":k{self.kernel_size}:s{self.strides}:e{self.expand_ratio}:se{self.se_ratio:g}:{self.activation.value}"
        )
        return text + (f":c{self.num_classes}" if self.kind is LayerKind.HEAD else "")


LayerFields = tuple[str, int, int, int, int, int, int, int, float, str, int]
"""A layer as plain values in `LayerSpec` field order (kind and activation as strings): cheap to hash."""


def layer_fields(
    spec: ArchSpec, *, input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 1000
) -> list[LayerFields]:
    """The layers `edgenas.build_keras(spec, input_shape=..., num_classes=...)` runs, in order, as plain tuples.

    The fast form of `layers_of`, for predictors that look layers up by value.
    """
    height, width, channels = (int(v) for v in input_shape)
    fields = [stem_fields(spec, input_shape=(height, width, channels))]
    state = (spec.stem_filters, -(-height // 2), -(-width // 2))
    for block in spec.blocks:
        block_fields, state = block_layer_fields(block, spec.activation_of(block).value, state)
        fields.extend(block_fields)
    fields.append(head_fields(spec, state, num_classes=num_classes))
    return fields


def stem_fields(spec: ArchSpec, *, input_shape: tuple[int, int, int]) -> LayerFields:
    """The stem layer of `spec` at `input_shape` (height, width, channels)."""
    height, width, channels = input_shape
    return ("stem", channels, spec.stem_filters, height, width, 3, 2, 1, 0.0, spec.activation.value, 0)


def head_fields(spec: ArchSpec, state: tuple[int, int, int], *, num_classes: int) -> LayerFields:
    """The head layer of `spec` after the last block's output `state` (channels, height, width)."""
    channels, height, width = state
    return ("head", channels, spec.head_filters, height, width, 1, 1, 1, 0.0, spec.activation.value, num_classes)


def block_layer_fields(
    block: BlockSpec, activation: str, state: tuple[int, int, int]
) -> tuple[list[LayerFields], tuple[int, int, int]]:
    """The layers of one block (a layer per repeat) and the output it hands on.

    Args:
        block: The block.
        activation: Its activation's value (its own, else the network's: `ArchSpec.activation_of`).
        state: Channels, height and width of its input.

    Returns:
        The layers, and the channels, height and width of its output.

    Raises:
        ValueError: A block kind without a layer kind.
    """
    if block.block_fn not in _KIND_OF_BLOCK:  # a new block kind must get its own layer kind, not pass as another
        raise ValueError(f"no layer kind for {block.block_fn.value} blocks; known: "
                         f"{', '.join(fn.value for fn in _KIND_OF_BLOCK)}")  # fmt: skip
    kind = _KIND_OF_BLOCK[block.block_fn].value
    expand, se = (1, 0.0) if block.block_fn is BlockFn.CONV else (block.expand_ratio, float(block.se_ratio))
    out, kernel = block.output_filters, block.kernel_size
    channels, height, width = state
    fields: list[LayerFields] = []
    for repeat in range(block.num_repeats):
        strides = block.strides if repeat == 0 else 1
        fields.append((kind, channels, out, height, width, kernel, strides, expand, se, activation, 0))
        height, width, channels = -(-height // strides), -(-width // strides), out
    return fields, (channels, height, width)


def layer_from_fields(fields: LayerFields) -> LayerSpec:
    """The `LayerSpec` of a `layer_fields` tuple."""
    kind, cin, cout, height, width, kernel, strides, expand, se, act, classes = fields
    return LayerSpec(LayerKind(kind), cin, cout, height, width, kernel, strides, expand, se, Activation(act), classes)


def layers_of(
    spec: ArchSpec, *, input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 1000
) -> tuple[LayerSpec, ...]:
    """The layers `edgenas.build_keras(spec, input_shape=..., num_classes=...)` runs, in order."""
    return tuple(layer_from_fields(f) for f in layer_fields(spec, input_shape=input_shape, num_classes=num_classes))


LAYER_FEATURES = (
    "is_stem", "is_conv", "is_mbconv", "is_fused_mbconv", "is_head",
    "macs_m", "expand_macs_m", "depthwise_macs_m", "se_macs_m", "project_macs_m", "dense_conv_macs_m",
    "params_k", "in_activation_k", "expanded_activation_k", "out_activation_k",
    "kernel_size", "strides", "expand_ratio", "has_se", "has_skip",
    "in_channels", "out_channels", "in_pixels_k", "out_pixels_k",
)  # fmt: skip
"""Names of the entries of `layer_features` (MACs in millions, sizes in thousands)."""


@functools.lru_cache(maxsize=1 << 16)
def layer_features(layer: LayerSpec) -> tuple[float, ...]:
    """The numbers a latency model reads for one layer, in `LAYER_FEATURES` order (cached per layer)."""
    kind = layer.kind
    cin, cout, k2 = layer.in_channels, layer.out_channels, layer.kernel_size**2
    in_px = layer.in_height * layer.in_width
    out_px = layer.out_height * layer.out_width
    expand_macs = depthwise_macs = se_macs = project_macs = dense_macs = 0
    expanded = cin
    params = 0
    if kind is LayerKind.FUSED_MBCONV:
        expanded = cin * layer.expand_ratio
        if layer.expand_ratio != 1:  # a full k x k expansion with the stride, then SE and a 1x1 projection
            expand_macs = out_px * k2 * cin * expanded
            params += k2 * cin * expanded
            se_px = out_px
            project_macs = out_px * expanded * cout
            params += expanded * cout
        else:  # SE gates the input, then one k x k conv with the stride
            se_px = in_px
            dense_macs = out_px * k2 * cin * cout
            params += k2 * cin * cout
        if layer.se_ratio > 0:
            reduced = se_reduced_filters(cin, layer.se_ratio)
            se_macs = 2 * expanded * reduced + se_px * expanded
            params += 2 * expanded * reduced
    elif kind is LayerKind.MBCONV:
        expanded = cin * layer.expand_ratio
        if layer.expand_ratio != 1:
            expand_macs = in_px * cin * expanded
            params += cin * expanded
        depthwise_macs = out_px * k2 * expanded
        params += k2 * expanded
        if layer.se_ratio > 0:
            reduced = se_reduced_filters(cin, layer.se_ratio)
            se_macs = 2 * expanded * reduced + out_px * expanded
            params += 2 * expanded * reduced
        project_macs = out_px * expanded * cout
        params += expanded * cout
    else:
        dense_macs = out_px * k2 * cin * cout
        params += k2 * cin * cout
        if kind is LayerKind.HEAD:
            dense_macs += cout * layer.num_classes
            params += cout * layer.num_classes
    macs = expand_macs + depthwise_macs + se_macs + project_macs + dense_macs
    return (
        float(kind is LayerKind.STEM), float(kind is LayerKind.CONV),
        float(kind is LayerKind.MBCONV), float(kind is LayerKind.FUSED_MBCONV), float(kind is LayerKind.HEAD),
        macs / 1e6, expand_macs / 1e6, depthwise_macs / 1e6, se_macs / 1e6, project_macs / 1e6, dense_macs / 1e6,
        params / 1e3, in_px * cin / 1e3, out_px * expanded / 1e3 if kind in _RESIDUAL_KINDS else 0.0,
        out_px * cout / 1e3,
        float(layer.kernel_size), float(layer.strides), float(layer.expand_ratio), float(layer.se_ratio > 0),
        float(layer.has_skip), float(cin), float(cout), in_px / 1e3, out_px / 1e3,
    )  # fmt: skip
