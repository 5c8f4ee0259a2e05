"""Magnitude levels mapped to op parameters (`shared/spaces.md`), pixel ones scaled by the image's longer side."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgenas.augment import AugmentOp, PolicyError
from edgenas.augment.magnitudes import REFERENCE_IMAGE_SIZE_PX, Quantity, op_parameters

_O = AugmentOp


@pytest.mark.parametrize(
    ("op", "quantity", "signed", "at_0_5_10"),
    [
        (_O.ROTATE, Quantity.ANGLE_DEG, True, (0.0, 15.0, 30.0)),
        (_O.ROTATE_ONLY_BBOXES, Quantity.ANGLE_DEG, True, (0.0, 15.0, 30.0)),
        (_O.SHEAR_X, Quantity.SHEAR, True, (0.0, 0.15, 0.3)),
        (_O.SHEAR_Y_ONLY_BBOXES, Quantity.SHEAR, True, (0.0, 0.15, 0.3)),
        (_O.TRANSLATE_X, Quantity.OFFSET_PX, True, (0.0, 125.0, 250.0)),
        (_O.TRANSLATE_Y, Quantity.OFFSET_PX, True, (0.0, 125.0, 250.0)),
        (_O.TRANSLATE_X_ONLY_BBOXES, Quantity.OFFSET_PX, True, (0.0, 60.0, 120.0)),
        (_O.TRANSLATE_Y_ONLY_BBOXES, Quantity.OFFSET_PX, True, (0.0, 60.0, 120.0)),
        (_O.CUTOUT_IMAGE, Quantity.HALF_SIZE_PX, False, (0.0, 50.0, 100.0)),
        (_O.CUTOUT_SEGMENTATION, Quantity.HALF_SIZE_PX, False, (0.0, 50.0, 100.0)),
        (_O.CUTOUT_ONLY_BBOXES, Quantity.HALF_SIZE_PX, False, (0.0, 25.0, 50.0)),
        (_O.SOLARIZE, Quantity.THRESHOLD, False, (0.0, 128.0, 256.0)),
        (_O.SOLARIZE_ONLY_BBOXES, Quantity.THRESHOLD, False, (0.0, 128.0, 256.0)),
        (_O.SOLARIZE_ADD, Quantity.ADDITION, False, (0.0, 55.0, 110.0)),
        (_O.COLOR, Quantity.FACTOR, False, (0.1, 1.0, 1.9)),
        (_O.SHARPNESS, Quantity.FACTOR, False, (0.1, 1.0, 1.9)),
        (_O.EQUALIZE, Quantity.NONE, False, (0.0, 0.0, 0.0)),
        (_O.EQUALIZE_ONLY_BBOXES, Quantity.NONE, False, (0.0, 0.0, 0.0)),
        (_O.FLIP_ONLY_BBOXES, Quantity.NONE, False, (0.0, 0.0, 0.0)),
    ],
)
def test_the_table_at_levels_0_5_and_10(op, quantity, signed, at_0_5_10):
    for level, expected in zip((0, 5, 10), at_0_5_10, strict=True):
        parameters = op_parameters(op, level)
        assert (parameters.op, parameters.magnitude, parameters.quantity) == (op, level, quantity)
        assert parameters.value == pytest.approx(expected, abs=1e-12)
        assert parameters.signed is signed
        assert parameters.image_size_px == REFERENCE_IMAGE_SIZE_PX == 640


def test_every_op_has_a_rule_and_names_are_accepted():
    assert {op_parameters(op, 3).op for op in AugmentOp} == set(AugmentOp)
    assert op_parameters("Rotate", 1).value == pytest.approx(3.0)


def test_pixel_magnitudes_scale_with_the_longer_side_and_the_rest_do_not():
    assert op_parameters(_O.TRANSLATE_X, 10, image_size_px=320).value == pytest.approx(125.0)
    assert op_parameters(_O.TRANSLATE_Y_ONLY_BBOXES, 10, image_size_px=1280).value == pytest.approx(240.0)
    assert op_parameters(_O.CUTOUT_SEGMENTATION, 4, image_size_px=160).value == pytest.approx(10.0)
    assert op_parameters(_O.CUTOUT_IMAGE, 10, image_size_px=640).value == pytest.approx(100.0)
    for op in (_O.ROTATE, _O.SHEAR_X, _O.SOLARIZE, _O.SOLARIZE_ADD, _O.COLOR, _O.SHARPNESS):
        assert op_parameters(op, 7, image_size_px=100).value == op_parameters(op, 7).value
        assert not op_parameters(op, 7).scales_with_image
    assert op_parameters(_O.TRANSLATE_X, 7).scales_with_image and op_parameters(_O.CUTOUT_IMAGE, 7).scales_with_image


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("Rotate", 11), "magnitude must be an integer in 0..10, got 11"),
        (("Rotate", -1), "magnitude must be an integer in 0..10, got -1"),
        (("Rotate", 5.0), "magnitude must be an integer in 0..10, got 5.0"),
        (("Rotate", True), "magnitude must be an integer in 0..10, got True"),
        (("Spin", 3), "unknown augmentation op 'Spin'; known: Equalize, Solarize, "),
    ],
)
def test_bad_levels_and_ops_are_refused(arguments, message):
    with pytest.raises(PolicyError, match=message.replace(".", r"\.")):
        op_parameters(*arguments)


def test_bad_image_sizes_are_refused():
    for size in (0, -5, 320.0, True):
        with pytest.raises(PolicyError, match=f"image_size_px must be a positive integer, got {size!r}"):
            op_parameters(_O.TRANSLATE_X, 3, image_size_px=size)


def test_the_package_and_the_table_load_no_tensorflow():
    code = (
        "import sys, edgenas.augment, edgenas.augment.magnitudes, edgenas.augment.example; "
        "sys.exit('tensorflow' in sys.modules)"
    )
    root = str(Path(__file__).resolve().parents[3])  # this checkout, not another edgenas on the path
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0
