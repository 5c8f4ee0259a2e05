"""Turnaround of a timing model: the direct writer against the converter, measured in one run.

Figures (this machine's CPU, LiteRT, one thread), each beside its baseline:

1. spec -> .tflite, MnasNet-A1 224: `edgenas.export.direct.timing_tflite` in a
   process that never imports TensorFlow (median of warm calls; the first call
   too), against `edgenas.export.export` (Keras build, BatchNorm calibration,
   TFLite converter; median of fresh exports after TensorFlow is imported);
   fp32 and int8.
2. spec -> measured latency (50 timed runs after 10 warm-up): write + profile,
   wall time, direct with the one-shot profiler and with a profiler session
   (`LocalDevice.session()`: one process kept up) against the converter with
   the one-shot profiler.
3. Latency parity: for the references of every space with a direct writer and
   `--random` seeded points of each, fp32 and int8, the converter's file and the
   direct file are timed in `--rounds` interleaved rounds (A B, then B A, ...;
   a fresh profiler process each time); each file's latency is the median of its
   rounds. Reported: the direct/converter ratio per model and the share within 3 %.
4. Session agreement: each direct file of step 3 timed by the one-shot
   profiler and by a session, interleaved the same way: the session/one-shot
   ratio per file.

5. With `--store` (real mnasnet measurements, e.g. the store
   `benchmarks/predictor_accuracy.py` collects): the predictor's throughput,
   a batch of 1,000,000 points through stage tables and a single `predict`,
   against the per-layer path (`benchmarks/predictor_speed.py`).

Targets (issue 15): direct fp32 write <= 50 ms; spec -> measured latency <= 1 s
wall; the direct file's median within 3 % of the converter's; a session's
latencies agree with one-shot runs; >= 1,000,000 predictions/s in a batch and
a single predict <= 20 us.

Run: .venv/bin/python benchmarks/turnaround.py [--rounds 5] [--random 3] [--out runs/turnaround]
     [--store runs/predictor-bench/train-fp32.sqlite [--predictor-only]]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_A1 = "mnasnet_a1"
_SHAPE = (224, 224, 3)

# Run in a fresh interpreter: the direct writer's timings must not benefit from (or pay for) TensorFlow.
_DIRECT_PROBE = """
import json, statistics, sys, time
t0 = time.perf_counter()
from edgenas import spaces
from edgenas.export.direct import timing_tflite
from devices import LocalDevice, ProfileSettings
imported_s = time.perf_counter() - t0
spec = spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
out = {"imported_s": imported_s}
for precision in ("fp32", "int8"):
    times = []
    for _ in range(int(sys.argv[1])):
        t = time.perf_counter()
        content = timing_tflite(spec, precision=precision)
        times.append(time.perf_counter() - t)
    out[precision] = {"first_s": times[0], "median_s": statistics.median(times[1:])}
device, settings = LocalDevice("local"), ProfileSettings(runtime="litert", threads=1, runs=50, warmup=10)
walls = []
for index in range(int(sys.argv[2])):
    t = time.perf_counter()
    content = timing_tflite(spec, precision="fp32", seed=index)
    path = f"{sys.argv[3]}/direct-{index}.tflite"
    with open(path, "wb") as file:
        file.write(content)
    result = device.measure(path, settings)
    walls.append(time.perf_counter() - t)
out["measured_wall_s"] = walls
out["latency_ms"] = result.latency_ms
walls = []
with device.session() as session:  # one profiler process kept up (profiler.py --serve)
    for index in range(int(sys.argv[2]) + 1):
        t = time.perf_counter()
        content = timing_tflite(spec, precision="fp32", seed=100 + index)
        path = f"{sys.argv[3]}/direct-session-{index}.tflite"
        with open(path, "wb") as file:
            file.write(content)
        session.measure(path, settings)
        walls.append(time.perf_counter() - t)
out["session_wall_s"] = walls[1:]  # the first call starts the process
out["session_first_s"] = walls[0]
out["tensorflow_imported"] = "tensorflow" in sys.modules or "keras" in sys.modules
print(json.dumps(out))
"""


def _direct_figures(calls: int, measured: int, folder: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", _DIRECT_PROBE, str(calls), str(measured), os.fspath(folder)],
                         capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"the direct-writer probe failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _converter_figures(spec, repeats: int, folder: Path) -> dict:
    from devices import LocalDevice, ProfileSettings
    from edgenas.export import export

    export(spec, out_dir=folder / "warm", precision="fp32")  # TensorFlow imported and traced once
    out: dict = {}
    for precision in ("fp32", "int8"):
        times = []
        for index in range(repeats):
            t = time.perf_counter()
            export(spec, out_dir=folder / f"{precision}-{index}", precision=precision)
            times.append(time.perf_counter() - t)
        out[precision] = statistics.median(times)
    device, settings = LocalDevice("local"), ProfileSettings(runtime="litert", threads=1, runs=50, warmup=10)
    walls = []
    for index in range(repeats):
        t = time.perf_counter()
        path = export(spec, out_dir=folder / f"measured-{index}", precision="fp32", seed=100 + index).artifacts[0].path
        device.measure(path, settings)
        walls.append(time.perf_counter() - t)
    out["measured_wall_s"] = walls
    return out


def _parity_models(random_points: int) -> list[tuple[str, object]]:
    from edgenas import spaces
    from edgenas.families import family_of_type

    models = []
    for name in spaces.names():
        if not family_of_type(spaces.get(name).spec_type).has_timing_graph:
            continue
        for options in spaces.variants(name):
            space = spaces.get(name, **options)
            models += [(reference, space.reference(reference)) for reference in space.reference_names()]
        models += [(f"{name} random {i}", spec)
                   for i, spec in enumerate(spaces.get(name).sample(n=random_points, seed=424_242))]  # fmt: skip
    return models


def _parity(models: list[tuple[str, object]], rounds: int, folder: Path) -> list[tuple[str, str, float, float, Path]]:
    from devices import LocalDevice, ProfileSettings
    from edgenas.export import export

    device, settings = LocalDevice("local"), ProfileSettings(runtime="litert", threads=1, runs=50, warmup=10)
    rows = []
    for label, spec in models:
        for precision in ("fp32", "int8"):
            files = [export(spec, out_dir=folder, precision=precision).artifacts[0].path,
                     export(spec, out_dir=folder, precision=precision, timing_only=True).artifacts[0].path]  # fmt: skip
            times: list[list[float]] = [[], []]
            for round_index in range(rounds):
                order = (0, 1) if round_index % 2 == 0 else (1, 0)
                for which in order:
                    times[which].append(device.measure(files[which], settings).latency_ms)
            converter_ms, direct_ms = statistics.median(times[0]), statistics.median(times[1])
            rows.append((label, precision, converter_ms, direct_ms, files[1]))
            print(f"  {label:<28} {precision:<5} converter {converter_ms:7.2f} ms  direct {direct_ms:7.2f} ms  "
                  f"ratio {direct_ms / converter_ms:.3f}", flush=True)  # fmt: skip
    return rows


def _session_agreement(files: list[tuple[str, Path]], rounds: int) -> list[float]:
    """session/one-shot latency ratio of each file, interleaved rounds (a fresh one-shot process each time)."""
    from devices import LocalDevice, ProfileSettings

    device, settings = LocalDevice("local"), ProfileSettings(runtime="litert", threads=1, runs=50, warmup=10)
    ratios = []
    with device.session() as session:
        for label, path in files:
            times: list[list[float]] = [[], []]
            for round_index in range(rounds):
                for which in ((0, 1) if round_index % 2 == 0 else (1, 0)):
                    measure = device.measure if which == 0 else session.measure
                    times[which].append(measure(path, settings).latency_ms)
            one_shot, in_session = statistics.median(times[0]), statistics.median(times[1])
            ratios.append(in_session / one_shot)
            print(f"  {label:<34} one-shot {one_shot:7.2f} ms  session {in_session:7.2f} ms  "
                  f"ratio {ratios[-1]:.3f}", flush=True)  # fmt: skip
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per file in the parity check")
    parser.add_argument("--random", type=int, default=3, help="random points per space in the parity check")
    parser.add_argument("--calls", type=int, default=21, help="direct writes timed (the first is reported apart)")
    parser.add_argument("--repeats", type=int, default=3, help="converter exports and measured turnarounds timed")
    parser.add_argument("--out", default=None, help="folder of the files (default: a temporary folder)")
    parser.add_argument("--store", default=None,
                        help="a measurement store of real mnasnet measurements: adds the predictor's throughput "
                             "(benchmarks/predictor_speed.py) to the figures")  # fmt: skip
    parser.add_argument("--predictor-only", action="store_true", help="only the predictor's throughput (--store)")
    args = parser.parse_args()
    if args.predictor_only and not args.store:
        parser.error("--predictor-only needs --store")
    speed = _predictor_speed(Path(args.store)) if args.store else None
    if args.predictor_only:
        return

    folder = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="turnaround-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"files in {folder}")
    direct = _direct_figures(args.calls, args.repeats, folder)

    from edgenas import spaces

    spec = spaces.get("mnasnet", reference=_A1).reference(_A1)
    converter = _converter_figures(spec, args.repeats, folder / "converter")
    print("\n== parity: the converter's file and the direct file, interleaved rounds ==", flush=True)
    rows = _parity(_parity_models(args.random), args.rounds, folder / "parity")
    print("\n== a profiler session against one-shot runs, the direct files above ==", flush=True)
    session_ratios = _session_agreement([(f"{row[0]} {row[1]}", row[4]) for row in rows], args.rounds)

    direct_wall = statistics.median(direct["measured_wall_s"])
    converter_wall = statistics.median(converter["measured_wall_s"])
    ratios = [d / c for _, _, c, d, _ in rows]
    within = sum(abs(r - 1) <= 0.03 for r in ratios)
    print("\n== turnaround, MnasNet-A1 224, this machine ==")
    print(f"direct writer process: imports {direct['imported_s']:.2f} s; TensorFlow imported: "
          f"{direct['tensorflow_imported']}")  # fmt: skip
    for precision in ("fp32", "int8"):
        d = direct[precision]
        print(f"spec -> .tflite {precision}: direct {1000 * d['median_s']:.1f} ms (first call "
              f"{1000 * d['first_s']:.1f} ms) vs converter {converter[precision]:.2f} s "
              f"-> {converter[precision] / d['median_s']:.0f}x")  # fmt: skip
    print(f"spec -> measured latency (50 runs, 1 thread, one-shot profiler): direct {direct_wall:.2f} s wall "
          f"(each: {', '.join(f'{w:.2f}' for w in direct['measured_wall_s'])}) vs converter {converter_wall:.2f} s "
          f"-> {converter_wall / direct_wall:.1f}x; MnasNet-A1 runs in {direct['latency_ms']:.2f} ms")  # fmt: skip
    print(f"parity: {within}/{len(ratios)} direct files within 3 % of the converter's; ratio median "
          f"{statistics.median(ratios):.3f}, min {min(ratios):.3f}, max {max(ratios):.3f}")  # fmt: skip
    session_wall = statistics.median(direct["session_wall_s"])
    print(f"spec -> measured latency in a profiler session: {session_wall:.2f} s wall (each: "
          f"{', '.join(f'{w:.2f}' for w in direct['session_wall_s'])}; the first, which starts the process, "
          f"{direct['session_first_s']:.2f} s)")  # fmt: skip
    agree = sum(abs(r - 1) <= 0.03 for r in session_ratios)
    print(f"session vs one-shot: {agree}/{len(session_ratios)} files within 3 %; ratio median "
          f"{statistics.median(session_ratios):.3f}, min {min(session_ratios):.3f}, max {max(session_ratios):.3f}")
    write_s = direct["fp32"]["median_s"]
    checks = [
        ("direct fp32 write <= 50 ms", write_s <= 0.05, f"{1000 * write_s:.1f} ms"),
        ("spec -> measured latency <= 1 s", direct_wall <= 1.0, f"{direct_wall:.2f} s"),
        ("every direct file within 3 % of the converter's", within == len(ratios), f"{within}/{len(ratios)}"),
        ("spec -> measured latency in a session <= 1 s", session_wall <= 1.0, f"{session_wall:.2f} s"),
        ("session latencies within 3 % of one-shot", agree == len(session_ratios), f"{agree}/{len(session_ratios)}"),
        ("no TensorFlow in the direct process", not direct["tensorflow_imported"], str(direct["tensorflow_imported"])),
    ]
    checks += speed or []
    for name, ok, value in checks:
        print(f"target {name}: {value} -> {'OK' if ok else 'FAIL'}")


def _predictor_speed(store: Path) -> list[tuple[str, bool, str]]:
    """Step 5: the predictor's throughput on mnasnet points (prints its table; returns its checks)."""
    from predictor_speed import speed_lines  # noqa: PLC0415  (beside this script)

    if not store.is_file():
        sys.exit(f"no measurement store {store}")
    print("\n== predictor throughput, mnasnet points, one core ==", flush=True)
    lines, checks = speed_lines(store, "mnasnet", points=1_000_000)
    print("\n".join(lines), flush=True)
    for name, ok, value in checks:
        print(f"target {name}: {value} -> {'OK' if ok else 'FAIL'}")
    return checks


if __name__ == "__main__":
    main()
