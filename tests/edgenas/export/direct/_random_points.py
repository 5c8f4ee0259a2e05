"""The random-point half of the graph test: seeded points of a space (50 unless its test file says fewer),
converter files against direct ones.

Each space with a direct writer has its own test file (`test_random_points_<space>.py`, and
`test_random_points_<space>_<task>.py` for a space's form for another task with one, checked by
`test_matches_converter.test_every_writer_space_has_a_random_points_file`), so that pytest-xdist runs the
spaces on different workers: a space's 50 points take several minutes of conversions.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

from edgenas import spaces
from edgenas.collect.layerwise import _quiet_worker
from edgenas.export.direct import timing_onnx, timing_tflite
from edgenas.export.direct.signature import file_signature, first_difference, onnx_file_signature
from edgenas.families import family_of_type, parse_spec
from edgenas.search.workers import WorkerCrashedError, WorkerPool

sys.path.insert(0, os.path.dirname(__file__))
import _convert  # noqa: E402  (the worker task; spawned workers find it through sys.path)

RANDOM_POINTS = 50
RANDOM_SEED = 20_261_206
_WRITERS = {"tflite": (timing_tflite, file_signature), "onnx": (timing_onnx, onnx_file_signature)}


def graph_difference(spec: Any, model_format: str, precision: str, converted: bytes, *,
                     input_shape: tuple[int, int, int], num_classes: int) -> str | None:  # fmt: skip
    """The first op where the direct file of `spec` differs from the converter's file `converted`; None if none."""
    write, signature = _WRITERS[model_format]
    direct = write(spec, precision=precision, input_shape=input_shape, num_classes=num_classes)
    return first_difference(signature(converted), signature(direct))

# The kinds of file compared on random points (`_convert.convert_all` makes no others): .tflite fp32 and int8,
# .onnx fp32 (where the space's family has a direct ONNX writer: `Family.timing_graph_formats`). Not ONNX int8:
# tf2onnx places the no-op Reshapes around an SE module's 1x1 convolutions differently from one process to the
# next (the float signature leaves them out), and onnxruntime's quantiser places its QDQ pairs around them, so the
# converter's own int8 files differ between runs there (seen on 4 of 50 mnasnet points, and on the
# EfficientNetV2-B0 reference once).


_ONNX_MAX_PARAMS = 20_000_000
"""Random points with more parameters are compared as .tflite only: tf2onnx's peak memory grows with the
weights, about 0.33 GB per million parameters (10 GB for a 30.5 M-parameter efficientnet_v2 point at 224, 16 GB
for a 50.9 M one, where the TFLite converter needs 4 GB). Beside another test worker that is more than this
machine's 24 GB, and the worker is killed: the SpineNet random points' conversions beside it peak at about 10 GB
of the machine's memory (a 25 M-parameter spinenet_v2 point), and one died twice in CI with the efficientnet_v2
points converting beside it. 15 of the 50 efficientnet_v2 points (none of mnasnet's) are over 20 M."""


_SPECS_PER_WORKER = 3
"""A worker converts this many specs, then a fresh one takes over: TensorFlow and tf2onnx keep memory per
converted model (a worker that converted six specs died in CI once)."""


def _converted_files(pool: WorkerPool, text: str, folder: str, formats: tuple[str, ...], *,
                     input_shape: tuple[int, int, int], num_classes: int) -> dict[str, str] | None:  # fmt: skip
    """The converter files of one spec in `formats`; one retry (in a fresh worker) when the worker dies."""
    for _ in range(2):
        try:
            (files,) = pool.run(_convert.convert_all, [text], folder, input_shape, num_classes, formats)
            return files
        except WorkerCrashedError:
            continue
    return None


def check_random_points(space_name: str, *, task: str | None = None, points: int = RANDOM_POINTS, part: int = 0,
                        parts: int = 1) -> None:  # fmt: skip
    """Fails naming the first of `space_name`'s random points whose direct file differs from the converter's.

    Each point is exported at its family's deployment input and class count (a classifier's 224x224 and 1,000
    classes, a SpineNet detector's 256x256 and 91, a chain detector's 320x320 and 91).

    Args:
        space_name: The space.
        task: The space's form for this task (`spaces.get(space_name, task=task)`: "detection" for the chain
            spaces' detectors); None: its own.
        points: How many seeded points of the space are checked (the first `points` of the seed's draw).
        part: Which share of the points this call checks: every `parts`-th point from the `part`-th.
        parts: Into how many shares the points are split (a space whose conversions take long splits them over
            several tests, so that none runs past the 30 minutes pytest allows one test).
    """
    space = spaces.get(space_name) if task is None else spaces.get(space_name, task=task)
    family = family_of_type(space.spec_type)
    shape, classes = family.deployment.input_shape, family.deployment.num_classes
    texts = [str(spec) for spec in space.sample(n=points, seed=RANDOM_SEED)][part::parts]
    failures, compared = [], 0
    pool = WorkerPool(tasks_per_worker=_SPECS_PER_WORKER, initializer=_quiet_worker)
    with tempfile.TemporaryDirectory() as folder, pool:
        for text in texts:
            spec = parse_spec(text)
            params = family.cost(spec, input_shape=shape, num_classes=classes).params
            onnx = "onnx" in family.timing_graph_formats and params <= _ONNX_MAX_PARAMS
            formats = ("tflite", "onnx") if onnx else ("tflite",)
            files = _converted_files(pool, text, folder, formats, input_shape=shape, num_classes=classes)
            assert files is not None, f"the converters' worker died twice on {text}"
            for kind, path in files.items():
                with open(path, "rb") as file:
                    converted = file.read()
                os.remove(path)
                compared += 1
                model_format, precision = kind.split()
                difference = graph_difference(parse_spec(text), model_format, precision, converted,
                                              input_shape=shape, num_classes=classes)  # fmt: skip
                if difference is not None:
                    failures.append(f"{text} ({kind}): {difference}")
    assert not failures, f"{len(failures)} of {compared} files differ; first: {failures[0]}"
    assert compared >= 2 * len(texts)  # .tflite fp32 and int8 of every point, .onnx fp32 where compared
