"""Gives the int8 tensors that calibration saw constant at zero a range XNNPACK accepts.

A random-weight network can have a tensor that is exactly zero on every calibration
image: in an SE block whose bottleneck has a few channels (3-4 in the failures seen:
SE ratio 0.25 of 12-18 input filters), the pooled input barely changes between images
and with zero biases every channel of the reduce convolution can come out negative,
so its ReLU output is 0 everywhere. The TFLite quantizer widens such a range to +-1e-6 (its
`ExpandVerySmallRange`): scale 7.84e-9, zero point 0. The convolution that writes
the tensor then has a requantization scale `input_scale * kernel_scale /
output_scale` of several hundred, and XNNPACK refuses any convolution or fully
connected operator whose requantization scale is >= 256 (`init_requantization_scale_qs8`
in XNNPACK's `src/operators/convolution-nhwc.c`): LiteRT fails with "failed to
create XNNPACK runtime" when the model is loaded. Measured: 4 of 110 random int8
mnasnet points at 224x224 (seed 0), each at the SE reduce output of stage 1 or 2.

Any scale represents a constant zero exactly (the zero point stays), so the fix
only changes the number the quantizer picked: such a tensor gets the scale of a
unit range, 2**-7. The bias of every convolution or fully connected op that reads
it is requantized to the new input scale (a bias's scale is input scale x kernel
scale), so the file computes what the converter's file computes. A file without
such a tensor is returned unchanged, byte for byte.

Imports TensorFlow (its flatbuffer tools) when a file needs the change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tflite

from edgenas.errors import ExportError

__all__ = ["CONSTANT_ZERO_SCALE", "NOMINAL_SCALE", "widen_constant_zero_ranges"]

CONSTANT_ZERO_SCALE = 1e-8
"""Activation scales at or below this mark a tensor calibration saw constant at zero.
TF 2.21 gives it 2e-6 / 255 = 7.84e-9; the smallest scale of any other activation in
110 random int8 mnasnet models (224x224, seed 0) was 5.7e-5."""
NOMINAL_SCALE = 2.0**-7
"""The scale such a tensor gets: int8 covers about [-1, 1] around its zero point."""

_INT8 = 9  # tflite TensorType.INT8
_INT32 = 2  # tflite TensorType.INT32
_INT32_LIMITS = (-(2**31), 2**31 - 1)
# Builtin op code -> (data input, kernel input, bias input): the ops whose bias scale
# is input scale x kernel scale (tflite BuiltinOperator values).
_BIASED_OPS = {
    3: ("CONV_2D", 0, 1, 2),
    4: ("DEPTHWISE_CONV_2D", 0, 1, 2),
    9: ("FULLY_CONNECTED", 0, 1, 2),
    67: ("TRANSPOSE_CONV", 2, 1, 3),
}


def widen_constant_zero_ranges(flatbuffer: bytes) -> bytes:
    """Returns the int8 .tflite `flatbuffer` with every constant-zero activation at `NOMINAL_SCALE`.

    Args:
        flatbuffer: A fully quantized int8 TFLite model.

    Returns:
        The same bytes if no activation has a scale <= `CONSTANT_ZERO_SCALE`, else
        the model with those scales set to `NOMINAL_SCALE` and the biases of the
        ops reading them requantized to match.

    Raises:
        ExportError: If a bias that must be requantized was saturated by the
            converter (its value is lost) or is not int32.
    """
    if not _has_constant_zero_tensor(flatbuffer):
        return flatbuffer
    from tensorflow.lite.tools import flatbuffer_utils  # noqa: PLC0415 - TensorFlow only when needed

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    for subgraph in model.subgraphs:
        widened = {}
        for index, tensor in enumerate(subgraph.tensors):
            if _is_constant_zero_activation(tensor, model.buffers):
                widened[index] = float(tensor.quantization.scale[0])
                tensor.quantization.scale = np.array([NOMINAL_SCALE], dtype=np.float32)
        for op in subgraph.operators:
            _requantize_bias(model, subgraph, op, widened)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _has_constant_zero_tensor(flatbuffer: bytes) -> bool:
    """A fast read-only scan (the `tflite` reader, no copy) for a constant-zero activation."""
    model = tflite.Model.GetRootAsModel(flatbuffer, 0)
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for t in range(subgraph.TensorsLength()):
            tensor = subgraph.Tensors(t)
            quant = tensor.Quantization()
            if tensor.Type() != _INT8 or quant is None or quant.ScaleLength() != 1:
                continue
            buffer = model.Buffers(tensor.Buffer())
            if buffer is not None and (buffer.DataLength() or buffer.Offset() > 1):
                continue  # a constant (weights), stored inline or after the flatbuffer
            if 0.0 < quant.Scale(0) <= CONSTANT_ZERO_SCALE:
                return True
    return False


def _is_constant_zero_activation(tensor: Any, buffers: list[Any]) -> bool:
    quant = tensor.quantization
    if tensor.type != _INT8 or quant is None or quant.scale is None or len(quant.scale) != 1:
        return False
    buffer = buffers[tensor.buffer]
    if (buffer.data is not None and len(buffer.data)) or buffer.offset > 1:
        return False  # a constant (weights), not an activation
    return 0.0 < float(quant.scale[0]) <= CONSTANT_ZERO_SCALE


def _requantize_bias(model: Any, subgraph: Any, op: Any, widened: dict[int, float]) -> None:
    """Rescales the int32 bias of a conv / FC op whose data input got a new scale."""
    code = model.operatorCodes[op.opcodeIndex]
    known = _BIASED_OPS.get(max(code.builtinCode, code.deprecatedBuiltinCode))
    if known is None:
        return
    name, data_at, kernel_at, bias_at = known
    inputs = list(op.inputs)
    if len(inputs) <= bias_at or inputs[data_at] not in widened or inputs[bias_at] < 0:
        return
    old_input_scale = widened[inputs[data_at]]
    kernel_scale = np.asarray(subgraph.tensors[inputs[kernel_at]].quantization.scale, dtype=np.float32)
    bias = subgraph.tensors[inputs[bias_at]]
    where = f"{name} bias {bias.name.decode(errors='replace')!r}"
    if bias.type != _INT32:
        raise ExportError(f"cannot requantize the {where}: type {bias.type}, not int32")
    values = np.frombuffer(bytes(model.buffers[bias.buffer].data), dtype=np.int32).astype(np.float64)
    if values.size and (values.min() <= _INT32_LIMITS[0] or values.max() >= _INT32_LIMITS[1]):
        raise ExportError(
            f"cannot requantize the {where}: the converter saturated it at input scale {old_input_scale:.3g}"
        )
    new_scale = np.float32(NOMINAL_SCALE) * kernel_scale  # what the quantizer computes, in float32
    old_scale = np.asarray(bias.quantization.scale, dtype=np.float64)
    requantized = np.round(values * old_scale / new_scale.astype(np.float64)).astype(np.int32)
    model.buffers[bias.buffer].data = np.frombuffer(requantized.tobytes(), dtype=np.uint8)
    bias.quantization.scale = np.broadcast_to(new_scale, old_scale.shape).astype(np.float32)
