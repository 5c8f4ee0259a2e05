"""The direct writer's files are the converters' graphs, op for op (`edgenas.export.direct.signature`).

.tflite against the TFLite converter's file; .onnx against tf2onnx's (int8:
onnxruntime's QDQ quantisation of each float file), node for node.

Covered: every space whose family has a direct writer, and every space's form
for another task whose family has one (mnasnet and efficientnet_v2 as chain
detectors), read from the registry at collection time (a space gets this test
by getting a writer), each at its family's deployment input and class count
(224x224 and 1,000 classes for a chain classifier, 256x256 and 91 for a
SpineNet detector, 320x320 and 91 for a chain detector), in the formats its
family's writer makes (`Family.timing_graph_formats`: no .onnx for the
detectors). The fast form compares each space's own references as fp32 .tflite
(of the SpineNet-Mobile scalings, 49XS only), one hand-made chain network that
uses every op and option the chain writer emits (every activation, conv, mbconv
and fused-mbconv blocks with and without SE and expansion, skip and stride) in
both formats and precisions, two of the hand-made SpineNet detectors that
together with two more use every op and option the SpineNet writer emits
(`_SPINENET_FAST`), and two of the hand-made chain detectors that together with
two more use every op and option the FPN writer adds (`_CHAIN_DETECTOR_FAST`);
the long form compares the rest: every reference (the chain detector ones too)
and published SpineNet (SpineNet-49S and -49, no point of a space) in every kind
of file (.tflite int8, .onnx fp32), the other hand-made files, and seeded random
points of every such space form in the same kinds (`_random_points`, one
`test_random_points_<space>.py` per space and `..._<space>_<task>.py` per other
task's form, which a test here insists on: 50 of each chain space, fewer of the
detector spaces, whose conversions cost more).
A converter upgrade that changes its graph fails here, naming the first op that
differs.
"""
from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from edgenas import spaces
from edgenas.export import export
from edgenas.families import family_of, family_of_type, parse_spec
from edgenas.spaces.task_form import tasks_of
from edgenas.specs.spinenet_references import spinenet_reference

sys.path.insert(0, os.path.dirname(__file__))
from _random_points import graph_difference  # noqa: E402

pytestmark = pytest.mark.slow

_EVERY_OP = (
    "hard_swish-stem16-mbconv_r1_k3_s1_e1_se0.25_c16-mbconv_r2_k3_s2_e6_se0_c24"
    "-fused_mbconv_r1_k3_s2_e1_se0.25_c40_relu-fused_mbconv_r2_k5_s1_e4_se0.25_c40_swish"
    "-conv_r1_k3_s1_e1_se0_c40_relu6-mbconv_r1_k5_s2_e3_se0.25_c48_swish-fused_mbconv_r1_k3_s1_e3_se0_c56-head64"
)
"""Every activation (network, fused and not), every block kind, SE, skip, stride and kernel the chain writer emits."""


def _writer_forms() -> list[tuple[str, str | None]]:
    """(space, task) of every space form whose family has a direct writer: a space for its own task (None) and
    for each other task it serves (`spaces.get(name, task=...)`: mnasnet and efficientnet_v2 as chain detectors)."""
    forms = []
    for name in spaces.names():
        spec_type = spaces.get(name).spec_type
        for index, task in enumerate(tasks_of(spec_type)):
            form = None if index == 0 else task
            if family_of_type(spec_type if form is None else spaces.get(name, task=form).spec_type).has_timing_graph:
                forms.append((name, form))
    return forms


def _form_label(name: str, task: str | None) -> str:
    """A space form's name in test ids and random-point file names: `mnasnet`, `mnasnet_detection`."""
    return name if task is None else f"{name}_{task}"


_KINDS = [("tflite", "fp32"), ("tflite", "int8"), ("onnx", "fp32")]
"""The kinds of file compared. Not ONNX int8: see `_random_points` (CI saw EfficientNetV2-B0's converter file
differ from the direct one at an SE module's QDQ pair too, where the run before had matched)."""


def _kinds_of(family: Any) -> list[tuple[str, str]]:
    """The kinds of file a family's direct writer makes."""
    return [(f, p) for f, p in _KINDS if f in family.timing_graph_formats]


_LONG_ONLY_REFERENCES = frozenset({"spinenet_mobile49s", "spinenet_mobile49"})
"""References only the long form compares: SpineNet-Mobile-49S and -49 scale SpineNet-Mobile-49XS's topology
(whose fp32 file the fast form compares)."""


def _all_references() -> list[Any]:
    """(space, options, reference, format, precision) of every reference of every variant of those spaces
    (`spaces.variants`), in every kind of file its family's writer makes.

    The fast form has the .tflite fp32 files of the references not in `_LONG_ONLY_REFERENCES` of the spaces'
    own tasks; the long form has the rest (the chain detector references at 320x320 too: the fast form's
    hand-made chain detectors, `_EVERY_CHAIN_DETECTOR_OP`, have their ops at a tenth of the cost).
    """
    params = []
    for name, task in _writer_forms():
        task_option = {} if task is None else {"task": task}
        family = family_of_type(spaces.get(name, **task_option).spec_type)
        for options in spaces.variants(name):
            options = {**options, **task_option}
            for reference in spaces.get(name, **options).reference_names():
                for model_format, precision in _kinds_of(family):
                    fast = ((model_format, precision) == ("tflite", "fp32") and reference not in _LONG_ONLY_REFERENCES
                            and task is None)  # fmt: skip
                    long = () if fast else pytest.mark.long
                    params.append(pytest.param(name, options, reference, model_format, precision, marks=long,
                                               id=f"{_form_label(name, task)}-{reference}-{model_format}-{precision}"))
    return params


def _assert_same_graph(spec: Any, model_format: str, precision: str, tmp_path: Any, *,
                       input_shape: tuple[int, int, int] | None = None,
                       num_classes: int | None = None) -> None:  # fmt: skip
    """Converter file against direct file; the input and class count default to the family's deployment ones."""
    deployment = family_of(spec).deployment
    input_shape = deployment.input_shape if input_shape is None else input_shape
    num_classes = deployment.num_classes if num_classes is None else num_classes
    result = export(spec, out_dir=tmp_path, formats=model_format, precision=precision, input_shape=input_shape,
                    num_classes=num_classes)  # fmt: skip
    converted = result.artifacts[0].path.read_bytes()
    difference = graph_difference(spec, model_format, precision, converted, input_shape=input_shape,
                                  num_classes=num_classes)  # fmt: skip
    assert difference is None, f"{spec} ({model_format} {precision}): {difference}"


@pytest.mark.parametrize(("space_name", "options", "reference", "model_format", "precision"), _all_references())
def test_reference_matches_the_converter(space_name: str, options: dict[str, str], reference: str,
                                         model_format: str, precision: str, tmp_path: Any) -> None:  # fmt: skip
    spec = spaces.get(space_name, **options).reference(reference)
    _assert_same_graph(spec, model_format, precision, tmp_path)


_PUBLISHED_SPINENETS = [
    pytest.param("spinenet49s", "fp32", marks=pytest.mark.long),
    pytest.param("spinenet49s", "int8", marks=pytest.mark.long),
    pytest.param("spinenet49", "fp32", marks=pytest.mark.long),
    pytest.param("spinenet49", "int8", marks=pytest.mark.long),
]
"""ResNet-style SpineNets that are no point of a space (`edgenas.spaces.spinenet`), at the family's deployment
input (the long form: the fast form's hand-made ResNet-style network has their ops); the larger scalings of the
same topology (96, 143, 190) add width, not ops."""


@pytest.mark.parametrize(("name", "precision"), _PUBLISHED_SPINENETS)
def test_published_spinenet_matches_the_converter(name: str, precision: str, tmp_path: Any) -> None:
    _assert_same_graph(spinenet_reference(name), "tflite", precision, tmp_path)


@pytest.mark.parametrize(("model_format", "precision"), _KINDS)
def test_every_op_and_option_matches_the_converter(model_format: str, precision: str, tmp_path: Any) -> None:
    _assert_same_graph(parse_spec(_EVERY_OP), model_format, precision, tmp_path, input_shape=(96, 96, 3),
                       num_classes=10)  # fmt: skip


_EVERY_SPINENET_OP = {
    "resnet_relu": (
        "spinenet-relu-levels3to7-endpoints16-scale0.25-alpha0.5-repeats1-residual_l5_in0+1-bottleneck_l7_in0+1"
        "-residual_l3_in1+3-residual_l4_in3+4-bottleneck_l4_in3+5-residual_l5_in4+5_out-bottleneck_l3_in5+7_out"
        "-residual_l4_in4+8_out-bottleneck_l6_in3+7_out-residual_l7_in9+10_out|head_c2_f24_a3"
    ),
    "mobile_swish": (
        "spinenet-swish-levels3to7-endpoints16-scale0.5-repeats2-mbconv_e4_k5_se0.25-mbconv_l5_in0+1-mbconv_l7_in0+1"
        "-mbconv_l3_in1+3-mbconv_l4_in3+4-mbconv_l5_in4+5_out-mbconv_l3_in5+6_out-mbconv_l4_in4+7_out"
        "-mbconv_l6_in3+6_out-mbconv_l7_in8+9_out"
    ),
    "mobile_hard_swish": (
        "spinenet-hard_swish-levels3to7-endpoints16-scale0.5-repeats1-mbconv_e1_k3_se0-mbconv_l5_in0+1"
        "-mbconv_l7_in0+1-mbconv_l3_in1+3-mbconv_l4_in3+4-mbconv_l5_in4+5_out-mbconv_l3_in5+6_out"
        "-mbconv_l4_in4+7_out-mbconv_l6_in3+6_out-mbconv_l7_in8+9_out|head_c1_f16_a2"
    ),
    "mobile_relu6": (
        "spinenet-relu6-levels3to7-endpoints16-scale0.5-repeats1-mbconv_e2_k3_se0.5-mbconv_l5_in0+1-mbconv_l7_in0+1"
        "-mbconv_l3_in1+3-mbconv_l4_in3+4-mbconv_l5_in4+5_out-mbconv_l3_in5+6_out-mbconv_l4_in4+7_out"
        "-mbconv_l6_in3+6_out-mbconv_l7_in8+9_out|head_c2_f16_a3_sep"
    ),
}
"""Every op and option the SpineNet writer emits: both families' stems (the ResNet one's MAX_POOL_2D); residual
and bottleneck blocks with and without projection, mbconv with and without expansion and SE, repeated blocks;
every activation (ReLU and ReLU6 fused into convolutions and ADDs, swish and hard swish as ops); resampling down
by convolutions and MAX_POOL_2Ds or depthwise convolutions, up by 2, 4, 8 and 16 (one and two CONCATENATION and
RESHAPE stages), two up-samplings of one block that the converter merges; a merge of three inputs; a dead block
(left out); the default separable head and plain and separable heads of other sizes, 1 to 4 tower convolutions."""


_SPINENET_FAST = (("resnet_relu", "fp32"), ("mobile_swish", "int8"))
"""The files the fast form compares: one ResNet-style network in fp32, one mobile network in int8 (the one
scale the CONCATENATIONs and RESHAPEs of its up-sampling and head share); the long form has the other six. Each
conversion costs `make test` about 10 s."""


@pytest.mark.parametrize(
    ("network", "precision"),
    [pytest.param(n, p, marks=() if (n, p) in _SPINENET_FAST else pytest.mark.long)
     for n in sorted(_EVERY_SPINENET_OP) for p in ("fp32", "int8")],
)  # fmt: skip
def test_every_spinenet_op_and_option_matches_the_converter(network: str, precision: str, tmp_path: Any) -> None:
    _assert_same_graph(parse_spec(_EVERY_SPINENET_OP[network]), "tflite", precision, tmp_path,
                       input_shape=(128, 128, 3), num_classes=7)  # fmt: skip


_EVERY_CHAIN_DETECTOR_OP = {
    "relu6_separable": (
        "relu6-stem16-mbconv_r1_k3_s1_e1_se0_c8-mbconv_r2_k3_s2_e6_se0_c16-mbconv_r2_k5_s2_e3_se0.25_c24"
        "-mbconv_r1_k3_s1_e3_se0_c32-mbconv_r2_k3_s2_e6_se0_c40-conv_r1_k3_s2_e1_se0_c48-mbconv_r1_k3_s1_e6_se0_c48"
        "-head64|fpn_f32_sep|head_c2_f16_a3_sep"
    ),
    "swish_plain": (
        "swish-stem16-fused_mbconv_r1_k3_s1_e1_se0_c16-fused_mbconv_r2_k3_s2_e4_se0_c24"
        "-mbconv_r2_k3_s2_e4_se0.25_c32-mbconv_r1_k5_s2_e6_se0.25_c48_relu-mbconv_r1_k3_s2_e6_se0.25_c64-head64"
        "|fpn_f24|head_c2_f16_a3"
    ),
    "relu_plain_separable_head": (
        "relu-stem8-conv_r1_k3_s2_e1_se0_c16-fused_mbconv_r1_k3_s2_e2_se0.25_c24_swish-mbconv_r2_k3_s2_e3_se0_c32"
        "-fused_mbconv_r1_k3_s2_e1_se0_c40-head64|fpn_f16|head_c1_f16_a2_sep"
    ),
    "hard_swish_separable": (
        "hard_swish-stem16-mbconv_r1_k3_s2_e1_se0.25_c16-mbconv_r2_k3_s2_e4_se0_c24_relu6"
        "-mbconv_r1_k5_s2_e6_se0.25_c40-mbconv_r2_k3_s2_e6_se0.25_c48-head64|fpn_f40_sep|head_c3_f24_a3"
    ),
}
"""Every op and option the chain detector writer emits beyond the chain writer's: a separable and a plain FPN
(laterals, top-down up-sampling and sums, levels 6 and 7, the BatchNorms of levels 5 and 6 that the converter
cannot fold, a MUL and an ADD each), the activation between levels 6 and 7 as an op of its own (RELU, RELU6,
swish as LOGISTIC and MUL, HARD_SWISH), separable and plain heads; taps after stages of every block kind, at a
non-square input whose levels 6 and 7 round up (128x160)."""


_CHAIN_DETECTOR_FAST = (("relu6_separable", "fp32"), ("swish_plain", "int8"))
"""The files the fast form compares: the mobile recipe's separable FPN and head with a ReLU6 network in fp32, a
plain FPN and head with a swish network in int8; the long form has the other six."""


@pytest.mark.parametrize(
    ("network", "precision"),
    [pytest.param(n, p, marks=() if (n, p) in _CHAIN_DETECTOR_FAST else pytest.mark.long)
     for n in sorted(_EVERY_CHAIN_DETECTOR_OP) for p in ("fp32", "int8")],
)  # fmt: skip
def test_every_chain_detector_op_and_option_matches_the_converter(network: str, precision: str,
                                                                   tmp_path: Any) -> None:  # fmt: skip
    _assert_same_graph(parse_spec(_EVERY_CHAIN_DETECTOR_OP[network]), "tflite", precision, tmp_path,
                       input_shape=(128, 160, 3), num_classes=7)  # fmt: skip


def test_every_writer_space_has_a_random_points_file() -> None:
    """A space (or a space's form for another task) that gets a direct writer gets its own random-point test file
    (see `_random_points`): `test_random_points_mnasnet.py`, `test_random_points_mnasnet_detection.py`."""
    folder = os.path.dirname(__file__)
    labels = [_form_label(name, task) for name, task in _writer_forms()]
    missing = [label for label in labels
               if not os.path.isfile(os.path.join(folder, f"test_random_points_{label}.py"))]  # fmt: skip
    assert not missing, f"add test_random_points_<space>.py (calling _random_points.check_random_points) for {missing}"


_LIGHT_RANDOM_POINT_SPACES = frozenset({"mnasnet"})
"""Spaces whose random points convert within a few GB (mnasnet's largest: 2.9 GB), so they need not run alone."""


def test_every_random_points_file_is_marked_heavy_unless_its_space_converts_light() -> None:
    """`make test-all` runs the tests marked `heavy` one at a time: two random-point conversions side by side
    (7-16 GB each) exhausted this machine's memory in CI."""
    folder = os.path.dirname(__file__)
    files = sorted(name for name in os.listdir(folder) if name.startswith("test_random_points_"))
    assert len(files) >= len(_writer_forms())
    wrong = []
    for name in files:
        with open(os.path.join(folder, name), encoding="utf-8") as file:
            heavy = "pytest.mark.heavy" in file.read()
        light = name.removeprefix("test_random_points_").removesuffix(".py") in _LIGHT_RANDOM_POINT_SPACES
        if heavy == light:
            wrong.append(name)
    assert not wrong, f"mark pytest.mark.heavy on these unless their space is in _LIGHT_RANDOM_POINT_SPACES: {wrong}"
