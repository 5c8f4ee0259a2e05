"""Every family's reference networks exported: size, compute, export time, LiteRT latency, XNNPACK partitions.

Per model: parameters and MACs from the spec alone (`Family.cost`, Keras' count),
the wall time of a fresh `edgenas.export_spec` to TFLite fp32 and to int8 (each
its own export, each building the model), the file sizes, the LiteRT latency on
1 thread (median and p90, the on-device profiler in its own process) and into
how many XNNPACK partitions LiteRT split each file (target: 1 for every fp32
file: the whole graph runs in XNNPACK).

Then our EfficientNetV2-B0 against `keras.applications.EfficientNetV2B0(weights=None,
include_preprocessing=False, classifier_activation=None)`, the independent
implementation without the input scaling layers and the softmax that ours does
not have, converted the same way (`convert_to_tflite`, fp32): both files are
timed in interleaved rounds in this one run, and the ratio of their median
latencies is printed (target: within 3 %, the noise of a round).

The detectors on MobileNetV2: the plain FPN at 320x320 (the chain detector
family's default input), the NAS-FPN at 384x384: its cells resample between
levels 3-7 by whole factors of 2, so its sides are multiples of 128 and 320 is
not one (384 is the mobile size nearest it). Both with the mobile head (4
separable convs x 128, 9 anchors) and 91 classes; the NAS-FPN is the published
cell at 128 separable filters, 3 repeats (the `nasfpn` space's reference).

Run: .venv/bin/python benchmarks/families_export.py [--runs 50] [--rounds 5] [--models b0,fpn,nasfpn,spinenet49]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from _text_table import aligned_lines  # noqa: E402  (beside this script)
from _tflite_files import xnnpack_partitions  # noqa: E402

@dataclasses.dataclass(frozen=True, kw_only=True)
class _Model:
    """One reference network: how to make its spec, its input side and class count."""

    label: str
    make_spec: Callable[[], Any]
    input_size: int
    num_classes: int


def _efficientnetv2_b0() -> Any:
    import edgenas

    return edgenas.spaces.get("efficientnet_v2").reference("efficientnetv2_b0")


def _mobilenet_v2_fpn() -> Any:
    from edgenas.specs.chain_detector import mobilenet_v2_fpn_retinanet

    return mobilenet_v2_fpn_retinanet()


def _mobilenet_v2_nasfpn() -> Any:
    import edgenas

    return edgenas.spaces.get("nasfpn").reference("nasfpn")


def _spinenet_mobile49_detector() -> Any:
    from edgenas.specs import spinenet_reference
    from edgenas.specs.detection_head import DetectionHeadSpec
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

    # SpineNet-Mobile-49's published COCO detector: a separable head of 4 convs x 48 filters, 9 anchors.
    head = DetectionHeadSpec(head_num_convs=4, head_num_filters=48, num_anchors=9, use_separable_conv=True)
    return SpineNetDetectorSpec(backbone=spinenet_reference("spinenet_mobile49"), head=head)


_MODELS = {
    "b0": _Model(label="EfficientNetV2-B0", make_spec=_efficientnetv2_b0, input_size=224, num_classes=1000),
    "fpn": _Model(label="MobileNetV2 + FPN + RetinaNet", make_spec=_mobilenet_v2_fpn, input_size=320, num_classes=91),
    "nasfpn": _Model(
        label="MobileNetV2 + NAS-FPN + RetinaNet", make_spec=_mobilenet_v2_nasfpn, input_size=384, num_classes=91
    ),
    "spinenet49": _Model(
        label="SpineNet-Mobile-49 RetinaNet", make_spec=_spinenet_mobile49_detector, input_size=384, num_classes=91
    ),
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Row:
    label: str
    family: str
    input_size: int
    params: int
    macs: int
    export_s: dict[str, float]
    size_bytes: dict[str, int]
    partitions: dict[str, int]
    latency: dict[str, Any]  # precision -> devices.LatencyResult


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(_MODELS), help=f"comma-separated, of {', '.join(_MODELS)}")
    parser.add_argument("--runs", type=int, default=50, help="timed profiler runs per measurement (default 50)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed profiler runs (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the Keras comparison (default 5)")
    args = parser.parse_args()
    args.models = [m.strip().lower() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in _MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(_MODELS)}")
    return args


def _settings(args: argparse.Namespace) -> Any:
    import devices

    return devices.ProfileSettings(runtime="litert", threads=1, runs=args.runs, warmup=args.warmup)


def _measure_one(model: _Model, args: argparse.Namespace, out_dir: str) -> _Row:
    import keras

    import devices
    import edgenas
    from edgenas.families import family_of

    spec = model.make_spec()
    family = family_of(spec)
    shape = (model.input_size, model.input_size, 3)
    cost = family.cost(spec, input_shape=shape, num_classes=model.num_classes)
    device = devices.LocalDevice("local")
    export_s, size_bytes, partitions, latency = {}, {}, {}, {}
    for precision in ("fp32", "int8"):
        start = time.perf_counter()
        result = edgenas.export_spec(
            spec, out_dir=out_dir, formats="tflite", precision=precision, input_shape=shape,
            num_classes=model.num_classes,
        )  # fmt: skip
        export_s[precision] = time.perf_counter() - start
        artifact = result.get("tflite", precision)
        assert not artifact.cached, "a fresh folder must not hold the artifact"
        size_bytes[precision] = artifact.size_bytes
        partitions[precision] = xnnpack_partitions(artifact.path)
        latency[precision] = device.measure(artifact.path, _settings(args))
        keras.backend.clear_session()
    return _Row(
        label=model.label, family=family.name, input_size=model.input_size, params=cost.params, macs=cost.macs,
        export_s=export_s, size_bytes=size_bytes, partitions=partitions, latency=latency,
    )  # fmt: skip


def _keras_b0_file(out_dir: str) -> tuple[Path, int]:
    """`keras.applications.EfficientNetV2B0(weights=None)` as a TFLite fp32 file, converted as export converts ours."""
    import keras

    from edgenas.export.calibration import calibration_images
    from edgenas.export.settings import Precision
    from edgenas.export.tflite import convert_to_tflite

    keras.utils.set_random_seed(0)
    # The same network as ours: no input rescaling and normalisation layers, logits (no softmax).
    model = keras.applications.EfficientNetV2B0(weights=None, include_preprocessing=False, classifier_activation=None)
    params = model.count_params()
    path = Path(out_dir) / "keras_efficientnetv2_b0_fp32.tflite"
    convert_to_tflite(model, path, precision=Precision.FP32,
                      calibration=calibration_images(input_shape=(224, 224, 3), count=2, seed=0))  # fmt: skip
    keras.backend.clear_session()
    return path, params


def _compare_with_keras(ours: Path, args: argparse.Namespace, out_dir: str) -> list[str]:
    import devices

    theirs, keras_params = _keras_b0_file(out_dir)
    device = devices.LocalDevice("local")
    medians: dict[str, list[float]] = {"ours": [], "keras": []}
    for round_index in range(args.rounds):  # interleaved, the order alternating, so drift hits both alike
        order = (("ours", ours), ("keras", theirs)) if round_index % 2 == 0 else (("keras", theirs), ("ours", ours))
        for name, path in order:
            medians[name].append(device.measure(path, _settings(args)).latency_ms)
    ours_ms, keras_ms = statistics.median(medians["ours"]), statistics.median(medians["keras"])
    ratio = ours_ms / keras_ms
    verdict = "OK" if abs(ratio - 1) <= 0.03 else "OUTSIDE 3 %"
    return [
        f"EfficientNetV2-B0 against keras.applications.EfficientNetV2B0 ({keras_params:,} params), fp32, 1 thread, "
        f"{args.rounds} interleaved rounds of {args.runs} runs:",
        f"  ours  {ours_ms:.2f} ms (rounds: {', '.join(f'{v:.2f}' for v in medians['ours'])})",
        f"  keras {keras_ms:.2f} ms (rounds: {', '.join(f'{v:.2f}' for v in medians['keras'])})",
        f"  ratio ours / keras {ratio:.3f}  target within 3 %: {verdict}",
    ]


def _table(rows: list[_Row]) -> list[str]:
    header = (
        "model", "family", "input", "params", "MACs", "export fp32", "export int8", "size fp32", "size int8",
        "fp32 median / p90", "int8 median / p90", "xnnpack parts",
    )  # fmt: skip
    body = []
    for row in rows:
        cells = [row.label, row.family, f"{row.input_size}x{row.input_size}", f"{row.params / 1e6:.3f} M",
                 f"{row.macs / 1e9:.3f} G"]  # fmt: skip
        cells += [f"{row.export_s[p]:.1f} s" for p in ("fp32", "int8")]
        cells += [f"{row.size_bytes[p] / 1e6:.2f} MB" for p in ("fp32", "int8")]
        for p in ("fp32", "int8"):
            result = row.latency[p]
            stable = "" if result.stable else " (unstable)"
            cells.append(f"{result.latency_ms:.2f} / {result.p90_ms:.2f} ms{stable}")
        cells.append(f"{row.partitions['fp32']} / {row.partitions['int8']}")
        body.append(cells)
    return aligned_lines(header, body, left={0, 1})


def main() -> None:
    args = _parse_args()
    logging.getLogger("absl").setLevel(logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgenas-families-bench-") as out_dir:
        for key in args.models:
            rows.append(_measure_one(_MODELS[key], args, out_dir))
        comparison = []
        if "b0" in args.models:
            import edgenas

            # The B0 fp32 file measured above, from the artifact cache (nothing is built again).
            cached = edgenas.export_spec(_efficientnetv2_b0(), out_dir=out_dir, formats="tflite", precision="fp32",
                                         input_shape=(224, 224, 3), num_classes=1000)  # fmt: skip
            assert cached.all_cached
            comparison = _compare_with_keras(cached.tflite_path, args, out_dir)
    first = rows[0].latency["fp32"]
    cpu = first.device.cpu_model or platform.processor() or "unknown CPU"
    print("families_export: each family's reference networks, random seeded weights, LiteRT on 1 thread")
    print(f"  machine: {cpu}, {first.device.cpu_count} cores ({platform.machine()}, {platform.system()})")
    for line in _table(rows):
        print(line)
    for line in comparison:
        print(line)


if __name__ == "__main__":
    main()
