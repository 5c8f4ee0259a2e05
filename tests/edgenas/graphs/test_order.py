"""`converter_order`: branches in the converter's order, by the names of the ops that read a shared tensor."""

from __future__ import annotations

import dataclasses

import pytest

from edgenas.graphs import GraphBuilder, OpType
from edgenas.graphs.order import converter_order


def _names(graph) -> list[str]:  # noqa: ANN001
    return [graph.tensors[op.outputs[0]].name for op in graph.ops]


def test_a_branch_whose_name_sorts_last_is_walked_first_and_so_written_last() -> None:
    # x feeds "a/long" (two ops before the join) and "b/proj" (one): the walk takes "b" first, so its ops
    # finish first and come last, just before the join that needs both.
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 8, 8, 4))
    stem = g.conv2d(x, filters=4, kernel_size=3, name="stem")
    proj = g.conv2d(stem, filters=4, kernel_size=1, name="b/proj")
    first = g.conv2d(stem, filters=4, kernel_size=3, name="a/long")
    second = g.conv2d(first, filters=4, kernel_size=3, name="a/long2")
    joined = g.add(second, proj, name="join")
    built = g.finish([joined])
    assert _names(built) == ["stem", "b/proj", "a/long", "a/long2", "join"]
    assert _names(converter_order(built)) == ["stem", "a/long", "a/long2", "b/proj", "join"]


def test_downstream_of_a_join_follows_the_branch_that_reached_it_first() -> None:
    # "z/late" reads stem, "a/early" reads stem; "z/late"'s walk enters the join and everything after it
    # before "a/early" is walked, so everything downstream of the join comes after both branches.
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 8, 8, 4))
    stem = g.conv2d(x, filters=4, kernel_size=1, name="stem")
    early = g.conv2d(stem, filters=4, kernel_size=1, name="a/early")
    late = g.conv2d(stem, filters=4, kernel_size=1, name="z/late")
    side = g.conv2d(early, filters=4, kernel_size=1, name="a/side")
    joined = g.add(early, late, name="m/join")
    tail = g.conv2d(joined, filters=4, kernel_size=1, name="m/tail")
    ordered = converter_order(g.finish([tail, side]))
    assert _names(ordered) == ["stem", "a/early", "a/side", "z/late", "m/join", "m/tail"]


def test_identical_ops_without_weights_are_merged_and_their_tensors_dropped() -> None:
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 4, 4, 2))
    stem = g.conv2d(x, filters=2, kernel_size=1, name="stem")
    copies = []
    for name in ("b", "a"):  # two identical up-samplings by 2 of the same tensor
        wide = g.concatenation([stem, stem], axis=-1, name=f"{name}_up_wcat_1/concat")
        copies.append(g.reshape(wide, shape=(1, 4, 8, 2), name=f"{name}_up_w_1/Reshape"))
    heads = [g.conv2d(c, filters=2, kernel_size=1, name=f"{n}_expand") for c, n in zip(copies, "ba", strict=True)]
    built = g.finish(heads)
    ordered = converter_order(built)
    assert len(ordered.ops) == len(built.ops) - 2
    assert len(ordered.tensors) == len(built.tensors) - 3  # the merged concat's and reshape's outputs, its shape
    concat = [op for op in ordered.ops if op.op is OpType.CONCATENATION]
    assert [ordered.tensors[op.outputs[0]].name for op in concat] == ["a_up_wcat_1/concat"]  # the first in order
    reshaped = next(op.outputs[0] for op in ordered.ops if op.op is OpType.RESHAPE)
    readers = [op for op in ordered.ops if reshaped in op.inputs]
    assert sorted(ordered.tensors[op.outputs[0]].name for op in readers) == ["a_expand", "b_expand"]
    assert all(0 <= i < len(ordered.tensors) for op in ordered.ops for i in (*op.inputs, *op.outputs))


def test_an_op_the_inputs_do_not_reach_is_refused() -> None:
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 4, 4, 2))
    other = g.input("other", (1, 4, 4, 2))
    out = g.conv2d(x, filters=2, kernel_size=1, name="a")
    orphan = g.logistic(other, name="orphan")
    graph = g.finish([out, orphan])
    with pytest.raises(ValueError, match="not reachable"):
        converter_order(dataclasses.replace(graph, inputs=(x,)))
