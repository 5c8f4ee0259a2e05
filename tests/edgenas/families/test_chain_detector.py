"""The chain detector family: registration, input rules, outputs, costs, export calibration, and a LiteRT run."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from edgenas import export_spec, spaces
from edgenas.errors import EdgenasError, ExportError, SpecError
from edgenas.families import (
    ChainDetectorFamily,
    OutputSignature,
    PredictorKind,
    Task,
    family_named,
    family_of,
    family_of_type,
    parse_spec,
)
from edgenas.families.retinanet import DETECTION
from edgenas.specs import (
    ChainDetectorSpec,
    DetectionHeadSpec,
    FpnSpec,
    default_chain_detector,
    mobilenet_v2_fpn_retinanet,
)

_REFERENCE = mobilenet_v2_fpn_retinanet()
_FAMILY = family_named("chain_detector")


def test_the_family_is_registered_and_owns_chain_detector_specs() -> None:
    assert isinstance(_FAMILY, ChainDetectorFamily)
    assert family_of_type(ChainDetectorSpec) is family_of(_REFERENCE) is _FAMILY
    assert _FAMILY.spec_types == (ChainDetectorSpec,)
    assert (_FAMILY.task, _FAMILY.metric) == (Task.DETECTION, DETECTION)
    assert _FAMILY.predictor_kind is PredictorKind.WHOLE_NETWORK
    assert (_FAMILY.deployment.input_shape, _FAMILY.deployment.num_classes) == ((320, 320, 3), 91)
    assert _FAMILY.input_name == "image"
    assert parse_spec(str(_REFERENCE)) == _REFERENCE
    assert _FAMILY.parse(str(_REFERENCE)) == _REFERENCE


def test_inputs_and_class_counts_it_cannot_take_are_refused() -> None:
    assert _FAMILY.check_input(_REFERENCE, input_shape=(320, 320, 3), num_classes=91) == (320, 320, 3)
    assert _FAMILY.check_input(_REFERENCE, input_shape=[128, 160, 3], num_classes=1) == (128, 160, 3)
    for bad in (0, -3, True, 1.0):
        with pytest.raises(SpecError) as error:
            _FAMILY.check_input(_REFERENCE, input_shape=(320, 320, 3), num_classes=bad)
        assert str(error.value) == f"a ChainDetectorSpec needs num_classes > 0 (detector classes), got {bad!r}"
    with pytest.raises(SpecError) as error:
        _FAMILY.check_input(_REFERENCE, input_shape=(300, 320, 3), num_classes=91)
    assert str(error.value) == (
        "cannot export a ChainDetectorSpec at input_shape (300, 320, 3): input 300x320 does not suit a chain "
        "detector: height 300 is not a multiple of 32 (the nearest legal sides are 288 and 320) (sides must be "
        "multiples of 32, the backbone's stride at level 5, and at least 128)"
    )
    with pytest.raises(SpecError, match=r"input_shape \(64, 64, 3\): .*height 64 is below 128 .*width 64 is below 128"):
        _FAMILY.check_input(_REFERENCE, input_shape=(64, 64, 3), num_classes=91)
    with pytest.raises(SpecError, match="input_shape must be"):
        _FAMILY.check_input(_REFERENCE, input_shape=(320, 320), num_classes=91)
    # The smallest square side it names is legal.
    side = _FAMILY.input_multiple(_REFERENCE)
    assert side == 128
    assert _FAMILY.check_input(_REFERENCE, input_shape=(side, side, 3), num_classes=5) == (128, 128, 3)


def test_outputs_count_anchors_over_levels_3_to_7() -> None:
    # 320: levels 40, 20, 10, 5 and 3 pixels wide ('same' padding rounds level 7 up).
    assert _FAMILY.outputs(_REFERENCE, input_shape=(320, 320, 3), num_classes=91) == (
        OutputSignature(name="class_outputs", shape=(1, 19_206, 91)),
        OutputSignature(name="box_outputs", shape=(1, 19_206, 4)),
    )
    three = dataclasses.replace(_REFERENCE, head=DetectionHeadSpec(num_anchors=3))
    anchors = 3 * (16 * 20 + 8 * 10 + 4 * 5 + 2 * 3 + 1 * 2)
    assert [o.shape for o in _FAMILY.outputs(three, input_shape=(128, 160, 3), num_classes=2)] == [
        (1, anchors, 2), (1, anchors, 4)
    ]
    with pytest.raises(SpecError, match="num_classes > 0"):
        _FAMILY.outputs(_REFERENCE, input_shape=(320, 320, 3), num_classes=0)


def test_cost_is_the_pinned_reference() -> None:
    # 2,266,711: TF Model Garden's own count (see tests/edgenas/specs/test_chain_detector.py).
    cost = _FAMILY.cost(_REFERENCE, input_shape=(320, 320, 3), num_classes=91)
    assert cost.params == 2_266_711
    with pytest.raises(SpecError, match="not a multiple of 32"):
        _FAMILY.cost(_REFERENCE, input_shape=(330, 320, 3), num_classes=91)


def test_calibration_gives_level_7_64_samples() -> None:
    # Level 7 is 1x1 at 128, 3x3 at 320 (9 cells: 8 images), 5x5 at 640 (25 cells: 3 images).
    assert _FAMILY.export_calibration_images(_REFERENCE, input_shape=(128, 128, 3), default=2) == 64
    assert _FAMILY.export_calibration_images(_REFERENCE, input_shape=(320, 320, 3), default=2) == 8
    assert _FAMILY.export_calibration_images(_REFERENCE, input_shape=(640, 640, 3), default=2) == 3
    assert _FAMILY.export_calibration_images(_REFERENCE, input_shape=(1280, 1280, 3), default=2) == 2


def test_proxy_task_is_the_detection_task() -> None:
    from edgenas.proxy.detection_task import DetectionProxyTask  # noqa: PLC0415

    assert _FAMILY.proxy_task_type is DetectionProxyTask
    assert isinstance(_FAMILY.default_proxy_task(), DetectionProxyTask)
    with pytest.raises(EdgenasError, match="chain_detector networks train on a DetectionProxyTask, which takes no"):
        _FAMILY.proxy_task(no_such_option=1)


def test_initialise_for_export_needs_a_head() -> None:
    import keras  # noqa: PLC0415

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="class_logits")(inputs))
    with pytest.raises(ExportError, match="found no detection-head convolution to initialise in the chain detector"):
        _FAMILY.initialise_for_export(model, seed=0)


def _run_litert(path: Any, image: np.ndarray) -> tuple[dict[str, Any], list[tuple[dict[str, Any], np.ndarray]], int]:
    """The input's details, each output's details and value (file order), and the XNNPACK partitions."""
    from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    interpreter.set_tensor(inp["index"], image)
    interpreter.invoke()
    outputs = [(d, interpreter.get_tensor(d["index"])) for d in interpreter.get_output_details()]
    partitions = sum(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details())  # noqa: SLF001
    return inp, outputs, partitions


@pytest.mark.slow
def test_a_detector_exports_to_tflite_and_runs_in_litert_in_one_xnnpack_partition(tmp_path: Any) -> None:
    backbone = spaces.get("mnasnet").sample(1, seed=3)[0]
    spec = dataclasses.replace(default_chain_detector(backbone), decoder=FpnSpec(32, True))
    shape, num_classes = (128, 128, 3), 5
    result = export_spec(
        spec, out_dir=tmp_path, formats="tflite", precision="fp32", input_shape=shape, num_classes=num_classes
    )
    image = np.random.default_rng(0).uniform(-1.0, 1.0, size=(1, *shape)).astype(np.float32)
    inp, outputs, partitions = _run_litert(result.tflite_path, image)

    assert (inp["name"], tuple(inp["shape"]), inp["dtype"]) == ("image", (1, *shape), np.float32)
    declared = _FAMILY.outputs(spec, input_shape=shape, num_classes=num_classes)
    got = [OutputSignature(name=d["name"], shape=tuple(int(n) for n in d["shape"])) for d, _ in outputs]
    assert got == list(declared)
    for d, value in outputs:
        assert value.dtype == np.float32, d["name"]
        assert np.isfinite(value).all(), d["name"]
        assert value.std() > 1e-3, d["name"]  # the redrawn head does not output constants
    assert partitions == 1  # XNNPACK runs the whole graph
