"""The NAS-FPN decoder as Keras layers, from a `NasFpnSpec`. Importing this module imports Keras.

Paper: Ghiasi, Lin and Le, "NAS-FPN: Learning Scalable Feature Pyramid
Architecture for Object Detection", CVPR 2019, https://arxiv.org/abs/1904.07392.
What is built is described in `edgenas.specs.nasfpn` (Model Garden's decoder,
levels 6 and 7 max-pooled); `edgenas.specs.nasfpn_costs` counts it.

Only Keras layers whose TFLite forms XNNPACK runs: max pooling, the
concatenation-and-reshape nearest up-sampling of SpineNet (`keras.layers.UpSampling2D`
becomes a TILE that XNNPACK leaves out, one more delegate partition each), a
global max pooling, sigmoid, multiply, add, (separable) convolutions and
BatchNorm, so that the exported decoder is one XNNPACK partition.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from edgenas.errors import SpecError
from edgenas.models.layers import BatchNormConfig, activation_layer
from edgenas.models.upsample import upsample_nearest
from edgenas.specs.enums import Activation, coerce_enum
from edgenas.specs.nasfpn import LEVELS, NasFpnCombine, NasFpnSpec

__all__ = ["nasfpn_decoder"]


def _conv(x: keras.KerasTensor, *, filters: int, kernel_size: int, separable: bool, name: str) -> keras.KerasTensor:
    """A `same` convolution with bias, separable (depthwise, pointwise) or full."""
    layer = keras.layers.SeparableConv2D if separable else keras.layers.Conv2D
    return layer(filters, kernel_size, padding="same", name=name)(x)


def _check_features(features: Mapping[int, keras.KerasTensor]) -> list[int]:
    """The backbone levels given, after checking they are 3..k with sides that halve exactly per level.

    Raises:
        SpecError: On other levels, or feature sides that do not fit levels 3-7 of one image.
    """
    if not isinstance(features, Mapping) or not features:
        raise SpecError(f"features must be a dict level -> feature map of levels 3..k, got {features!r}")
    levels = sorted(features)
    if levels != list(range(LEVELS[0], levels[-1] + 1)) or levels[-1] > LEVELS[-1]:
        raise SpecError(
            f"features must be the backbone's levels 3..k for some k in 3..7 (e.g. [3, 4, 5]); got levels {levels}"
        )
    height, width = features[LEVELS[0]].shape[1:3]
    span = 2 ** (LEVELS[-1] - LEVELS[0])
    if height is None or width is None or height % span or width % span:
        raise SpecError(
            f"the level-3 feature is {height}x{width}; NAS-FPN needs static sides that are multiples of {span} "
            f"(levels 3-7 of an image whose sides are multiples of {2 ** LEVELS[-1]})"
        )
    for level in levels[1:]:
        shift = level - LEVELS[0]
        expected = (height >> shift, width >> shift)
        if tuple(features[level].shape[1:3]) != expected:
            found = "x".join(str(side) for side in features[level].shape[1:3])
            raise SpecError(
                f"the level-{level} feature is {found}; with a level-3 feature of {height}x{width} it must be "
                f"{expected[0]}x{expected[1]} (level L is the level-3 size / 2**(L-3))"
            )
    return levels


def _resample(
    x: keras.KerasTensor, *, source: int, target: int, spec: NasFpnSpec, bn: BatchNormConfig, name: str
) -> keras.KerasTensor:
    """Brings a node to a cell's level and `spec.merge_filters` channels (1x1 conv and BatchNorm if they differ)."""
    if x.shape[-1] != spec.merge_filters:
        x = _conv(x, filters=spec.merge_filters, kernel_size=1, separable=spec.use_separable_conv, name=f"{name}_conv")
        x = bn.layer(f"{name}_bn")(x)
    if target > source:
        factor = 2 ** (target - source)
        return keras.layers.MaxPooling2D(factor, strides=factor, padding="same", name=f"{name}_down")(x)
    if target < source:
        return upsample_nearest(x, levels=source - target, name=name)
    return x


def _repeat(
    nodes: list[keras.KerasTensor], *, spec: NasFpnSpec, activation: Activation, bn: BatchNormConfig, name: str
) -> list[keras.KerasTensor]:
    """One repeat of the cells on the level 3-7 nodes; returns its level 3-7 outputs."""
    nodes = list(nodes)
    levels = spec.node_levels
    extras = spec.unconsumed_inputs()
    for index, cell in enumerate(spec.cells):
        cell_name = f"{name}_c{index}"

        def bring(node: int, *, cell_level: int = cell.level, cell_name: str = cell_name) -> keras.KerasTensor:
            return _resample(
                nodes[node], source=levels[node], target=cell_level, spec=spec, bn=bn, name=f"{cell_name}_n{node}"
            )

        resampled = {node: bring(node) for node in cell.inputs}
        a, b = (resampled[node] for node in spec.operands(index))
        if cell.combine is NasFpnCombine.SUM:
            x = keras.layers.Add(name=f"{cell_name}_sum")([a, b])
        else:
            gate = keras.layers.GlobalMaxPooling2D(keepdims=True, name=f"{cell_name}_gate_max")(a)
            gate = keras.layers.Activation("sigmoid", name=f"{cell_name}_gate")(gate)
            gated = keras.layers.Multiply(name=f"{cell_name}_gated")([b, gate])
            x = keras.layers.Add(name=f"{cell_name}_attention")([a, gated])
        if extras[index]:
            x = keras.layers.Add(name=f"{cell_name}_extra")([x, *(bring(node) for node in extras[index])])
        x = activation_layer(activation, f"{cell_name}_act")(x)
        x = _conv(
            x, filters=spec.num_filters, kernel_size=3, separable=spec.use_separable_conv, name=f"{cell_name}_conv"
        )
        nodes.append(bn.layer(f"{cell_name}_bn")(x))
    return [nodes[node] for node in spec.output_nodes.values()]


def nasfpn_decoder(
    features: Mapping[int, keras.KerasTensor],
    *,
    spec: NasFpnSpec,
    activation: Activation,
    bn: BatchNormConfig,
    name: str = "nasfpn",
) -> dict[int, keras.KerasTensor]:
    """Builds the NAS-FPN decoder on backbone features.

    Args:
        features: Level -> feature map (batch, height, width, channels) of the
            backbone's levels 3..k (k at most 7; a chain backbone gives 3, 4, 5),
            level L being the level-3 map halved L - 3 times; the level-3 sides
            must be multiples of 16.
        spec: The decoder.
        activation: The non-linearity before each cell's convolution.
        bn: BatchNorm settings.
        name: Prefix of every layer name (layer names are unique and follow the
            spec: `{name}_l{level}_proj_conv`, `{name}_r{repeat}_c{cell}_conv`, ...).

    Returns:
        Level -> the decoder's output at levels 3-7, each `spec.num_filters` wide.

    Raises:
        SpecError: If `spec` is not a `NasFpnSpec`, the activation is unknown, or the
            features are not levels 3..k of sides that halve exactly per level.
    """
    if not isinstance(spec, NasFpnSpec):
        raise SpecError(f"nasfpn_decoder needs a NasFpnSpec, got {type(spec).__name__}")
    activation = coerce_enum(Activation, activation, field="activation")
    given = _check_features(features)
    nodes: list[keras.KerasTensor] = []
    for level in LEVELS:
        if level in given:
            x = features[level]
            if x.shape[-1] != spec.num_filters:
                x = _conv(
                    x,
                    filters=spec.num_filters,
                    kernel_size=1,
                    separable=spec.use_separable_conv,
                    name=f"{name}_l{level}_proj_conv",
                )
                x = bn.layer(f"{name}_l{level}_proj_bn")(x)
        else:
            x = keras.layers.MaxPooling2D(2, strides=2, padding="same", name=f"{name}_l{level}_pool")(nodes[-1])
        nodes.append(x)
    for repeat in range(spec.num_repeats):
        nodes = _repeat(nodes, spec=spec, activation=activation, bn=bn, name=f"{name}_r{repeat}")
    return dict(zip(LEVELS, nodes, strict=True))
