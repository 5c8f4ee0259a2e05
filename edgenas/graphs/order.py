"""`converter_order`: the ops of a branching graph as the TFLite converter writes them: its rewrites, its order.

Before ordering, the converter reads a sum whose second operand is a 1x1 map,
(1, 1, 1, C), as a bias add (TensorFlow's graph optimiser): that operand is
squeezed to (C,) by a RESHAPE named `<the sum's scope>/Squeeze`, and the ADD
adds the (C,) vector (a SpineNet's level-7 sums at a 128x128 input).
`converter_order` makes the same rewrite. After ordering, it drops what the
converter drops: a MEAN that keeps the dimensions of a 1x1 map (an identity; an
SE module's squeeze there), and duplicates (below).

The converter imports the TensorFlow graph in reverse post-order of a depth-first
walk from the input, which takes each op's consumers in descending order of
their TensorFlow names (TensorFlow's `GetReversePostOrder` with its by-name
comparator), and keeps that order through its rewrites. For a chain the order is
the chain's; where a graph branches it decides which branch comes first, and it
is not the order in which the Keras model creates the layers: a consumer whose
name sorts last is walked first, so its whole downstream lands after the other
branches'. Fused ops (a convolution with its BatchNorm and ReLU) sit where their
first TensorFlow op sat. The converter then merges ops that compute the same
thing (common-subexpression elimination: the same kind, options and operands,
no weights of their own, such as two identical up-samplings of one tensor), keeping
the first in that order; so does `converter_order`, and drops the tensors the
merged ops made.

A writer of a branching graph names each op's output tensor after the
TensorFlow op that reads the op's input (`"block3_in1_expand_conv_1/convolution"`,
`"block3_merge_act_1/Sigmoid"`: Keras layer name, name-scope suffix, op), builds
the ops in any order that computes the graph, and calls `converter_order`.

No TensorFlow: numpy only.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from edgenas.graphs.graph import Graph, OpDef, OpType, TensorDef, TensorRole

__all__ = ["converter_order"]


def converter_order(graph: Graph) -> Graph:
    """`graph` as the converter writes it: rewritten, ordered, identities dropped, duplicates merged (see the
    module docstring).

    Tensors keep their order, with the rewrite's new ones last; those no op uses any more are dropped (indices
    shift accordingly).

    Args:
        graph: A graph whose ops' first output tensors carry the TensorFlow names of the ops they stand for.

    Raises:
        ValueError: If an op is not reachable from the graph's inputs (it would not be in the converter's file).
    """
    graph = _bias_add_sums(graph)
    producers = {out: index for index, op in enumerate(graph.ops) for out in op.outputs}
    consumers: dict[int, list[int]] = {}  # op index (-1: the graph's inputs) -> consuming op indices, one per edge
    for index, op in enumerate(graph.ops):
        for tensor in op.inputs:
            if tensor in producers:
                consumers.setdefault(producers[tensor], []).append(index)
            elif tensor in graph.inputs:
                consumers.setdefault(-1, []).append(index)

    def name(index: int) -> str:
        return graph.tensors[graph.ops[index].outputs[0]].name

    visited: set[int] = set()
    post_order: list[int] = []
    stack: list[tuple[int, bool]] = [(-1, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            post_order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        # Pushed in ascending name order, so the consumer whose name sorts last is walked first.
        stack.extend((child, False) for child in sorted(consumers.get(node, []), key=name) if child not in visited)
    order = [node for node in reversed(post_order) if node >= 0]
    if len(order) != len(graph.ops):
        missing = sorted(set(range(len(graph.ops))) - set(order))
        raise ValueError(f"ops {missing[:5]} are not reachable from the graph's inputs")
    ordered = dataclasses.replace(graph, ops=tuple(graph.ops[i] for i in order))
    return _compact(_merge_duplicates(_drop_identities(ordered)))


def _drop_identities(graph: Graph) -> tuple[Graph, dict[int, int]]:
    """Drops each MEAN that keeps the dimensions of a 1x1 map; returns the graph and output -> input."""
    replaced: dict[int, int] = {}
    kept = []
    for op in graph.ops:
        source = graph.tensors[op.inputs[0]]
        if op.op is OpType.MEAN and op.keep_dims and source.shape[1:3] == (1, 1):
            replaced[op.outputs[0]] = replaced.get(op.inputs[0], op.inputs[0])
            continue
        kept.append(dataclasses.replace(op, inputs=tuple(replaced.get(i, i) for i in op.inputs)))
    return dataclasses.replace(graph, ops=tuple(kept)), replaced


def _bias_add_sums(graph: Graph) -> Graph:
    """Each ADD whose second operand is (1, 1, 1, C) adds it squeezed to (C,) by a RESHAPE of its own."""
    tensors, ops = list(graph.tensors), []
    for op in graph.ops:
        second = graph.tensors[op.inputs[1]] if op.op is OpType.ADD else None
        if second is None or len(second.shape) != 4 or any(d != 1 for d in second.shape[:-1]):
            ops.append(op)
            continue
        scope = graph.tensors[op.outputs[0]].name.rsplit("/", 1)[0]
        channels = second.shape[-1]
        tensors.append(TensorDef(f"{scope}/Squeeze/shape", (1,), TensorRole.AXES, np.array([channels], np.int32)))
        tensors.append(TensorDef(f"{scope}/Squeeze", (channels,), TensorRole.ACTIVATION))
        ops.append(OpDef(OpType.RESHAPE, (op.inputs[1], len(tensors) - 2), (len(tensors) - 1,)))
        ops.append(dataclasses.replace(op, inputs=(op.inputs[0], len(tensors) - 1)))
    return dataclasses.replace(graph, tensors=tuple(tensors), ops=tuple(ops))


def _operand(graph: Graph, index: int) -> object:
    """What an operand is for merging: a computed tensor by index, an integer constant by value."""
    tensor = graph.tensors[index]
    if tensor.role is TensorRole.AXES:
        assert tensor.data is not None
        return ("constant", tensor.shape, tensor.data.tobytes())
    return index


def _merge_duplicates(step: tuple[Graph, dict[int, int]]) -> tuple[Graph, dict[int, int]]:
    """Merges each op without weights into an earlier one of the same kind, options and operands."""
    graph, replaced = step
    seen: dict[tuple[object, ...], OpDef] = {}
    kept: list[OpDef] = []
    for op in graph.ops:
        op = dataclasses.replace(op, inputs=tuple(replaced.get(i, i) for i in op.inputs))
        if all(i < 0 or graph.tensors[i].role in (TensorRole.ACTIVATION, TensorRole.AXES) for i in op.inputs):
            key = (dataclasses.replace(op, inputs=(), outputs=()), *(_operand(graph, i) for i in op.inputs))
            if key in seen:
                replaced.update(zip(op.outputs, seen[key].outputs, strict=True))
                continue
            seen[key] = op
        kept.append(op)
    return dataclasses.replace(graph, ops=tuple(kept)), replaced


def _compact(step: tuple[Graph, dict[int, int]]) -> Graph:
    """The graph with every operand replaced as `replaced` says and the tensors no op uses any more dropped."""
    graph, replaced = step
    if not replaced:
        return graph

    def resolve(index: int) -> int:
        while index in replaced:
            index = replaced[index]
        return index

    ops = [dataclasses.replace(op, inputs=tuple(resolve(i) for i in op.inputs)) for op in graph.ops]
    outputs = tuple(resolve(i) for i in graph.outputs)
    used = {*graph.inputs, *outputs, *(i for op in ops for i in (*op.inputs, *op.outputs) if i >= 0)}
    new_index = {old: new for new, old in enumerate(i for i in range(len(graph.tensors)) if i in used)}

    def remap(indices: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(-1 if i < 0 else new_index[i] for i in indices)

    return Graph(
        tensors=tuple(t for i, t in enumerate(graph.tensors) if i in used),
        ops=tuple(dataclasses.replace(op, inputs=remap(op.inputs), outputs=remap(op.outputs)) for op in ops),
        inputs=remap(graph.inputs),
        outputs=remap(outputs),
    )
