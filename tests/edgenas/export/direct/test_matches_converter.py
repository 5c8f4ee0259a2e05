"""The direct writer's file is the converter's graph, op for op (`edgenas.export.direct.signature`).

Covered: every space whose family has a direct writer, read from the registry at
collection time (a space gets this test by getting a writer). The fast form
compares each space's references in fp32 and one hand-made network that uses
every op and option the chain writer emits (every activation, conv, mbconv and
fused-mbconv blocks with and without SE and expansion, skip and stride) in fp32
and int8; the long form compares every reference in int8 and 50 seeded random
points of every such space at 224x224, fp32 and int8, converted in recycled
worker processes. A converter upgrade that changes its graph fails here, naming
the first op that differs.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

from edgenas import spaces
from edgenas.collect.layerwise import _export_networks, _quiet_worker
from edgenas.export import export
from edgenas.export.direct import timing_tflite
from edgenas.export.direct.signature import file_signature, first_difference
from edgenas.families import family_of_type, parse_spec
from edgenas.search.workers import WorkerPool

pytestmark = pytest.mark.slow

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


def _assert_same_graph(spec: Any, precision: str, converter_file: bytes, *, input_shape: tuple[int, int, int],
                       num_classes: int) -> None:  # fmt: skip
    direct = timing_tflite(spec, precision=precision, input_shape=input_shape, num_classes=num_classes)
    difference = first_difference(file_signature(converter_file), file_signature(direct))
    assert difference is None, f"{spec} ({precision}): {difference}"


def _converted(spec: Any, precision: str, tmp_path: Any, *, input_shape: tuple[int, int, int],
               num_classes: int) -> bytes:  # fmt: skip
    result = export(spec, out_dir=tmp_path, formats="tflite", precision=precision, input_shape=input_shape,
                    num_classes=num_classes)  # fmt: skip
    return result.artifacts[0].path.read_bytes()


@pytest.mark.parametrize("precision", ["fp32", pytest.param("int8", marks=pytest.mark.long)])
@pytest.mark.parametrize(("space_name", "options", "reference"), _all_references())
def test_reference_matches_the_converter(space_name: str, options: dict[str, str], reference: str, precision: str,
                                         tmp_path: Any) -> None:  # fmt: skip
    spec = spaces.get(space_name, **options).reference(reference)
    converted = _converted(spec, precision, tmp_path, input_shape=_SHAPE, num_classes=_CLASSES)
    _assert_same_graph(spec, precision, converted, input_shape=_SHAPE, num_classes=_CLASSES)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_every_op_and_option_matches_the_converter(precision: str, tmp_path: Any) -> None:
    spec = parse_spec(_EVERY_OP)
    shape = (96, 96, 3)
    converted = _converted(spec, precision, tmp_path, input_shape=shape, num_classes=10)
    _assert_same_graph(spec, precision, converted, input_shape=shape, num_classes=10)


@pytest.mark.long
@pytest.mark.parametrize("precision", ["fp32", "int8"])
@pytest.mark.parametrize("space_name", _writer_space_names())
def test_random_points_match_the_converter(space_name: str, precision: str) -> None:
    texts = [str(spec) for spec in spaces.get(space_name).sample(n=_RANDOM_POINTS, seed=_RANDOM_SEED)]
    failures = []
    with tempfile.TemporaryDirectory() as folder, WorkerPool(tasks_per_worker=2, initializer=_quiet_worker) as pool:
        for start in range(0, len(texts), 5):
            batch = texts[start : start + 5]
            paths = pool.run(_export_networks, batch, precision, folder, _SHAPE, _CLASSES)
            for text, path in zip(batch, paths, strict=True):
                assert path is not None, f"the converter failed on {text}"
                with open(path, "rb") as file:
                    converted = file.read()
                os.remove(path)
                direct = timing_tflite(parse_spec(text), precision=precision, input_shape=_SHAPE,
                                       num_classes=_CLASSES)  # fmt: skip
                difference = first_difference(file_signature(converted), file_signature(direct))
                if difference is not None:
                    failures.append(f"{text}: {difference}")
    assert not failures, f"{len(failures)} of {len(texts)} differ; first: {failures[0]}"
