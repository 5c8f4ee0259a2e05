"""A `LayerSpec` as a model of its own: built with the network builder's own layers, exported to TFLite.

Timing such single-layer models on a device gives the per-layer table a
predictor sums. The layer is built by the same functions `edgenas.build_keras`
uses (so the converter fuses it the same way), with seeded weights and
calibrated BatchNorm statistics, and exported by the same converter as a whole
network (fp32 or full-integer int8).

TensorFlow is imported on first use, never at import time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from latency_models.layers import LayerKind, LayerSpec

__all__ = ["build_layer_model", "export_layer"]

_CALIBRATION_IMAGES = 4


def build_layer_model(layer: LayerSpec, *, seed: int = 0) -> tuple[Any, Any]:
    """The Keras model of one layer (batch 1) and its calibration images.

    Returns:
        ``(model, images)``, images being (N, H, W, C) float32 in [-1, 1).
    """
    import keras  # noqa: PLC0415

    from edgenas.export.calibration import calibrate_batchnorm, calibration_images  # noqa: PLC0415
    from edgenas.models.layers import BatchNormConfig, conv_bn_act, fused_mbconv, mbconv, plain_conv  # noqa: PLC0415

    keras.utils.set_random_seed(seed)
    shape = (layer.in_height, layer.in_width, layer.in_channels)
    inputs = keras.Input(shape=shape, name="image")
    bn, act = BatchNormConfig(), layer.activation
    if layer.kind in (LayerKind.STEM, LayerKind.CONV):
        build = conv_bn_act if layer.kind is LayerKind.STEM else plain_conv
        x = build(inputs, filters=layer.out_channels, kernel_size=layer.kernel_size, strides=layer.strides,
                  activation=act, bn=bn, name="layer")  # fmt: skip
    elif layer.kind in (LayerKind.MBCONV, LayerKind.FUSED_MBCONV):
        block = mbconv if layer.kind is LayerKind.MBCONV else fused_mbconv
        x = block(inputs, filters=layer.out_channels, kernel_size=layer.kernel_size, strides=layer.strides,
                  expand_ratio=layer.expand_ratio, se_ratio=layer.se_ratio, activation=act, bn=bn, name="layer")  # fmt: skip
    elif layer.kind is LayerKind.HEAD:
        x = conv_bn_act(inputs, filters=layer.out_channels, kernel_size=1, strides=1, activation=act, bn=bn,
                        name="head")  # fmt: skip
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        if layer.num_classes:
            x = keras.layers.Dense(layer.num_classes, name="classifier")(x)
    else:
        raise ValueError(f"no single-layer model for a {layer.kind.value} layer")
    model = keras.Model(inputs, x, name="layer")
    images = calibration_images(input_shape=shape, count=_CALIBRATION_IMAGES, seed=seed)
    calibrate_batchnorm(model, images[:2])
    return model, images


def export_layer(
    layer: LayerSpec, *, precision: str, out_dir: str | os.PathLike[str], seed: int = 0, direct: bool = False
) -> Path:
    """Writes the layer's single-layer model as ``.tflite`` (named by layer, precision, seed and writer); cached.

    Args:
        layer: The layer.
        precision: "fp32" or "int8".
        out_dir: Folder of the files (created when missing).
        seed: Seed of weights and calibration images.
        direct: Write the converter's graph from the layer without TensorFlow (`edgenas.graphs.chain_layer`,
            `edgenas.export.direct`) instead of building and converting the Keras model.

    Returns:
        The file (already there when exported before).
    """
    from edgenas.export.settings import Precision  # noqa: PLC0415

    prec = Precision(precision)
    folder = Path(out_dir)
    if direct:
        from edgenas.export.direct import DIRECT_WRITER_VERSION, graph_tflite  # noqa: PLC0415
        from edgenas.graphs.chain_layer import layer_graph  # noqa: PLC0415

        writer = f"|direct/{DIRECT_WRITER_VERSION}"
    else:
        writer = ""  # the converter's files keep the names they had
    name = hashlib.sha256(f"{layer.key()}|{prec.value}|{seed}{writer}".encode()).hexdigest()[:24]
    path = folder / f"layer-{name}.tflite"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    if direct:
        fd, tmp = tempfile.mkstemp(prefix=".layer-", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(graph_tflite(layer_graph(layer, seed=seed), precision=prec, seed=seed))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
    import keras  # noqa: PLC0415

    from edgenas.export.tflite import convert_to_tflite  # noqa: PLC0415

    model, images = build_layer_model(layer, seed=seed)
    fd, tmp = tempfile.mkstemp(prefix=".layer-", suffix=".part", dir=folder)
    os.close(fd)
    try:
        convert_to_tflite(model, Path(tmp), precision=prec, calibration=images)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        keras.backend.clear_session()
    return path
