"""`spinenet_graph`: the detector's outputs, live blocks only, the converter's order, no TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from edgenas import spaces
from edgenas.families import family_of, parse_spec
from edgenas.families.spinenet_detector import backbone_and_head
from edgenas.graphs import OpType
from edgenas.graphs.spinenet import spinenet_graph

_MOBILE49 = spaces.get("spinenet_mbconv").reference("spinenet_mobile49")
_DEAD_BLOCK = (
    "spinenet-relu-levels3to7-endpoints16-scale0.25-alpha0.5-repeats1-residual_l5_in0+1-bottleneck_l7_in0+1"
    "-residual_l3_in1+3-residual_l4_in3+4-bottleneck_l4_in3+5-residual_l5_in4+5_out-bottleneck_l3_in5+7_out"
    "-residual_l4_in4+8_out-bottleneck_l6_in3+7_out-residual_l7_in9+10_out|head_c2_f24_a3"
)


def _graph(spec, shape=(256, 256, 3), classes=91):  # noqa: ANN001, ANN202
    backbone, head = backbone_and_head(spec, num_classes=classes)
    return spinenet_graph(backbone, head=head, input_shape=shape, num_classes=classes)


def _names(graph) -> list[str]:  # noqa: ANN001
    return [graph.tensors[op.outputs[0]].name for op in graph.ops]


def test_the_outputs_are_the_familys_class_then_box_outputs() -> None:
    graph = _graph(_MOBILE49)
    expected = family_of(_MOBILE49).outputs(_MOBILE49, input_shape=(256, 256, 3), num_classes=91)
    got = [graph.tensors[i] for i in graph.outputs]
    assert [(t.name, t.shape) for t in got] == [(o.name, o.shape) for o in expected]
    assert graph.tensors[graph.inputs[0]].shape == (1, 256, 256, 3)


def test_the_mobile_head_is_separable_and_each_level_flattened_then_concatenated() -> None:
    graph = _graph(_MOBILE49)
    kinds = Counter(op.op for op in graph.ops)
    assert kinds[OpType.MAX_POOL_2D] == 0  # the mobile stem has none
    # 2 subnets x 5 levels x (4 tower + 1 output) separable convolutions, each a depthwise and a pointwise op
    head_depthwise = [op for op in graph.ops
                      if graph.tensors[op.outputs[0]].name.endswith("/separable_conv2d/depthwise")]  # fmt: skip
    assert len(head_depthwise) == 50
    assert all(not graph.tensors[op.inputs[2]].data.any() for op in head_depthwise)  # the converter's zero bias
    concatenations = [op for op in graph.ops if op.op is OpType.CONCATENATION and op.axis == 1]
    assert [len(op.inputs) for op in concatenations] == [5, 5]
    assert kinds[OpType.RESHAPE] == 10 + kinds[OpType.CONCATENATION] - 2  # 10 flattens; a stage: 2 of each


def test_dead_blocks_are_left_out_and_a_resnet_stem_pools() -> None:
    spec = parse_spec(_DEAD_BLOCK)
    graph = _graph(spec, shape=(128, 128, 3), classes=7)
    layers = {name.split("_")[0] for name in _names(graph)}
    assert "block6" not in layers and {"block2", "block5", "block7", "block11"} <= layers  # block 6 reads none
    assert graph.ops[1].op is OpType.MAX_POOL_2D and _names(graph)[1] == "stem_pool_1/MaxPool2d"  # ReLU fused
    merge = [name for name in _names(graph) if name.startswith("block7_merge_1/")]
    assert merge == ["block7_merge_1/Add", "block7_merge_1/Add_1"]  # two inputs and block 2, merged unread


def test_ops_come_in_the_converters_order_not_the_layers() -> None:
    names = _names(_graph(_MOBILE49))
    # The stem block 0's output feeds block 2's resampling and stem block 1: "block2_..." sorts first.
    assert names.index("block2_in0_down0_dw_1/depthwise") < names.index("stem_block1_r0_expand")
    # Each endpoint feeds both subnets; the box subnet's name sorts first, so its tower comes first.
    assert names.index("box_outputs_conv0_9/separable_conv2d/depthwise") < names.index(
        "class_outputs_conv0_9/separable_conv2d/depthwise")  # fmt: skip
    assert len(names) == len(set(names))


def test_the_same_seed_gives_the_same_weights() -> None:
    one, again = _graph(_MOBILE49), _graph(_MOBILE49)
    assert one.ops == again.ops
    assert all((a.data is None and b.data is None) or (a.data == b.data).all()
               for a, b in zip(one.tensors, again.tensors, strict=True))  # fmt: skip


def test_writing_the_graph_imports_no_tensorflow() -> None:
    code = (
        "import sys\n"
        "from edgenas import spaces\n"
        "from edgenas.export.direct import timing_graph\n"
        "timing_graph(spaces.get('spinenet').sample(n=1, seed=0)[0])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported TensorFlow'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
