"""The memory check: a model that cannot fit in memory is refused from its spec, before anything is built."""

import subprocess
import sys
import time

import pytest

from edgenas import spaces
from edgenas.errors import EdgenasError, ModelTooLargeError
from edgenas.export import memory
from edgenas.export.memory import check_fits_in_memory, estimate_memory
from edgenas.specs import (
    ArchSpec,
    DetectionHeadSpec,
    SpineNetDetectorSpec,
    estimate_cost,
    estimate_spinenet_cost,
    spinenet_reference,
)

_V2 = spaces.get("mnasnet").reference("mobilenet_v2")
_HUGE_HEAD = ArchSpec.parse(str(_V2).replace("head1280", "head1000000000"))


def test_estimate_counts_four_bytes_per_parameter_and_per_value_of_the_largest_activation():
    cost = estimate_cost(_V2, input_shape=(224, 224, 3), num_classes=1000)
    estimate = estimate_memory(_V2, input_shape=(224, 224, 3), num_classes=1000)
    assert (estimate.params_bytes, estimate.activation_bytes) == (4 * cost.params, 4 * cost.largest_activation)
    assert estimate.total_bytes == estimate.params_bytes + estimate.activation_bytes


def test_detector_estimate_adds_the_head():
    backbone = spinenet_reference("spinenet_mobile49")
    alone = estimate_spinenet_cost(backbone, input_shape=(256, 256, 3))
    detector = estimate_memory(backbone, input_shape=(256, 256, 3), num_classes=91)
    assert detector.params_bytes > 4 * alone.params
    # The class output: every anchor of levels 3..7 (32x32 + ... + 2x2 = 1364 locations, 9 anchors) x 91 classes.
    assert detector.activation_bytes == 4 * max(alone.largest_activation, 1364 * 9 * 91)
    wide = SpineNetDetectorSpec(backbone=backbone, head=DetectionHeadSpec(head_num_filters=10**6))
    assert estimate_memory(wide, input_shape=(256, 256, 3), num_classes=91).activation_bytes == 4 * 32 * 32 * 10**6
    assert estimate_memory(backbone, input_shape=(256, 256, 3), num_classes=0) == memory.MemoryEstimate(
        params_bytes=4 * alone.params, activation_bytes=4 * alone.largest_activation, input_shape=(256, 256, 3))


@pytest.mark.parametrize(
    ("spec", "shape", "message"),
    [
        (_HUGE_HEAD, (224, 224, 3),
         "the model needs about 5492.0 GB (parameters 5296.0 GB, activations 196.0 GB at 224x224), "
         "over the 12.0 GB limit (half of this machine's 24.0 GB of memory)"),
        (_V2, (100000, 100000, 3),
         "the model needs about 960.0 GB (parameters 0.0 GB, activations 960.0 GB at 100000x100000), "
         "over the 12.0 GB limit (half of this machine's 24.0 GB of memory)"),
    ],
    ids=["billion-filters", "input-100000"],
)
def test_too_large_model_is_refused_with_one_line_naming_estimate_and_limit(monkeypatch, spec, shape, message):
    monkeypatch.setattr(memory, "physical_memory_bytes", lambda: 24 * 10**9)
    started = time.monotonic()
    with pytest.raises(ModelTooLargeError) as raised:
        check_fits_in_memory(spec, input_shape=shape, num_classes=1000)
    assert time.monotonic() - started < 1
    assert str(raised.value) == message
    assert isinstance(raised.value, EdgenasError)
    check_fits_in_memory(_V2, input_shape=(224, 224, 3), num_classes=1000)  # a real network fits


def test_python_api_export_and_build_refuse_without_importing_tensorflow(tmp_path):
    script = f"""
import sys, time
import edgenas
from edgenas.errors import ModelTooLargeError
from edgenas.specs import ArchSpec
spec = ArchSpec.parse({str(_HUGE_HEAD)!r})
started = time.monotonic()
try:
    edgenas.export_spec(spec, out_dir={str(tmp_path / "never")!r})
except ModelTooLargeError as error:
    print(error)
assert time.monotonic() - started < 2, "slow"
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "imported TensorFlow"
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("the model needs about 5492.0 GB (parameters 5296.0 GB, activations 196.0 GB at ")
    assert not (tmp_path / "never").exists()


def test_build_keras_refuses_too():
    from edgenas.models import build_keras

    started = time.monotonic()
    with pytest.raises(ModelTooLargeError, match=r"^the model needs about 5492\.0 GB "):
        build_keras(_HUGE_HEAD, input_shape=(224, 224, 3), num_classes=1000)
    assert time.monotonic() - started < 2


def _largest_layer_output(model):
    import math

    return max(math.prod(output.shape[1:]) for layer in model.layers
               for output in (layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]))  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "shape", "classes"),
    [
        (_V2, (64, 64, 3), 10),
        (spaces.get("spinenet").sample(1, seed=0)[0], (128, 128, 3), 0),  # the largest map is an up-sampled one
        (spinenet_reference("spinenet_mobile49xs"), (128, 128, 3), 91),  # ... the class output
        (SpineNetDetectorSpec(backbone=spinenet_reference("spinenet_mobile49xs"),
                              head=DetectionHeadSpec(head_num_filters=400, use_separable_conv=True)), (128, 128, 3), 3),
    ],
    ids=["mobilenet_v2", "spinenet-sample", "mobile49xs-detector", "wide-head-detector"],
)
def test_largest_activation_is_the_largest_layer_output_of_the_built_model(spec, shape, classes):
    from edgenas.models import build_keras

    model = build_keras(spec, input_shape=shape, num_classes=classes)
    estimate = estimate_memory(spec, input_shape=shape, num_classes=classes)
    assert estimate.activation_bytes == 4 * _largest_layer_output(model)
