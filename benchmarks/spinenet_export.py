"""SpineNet-Mobile RetinaNet detectors: size, TFLite export time, file size and LiteRT latency.

For SpineNet-Mobile-49XS / 49S / 49 (https://arxiv.org/abs/2010.11426) as the
published COCO detectors, this prints per model: trainable parameters, the wall
time of a fresh `edgenas.export_spec` (build, BatchNorm calibration, conversion) to
TFLite fp32 and to TFLite int8 (each its own export, each building the model),
the file sizes, the LiteRT latency (1 thread, median and p90) of both files
measured with the on-device profiler (`devices.LocalDevice`, its own process),
and into how many XNNPACK partitions LiteRT split each file (1: all of it runs
in XNNPACK; more: some ops fell back to LiteRT's own kernels between them).

The published configurations (SpineNet paper https://arxiv.org/abs/1912.05027,
Appendix A, and TF Model Garden's
`official/vision/configs/experiments/retinanet/coco_spinenet49{xs,s,}_mobile_tpu.yaml`):

| model | input   | head (separable, 4 convs) | paper | Model Garden yaml today |
|-------|---------|---------------------------|-------|-------------------------|
| 49XS  | 256x256 | 24 filters                | swish | swish                   |
| 49S   | 384x384 | 40 filters                | swish | hard_swish              |
| 49    | 384x384 | 48 filters                | swish | hard_swish              |

all with 9 anchors per location (3 scales x 3 aspect ratios), levels 3..7, and
91 classes (Model Garden's COCO RetinaNet configs: `num_classes: 91`, COCO's
category-id range; 80 ids are used). The backbones are `spinenet_reference(...)`
(swish, as in the paper); `--activation model-garden` uses the yaml's instead.
Weights are random (seeded): latency does not depend on them.

Run: .venv/bin/python benchmarks/spinenet_export.py [--runs 50] [--models 49xs,49s,49]
    [--activation paper|model-garden]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from _text_table import aligned_lines  # noqa: E402  (beside this script)
from _tflite_files import xnnpack_partitions  # noqa: E402

_COCO_CLASSES = 91
_ANCHORS_PER_LOCATION = 9


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Published:
    """One published SpineNet-Mobile RetinaNet configuration (Model Garden's yaml)."""

    label: str
    reference: str
    input_size: int
    head_filters: int
    model_garden_activation: str


_PUBLISHED = {
    "49xs": _Published(
        label="SpineNet-Mobile-49XS", reference="spinenet_mobile49xs", input_size=256, head_filters=24,
        model_garden_activation="swish",
    ),
    "49s": _Published(
        label="SpineNet-Mobile-49S", reference="spinenet_mobile49s", input_size=384, head_filters=40,
        model_garden_activation="hard_swish",
    ),
    "49": _Published(
        label="SpineNet-Mobile-49", reference="spinenet_mobile49", input_size=384, head_filters=48,
        model_garden_activation="hard_swish",
    ),
}  # fmt: skip


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Row:
    label: str
    input_size: int
    head_filters: int
    activation: str
    anchors: int
    params: int
    export_s: dict[str, float]
    size_bytes: dict[str, int]
    partitions: dict[str, int]
    latency: dict[str, object]  # precision -> devices.LatencyResult


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="49xs,49s,49", help=f"comma-separated, of {', '.join(_PUBLISHED)}")
    parser.add_argument("--runs", type=int, default=50, help="timed profiler runs per attempt (default 50)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed profiler runs (default 10)")
    parser.add_argument(
        "--activation",
        choices=("paper", "model-garden"),
        default="paper",
        help="paper: swish (spinenet_reference); model-garden: each model's yaml activation today",
    )
    args = parser.parse_args()
    args.models = [m.strip().lower() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in _PUBLISHED]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(_PUBLISHED)}")
    return args


def _measure_one(key: str, args: argparse.Namespace, out_dir: str) -> _Row:
    import keras

    import devices
    import edgenas
    from edgenas.models.anchors import num_anchors_total
    from edgenas.specs import spinenet_reference
    from edgenas.specs.detection_head import DetectionHeadSpec
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

    published = _PUBLISHED[key]
    backbone = spinenet_reference(published.reference)
    activation = published.model_garden_activation if args.activation == "model-garden" else backbone.activation.value
    spec = SpineNetDetectorSpec(
        backbone=dataclasses.replace(backbone, activation=activation),
        head=DetectionHeadSpec(
            head_num_convs=4,
            head_num_filters=published.head_filters,
            num_anchors=_ANCHORS_PER_LOCATION,
            use_separable_conv=True,
        ),
    )
    shape = (published.input_size, published.input_size, 3)
    model = edgenas.build_keras(spec, input_shape=shape, num_classes=_COCO_CLASSES)
    params = sum(int(w.numpy().size) for w in model.trainable_weights)
    del model
    keras.backend.clear_session()

    device = devices.LocalDevice("local")
    settings = devices.ProfileSettings(runtime="litert", threads=1, runs=args.runs, warmup=args.warmup)
    export_s, size_bytes, partitions, latency = {}, {}, {}, {}
    for precision in ("fp32", "int8"):
        start = time.perf_counter()
        result = edgenas.export_spec(
            spec,
            out_dir=out_dir,
            formats="tflite",
            precision=precision,
            input_shape=shape,
            num_classes=_COCO_CLASSES,
        )
        export_s[precision] = time.perf_counter() - start
        artifact = result.get("tflite", precision)
        assert not artifact.cached, "a fresh folder must not hold the artifact"
        size_bytes[precision] = artifact.size_bytes
        partitions[precision] = xnnpack_partitions(artifact.path)
        latency[precision] = device.measure(artifact.path, settings)
        keras.backend.clear_session()
    return _Row(
        label=published.label,
        input_size=published.input_size,
        head_filters=published.head_filters,
        activation=activation,
        anchors=num_anchors_total((published.input_size, published.input_size)),
        params=params,
        export_s=export_s,
        size_bytes=size_bytes,
        partitions=partitions,
        latency=latency,
    )


def _table(rows: list[_Row]) -> list[str]:
    header = (
        "model", "input", "head", "activation", "anchors", "params",
        "export fp32", "export int8", "size fp32", "size int8",
        "fp32 median / p90", "int8 median / p90", "xnnpack parts",
    )  # fmt: skip
    body = []
    for row in rows:
        cells = [row.label, f"{row.input_size}x{row.input_size}", f"sep4x{row.head_filters}", row.activation]
        cells += [f"{row.anchors:,}", f"{row.params / 1e6:.2f} M"]
        cells += [f"{row.export_s[p]:.1f} s" for p in ("fp32", "int8")]
        cells += [f"{row.size_bytes[p] / 1e6:.2f} MB" for p in ("fp32", "int8")]
        for p in ("fp32", "int8"):
            result = row.latency[p]
            stable = "" if result.stable else " (unstable)"
            cells.append(f"{result.latency_ms:.2f} / {result.p90_ms:.2f} ms{stable}")
        cells.append(f"{row.partitions['fp32']} / {row.partitions['int8']}")
        body.append(cells)
    return aligned_lines(header, body, left={0, 3})


def main() -> None:
    args = _parse_args()
    logging.getLogger("absl").setLevel(logging.ERROR)
    import tensorflow as tf

    rows = []
    with tempfile.TemporaryDirectory(prefix="edgenas-spinenet-bench-") as out_dir:
        for key in args.models:
            rows.append(_measure_one(key, args, out_dir))
    first = rows[0].latency["fp32"]
    delegates = sorted({r.latency[p].delegate for r in rows for p in ("fp32", "int8")})
    cpu = first.device.cpu_model or platform.processor() or "unknown CPU"
    print("spinenet_export: SpineNet-Mobile RetinaNet detectors (published heads and input sizes, "
          f"{args.activation} activations), {_COCO_CLASSES} classes (COCO as in Model Garden), random seeded weights")
    print(f"  machine: {cpu}, {first.device.cpu_count} cores ({platform.machine()}, {platform.system()})")
    print(f"  runtime: {first.runtime} {first.runtime_version}, {first.threads} thread, delegate "
          f"{'/'.join(delegates)}; profiler: {args.runs} runs after {args.warmup} warm-up, median and p90")
    print(f"  converter: tensorflow {tf.__version__}; export = build + BatchNorm calibration + convert "
          "(int8: full-integer, 8 calibration images), one fresh export per precision")
    print()
    for line in _table(rows):
        print(line)
    speedups = ", ".join(
        f"{r.label.rsplit('-', 1)[-1]} {r.latency['fp32'].latency_ms / r.latency['int8'].latency_ms:.2f}x" for r in rows
    )
    print()
    print(f"  int8 speed-up over fp32 (fp32 median / int8 median): {speedups}")
    print("  params: trainable weights (backbone + head; BatchNorm statistics not counted); "
          "xnnpack parts: XNNPACK delegate nodes fp32 / int8")


if __name__ == "__main__":
    main()
