"""`GraphBuilder`: shapes as the converter's, seeded constants, one shared axes tensor."""

from __future__ import annotations

import numpy as np

from edgenas.graphs import FusedActivation, GraphBuilder, OpType, Padding, TensorRole


def _small(seed: int) -> tuple[GraphBuilder, list[int]]:
    g = GraphBuilder(seed=seed)
    x = g.input("image", (1, 33, 31, 3))
    a = g.conv2d(x, filters=8, kernel_size=3, strides=2, activation=FusedActivation.RELU6, name="stem")
    b = g.depthwise_conv2d(a, kernel_size=5, strides=2, name="dw")
    c = g.conv2d(b, filters=4, kernel_size=3, padding=Padding.VALID, name="valid")
    s = g.mean_spatial(b, keep_dims=True, name="squeeze")
    gate = g.logistic(g.conv2d(s, filters=8, kernel_size=1, padding=Padding.VALID, name="se"), name="gate")
    m = g.mul(b, gate, name="excite")
    p = g.mean_spatial(m, keep_dims=False, name="pool")
    out = g.fully_connected(p, units=5, name="fc")
    return g, [a, b, c, s, m, p, out]


def test_shapes_follow_same_and_valid_padding_and_broadcasting() -> None:
    g, tensors = _small(0)
    assert [g.shape(t) for t in tensors] == [
        (1, 17, 16, 8),  # ceil(33 / 2), ceil(31 / 2)
        (1, 9, 8, 8),
        (1, 7, 6, 4),  # valid 3x3
        (1, 1, 1, 8),
        (1, 9, 8, 8),  # the 1x1 gate broadcast over the map
        (1, 8),
        (1, 5),
    ]


def test_the_graph_lists_ops_in_order_with_one_shared_axes_constant() -> None:
    g, tensors = _small(0)
    graph = g.finish([tensors[-1]])
    assert [op.op for op in graph.ops] == [
        OpType.CONV_2D, OpType.DEPTHWISE_CONV_2D, OpType.CONV_2D, OpType.MEAN, OpType.CONV_2D, OpType.LOGISTIC,
        OpType.MUL, OpType.MEAN, OpType.FULLY_CONNECTED,
    ]  # fmt: skip
    means = [op for op in graph.ops if op.op is OpType.MEAN]
    assert means[0].inputs[1] == means[1].inputs[1]
    assert [m.keep_dims for m in means] == [True, False]
    assert graph.ops[-1].inputs[2] == -1  # the classifier has no bias
    assert graph.inputs == (0,) and graph.outputs == (tensors[-1],)
    depthwise = graph.tensors[graph.ops[1].inputs[1]]
    assert depthwise.shape == (1, 5, 5, 8) and depthwise.channel_axis == 3 and depthwise.role is TensorRole.WEIGHT


def test_constants_are_seeded_finite_and_scaled_by_fan_in() -> None:
    one, _ = _small(7)
    again, _ = _small(7)
    other, _ = _small(8)
    def constants(builder: GraphBuilder) -> list[np.ndarray]:
        return [t.data for t in builder.finish([]).tensors if t.data is not None]

    assert all(np.array_equal(a, b) for a, b in zip(constants(one), constants(again), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(constants(one), constants(other), strict=True))
    stem = one.finish([]).tensors[1]
    assert stem.data.dtype == np.float32 and np.isfinite(stem.data).all()
    assert 0.5 < float(stem.data.std()) / np.sqrt(2 / 27) < 1.5  # He scale for a 3x3x3 fan-in


def test_pooling_concatenation_and_reshape_shapes_and_operands() -> None:
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 9, 8, 4))
    pooled = g.max_pool2d(x, pool_size=3, strides=2, name="pool")
    joined = g.concatenation([pooled, pooled, pooled], axis=-1, name="wcat")
    tall = g.concatenation([pooled, pooled], axis=1, name="hcat")
    flat = g.reshape(joined, shape=(1, 60, 4), name="flat")
    summed = g.add(pooled, pooled, activation=FusedActivation.RELU6, name="sum")
    graph = g.finish([flat, tall, summed])
    shapes = [g.shape(t) for t in (pooled, joined, tall, flat)]
    assert shapes == [(1, 5, 4, 4), (1, 5, 4, 12), (1, 10, 4, 4), (1, 60, 4)]
    pool, wcat, hcat, reshape, add = graph.ops
    assert (pool.op, pool.pool_size, pool.strides, pool.padding) == (OpType.MAX_POOL_2D, 3, 2, Padding.SAME)
    assert (wcat.op, wcat.axis, wcat.inputs) == (OpType.CONCATENATION, -1, (pooled,) * 3)
    assert hcat.axis == 1
    new_shape = graph.tensors[reshape.inputs[1]]
    assert new_shape.role is TensorRole.AXES and new_shape.data.tolist() == [1, 60, 4]
    assert add.activation is FusedActivation.RELU6


def test_impossible_concatenations_and_reshapes_are_refused() -> None:
    import pytest  # noqa: PLC0415

    g = GraphBuilder(seed=0)
    a, b = g.input("a", (1, 4, 4, 2)), g.input("b", (1, 4, 5, 2))
    with pytest.raises(ValueError, match="cannot concatenate"):
        g.concatenation([a, b], axis=-1, name="bad")
    with pytest.raises(ValueError, match="cannot reshape"):
        g.reshape(a, shape=(1, 33), name="bad")


def test_constant_and_zero_biases_draw_nothing_from_the_seed() -> None:
    def build(**bias: object) -> list[np.ndarray]:
        g = GraphBuilder(seed=3)
        x = g.input("image", (1, 8, 8, 3))
        x = g.depthwise_conv2d(x, kernel_size=3, name="dw", **{k: v for k, v in bias.items() if k == "zero_bias"})
        x = g.conv2d(x, filters=4, kernel_size=1, name="pw", **{k: v for k, v in bias.items() if k == "bias_value"})
        return [t.data for t in g.finish([x]).tensors if t.data is not None]

    plain, constant = build(), build(zero_bias=True, bias_value=-4.5)
    assert np.array_equal(plain[0], constant[0]) and np.array_equal(plain[2], constant[2])  # the same kernels
    assert not constant[1].any() and np.all(constant[3] == np.float32(-4.5))
