"""The NAS-FPN detector family: registration, legal inputs (multiples of 128), outputs, exact costs, export."""

from __future__ import annotations

import numpy as np
import pytest

from edgenas import export_spec, spaces
from edgenas.errors import SpecError
from edgenas.families import NasFpnDetectorFamily, PredictorKind, Task, family_named, family_of, parse_spec
from edgenas.families.retinanet import DETECTION
from edgenas.specs.nasfpn_detector import NasFpnDetectorSpec

_FAMILY = family_named("nasfpn_detector")
_PUBLISHED = spaces.get("nasfpn").reference("nasfpn")  # MobileNetV2, published cell, 128 separable, 3 repeats


def test_the_family_is_registered_with_its_own_default_input() -> None:
    assert isinstance(_FAMILY, NasFpnDetectorFamily) and family_of(_PUBLISHED) is _FAMILY
    assert _FAMILY.spec_types == (NasFpnDetectorSpec,)
    assert (_FAMILY.task, _FAMILY.metric, _FAMILY.predictor_kind) == (
        Task.DETECTION, DETECTION, PredictorKind.WHOLE_NETWORK,
    )  # fmt: skip
    assert (_FAMILY.deployment.input_shape, _FAMILY.deployment.num_classes) == ((384, 384, 3), 91)
    assert parse_spec(str(_PUBLISHED)) == _PUBLISHED
    assert family_named("chain_detector").deployment.input_shape == (320, 320, 3)


def test_sizes_levels_3_to_7_cannot_divide_are_refused_naming_the_nearest() -> None:
    assert _FAMILY.input_multiple(_PUBLISHED) == 128
    assert _FAMILY.check_input(_PUBLISHED, input_shape=(256, 384, 3), num_classes=91) == (256, 384, 3)
    with pytest.raises(SpecError) as error:
        _FAMILY.check_input(_PUBLISHED, input_shape=(320, 320, 3), num_classes=91)
    assert "height 320 is not a multiple of 128 (the nearest legal sides are 256 and 384)" in str(error.value)
    assert str(error.value).startswith("cannot export a NasFpnDetectorSpec at input_shape (320, 320, 3)")
    with pytest.raises(SpecError, match="width 64 is below 128"):
        _FAMILY.check_input(_PUBLISHED, input_shape=(128, 64, 3), num_classes=91)
    with pytest.raises(SpecError, match="needs num_classes > 0"):
        _FAMILY.check_input(_PUBLISHED, input_shape=(384, 384, 3), num_classes=0)


def test_outputs_and_cost_of_the_published_detector() -> None:
    (classes, boxes) = _FAMILY.outputs(_PUBLISHED, input_shape=(384, 384, 3), num_classes=91)
    anchors = 9 * sum((384 >> level) ** 2 for level in range(3, 8))
    assert (classes.name, classes.shape, boxes.name, boxes.shape) == (
        "class_outputs", (1, anchors, 91), "box_outputs", (1, anchors, 4),
    )  # fmt: skip
    cost = _FAMILY.cost(_PUBLISHED, input_shape=(384, 384, 3), num_classes=91)
    # MobileNetV2's stem and stages (Keras' MobileNetV2 2,257,984 less its 1x1 conv to 1280, 414,720), the decoder
    # (441,408, tests/edgenas/models/test_nasfpn.py) and the mobile head (274,391, Model Garden's RetinaNetHead).
    assert cost.params == 2_257_984 - 414_720 + 441_408 + 274_391


@pytest.mark.slow
def test_the_published_detector_builds_to_its_cost_and_runs_in_litert(tmp_path) -> None:
    from ai_edge_litert.interpreter import Interpreter

    shape = (128, 128, 3)
    model = _FAMILY.build(_PUBLISHED, input_shape=shape, num_classes=3)
    assert model.count_params() == _FAMILY.cost(_PUBLISHED, input_shape=shape, num_classes=3).params
    result = export_spec(_PUBLISHED, out_dir=tmp_path, formats="tflite", precision="fp32", input_shape=shape,
                         num_classes=3)  # fmt: skip
    interpreter = Interpreter(model_path=str(result.tflite_path))
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    interpreter.set_tensor(inp["index"], np.random.default_rng(0).uniform(-1, 1, (1, *shape)).astype(np.float32))
    interpreter.invoke()
    outputs = {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}
    assert {name: value.shape for name, value in outputs.items()} == {
        "class_outputs": (1, 9 * 341, 3), "box_outputs": (1, 9 * 341, 4),
    }  # fmt: skip
    assert all(np.isfinite(value).all() for value in outputs.values())
    assert np.std(outputs["class_outputs"]) > 0  # the head's redrawn weights: not the constant class prior
