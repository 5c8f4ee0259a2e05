"""SpineNet's nearest-neighbour up-sampling: exact, serialisable, and run by XNNPACK as a whole.

`upsample_nearest` builds the up-sampling from CONCATENATION and RESHAPE only, because
the RESHAPE + TILE that `keras.layers.UpSampling2D` becomes in TFLite is left
out of the XNNPACK delegate (one extra delegate partition per TILE). These tests
compare it with `np.repeat` in Keras and in the converted .tflite (fp32 and
int8), and count the XNNPACK partitions LiteRT makes of the file.
"""

from pathlib import Path

import keras
import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from edgenas.export.settings import Precision
from edgenas.export.tflite import convert_to_tflite
from edgenas.models.upsample import upsample_nearest

_SHAPE = (3, 5, 7)  # height != width, odd channel count: a mix-up of axes would show


def _model(levels: int, shape: tuple[int, int, int] = _SHAPE) -> keras.Model:
    inputs = keras.Input(shape=shape, name="image")
    return keras.Model(inputs, upsample_nearest(inputs, levels=levels, name="block9_in0"))


def _nearest(x: np.ndarray, factor: int) -> np.ndarray:
    return np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_upsample_equals_repeat(levels):
    factor = 2**levels
    x = np.random.default_rng(levels).normal(size=(2, *_SHAPE)).astype(np.float32)
    model = _model(levels)
    out = np.asarray(model(x, training=False))
    assert out.shape == (2, _SHAPE[0] * factor, _SHAPE[1] * factor, _SHAPE[2])
    np.testing.assert_array_equal(out, _nearest(x, factor))
    reference = keras.layers.UpSampling2D(factor, interpolation="nearest")(x)
    np.testing.assert_array_equal(out, np.asarray(reference))


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
def test_upsample_layer_names_are_deterministic_and_unique(levels):
    names = [layer.name for layer in _model(levels).layers[1:]]
    assert len(names) == len(set(names))
    assert names[-1] == "block9_in0_up"
    assert all(name.startswith("block9_in0_up") for name in names)
    assert names == [layer.name for layer in _model(levels).layers[1:]]


def test_upsample_survives_a_config_round_trip():
    model = _model(3)
    clone = keras.Model.from_config(model.get_config())
    x = np.random.default_rng(0).normal(size=(1, *_SHAPE)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(clone(x)), _nearest(x, 8))


def _delegate_partitions(interpreter: Interpreter) -> int:
    return sum(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details())  # noqa: SLF001


@pytest.mark.parametrize("precision", [Precision.FP32, Precision.INT8])
def test_upsample_tflite_is_one_xnnpack_partition_and_exact(tmp_path: Path, precision):
    levels, shape = 3, (4, 6, 8)  # factor 8: a factor-4 stage, then a factor-2 one
    inputs = keras.Input(shape=shape, name="image")
    pre = keras.layers.Conv2D(8, 1, name="pre")(inputs)  # something for XNNPACK to run around the up-sampling
    model = keras.Model(inputs, {"pre": pre, "up": upsample_nearest(pre, levels=levels, name="block9_in0")})
    calibration = np.random.default_rng(1).normal(size=(8, *shape)).astype(np.float32)
    path = tmp_path / f"up_{precision.value}.tflite"
    convert_to_tflite(model, path, precision=precision, calibration=calibration)

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}  # noqa: SLF001
    assert ops == {"CONV_2D", "CONCATENATION", "RESHAPE"}
    interpreter.allocate_tensors()
    assert _delegate_partitions(interpreter) == 1

    # Both outputs come from the XNNPACK run; int8 ones share one scale (no requantisation).
    image = interpreter.get_input_details()[0]
    sample = calibration[:1]
    if image["dtype"] == np.int8:
        scale, zero = image["quantization"]
        sample = np.clip(np.round(sample / scale) + zero, -128, 127).astype(np.int8)
    interpreter.set_tensor(image["index"], sample)
    interpreter.invoke()
    outputs = {d["name"]: d for d in interpreter.get_output_details()}
    assert outputs["pre"]["quantization"] == outputs["up"]["quantization"]
    before = interpreter.get_tensor(outputs["pre"]["index"])
    after = interpreter.get_tensor(outputs["up"]["index"])
    assert after.shape == (1, shape[0] * 8, shape[1] * 8, 8)
    np.testing.assert_array_equal(after, _nearest(before, 8))
