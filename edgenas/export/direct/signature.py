"""`file_signature`: what of a .tflite file decides its latency, op by op, for comparing two files.

Two files with equal signatures run the same kernels on the same shapes: the
same op types in the same order with the same versions and options (strides,
padding, fused activations, kept dimensions), the same tensor shapes and types
on every input and output, and the same quantisation granularity (per tensor,
or per channel along which axis). Weights, scales and tensor names are not part
of it. `first_difference` names the first op where two signatures part.

No TensorFlow: the schema module only.
"""

from __future__ import annotations

import dataclasses

from ai_edge_litert import schema_py_generated as schema

__all__ = ["OpSignature", "TensorSignature", "file_signature", "first_difference", "onnx_file_signature"]

_OP_NAMES = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
_TYPE_NAMES = {value: name for name, value in vars(schema.TensorType).items() if not name.startswith("_")}
_IGNORED_OPTIONS = frozenset({"quantizedBiasType"})  # a schema default the two writers may spell differently


@dataclasses.dataclass(frozen=True)
class TensorSignature:
    """One operand: shape, type, quantisation ("float", "per-tensor", "per-channel@axis"), constant or not."""

    shape: tuple[int, ...]
    type: str
    quantization: str
    constant: bool

    def __str__(self) -> str:
        return f"{self.type}{list(self.shape)}{'' if self.quantization == 'float' else ' ' + self.quantization}" + (
            " const" if self.constant else ""
        )


@dataclasses.dataclass(frozen=True)
class OpSignature:
    """One op: its builtin, version, options, and operands (None for an absent optional input)."""

    op: str
    version: int
    options: tuple[tuple[str, object], ...]
    inputs: tuple[TensorSignature | None, ...]
    outputs: tuple[TensorSignature, ...]

    def __str__(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.options)
        ins = ", ".join("-" if t is None else str(t) for t in self.inputs)
        outs = ", ".join(str(t) for t in self.outputs)
        return f"{self.op} v{self.version} ({options}) [{ins}] -> [{outs}]"


def _tensor(model: schema.ModelT, graph: schema.SubGraphT, index: int) -> TensorSignature | None:
    if index < 0:
        return None
    tensor = graph.tensors[index]
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        granularity = "float"
    elif len(q.scale) == 1:
        granularity = "per-tensor"
    else:
        granularity = f"per-channel@{q.quantizedDimension}"
    buffer = model.buffers[tensor.buffer]
    constant = buffer.data is not None and len(buffer.data) > 0
    shape = tuple(int(v) for v in tensor.shape) if tensor.shape is not None else ()
    return TensorSignature(shape, _TYPE_NAMES[tensor.type], granularity, constant)


def file_signature(content: bytes) -> tuple[OpSignature, ...]:
    """The signature of every op of the file's first subgraph, in execution order."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(content, 0))
    graph = model.subgraphs[0]
    ops = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        options = op.builtinOptions
        items = () if options is None else tuple(
            sorted((k, v) for k, v in vars(options).items() if k not in _IGNORED_OPTIONS)
        )  # fmt: skip
        ops.append(
            OpSignature(
                op=_OP_NAMES[max(code.builtinCode, code.deprecatedBuiltinCode)],
                version=int(code.version),
                options=items,
                inputs=tuple(_tensor(model, graph, int(i)) for i in op.inputs),
                outputs=tuple(_tensor(model, graph, int(i)) for i in op.outputs),  # type: ignore[misc]
            )
        )
    return tuple(ops)


def first_difference(expected: tuple[OpSignature, ...], actual: tuple[OpSignature, ...]) -> str | None:
    """None if the signatures are equal; else a message naming the first op that differs and both versions of it."""
    for index, (a, b) in enumerate(zip(expected, actual)):
        if a != b:
            return f"op {index} differs:\n  converter: {a}\n  direct:    {b}"
    if len(expected) != len(actual):
        return f"the converter's file has {len(expected)} ops, the direct file {len(actual)}"
    return None


def onnx_file_signature(content: bytes) -> tuple[OpSignature, ...]:
    """The signature of every node of an ONNX model, in graph order (shapes by ONNX shape inference).

    Versions are the opset's (one for every node); quantisation granularity is not part of an ONNX tensor
    (a QDQ file carries it in its QuantizeLinear and DequantizeLinear nodes, which are listed as ops).
    Nodes that read only constants (a QDQ file's weight dequantisations) are listed last, sorted: the quantiser
    lists them in an order of its own, which no runtime follows (they are folded before the first inference).
    A Reshape whose output has its input's shape is left out: it moves no data, and tf2onnx's optimiser places
    such Reshapes (around an SE module's 1x1 convolutions) differently from one process to the next.
    """
    import onnx  # noqa: PLC0415
    from onnx import helper, shape_inference  # noqa: PLC0415

    model = shape_inference.infer_shapes(onnx.load_from_string(content))
    graph = model.graph
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    constants = {t.name: t for t in graph.initializer}
    shapes = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        tensor_type = info.type.tensor_type
        shapes[info.name] = (tuple(d.dim_value for d in tensor_type.shape.dim),
                             onnx.TensorProto.DataType.Name(tensor_type.elem_type))  # fmt: skip

    def operand(name: str) -> TensorSignature | None:
        if not name:
            return None
        if name in constants:
            t = constants[name]
            return TensorSignature(tuple(t.dims), onnx.TensorProto.DataType.Name(t.data_type), "float", True)
        shape, dtype = shapes.get(name, ((), "UNKNOWN"))
        return TensorSignature(shape, dtype, "float", False)

    ops, constant_only = [], []
    for node in graph.node:
        attributes = tuple(sorted((a.name, _plain(helper.get_attribute_value(a))) for a in node.attribute))
        signature = OpSignature(node.op_type, opset, attributes, tuple(operand(i) for i in node.input),
                                tuple(operand(o) for o in node.output))  # type: ignore[arg-type]  # fmt: skip
        if node.op_type == "Reshape" and signature.inputs[0] is not None and signature.outputs[0] is not None \
                and signature.inputs[0].shape == signature.outputs[0].shape:  # fmt: skip
            continue
        (constant_only if all(i in constants for i in node.input if i) else ops).append(signature)
    return (*ops, *sorted(constant_only, key=str))


def _plain(value: object) -> object:
    """An attribute value as hashable plain data."""
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value
