"""`Graph`: the inference graph of a timing model, as the TFLite converter would lay it out.

A graph is plain data: tensors (activations, and constants with their float
values) and ops in execution order, with the converter's fusions already made
(BatchNorm folded into the convolution's bias, ReLU and ReLU6 fused into the op
that produces them, where nothing else reads that op's output). `GraphBuilder`
makes one op at a time with shape inference and seeded random weights;
`edgenas.export.direct.tflite_file` writes a graph as a .tflite flatbuffer, fp32
or int8.

No TensorFlow: numpy only.
"""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np

__all__ = ["FusedActivation", "Graph", "GraphBuilder", "OpDef", "OpType", "Padding", "TensorDef", "TensorRole"]


class OpType(enum.Enum):
    """The TFLite builtin ops a timing graph uses (values: the builtin's name in the schema)."""

    CONV_2D = "CONV_2D"
    DEPTHWISE_CONV_2D = "DEPTHWISE_CONV_2D"
    ADD = "ADD"
    MUL = "MUL"
    MEAN = "MEAN"
    LOGISTIC = "LOGISTIC"
    HARD_SWISH = "HARD_SWISH"
    FULLY_CONNECTED = "FULLY_CONNECTED"
    MAX_POOL_2D = "MAX_POOL_2D"
    CONCATENATION = "CONCATENATION"
    RESHAPE = "RESHAPE"
    RELU = "RELU"
    RELU6 = "RELU6"


class FusedActivation(enum.Enum):
    """An activation the converter fuses into the op before it (values: the schema's names)."""

    NONE = "NONE"
    RELU = "RELU"
    RELU6 = "RELU6"


class Padding(enum.Enum):
    """Convolution padding (Keras "same" and "valid")."""

    SAME = "SAME"
    VALID = "VALID"


class TensorRole(enum.Enum):
    """What a tensor is, which decides how int8 quantises it."""

    ACTIVATION = "activation"
    """Computed at run time: int8, one scale per tensor, calibrated."""
    WEIGHT = "weight"
    """A convolution or dense kernel: int8, one symmetric scale per output channel."""
    BIAS = "bias"
    """A bias: int32, scale input scale x weight scale per channel."""
    AXES = "axes"
    """Integer operands (a reduction's axes, a reshape's new shape): int32, never quantised."""
    CONSTANT = "constant"
    """A float operand of an elementwise op (a BatchNorm the converter could not fold: its per-channel scale
    or offset): int8 with one scale per tensor, from its own values."""


@dataclasses.dataclass(frozen=True)
class TensorDef:
    """One tensor of a graph.

    Attributes:
        name: Its name in the file.
        shape: Its shape (batch first for activations).
        role: What it is (see `TensorRole`).
        data: The constant's values (float32, or int32 for axes); None for activations.
        channel_axis: The output-channel axis of a weight (0 for conv and dense kernels, 3 for depthwise).
    """

    name: str
    shape: tuple[int, ...]
    role: TensorRole
    data: np.ndarray | None = None
    channel_axis: int = 0


@dataclasses.dataclass(frozen=True)
class OpDef:
    """One op of a graph.

    Attributes:
        op: The builtin.
        inputs: Tensor indices; -1 for an absent optional input (a dense layer without bias).
        outputs: Tensor indices.
        strides: Stride of a convolution (height and width alike).
        padding: Padding of a convolution.
        activation: The activation fused into the op.
        keep_dims: Whether a MEAN keeps the reduced axes.
        pool_size: The window of a MAX_POOL_2D (height and width alike).
        axis: The axis of a CONCATENATION, as the converter writes it (Keras' -1 stays -1).
    """

    op: OpType
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    strides: int = 1
    padding: Padding = Padding.SAME
    activation: FusedActivation = FusedActivation.NONE
    keep_dims: bool = False
    pool_size: int = 0
    axis: int = 0


@dataclasses.dataclass(frozen=True)
class Graph:
    """A whole timing graph: tensors, ops in execution order, the input and output tensors."""

    tensors: tuple[TensorDef, ...]
    ops: tuple[OpDef, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def _same_size(size: int, stride: int) -> int:
    return math.ceil(size / stride)


_POOL_SIZE = 1 << 20
_pool: np.ndarray | None = None


def _normal_pool() -> np.ndarray:
    """2**20 standard normal float32 values, drawn once per process (a fixed seed): weights are windows of it.

    Drawing every weight afresh cost 40 of the 90 ms that writing MnasNet-A1 took (3.9 M values); a window of
    a fixed pool at a seeded offset is as good for timing and int8 calibration, and costs one multiply.
    """
    global _pool  # noqa: PLW0603 - a process-wide constant, made on first use
    if _pool is None:
        _pool = np.random.default_rng(0x5EED).standard_normal(_POOL_SIZE, dtype=np.float32)
    return _pool


class GraphBuilder:
    """Builds a `Graph` op by op, with shape inference and seeded random constants.

    Weights are drawn so that activations stay near unit scale through a deep
    network (He-style variance per fan-in). The bias a BatchNorm folds into a
    convolution is small and non-zero, so that no ReLU is dead on every input;
    an SE module's biases are zero, as Keras initialises them (int8 calibration
    may then see a constant zero, handled as on the converter path: see
    `edgenas.export._int8_ranges`). Each weight is a window of a fixed pool of
    normal values at a seeded offset (`_normal_pool`).

    Args:
        seed: Seed of every random constant.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._tensors: list[TensorDef] = []
        self._ops: list[OpDef] = []
        self._inputs: list[int] = []
        self._axes: int | None = None

    def shape(self, tensor: int) -> tuple[int, ...]:
        """The shape of a tensor made so far."""
        return self._tensors[tensor].shape

    def _add(self, tensor: TensorDef) -> int:
        self._tensors.append(tensor)
        return len(self._tensors) - 1

    def _activation(self, name: str, shape: tuple[int, ...]) -> int:
        return self._add(TensorDef(name, tuple(int(v) for v in shape), TensorRole.ACTIVATION))

    def _weight(self, name: str, shape: tuple[int, ...], *, fan_in: int, channel_axis: int) -> int:
        pool = _normal_pool()
        size = math.prod(shape)
        start = int(self._rng.integers(_POOL_SIZE))
        window = pool[start : start + size]
        while window.size < size:  # wrap around the pool
            window = np.concatenate([window, pool[: size - window.size]])
        data = (window * np.float32(math.sqrt(2.0 / fan_in))).reshape(shape)
        return self._add(TensorDef(name, shape, TensorRole.WEIGHT, data, channel_axis))

    def _bias(self, name: str, size: int, *, zero: bool = False, value: float | None = None) -> int:
        if zero or value is not None:
            data = np.full(size, 0.0 if value is None else value, np.float32)
        else:
            data = self._rng.uniform(-0.1, 0.1, size=(size,)).astype(np.float32)
        return self._add(TensorDef(name, (size,), TensorRole.BIAS, data))

    def input(self, name: str, shape: tuple[int, ...]) -> int:
        """Adds a graph input."""
        index = self._activation(name, shape)
        self._inputs.append(index)
        return index

    def conv2d(
        self,
        x: int,
        *,
        filters: int,
        kernel_size: int,
        strides: int = 1,
        padding: Padding = Padding.SAME,
        activation: FusedActivation = FusedActivation.NONE,
        zero_bias: bool = False,
        bias_value: float | None = None,
        name: str,
    ) -> int:
        """A convolution with bias (BatchNorm folded in) and a fused activation.

        `zero_bias`: the bias of a Keras convolution with `use_bias=True` and no BatchNorm (an SE module's),
        zero as Keras initialises it. tf2onnx drops such a bias; the TFLite converter keeps it.
        `bias_value`: a bias of Keras' constant initialiser with no BatchNorm after it (a detection head's
        output convolution), every channel this value.
        """
        batch, height, width, channels = self.shape(x)
        if padding is Padding.SAME:
            out_h, out_w = _same_size(height, strides), _same_size(width, strides)
        else:
            out_h, out_w = (height - kernel_size) // strides + 1, (width - kernel_size) // strides + 1
        weight = self._weight(
            f"{name}/kernel", (filters, kernel_size, kernel_size, channels),
            fan_in=kernel_size * kernel_size * channels, channel_axis=0,
        )  # fmt: skip
        bias = self._bias(f"{name}/bias", filters, zero=zero_bias, value=bias_value)
        out = self._activation(name, (batch, out_h, out_w, filters))
        self._ops.append(OpDef(OpType.CONV_2D, (x, weight, bias), (out,), strides, padding, activation))
        return out

    def depthwise_conv2d(
        self,
        x: int,
        *,
        kernel_size: int,
        strides: int = 1,
        activation: FusedActivation = FusedActivation.NONE,
        zero_bias: bool = False,
        name: str,
    ) -> int:
        """A depthwise convolution (multiplier 1, "same" padding) with bias and a fused activation.

        `zero_bias`: a depthwise convolution with no bias and no BatchNorm (a separable convolution's first
        half), to which the converter gives a zero bias.
        """
        batch, height, width, channels = self.shape(x)
        weight = self._weight(
            f"{name}/depthwise_kernel", (1, kernel_size, kernel_size, channels),
            fan_in=kernel_size * kernel_size, channel_axis=3,
        )  # fmt: skip
        bias = self._bias(f"{name}/bias", channels, zero=zero_bias)
        out = self._activation(name, (batch, _same_size(height, strides), _same_size(width, strides), channels))
        self._ops.append(OpDef(OpType.DEPTHWISE_CONV_2D, (x, weight, bias), (out,), strides, Padding.SAME, activation))
        return out

    def _elementwise(self, op: OpType, a: int, b: int, name: str,
                     activation: FusedActivation = FusedActivation.NONE) -> int:  # fmt: skip
        shape = tuple(max(p, q) for p, q in zip(self.shape(a), self.shape(b), strict=True))
        out = self._activation(name, shape)
        self._ops.append(OpDef(op, (a, b), (out,), activation=activation))
        return out

    def add(self, a: int, b: int, *, activation: FusedActivation = FusedActivation.NONE, name: str) -> int:
        """An elementwise sum, with the ReLU or ReLU6 that follows it fused in."""
        return self._elementwise(OpType.ADD, a, b, name, activation)

    def mul(self, a: int, b: int, *, name: str) -> int:
        """An elementwise product (broadcasting a 1x1 gate over a feature map)."""
        return self._elementwise(OpType.MUL, a, b, name)

    def _channel_constant(self, name: str, size: int, *, low: float, high: float) -> int:
        data = self._rng.uniform(low, high, size=(size,)).astype(np.float32)
        return self._add(TensorDef(name, (size,), TensorRole.CONSTANT, data))

    def mul_constant(self, x: int, *, name: str) -> int:
        """`x` times a seeded per-channel constant of shape (C,) near 1 (an unfolded BatchNorm's scale)."""
        scale = self._channel_constant(f"{name}/y", self.shape(x)[-1], low=0.5, high=1.5)
        out = self._activation(name, self.shape(x))
        self._ops.append(OpDef(OpType.MUL, (x, scale), (out,)))
        return out

    def add_constant(self, x: int, *, name: str) -> int:
        """`x` plus a seeded small per-channel constant of shape (C,) (an unfolded BatchNorm's offset)."""
        offset = self._channel_constant(f"{name}/y", self.shape(x)[-1], low=-0.1, high=0.1)
        out = self._activation(name, self.shape(x))
        self._ops.append(OpDef(OpType.ADD, (x, offset), (out,)))
        return out

    def relu(self, x: int, *, six: bool = False, name: str) -> int:
        """A ReLU (ReLU6 with `six`) as an op of its own: the converter fuses it into the op before it only
        where that op's output has no other reader."""
        out = self._activation(name, self.shape(x))
        self._ops.append(OpDef(OpType.RELU6 if six else OpType.RELU, (x,), (out,)))
        return out

    def logistic(self, x: int, *, name: str) -> int:
        """The sigmoid."""
        out = self._activation(name, self.shape(x))
        self._ops.append(OpDef(OpType.LOGISTIC, (x,), (out,)))
        return out

    def hard_swish(self, x: int, *, name: str) -> int:
        """x * relu6(x + 3) / 6, the converter's single op."""
        out = self._activation(name, self.shape(x))
        self._ops.append(OpDef(OpType.HARD_SWISH, (x,), (out,)))
        return out

    def mean_spatial(self, x: int, *, keep_dims: bool, name: str) -> int:
        """The mean over height and width (global average pooling)."""
        if self._axes is None:  # the converter shares one axes constant between every MEAN
            self._axes = self._add(TensorDef("reduction_axes", (2,), TensorRole.AXES, np.array([1, 2], np.int32)))
        batch, _, _, channels = self.shape(x)
        out = self._activation(name, (batch, 1, 1, channels) if keep_dims else (batch, channels))
        self._ops.append(OpDef(OpType.MEAN, (x, self._axes), (out,), keep_dims=keep_dims))
        return out

    def fully_connected(self, x: int, *, units: int, name: str) -> int:
        """A dense layer without bias (Keras' zero-initialised bias, which the converter drops)."""
        batch, features = self.shape(x)
        weight = self._weight(f"{name}/kernel", (units, features), fan_in=features, channel_axis=0)
        out = self._activation(name, (batch, units))
        self._ops.append(OpDef(OpType.FULLY_CONNECTED, (x, weight, -1), (out,)))
        return out

    def max_pool2d(self, x: int, *, pool_size: int, strides: int, name: str) -> int:
        """Max pooling with "same" padding (the window's padded cells never win)."""
        batch, height, width, channels = self.shape(x)
        out = self._activation(name, (batch, _same_size(height, strides), _same_size(width, strides), channels))
        self._ops.append(OpDef(OpType.MAX_POOL_2D, (x,), (out,), strides, Padding.SAME, pool_size=pool_size))
        return out

    def concatenation(self, inputs: list[int], *, axis: int, name: str) -> int:
        """Joins tensors of one rank along `axis` (negative counts from the last, and is written so)."""
        shapes = [self.shape(t) for t in inputs]
        rank = len(shapes[0])
        along = axis % rank
        if any(len(s) != rank or s[:along] + s[along + 1 :] != shapes[0][:along] + shapes[0][along + 1 :]
               for s in shapes):  # fmt: skip
            raise ValueError(f"cannot concatenate shapes {shapes} along axis {axis}")
        shape = list(shapes[0])
        shape[along] = sum(s[along] for s in shapes)
        out = self._activation(name, tuple(shape))
        self._ops.append(OpDef(OpType.CONCATENATION, tuple(inputs), (out,), axis=axis))
        return out

    def reshape(self, x: int, *, shape: tuple[int, ...], name: str) -> int:
        """The same values read in another shape (its new shape an int32 constant of its own)."""
        if math.prod(shape) != math.prod(self.shape(x)):
            raise ValueError(f"cannot reshape {self.shape(x)} to {shape}")
        new_shape = self._add(TensorDef(f"{name}/shape", (len(shape),), TensorRole.AXES, np.array(shape, np.int32)))
        out = self._activation(name, shape)
        self._ops.append(OpDef(OpType.RESHAPE, (x, new_shape), (out,)))
        return out

    def finish(self, outputs: list[int]) -> Graph:
        """The graph with these outputs."""
        return Graph(tuple(self._tensors), tuple(self._ops), tuple(self._inputs), tuple(outputs))
