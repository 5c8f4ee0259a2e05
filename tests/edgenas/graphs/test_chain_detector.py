"""`chain_detector_graph`: the detector's outputs, the FPN's ops and BatchNorms, the converter's order, no
TensorFlow."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections import Counter

import pytest

from edgenas import spaces
from edgenas.families import family_of, parse_spec
from edgenas.graphs import OpType, TensorRole
from edgenas.graphs.chain_detector import chain_detector_graph
from edgenas.graphs.fpn import fpn_decoder
from edgenas.graphs.graph import GraphBuilder
from edgenas.specs import Activation, FpnSpec, mobilenet_v2_fpn_retinanet

_REFERENCE = mobilenet_v2_fpn_retinanet()
_SWISH_PLAIN = (
    "swish-stem16-fused_mbconv_r1_k3_s1_e1_se0_c16-fused_mbconv_r2_k3_s2_e4_se0_c24"
    "-mbconv_r2_k3_s2_e4_se0.25_c32-mbconv_r1_k5_s2_e6_se0.25_c48-mbconv_r1_k3_s2_e6_se0.25_c64-head64"
    "|fpn_f24|head_c2_f16_a3"
)


def _graph(spec, shape=(320, 320, 3), classes=91):  # noqa: ANN001, ANN202
    return chain_detector_graph(spec, input_shape=shape, num_classes=classes)


def _names(graph) -> list[str]:  # noqa: ANN001
    return [graph.tensors[op.outputs[0]].name for op in graph.ops]


def test_the_outputs_are_the_familys_class_then_box_outputs() -> None:
    graph = _graph(_REFERENCE)
    expected = family_of(_REFERENCE).outputs(_REFERENCE, input_shape=(320, 320, 3), num_classes=91)
    assert [(graph.tensors[i].name, graph.tensors[i].shape) for i in graph.outputs] == [
        (o.name, o.shape) for o in expected]  # fmt: skip
    assert graph.tensors[graph.inputs[0]].shape == (1, 320, 320, 3)


def test_levels_5_and_6_keep_their_batchnorm_as_a_mul_and_an_add_of_channel_constants() -> None:
    graph = _graph(_REFERENCE)
    names = _names(graph)
    batchnorms = [(n, graph.ops[i]) for i, n in enumerate(names) if n.startswith("fpn_bn")]
    assert [n for n, _ in batchnorms] == [
        "fpn_bn5_1/batchnorm/mul_1", "fpn_bn5_1/batchnorm/add_1", "fpn_bn6_1/batchnorm/mul_1",
        "fpn_bn6_1/batchnorm/add_1",
    ]  # fmt: skip
    for _, op in batchnorms:
        constant = graph.tensors[op.inputs[1]]
        assert op.op in (OpType.MUL, OpType.ADD)
        assert constant.role is TensorRole.CONSTANT and constant.shape == (128,)
    # MobileNetV2's ReLU6 between levels 6 and 7 is an op of its own: level 6's output is also its BatchNorm's.
    (relu,) = [op for op in graph.ops if op.op is OpType.RELU6]
    assert names[graph.ops.index(relu)] == "fpn_act6_1/Relu6"


def test_a_separable_fpn_is_depthwise_and_pointwise_and_only_the_unfolded_levels_keep_a_zero_bias() -> None:
    graph = _graph(_REFERENCE)
    fpn = {n: op for n, op in zip(_names(graph), graph.ops, strict=True) if n.startswith(("fpn_lateral", "fpn_conv"))}
    assert len(fpn) == 2 * 8  # 3 laterals and 5 level convolutions, each a depthwise and a pointwise op
    zero_bias = sorted(n for n, op in fpn.items() if not graph.tensors[op.inputs[2]].data.any())
    depthwise = sorted(n for n in fpn if n.endswith("/depthwise"))
    pointwise_unfolded = [f"fpn_{layer}_1/separable_conv2d" for layer in
                          ("conv5", "conv6", "lateral3", "lateral4", "lateral5")]  # fmt: skip
    assert zero_bias == sorted(depthwise + pointwise_unfolded)


def test_a_plain_fpn_with_swish_has_full_convolutions_and_a_sigmoid_between_levels_6_and_7() -> None:
    spec = parse_spec(_SWISH_PLAIN)
    graph = _graph(spec, shape=(128, 160, 3), classes=7)
    names = _names(graph)
    kinds = Counter(op.op for n, op in zip(names, graph.ops, strict=True) if n.startswith("fpn_"))
    assert kinds == Counter({OpType.CONV_2D: 8, OpType.CONCATENATION: 4, OpType.RESHAPE: 4, OpType.ADD: 4,
                             OpType.MUL: 3, OpType.LOGISTIC: 1})  # fmt: skip
    assert "fpn_act6_1/Sigmoid" in names and "fpn_act6_1/mul_1" in names
    shapes = {n: graph.tensors[op.outputs[0]].shape for n, op in zip(names, graph.ops, strict=True)}
    assert [shapes[f"fpn_conv{level}_1/convolution"] for level in range(3, 8)] == [
        (1, 16, 20, 24), (1, 8, 10, 24), (1, 4, 5, 24), (1, 2, 3, 24), (1, 1, 2, 24)]  # fmt: skip


def test_ops_come_in_the_converters_order() -> None:
    names = _names(_graph(_REFERENCE))
    assert len(names) == len(set(names))
    # A tap feeds the next stage and a lateral; "stage..." sorts after "fpn_...", so the lateral comes first.
    assert names.index("fpn_lateral3_1/separable_conv2d") < names.index("fpn_lateral4_1/separable_conv2d/depthwise")
    # Level 5's convolution feeds its BatchNorm and level 6; "fpn_conv6" sorts last, so level 6 comes later.
    assert names.index("fpn_bn5_1/batchnorm/add_1") < names.index("fpn_conv6_1/separable_conv2d/depthwise")


def test_the_decoder_refuses_other_levels() -> None:
    g = GraphBuilder(seed=0)
    x = g.input("image", (1, 8, 8, 4))
    with pytest.raises(ValueError, match=r"fpn_decoder needs the backbone's levels \[3, 4, 5\], got \[3, 4\]"):
        fpn_decoder(g, {3: x, 4: x}, spec=FpnSpec(), activation=Activation.RELU)


def test_every_point_of_the_detection_spaces_writes_a_graph() -> None:
    for name in ("mnasnet", "efficientnet_v2"):
        space = spaces.get(name, task="detection")
        for spec in [*space.sample(n=3, seed=5), space.reference(space.reference_names()[0])]:
            graph = _graph(spec, shape=(128, 128, 3), classes=3)
            assert graph.tensors[graph.outputs[0]].shape[1] == 9 * (16 * 16 + 8 * 8 + 4 * 4 + 2 * 2 + 1)


def test_the_same_seed_gives_the_same_weights_and_a_narrower_fpn_changes_only_widths() -> None:
    one, again = _graph(_REFERENCE), _graph(_REFERENCE)
    assert one.ops == again.ops
    narrow = _graph(dataclasses.replace(_REFERENCE, decoder=FpnSpec(num_filters=32)))
    assert [op.op for op in narrow.ops] == [op.op for op in one.ops]


def test_writing_the_graph_imports_no_tensorflow() -> None:
    code = (
        "import sys\n"
        "from edgenas import spaces\n"
        "from edgenas.export.direct import timing_graph\n"
        "timing_graph(spaces.get('mnasnet', task='detection').sample(n=1, seed=0)[0], input_shape=(128, 128, 3))\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported TensorFlow'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
