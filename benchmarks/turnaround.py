"""Turnaround of a timing model: the direct writer against the converter, measured in one run.

Figures (this machine's CPU, LiteRT, one thread), each beside its baseline:

1. spec -> .tflite, MnasNet-A1 224: `edgenas.export.direct.timing_tflite` in a
   process that never imports TensorFlow (median of warm calls; the first call
   too), against `edgenas.export.export` (Keras build, BatchNorm calibration,
   TFLite converter; median of fresh exports after TensorFlow is imported);
   fp32 and int8.
2. spec -> measured latency (50 timed runs after 10 warm-up): write + profile,
   wall time, median of `--turnarounds` candidates, direct with the one-shot
   profiler and with a profiler session (`LocalDevice.session()`: one process
   kept up) against the converter with the one-shot profiler. A profiler
   repeats an attempt whose runs spread more than its CV threshold, so a wall
   time is one attempt or more; the attempts are printed beside the walls.
3. Latency parity and session agreement: for the references of every space
   with a direct writer (or of the `--spaces` named) and `--random` seeded
   points of each, at the family's deployment input, fp32 and int8 .tflite,
   three timings per round, over `--rounds` rounds whose order turns
   (converter, direct, session; then the reverse; ...): the converter's file
   and the direct file by the one-shot profiler (a fresh process each time),
   and the direct file by a session. Each file's latency is the median of its
   rounds; the ratios direct/converter and session/one-shot are the median of
   the per-round ratios, so that a slow minute of the machine, which moves
   both timings of a round, does not move a ratio. A file with a ratio
   outside 3 % after its rounds is timed `--confirm-rounds` more and judged
   on all of them; both figures are printed, and the summary names such
   files. Reported: each ratio per file and the share within 3 %.

5. With `--store` (real mnasnet measurements, e.g. the store
   `benchmarks/predictor_accuracy.py` collects): the predictor's throughput,
   a batch of 1,000,000 points through stage tables and a single `predict`,
   against the per-layer path (`benchmarks/predictor_speed.py`).

Targets (issue 15): direct fp32 write <= 50 ms; spec -> measured latency <= 1 s
wall; the direct file's median within 3 % of the converter's; a session's
latencies agree with one-shot runs; >= 1,000,000 predictions/s in a batch and
a single predict <= 20 us.

Run: .venv/bin/python benchmarks/turnaround.py [--rounds 7] [--turnarounds 9] [--random 3] [--out runs/turnaround]
     [--spaces spinenet,spinenet_mbconv,spinenet_v2]
     [--store runs/predictor-bench/train-fp32.sqlite [--predictor-only]]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
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
walls, attempts = [], []
for index in range(int(sys.argv[2])):
    t = time.perf_counter()
    content = timing_tflite(spec, precision="fp32", seed=index)
    path = f"{sys.argv[3]}/direct-{index}.tflite"
    with open(path, "wb") as file:
        file.write(content)
    result = device.measure(path, settings)
    walls.append(time.perf_counter() - t)
    attempts.append(result.attempts)
out["measured_wall_s"] = walls
out["measured_attempts"] = attempts
out["latency_ms"] = result.latency_ms
walls, attempts = [], []
with device.session() as session:  # one profiler process kept up (profiler.py --serve)
    for index in range(int(sys.argv[2]) + 1):
        t = time.perf_counter()
        content = timing_tflite(spec, precision="fp32", seed=100 + index)
        path = f"{sys.argv[3]}/direct-session-{index}.tflite"
        with open(path, "wb") as file:
            file.write(content)
        attempts.append(session.measure(path, settings).attempts)
        walls.append(time.perf_counter() - t)
out["session_wall_s"] = walls[1:]  # the first call starts the process
out["session_attempts"] = attempts[1:]
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


def _parity_models(random_points: int, names: list[str] | None) -> list[tuple[str, object]]:
    """The references and `random_points` seeded points of each space in `names` (default: every space whose
    family has a direct writer)."""
    from edgenas import spaces
    from edgenas.families import family_of_type

    writers = [name for name in spaces.names() if family_of_type(spaces.get(name).spec_type).has_timing_graph]
    unknown = sorted(set(names or []) - set(writers))
    if unknown:
        sys.exit(f"--spaces: {', '.join(unknown)} has no direct writer (spaces with one: {', '.join(writers)})")
    models = []
    for name in names or writers:
        for options in spaces.variants(name):
            space = spaces.get(name, **options)
            models += [(reference, space.reference(reference)) for reference in space.reference_names()]
        models += [(f"{name} random {i}", spec)
                   for i, spec in enumerate(spaces.get(name).sample(n=random_points, seed=424_242))]  # fmt: skip
    return models


_TOLERANCE = 0.03  # the 3 %


@dataclasses.dataclass(frozen=True)
class _Row:
    """One file's timings: the medians over its rounds, and the medians of the per-round ratios."""

    label: str
    precision: str
    rounds: int
    converter_ms: float
    direct_ms: float
    session_ms: float
    parity: float  # median over rounds of direct / converter
    agreement: float  # median over rounds of session / one-shot, the direct file

    @property
    def within(self) -> bool:
        """Whether both ratios are within the tolerance."""
        return abs(self.parity - 1) <= _TOLERANCE and abs(self.agreement - 1) <= _TOLERANCE

    def line(self) -> str:
        """The row as printed."""
        return (f"{self.label:<26} {self.precision:<5} converter {self.converter_ms:7.2f}  "
                f"direct {self.direct_ms:7.2f}  session {self.session_ms:7.2f} ms   "
                f"direct/converter {self.parity:.3f}  "
                f"session/one-shot {self.agreement:.3f}")  # fmt: skip


def _row(label: str, precision: str, times: dict[str, list[float]]) -> _Row:
    return _Row(
        label, precision, len(times["direct"]),
        converter_ms=statistics.median(times["converter"]), direct_ms=statistics.median(times["direct"]),
        session_ms=statistics.median(times["session"]),
        parity=statistics.median(d / c for d, c in zip(times["direct"], times["converter"], strict=True)),
        agreement=statistics.median(s / d for s, d in zip(times["session"], times["direct"], strict=True)),
    )  # fmt: skip


def _rounds(models: list[tuple[str, object]], rounds: int, confirm_rounds: int, folder: Path) -> list[_Row]:
    """Step 3: each model's converter file and direct file, timed in rounds whose order turns.

    A file whose ratios are not both within 3 % after `rounds` is timed for `confirm_rounds` more, and judged on
    all its rounds (both figures are printed): a real difference stays, a slow minute of the machine does not.
    """
    from devices import LocalDevice, ProfileSettings
    from edgenas.export import export

    device, settings = LocalDevice("local"), ProfileSettings(runtime="litert", threads=1, runs=50, warmup=10)
    rows = []
    with device.session() as session:
        for label, spec in models:
            for precision in ("fp32", "int8"):
                converter = export(spec, out_dir=folder, precision=precision).artifacts[0].path
                direct = export(spec, out_dir=folder, precision=precision, timing_only=True).artifacts[0].path
                timings = {
                    "converter": functools.partial(device.measure, converter, settings),
                    "direct": functools.partial(device.measure, direct, settings),
                    "session": functools.partial(session.measure, direct, settings),
                }
                times: dict[str, list[float]] = {name: [] for name in timings}

                def run(first: int, count: int) -> None:
                    for round_index in range(first, first + count):
                        order = list(timings) if round_index % 2 == 0 else list(reversed(timings))
                        for name in order[round_index % 3 :] + order[: round_index % 3]:
                            times[name].append(timings[name]().latency_ms)

                run(0, rounds)
                row = _row(label, precision, times)
                if not row.within and confirm_rounds > 0:
                    print(f"  {row.line()}   (outside 3 % after {rounds} rounds: {confirm_rounds} more)", flush=True)
                    run(rounds, confirm_rounds)
                    row = _row(label, precision, times)
                rows.append(row)
                print(f"  {row.line()}" + (f"   (all {row.rounds} rounds)" if row.rounds > rounds else ""), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds per file in the parity and session check")
    parser.add_argument("--confirm-rounds", type=int, default=8,
                        help="more rounds for a file outside 3 %% after --rounds (0: none)")  # fmt: skip
    parser.add_argument("--random", type=int, default=3, help="random points per space in the parity check")
    parser.add_argument("--spaces", default=None,
                        help="comma-separated spaces of the parity check (default: every space with a direct writer)")
    parser.add_argument("--calls", type=int, default=21, help="direct writes timed (the first is reported apart)")
    parser.add_argument("--repeats", type=int, default=3, help="converter exports and converter turnarounds timed")
    parser.add_argument("--turnarounds", type=int, default=9,
                        help="direct spec -> latency turnarounds timed, one-shot and in a session")  # fmt: skip
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
    names = [name.strip() for name in args.spaces.split(",")] if args.spaces else None
    models = _parity_models(args.random, names)  # a wrong --spaces stops here, before anything is timed

    folder = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="turnaround-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"files in {folder}")
    direct = _direct_figures(args.calls, args.turnarounds, folder)

    from edgenas import spaces

    spec = spaces.get("mnasnet", reference=_A1).reference(_A1)
    converter = _converter_figures(spec, args.repeats, folder / "converter")
    print(f"\n== parity and session agreement: {args.rounds} rounds per file, ms are medians over rounds, "
          "ratios medians of per-round ratios ==", flush=True)  # fmt: skip
    rows = _rounds(models, args.rounds, args.confirm_rounds, folder / "parity")
    session_ratios = [row.agreement for row in rows]

    direct_wall = statistics.median(direct["measured_wall_s"])
    converter_wall = statistics.median(converter["measured_wall_s"])
    ratios = [row.parity for row in rows]
    within = sum(abs(r - 1) <= _TOLERANCE for r in ratios)
    confirmed = [f"{row.label} {row.precision}" for row in rows if row.rounds > args.rounds]
    print("\n== turnaround, MnasNet-A1 224, this machine ==")
    print(f"direct writer process: imports {direct['imported_s']:.2f} s; TensorFlow imported: "
          f"{direct['tensorflow_imported']}")  # fmt: skip
    for precision in ("fp32", "int8"):
        d = direct[precision]
        print(f"spec -> .tflite {precision}: direct {1000 * d['median_s']:.1f} ms (first call "
              f"{1000 * d['first_s']:.1f} ms) vs converter {converter[precision]:.2f} s "
              f"-> {converter[precision] / d['median_s']:.0f}x")  # fmt: skip
    print(f"spec -> measured latency (50 runs, 1 thread, one-shot profiler): direct {direct_wall:.2f} s wall "
          f"(each: {_walls(direct['measured_wall_s'], direct['measured_attempts'])}) "
          f"vs converter {converter_wall:.2f} s "
          f"-> {converter_wall / direct_wall:.1f}x; MnasNet-A1 runs in {direct['latency_ms']:.2f} ms")  # fmt: skip
    print(f"parity: {within}/{len(ratios)} direct files within 3 % of the converter's; ratio median "
          f"{statistics.median(ratios):.3f}, min {min(ratios):.3f}, max {max(ratios):.3f}")  # fmt: skip
    print(f"rounds: {args.rounds} per file; {len(confirmed)} of {len(rows)} outside 3 % after them, timed "
          f"{args.confirm_rounds} more and judged on all{': ' + ', '.join(confirmed) if confirmed else ''}")
    session_wall = statistics.median(direct["session_wall_s"])
    print(f"spec -> measured latency in a profiler session: {session_wall:.2f} s wall (each: "
          f"{_walls(direct['session_wall_s'], direct['session_attempts'])}; the first, which starts the process, "
          f"{direct['session_first_s']:.2f} s)")  # fmt: skip
    agree = sum(abs(r - 1) <= _TOLERANCE for r in session_ratios)
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


def _walls(walls_s: list[float], attempts: list[int]) -> str:
    """Wall times with the profiler's attempts of each, e.g. ``0.61, 1.15 (2 attempts)``."""
    return ", ".join(f"{w:.2f}" + (f" ({a} attempts)" if a > 1 else "") for w, a in zip(walls_s, attempts))


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
