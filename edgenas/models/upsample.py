"""`upsample_nearest`: nearest-neighbour up-sampling that XNNPACK runs whole (SpineNet, FPN and NAS-FPN use it)."""

from __future__ import annotations

import keras

__all__ = ["upsample_nearest"]

# XNNPACK (LiteRT 2.3) delegates a CONCATENATION of at most 5 inputs; the largest
# power of two within that is the factor one up-sampling stage repeats by.
_MAX_STAGE_FACTOR = 4


def _repeat_stage(x: keras.KerasTensor, *, factor: int, name: str, last: bool) -> keras.KerasTensor:
    """Nearest-neighbour up-sampling by `factor` from concatenations and reshapes.

    Concatenating `factor` copies of an (H, W, C) map along the channels and
    reading the result as (H, W * factor, C) repeats every pixel `factor` times
    along the width; concatenating `factor` copies of that along the width and
    reading it as (H * factor, W * factor, C) repeats every row `factor` times.

    Args:
        x: A feature map with a static (H, W, C) shape.
        factor: How many times each pixel is repeated along both axes.
        name: Prefix of the layer names.
        last: Whether this is the final stage (its output layer is then `name`).
    """
    height, width, channels = x.shape[1:]
    x = keras.layers.Concatenate(axis=-1, name=f"{name}_wcat")([x] * factor)
    x = keras.layers.Reshape((height, width * factor, channels), name=f"{name}_w")(x)
    x = keras.layers.Concatenate(axis=2, name=f"{name}_hcat")([x] * factor)
    out_name = name if last else f"{name}_h"
    return keras.layers.Reshape((height * factor, width * factor, channels), name=out_name)(x)


def upsample_nearest(x: keras.KerasTensor, *, levels: int, name: str) -> keras.KerasTensor:
    """Nearest-neighbour up-sampling by 2**levels, built so that XNNPACK runs all of it.

    Equal, element for element, to `keras.layers.UpSampling2D(2**levels,
    interpolation="nearest")`, whose TFLite form (RESHAPE + TILE) XNNPACK does
    not take: each TILE split the graph into one more delegate partition and ran
    on LiteRT's own kernels. Here it is made of CONCATENATION and RESHAPE only
    (`_repeat_stage`), in stages of factor 4 (2 for an odd last level), since
    XNNPACK takes concatenations of at most 5 inputs. These ops carry int8
    tensors unchanged (one shared scale), so fp32 and int8 files stay exact.

    Args:
        x: A feature map with a static (H, W, C) shape.
        levels: How many levels to go up (the factor is 2**levels).
        name: Prefix of the layer names; the output layer is named `{name}_up`.
    """
    factors = [_MAX_STAGE_FACTOR] * (levels // 2) + [2] * (levels % 2)
    for stage, factor in enumerate(factors):
        last = stage == len(factors) - 1
        x = _repeat_stage(x, factor=factor, name=f"{name}_up" if last else f"{name}_up{stage}", last=last)
    return x
