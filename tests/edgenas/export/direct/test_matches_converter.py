"""The direct writer's files are the converters' graphs, op for op (`edgenas.export.direct.signature`).

.tflite against the TFLite converter's file; .onnx against tf2onnx's (int8:
onnxruntime's QDQ quantisation of each float file), node for node.

Covered: every space whose family has a direct writer, read from the registry at
collection time (a space gets this test by getting a writer). The fast form
compares each space's references as fp32 .tflite, and one hand-made network that
uses every op and option the chain writer emits (every activation, conv, mbconv
and fused-mbconv blocks with and without SE and expansion, skip and stride) in
both formats and precisions; the long form compares every reference in the
other three kinds of file, and 50 seeded random points of every such space at
224x224 as .tflite fp32 and int8 and .onnx fp32 (each point's converter files
from one Keras build, in a fresh worker process; see `_RANDOM_KINDS` for why
not .onnx int8). A converter upgrade that changes its graph fails
here, naming the first op that differs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

import pytest

from edgenas import spaces
from edgenas.collect.layerwise import _quiet_worker
from edgenas.export import export
from edgenas.export.direct import timing_onnx, timing_tflite
from edgenas.export.direct.signature import file_signature, first_difference, onnx_file_signature
from edgenas.families import family_of_type, parse_spec
from edgenas.search.workers import WorkerCrashedError, WorkerPool

sys.path.insert(0, os.path.dirname(__file__))
import _convert  # noqa: E402  (the worker task; spawned workers find it through sys.path)

pytestmark = pytest.mark.slow

_WRITERS = {"tflite": (timing_tflite, file_signature), "onnx": (timing_onnx, onnx_file_signature)}

_RANDOM_POINTS = 50
_RANDOM_SEED = 20_261_206
_SHAPE = (224, 224, 3)
_CLASSES = 1000
_EVERY_OP = (
    "hard_swish-stem16-mbconv_r1_k3_s1_e1_se0.25_c16-mbconv_r2_k3_s2_e6_se0_c24"
    "-fused_mbconv_r1_k3_s2_e1_se0.25_c40_relu-fused_mbconv_r2_k5_s1_e4_se0.25_c40_swish"
    "-conv_r1_k3_s1_e1_se0_c40_relu6-mbconv_r1_k5_s2_e3_se0.25_c48_swish-fused_mbconv_r1_k3_s1_e3_se0_c56-head64"
)
"""Every activation (network, fused and not), every block kind, SE, skip, stride and kernel the chain writer emits."""


def _writer_space_names() -> list[str]:
    return [name for name in spaces.names() if family_of_type(spaces.get(name).spec_type).has_timing_graph]


def _all_references() -> list[Any]:
    """(space, options, reference) of every reference of every variant of those spaces (`spaces.variants`)."""
    params = []
    for name in _writer_space_names():
        for options in spaces.variants(name):
            for reference in spaces.get(name, **options).reference_names():
                params.append(pytest.param(name, options, reference, id=f"{name}-{reference}"))
    return params


def _difference(spec: Any, model_format: str, precision: str, converted: bytes, *,
                input_shape: tuple[int, int, int], num_classes: int) -> str | None:  # fmt: skip
    write, signature = _WRITERS[model_format]
    direct = write(spec, precision=precision, input_shape=input_shape, num_classes=num_classes)
    return first_difference(signature(converted), signature(direct))


def _assert_same_graph(spec: Any, model_format: str, precision: str, tmp_path: Any, *,
                       input_shape: tuple[int, int, int], num_classes: int) -> None:  # fmt: skip
    result = export(spec, out_dir=tmp_path, formats=model_format, precision=precision, input_shape=input_shape,
                    num_classes=num_classes)  # fmt: skip
    converted = result.artifacts[0].path.read_bytes()
    difference = _difference(spec, model_format, precision, converted, input_shape=input_shape,
                             num_classes=num_classes)  # fmt: skip
    assert difference is None, f"{spec} ({model_format} {precision}): {difference}"


_KINDS = [("tflite", "fp32"), ("tflite", "int8"), ("onnx", "fp32")]
"""The kinds of file compared. Not ONNX int8: see `_RANDOM_KINDS` (CI saw EfficientNetV2-B0's converter file
differ from the direct one at an SE module's QDQ pair too, where the run before had matched)."""


@pytest.mark.parametrize(
    ("model_format", "precision"),
    [pytest.param(f, p, marks=() if (f, p) == ("tflite", "fp32") else pytest.mark.long) for f, p in _KINDS],
)
@pytest.mark.parametrize(("space_name", "options", "reference"), _all_references())
def test_reference_matches_the_converter(space_name: str, options: dict[str, str], reference: str,
                                         model_format: str, precision: str, tmp_path: Any) -> None:  # fmt: skip
    spec = spaces.get(space_name, **options).reference(reference)
    _assert_same_graph(spec, model_format, precision, tmp_path, input_shape=_SHAPE, num_classes=_CLASSES)


@pytest.mark.parametrize(("model_format", "precision"), _KINDS)
def test_every_op_and_option_matches_the_converter(model_format: str, precision: str, tmp_path: Any) -> None:
    _assert_same_graph(parse_spec(_EVERY_OP), model_format, precision, tmp_path, input_shape=(96, 96, 3),
                       num_classes=10)  # fmt: skip


_RANDOM_KINDS = ("tflite fp32", "tflite int8", "onnx fp32")
"""The kinds of file compared on random points. Not ONNX int8: tf2onnx places the no-op Reshapes around an SE
module's 1x1 convolutions differently from one process to the next (the float signature leaves them out), and
onnxruntime's quantiser places its QDQ pairs around them, so the converter's own int8 files differ between runs
there (seen on 4 of 50 mnasnet points, and on the EfficientNetV2-B0 reference once)."""


_ONNX_MAX_PARAMS = 30_000_000
"""Random points with more parameters are compared as .tflite only: tf2onnx's peak memory grows with the
weights, about 0.33 GB per million parameters (10 GB for a 30.5 M-parameter efficientnet_v2 point at 224, 16 GB
for a 50.9 M one, where the TFLite converter needs 4 GB). Beside another test worker that is more than this
machine's 24 GB, and the worker is killed; 8 of the 50 efficientnet_v2 points (none of mnasnet's) are that large."""


def _converted_files(pool: WorkerPool, text: str, folder: str, formats: tuple[str, ...]) -> dict[str, str] | None:
    """The converter files of one spec in `formats`; one retry (in a fresh worker) when the worker dies."""
    for _ in range(2):
        try:
            (files,) = pool.run(_convert.convert_all, [text], folder, _SHAPE, _CLASSES, formats)
            return files
        except WorkerCrashedError:
            continue
    return None


@pytest.mark.long
@pytest.mark.parametrize("space_name", _writer_space_names())
def test_random_points_match_the_converter(space_name: str) -> None:
    texts = [str(spec) for spec in spaces.get(space_name).sample(n=_RANDOM_POINTS, seed=_RANDOM_SEED)]
    failures, compared = [], 0
    # A worker converts three specs (twelve files), then a fresh one takes over: TensorFlow and tf2onnx keep
    # memory per converted model (a worker that converted six specs died in CI once).
    with tempfile.TemporaryDirectory() as folder, WorkerPool(tasks_per_worker=3, initializer=_quiet_worker) as pool:
        for text in texts:
            spec = parse_spec(text)
            params = family_of_type(type(spec)).cost(spec, input_shape=_SHAPE, num_classes=_CLASSES).params
            formats = ("tflite", "onnx") if params <= _ONNX_MAX_PARAMS else ("tflite",)
            files = _converted_files(pool, text, folder, formats)
            assert files is not None, f"the converters' worker died twice on {text}"
            for kind, path in files.items():
                with open(path, "rb") as file:
                    converted = file.read()
                os.remove(path)
                if kind not in _RANDOM_KINDS:
                    continue
                compared += 1
                model_format, precision = kind.split()
                difference = _difference(parse_spec(text), model_format, precision, converted,
                                         input_shape=_SHAPE, num_classes=_CLASSES)  # fmt: skip
                if difference is not None:
                    failures.append(f"{text} ({kind}): {difference}")
    assert not failures, f"{len(failures)} of {compared} files differ; first: {failures[0]}"
    assert compared >= 2 * len(texts)  # .tflite fp32 and int8 of every point, .onnx fp32 of all but the largest
