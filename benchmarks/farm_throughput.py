"""Device farm throughput and overhead, on loopback with local devices.

1. Throughput: 40 distinct small TFLite models through a farm of 1, 2 and 4
   local devices with one tag (a fresh farm each time, so nothing is cached):
   jobs per minute, and the speed-up over 1 device.
2. Overhead per job (target: under 100 ms on loopback): the same models timed
   one at a time, alternately through a 1-device farm (`Farm.measure`: hash,
   upload, submit, wait) and by running the profiler directly
   (`LocalDevice.measure`, the baseline), in the same run. The overhead is the
   difference of the two means. Also: the round trip of a cached result.

The devices all share this machine's CPU cores, so more devices than cores
cannot add throughput; the figures say how close the farm gets.

Run: .venv/bin/python benchmarks/farm_throughput.py [--models 40] [--runs 20]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOKEN = "benchmark-token"


def _make_models(folder: Path, count: int) -> list[Path]:
    """`count` distinct small conv nets (32x32x3 input, different widths and weights) as .tflite."""
    paths = [folder / f"model-{i:02d}.tflite" for i in range(count)]
    if all(p.exists() for p in paths):
        return paths
    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)
    import keras
    import tensorflow as tf

    for i, path in enumerate(paths):
        if path.exists():
            continue
        keras.utils.set_random_seed(i)
        width = 8 + 4 * (i % 5)
        model = keras.Sequential([
            keras.Input((32, 32, 3), batch_size=1),
            keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu"),
            keras.layers.DepthwiseConv2D(3, padding="same", activation="relu"),
            keras.layers.Conv2D(2 * width, 1, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10),
        ])  # fmt: skip
        with contextlib.redirect_stdout(io.StringIO()):  # the converter prints the traced signature
            path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return paths


def _farm(devices: int, state_dir: Path):
    from devices.farm.inventory import parse_inventory
    from devices.farm.server import FarmServer
    from devices.farm.service import FarmService

    inventory = parse_inventory(
        {"devices": [{"name": f"cpu-{i}", "backend": "local", "tags": ["cpu"]} for i in range(devices)]}
    )
    return FarmServer(FarmService(inventory, state_dir=state_dir), token=TOKEN)


def _throughput(models: list[Path], devices: int, settings, work: Path) -> tuple[float, dict[str, int]]:
    from devices.farm.client import Farm

    with _farm(devices, work / f"farm-{devices}") as server, Farm(server.url, tag="cpu", token=TOKEN) as farm:
        farm.check_health()
        time.sleep(1.0)  # let every device finish its start-up health check
        start = time.perf_counter()
        jobs = [farm.submit(m, settings) for m in models]
        for job in jobs:
            farm.wait(job.id, timeout_s=600)
        elapsed = time.perf_counter() - start
        per_device = {d["name"]: d["jobs_done"] for d in farm.status()["devices"]}
    return elapsed, per_device


def _overhead(models: list[Path], settings, work: Path) -> tuple[list[float], list[float], list[float]]:
    from devices import LocalDevice
    from devices.farm.client import Farm

    direct_device = LocalDevice("direct")
    farm_s, direct_s, cached_s = [], [], []
    with _farm(1, work / "farm-overhead") as server, Farm(server.url, tag="cpu", token=TOKEN) as farm:
        farm.check_health()
        time.sleep(1.0)
        for i, model in enumerate(models):
            order = ("farm", "direct") if i % 2 == 0 else ("direct", "farm")  # alternate: no drift bias
            for how in order:
                t = time.perf_counter()
                if how == "farm":
                    farm.measure(model, settings)
                    farm_s.append(time.perf_counter() - t)
                else:
                    direct_device.measure(model, settings)
                    direct_s.append(time.perf_counter() - t)
        for model in models:
            t = time.perf_counter()
            farm.measure(model, settings)
            cached_s.append(time.perf_counter() - t)
    return farm_s, direct_s, cached_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=40)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per measurement")
    parser.add_argument("--models-dir", default=os.path.join(tempfile.gettempdir(), "edgenas-farm-bench-models"))
    args = parser.parse_args()

    from devices import ProfileSettings

    folder = Path(args.models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    models = _make_models(folder, args.models)
    print(f"farm_throughput: {len(models)} distinct TFLite models ({time.perf_counter() - t:.1f} s to make or load), "
          f"{args.runs} timed runs each, LiteRT, 1 thread; this machine has {os.cpu_count()} cores")
    settings = ProfileSettings(runs=args.runs, warmup=5, max_attempts=1)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("\nthroughput (fresh farm each, nothing cached)")
        print(f"{'devices':>7} {'wall s':>8} {'jobs/min':>9} {'vs 1 device':>11}  jobs per device")
        base = None
        for devices in (1, 2, 4):
            elapsed, per_device = _throughput(models, devices, settings, work)
            rate = len(models) / elapsed * 60
            base = base or rate
            spread = " ".join(str(n) for n in per_device.values())
            print(f"{devices:>7} {elapsed:>8.2f} {rate:>9.1f} {rate / base:>10.2f}x  {spread}")

        farm_s, direct_s, cached_s = _overhead(models, settings, work)
    farm_ms, direct_ms = statistics.mean(farm_s) * 1000, statistics.mean(direct_s) * 1000
    overhead_ms = farm_ms - direct_ms
    print("\noverhead per job, 1 device, one job at a time (alternating with the baseline)")
    print(f"  profiler run directly (baseline)  mean {direct_ms:7.1f} ms  median {statistics.median(direct_s) * 1000:7.1f} ms")
    print(f"  through the farm                  mean {farm_ms:7.1f} ms  median {statistics.median(farm_s) * 1000:7.1f} ms")
    print(f"  farm overhead                     {overhead_ms:+.1f} ms per job ({farm_ms / direct_ms:.3f}x the baseline)")
    print(f"  cached result round trip          mean {statistics.mean(cached_s) * 1000:7.1f} ms "
          "(hash, HEAD, submit, answer; no device)")
    verdict = "OK" if overhead_ms < 100 else "FAIL"
    print(f"target: farm overhead under 100 ms per job on loopback: {overhead_ms:.1f} ms -> {verdict}")


if __name__ == "__main__":
    main()
