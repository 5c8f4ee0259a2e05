#!/usr/bin/env python3
"""On-device latency profiler for one TFLite or ONNX model.

This file is a standalone program: it is copied onto edge boards and run there
with whatever Python is installed. It imports only the Python standard library
at module level; numpy and the model runtime are imported lazily, when a model
is measured:

* ``.tflite``: ``ai_edge_litert.interpreter`` (LiteRT), falling back to
  ``tflite_runtime.interpreter`` on boards that only have the older package;
* ``.onnx``: ``onnxruntime`` with its CPU execution provider.

It never imports TensorFlow or ``edgenas``, and needs Python 3.7 or newer.

Usage::

    python profiler.py MODEL [--runtime litert|onnxruntime] [--threads 1]
        [--runs 50] [--warmup 10] [--stability robust_cv|cv] [--cv-threshold 0.05]
        [--max-attempts 3] [--seed 0] [--output FILE]
    python profiler.py --self-check
    python profiler.py --serve

``--serve`` keeps one process up for a sequence of models: each line of stdin
is a JSON array of the arguments of one one-shot run (``["m.tflite",
"--runs", "50"]``, validated exactly as on the command line), and each answer
is one line on stdout, ``{"result": {...}}`` (the one-shot JSON object) or
``{"error": "<message>"}``. Every model gets its own interpreter, input and
warm-up, as in a one-shot run; what the process keeps is only the imported
runtime and numpy. It ends at the end of stdin, with status 0.

``--self-check`` measures nothing: it prints what the device has (Python, numpy,
each runtime's version or null, the device description) as one JSON object and
exits 0 when numpy and at least one runtime import, 2 otherwise. Device
backends use it as their health check.

It prints one JSON object (schema version ``SCHEMA_VERSION``, see
``devices/latency_result.py`` for the typed client-side view) to stdout, or
writes it atomically to ``--output``. An expected failure (missing file, not a
model, unknown runtime, runtime not installed, invalid arguments, a model the
runtime cannot load or run) prints one line ``error: <message>`` to stderr and
exits with status 2; it is the last line there (a native runtime may have logged
above it). Anything a runtime writes to stdout is sent to stderr, so stdout
carries only the JSON.

A measurement is: ``warmup`` untimed runs, then ``runs`` runs each timed with
``time.perf_counter_ns``. The reported latency is the median run. Whether an
attempt is stable is judged by the ``--stability`` criterion against
``cv_threshold``:

* ``robust_cv`` (the default): ``1.4826 * MAD / median``, where MAD is the
  median absolute deviation of the runs from their median (the factor makes it
  about std / mean for normally distributed times). A few runs preempted by
  another process barely move it, just as they barely move the median;
* ``cv``: the coefficient of variation, sample std / mean (schema version 1's
  only criterion). One preempted run in fifty can push it past 0.05 while the
  median is unharmed, which repeats the attempt for nothing.

When the criterion exceeds ``cv_threshold`` the whole measurement is repeated,
up to ``max_attempts`` times, and the attempt with the lowest value of the
criterion is reported. Both spreads (``cv`` and ``robust_cv``, with ``mad_ms``)
are always in the result, whichever criterion decided.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # Run as a script, Python puts this file's folder first on sys.path, where a
    # sibling module (say a ``queue.py`` of the device farm) would shadow the
    # standard library. Nothing here imports from that folder, so drop it.
    _here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == _here:
        del sys.path[0]

import argparse
import contextlib
import datetime
import gc
import glob
import hashlib
import json
import math
import platform
import socket
import tempfile
import time
from typing import Any, Callable, Iterable, Iterator, NoReturn, Sequence

SCHEMA_VERSION = 2

STABILITY_ROBUST_CV = "robust_cv"  # 1.4826 * MAD / median
STABILITY_CV = "cv"  # sample std / mean
STABILITY_CRITERIA = (STABILITY_ROBUST_CV, STABILITY_CV)
# MAD * 1.4826 estimates the standard deviation of normally distributed data (1 / Phi^-1(3/4)).
_MAD_TO_STD = 1.4826

RUNTIME_LITERT = "litert"
RUNTIME_TFLITE_RUNTIME = "tflite_runtime"
RUNTIME_ONNXRUNTIME = "onnxruntime"

# Runtimes a user may ask for; "litert" runs with ai_edge_litert or, failing
# that, tflite_runtime (the result says which one ran).
REQUESTABLE_RUNTIMES = (RUNTIME_LITERT, RUNTIME_ONNXRUNTIME)
_RUNTIME_BY_EXTENSION = {".tflite": RUNTIME_LITERT, ".onnx": RUNTIME_ONNXRUNTIME}

DELEGATE_XNNPACK = "xnnpack"  # TFLite with the XNNPACK delegate applied
DELEGATE_NONE = "none"  # TFLite built-in CPU kernels only
DELEGATE_CPU = "cpu"  # onnxruntime's CPUExecutionProvider

_TFLITE_IDENTIFIER = b"TFL3"
_EXIT_USAGE = 2

_ORT_TYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(int16)": "int16",
    "tensor(uint16)": "uint16",
    "tensor(int32)": "int32",
    "tensor(uint32)": "uint32",
    "tensor(int64)": "int64",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
}


class ProfilerFailure(Exception):
    """An expected failure, reported as one ``error:`` line and exit status 2."""


class _ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 (argparse API)
        raise ProfilerFailure(message)


def _one_line(text: object) -> str:
    """Collapses a (possibly multi-line) message to one stripped line."""
    return " ".join(str(text).split()) or "unknown error"


# --------------------------------------------------------------------------- #
# Arguments
# --------------------------------------------------------------------------- #


def _build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="profiler.py",
        description="Measure the latency of one .tflite or .onnx model on this device.",
    )
    parser.add_argument("model", nargs="?", help="path to a .tflite or .onnx model")
    parser.add_argument(
        "--self-check", action="store_true", help="report numpy and the runtimes found, measure nothing"
    )
    parser.add_argument(
        "--runtime",
        default=None,
        help="litert or onnxruntime (default: from the file extension)",
    )
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per attempt (default 50)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs per attempt (default 10)")
    parser.add_argument(
        "--stability",
        default=STABILITY_ROBUST_CV,
        help="how an attempt's spread is judged: robust_cv (1.4826 * MAD / median) or cv (std / mean); "
        "default robust_cv",
    )
    parser.add_argument(
        "--cv-threshold",
        type=float,
        default=0.05,
        help="repeat when the --stability spread exceeds this (default 0.05)",
    )
    parser.add_argument(
        "--max-attempts", type=int, default=3, help="measurements at most (default 3)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    parser.add_argument("--output", default=None, help="write the JSON here (atomically) instead of stdout")
    parser.add_argument(
        "--serve", action="store_true", help="measure the models named on stdin, one JSON argument list per line"
    )
    return parser


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    args = _build_parser().parse_args(argv)
    if args.serve:
        if args.model is not None or args.self_check or args.output is not None:
            raise ProfilerFailure("--serve takes no model, --self-check or --output: it reads its requests from stdin")
        return args
    if args.self_check:
        if args.model is not None:
            raise ProfilerFailure("--self-check takes no model")
        return args
    if args.model is None:
        raise ProfilerFailure("the following arguments are required: model")
    if args.threads < 1:
        raise ProfilerFailure(f"--threads must be >= 1, got {args.threads}")
    if args.runs < 2:
        raise ProfilerFailure(f"--runs must be >= 2 (a standard deviation needs two runs), got {args.runs}")
    if args.warmup < 0:
        raise ProfilerFailure(f"--warmup must be >= 0, got {args.warmup}")
    if not (math.isfinite(args.cv_threshold) and args.cv_threshold >= 0.0):
        raise ProfilerFailure(f"--cv-threshold must be a finite number >= 0, got {args.cv_threshold}")
    if args.stability not in STABILITY_CRITERIA:
        raise ProfilerFailure(
            f"unknown --stability {args.stability!r}; known criteria: {', '.join(STABILITY_CRITERIA)}"
        )
    if args.max_attempts < 1:
        raise ProfilerFailure(f"--max-attempts must be >= 1, got {args.max_attempts}")
    if args.seed < 0:
        raise ProfilerFailure(f"--seed must be >= 0, got {args.seed}")
    if args.runtime is not None and args.runtime not in REQUESTABLE_RUNTIMES:
        raise ProfilerFailure(
            f"unknown runtime {args.runtime!r}; known runtimes: {', '.join(REQUESTABLE_RUNTIMES)}"
        )
    if args.output is not None:
        out_dir = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(out_dir):
            raise ProfilerFailure(f"output folder does not exist: {out_dir}")
    return args


def _resolve_runtime(model_path: str, requested: str | None) -> str:
    if requested is not None:
        return requested
    ext = os.path.splitext(model_path)[1].lower()
    try:
        return _RUNTIME_BY_EXTENSION[ext]
    except KeyError:
        raise ProfilerFailure(
            f"cannot infer the runtime from the extension {ext or '(none)'!r} of {model_path}; "
            f"pass --runtime {' or --runtime '.join(REQUESTABLE_RUNTIMES)}"
        ) from None


# --------------------------------------------------------------------------- #
# The artifact
# --------------------------------------------------------------------------- #


def _check_model_file(model_path: str) -> None:
    if not os.path.exists(model_path):
        raise ProfilerFailure(f"model file not found: {model_path}")
    if not os.path.isfile(model_path):
        raise ProfilerFailure(f"model path is not a regular file: {model_path}")
    if not os.access(model_path, os.R_OK):
        raise ProfilerFailure(f"model file is not readable: {model_path}")


def _read_head(model_path: str, n: int) -> bytes:
    with open(model_path, "rb") as f:
        return f.read(n)


def _is_tflite(model_path: str) -> bool:
    return _read_head(model_path, 8)[4:8] == _TFLITE_IDENTIFIER


def _sha256(model_path: str) -> str:
    digest = hashlib.sha256()
    with open(model_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- #
# Inputs
# --------------------------------------------------------------------------- #


def random_input(np: Any, rng: Any, dtype: str, shape: Sequence[int]) -> Any:
    """Returns seeded random data of ``dtype`` and ``shape``.

    Floats are uniform in [-1, 1]; 8- and 16-bit integers (quantized tensors)
    cover their whole range; wider integers (indices, token ids) are small and
    non-negative, in [0, 16); booleans are fair coin flips.

    Args:
        np: The numpy module (imported lazily by the caller).
        rng: A ``numpy.random.Generator``.
        dtype: A numpy dtype name, e.g. ``"int8"``.
        shape: The concrete shape.

    Returns:
        A C-contiguous numpy array.

    Raises:
        ProfilerFailure: For a dtype random data cannot be made for (strings).
    """
    dt = np.dtype(dtype)
    shape = tuple(int(d) for d in shape)
    if dt.kind == "f":
        data = rng.uniform(-1.0, 1.0, size=shape).astype(dt)
    elif dt.kind in "iu":
        if dt.itemsize <= 2:
            info = np.iinfo(dt)
            data = rng.integers(int(info.min), int(info.max), size=shape, endpoint=True, dtype=dt)
        else:
            data = rng.integers(0, 16, size=shape, dtype=dt)
    elif dt.kind == "b":
        data = rng.random(size=shape) < 0.5
    else:
        raise ProfilerFailure(f"cannot make random data of input dtype {dt.name}")
    return np.ascontiguousarray(data)


def _concrete_shape(dims: Iterable[object]) -> tuple[int, ...]:
    """Replaces unknown dimensions (-1, None, a symbolic name) with 1."""
    shape = []
    for dim in dims:
        try:
            size = int(dim) if not isinstance(dim, str) else -1
        except (TypeError, ValueError):
            size = -1
        shape.append(size if size > 0 else 1)
    return tuple(shape)


# --------------------------------------------------------------------------- #
# Runtimes: each returns (runner, info) where runner() runs the model once.
# --------------------------------------------------------------------------- #


def _import_tflite_interpreter() -> tuple[Any, str, str]:
    errors = []
    try:
        from ai_edge_litert import interpreter as module  # noqa: PLC0415

        return module.Interpreter, RUNTIME_LITERT, _package_version("ai_edge_litert", "ai-edge-litert")
    except ImportError as e:
        errors.append(f"ai_edge_litert: {_one_line(e)}")
    try:
        from tflite_runtime import interpreter as module  # noqa: PLC0415

        return module.Interpreter, RUNTIME_TFLITE_RUNTIME, _package_version("tflite_runtime", "tflite-runtime")
    except ImportError as e:
        errors.append(f"tflite_runtime: {_one_line(e)}")
    raise ProfilerFailure(
        "no TFLite interpreter is installed (" + "; ".join(errors) + "); pip install ai-edge-litert"
    )


def _package_version(module_name: str, dist_name: str) -> str:
    module = sys.modules.get(module_name)
    version = getattr(module, "__version__", None)
    if isinstance(version, str) and version:
        return version
    try:
        from importlib import metadata  # noqa: PLC0415

        return metadata.version(dist_name)
    except Exception:  # noqa: BLE001 - any failure means "unknown"
        return "unknown"


def _open_tflite(np: Any, model_path: str, threads: int, rng: Any) -> tuple[Callable[[], object], dict[str, Any]]:
    if not _is_tflite(model_path):
        raise ProfilerFailure(
            f"not a TFLite model (no {_TFLITE_IDENTIFIER.decode()} flatbuffer identifier at bytes 4..8): {model_path}"
        )
    interpreter_cls, runtime, version = _import_tflite_interpreter()
    try:
        interpreter = interpreter_cls(model_path=model_path, num_threads=threads)
        details = interpreter.get_input_details()
        resized = False
        for d in details:
            signature = d.get("shape_signature", d["shape"])
            if any(int(x) < 0 for x in signature):
                interpreter.resize_tensor_input(d["index"], list(_concrete_shape(signature)))
                resized = True
        interpreter.allocate_tensors()
        if resized:
            details = interpreter.get_input_details()
        inputs = []
        for d in details:
            dtype = np.dtype(d["dtype"]).name
            shape = tuple(int(x) for x in d["shape"])
            interpreter.set_tensor(d["index"], random_input(np, rng, dtype, shape))
            inputs.append({"name": str(d["name"]), "dtype": dtype, "shape": list(shape)})
    except ProfilerFailure:
        raise
    except Exception as e:  # noqa: BLE001 - the runtime's own error, reported
        raise ProfilerFailure(f"{runtime} cannot load {model_path}: {_one_line(e)}") from None
    delegate = _tflite_delegate(interpreter, runtime)
    return interpreter.invoke, {
        "runtime": runtime,
        "runtime_version": version,
        "delegate": delegate,
        "inputs": inputs,
    }


def _tflite_delegate(interpreter: Any, runtime: str) -> str:
    """Says whether a delegate (XNNPACK, the only default one) took any ops."""
    try:
        ops = interpreter._get_ops_details()  # noqa: SLF001 - no public API for this
    except Exception:  # noqa: BLE001
        # LiteRT applies XNNPACK by default; old tflite_runtime builds do not
        # always (int8), and we cannot tell, so say what is certain.
        return DELEGATE_XNNPACK if runtime == RUNTIME_LITERT else DELEGATE_NONE
    if any(op.get("op_name") == "DELEGATE" for op in ops):
        return DELEGATE_XNNPACK
    return DELEGATE_NONE


def _open_onnx(np: Any, model_path: str, threads: int, rng: Any) -> tuple[Callable[[], object], dict[str, Any]]:
    try:
        import onnxruntime as ort  # noqa: PLC0415
    except ImportError as e:
        raise ProfilerFailure(f"onnxruntime is not installed ({_one_line(e)}); pip install onnxruntime") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: keep stderr to our one line
    try:
        session = ort.InferenceSession(model_path, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - the runtime's own error, reported
        hint = "; it is a TFLite model, use --runtime litert" if _is_tflite(model_path) else ""
        raise ProfilerFailure(f"onnxruntime cannot load {model_path} as an ONNX model: {_one_line(e)}{hint}") from None
    feeds = {}
    inputs = []
    for node in session.get_inputs():
        dtype = _ORT_TYPES.get(node.type)
        if dtype is None:
            raise ProfilerFailure(f"input {node.name!r} has unsupported type {node.type}")
        shape = _concrete_shape(node.shape or ())
        feeds[node.name] = random_input(np, rng, dtype, shape)
        inputs.append({"name": str(node.name), "dtype": dtype, "shape": list(shape)})
    output_names = [o.name for o in session.get_outputs()]

    def run_once() -> None:
        session.run(output_names, feeds)

    return run_once, {
        "runtime": RUNTIME_ONNXRUNTIME,
        "runtime_version": _package_version("onnxruntime", "onnxruntime"),
        "delegate": DELEGATE_CPU,
        "inputs": inputs,
    }


_OPENERS = {RUNTIME_LITERT: _open_tflite, RUNTIME_ONNXRUNTIME: _open_onnx}


# --------------------------------------------------------------------------- #
# Timing and statistics
# --------------------------------------------------------------------------- #


def _time_runs(run_once: Callable[[], object], runs: int, warmup: int) -> list[int]:
    """Runs ``warmup`` untimed then ``runs`` timed inferences; returns ns."""
    for _ in range(warmup):
        run_once()
    clock = time.perf_counter_ns
    times_ns = []
    append = times_ns.append
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            start = clock()
            run_once()
            append(clock() - start)
    finally:
        if gc_was_enabled:
            gc.enable()
    return times_ns


def latency_stats(np: Any, times_ns: Sequence[int]) -> dict[str, float]:
    """Summarises per-run times in nanoseconds as milliseconds.

    Args:
        np: The numpy module.
        times_ns: Per-run durations in nanoseconds (at least two).

    Returns:
        A dict with ``latency_ms`` (median), ``p90_ms`` (linear interpolation),
        ``mean_ms``, ``std_ms`` (sample, ddof=1), ``min_ms``, ``cv``
        (std / mean), ``mad_ms`` (median absolute deviation from the median)
        and ``robust_cv`` (1.4826 * MAD / median), all Python floats.
    """
    ms = np.asarray(times_ns, dtype=np.float64) / 1e6
    mean = float(ms.mean())
    std = float(ms.std(ddof=1)) if ms.size > 1 else 0.0
    median = float(np.median(ms))
    mad = float(np.median(np.abs(ms - median)))
    return {
        "latency_ms": median,
        "p90_ms": float(np.percentile(ms, 90)),
        "mean_ms": mean,
        "std_ms": std,
        "min_ms": float(ms.min()),
        "cv": std / mean if mean > 0 else 0.0,
        "mad_ms": mad,
        "robust_cv": _MAD_TO_STD * mad / median if median > 0 else 0.0,
    }


def _measure(
    run_once: Callable[[], object],
    np: Any,
    *,
    runs: int,
    warmup: int,
    cv_threshold: float,
    max_attempts: int,
    stability: str = STABILITY_ROBUST_CV,
) -> tuple[dict[str, float], int]:
    """Times attempts until one's ``stability`` spread is within ``cv_threshold``.

    Returns:
        The statistics of the attempt with the lowest spread (the first of
        equals) and the number of attempts made.
    """
    best = None
    attempts = 0
    for attempts in range(1, max_attempts + 1):
        stats = latency_stats(np, _time_runs(run_once, runs, warmup))
        if best is None or stats[stability] < best[stability]:
            best = stats
        if stats[stability] <= cv_threshold:
            break
    return best, attempts


# --------------------------------------------------------------------------- #
# The device
# --------------------------------------------------------------------------- #


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _cpu_model(cpuinfo: str | None) -> str | None:
    if not cpuinfo:
        return None
    fields = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if sep and value and key not in fields:
            fields[key] = value
    for key in ("model name", "processor name", "cpu model", "uarch", "model", "hardware"):
        if key in fields:
            return fields[key]
    if "cpu implementer" in fields and "cpu part" in fields:  # arm64 kernels
        return f"ARM implementer {fields['cpu implementer']} part {fields['cpu part']}"
    if fields.get("processor", "").strip() and not fields["processor"].strip().isdigit():
        return fields["processor"]  # old ARM kernels: "ARMv7 Processor rev 4 (v7l)"
    return None


def _temperature_c() -> float | None:
    """The CPU's temperature in degrees Celsius, or None when unreadable.

    Prefers a thermal zone whose type names the CPU/SoC; otherwise the hottest
    readable zone. Readings outside (-50, 200) C are ignored as bogus.
    """
    preferred, others = [], []
    for zone in sorted(glob.glob("/sys/class/thermal/thermal_zone*")):
        raw = _read_text(os.path.join(zone, "temp"))
        try:
            celsius = int(raw.strip()) / 1000.0
        except (AttributeError, ValueError):
            continue
        if not -50.0 < celsius < 200.0:
            continue
        kind = (_read_text(os.path.join(zone, "type")) or "").strip().lower()
        is_cpu = any(word in kind for word in ("cpu", "soc", "x86_pkg", "core", "tsens"))
        (preferred if is_cpu else others).append(celsius)
    readings = preferred or others
    return max(readings) if readings else None


def device_info() -> dict[str, Any]:
    """What can be read about this machine; None for what cannot."""
    governor = _read_text("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    try:
        hostname = socket.gethostname() or None
    except OSError:
        hostname = None
    return {
        "hostname": hostname,
        "platform": platform.platform() or None,
        "machine": platform.machine() or None,
        "cpu_model": _cpu_model(_read_text("/proc/cpuinfo")),
        "cpu_count": os.cpu_count(),
        "cpu_governor": (governor.strip() or None) if governor is not None else None,
        "temperature_c": _temperature_c(),
    }


# --------------------------------------------------------------------------- #
# Putting it together
# --------------------------------------------------------------------------- #


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Sends anything written to fd 1 (native runtime logs) to stderr.

    stdout then carries only the JSON result.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def profile(
    model_path: str,
    *,
    runtime: str | None = None,
    threads: int = 1,
    runs: int = 50,
    warmup: int = 10,
    cv_threshold: float = 0.05,
    max_attempts: int = 3,
    seed: int = 0,
    stability: str = STABILITY_ROBUST_CV,
) -> dict[str, Any]:
    """Measures one model and returns the JSON-ready result dict.

    Args:
        model_path: Path to a ``.tflite`` or ``.onnx`` file.
        runtime: ``"litert"`` or ``"onnxruntime"``; None infers it from the
            file extension.
        threads: CPU threads given to the runtime.
        runs: Timed runs per attempt (>= 2).
        warmup: Untimed runs before each attempt.
        cv_threshold: An attempt whose ``stability`` spread exceeds this is repeated.
        max_attempts: Attempts at most; the one with the lowest spread is kept.
        seed: Seed of the random input data.
        stability: The spread that judges an attempt, ``"robust_cv"``
            (1.4826 * MAD / median) or ``"cv"`` (std / mean).

    Returns:
        The result, a dict of JSON types.

    Raises:
        ProfilerFailure: For any expected failure.
    """
    if stability not in STABILITY_CRITERIA:
        raise ProfilerFailure(f"unknown stability {stability!r}; known criteria: {', '.join(STABILITY_CRITERIA)}")
    _check_model_file(model_path)
    runtime = _resolve_runtime(model_path, runtime)
    try:
        import numpy as np  # noqa: PLC0415
    except ImportError as e:
        raise ProfilerFailure(f"numpy is not installed ({_one_line(e)}); pip install numpy") from None

    sha256 = _sha256(model_path)
    size_bytes = os.path.getsize(model_path)
    rng = np.random.default_rng(seed)
    run_once, info = _OPENERS[runtime](np, model_path, threads, rng)
    try:
        stats, attempts = _measure(
            run_once,
            np,
            runs=runs,
            warmup=warmup,
            cv_threshold=cv_threshold,
            max_attempts=max_attempts,
            stability=stability,
        )
    except ProfilerFailure:
        raise
    except Exception as e:  # noqa: BLE001 - e.g. an op that fails at run time
        raise ProfilerFailure(f"{info['runtime']} cannot run {model_path}: {_one_line(e)}") from None

    result = {
        "schema_version": SCHEMA_VERSION,
        "model_path": os.path.abspath(model_path),
        "artifact_sha256": sha256,
        "size_bytes": size_bytes,
        "runtime": info["runtime"],
        "runtime_version": info["runtime_version"],
        "threads": threads,
        "delegate": info["delegate"],
        "inputs": info["inputs"],
    }
    result.update(stats)
    result.update(
        {
            "runs": runs,
            "warmup_runs": warmup,
            "attempts": attempts,
            "max_attempts": max_attempts,
            "stable": stats[stability] <= cv_threshold,
            "stability_criterion": stability,
            "cv_threshold": cv_threshold,
            "seed": seed,
            "device": device_info(),
            "measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds"),
        }
    )
    return result


def _module_version(module_name: str) -> str | None:
    """The version of an importable module, else None (never raises on a broken install)."""
    try:
        module = __import__(module_name, fromlist=["__name__"])
    except Exception:  # noqa: BLE001 - a broken native package must not stop the check
        return None
    return str(getattr(module, "__version__", "unknown"))


def self_check() -> dict[str, Any]:
    """What this device can run: Python, numpy and each runtime's version (None if absent)."""
    runtimes = {
        RUNTIME_LITERT: _module_version("ai_edge_litert.interpreter") and _package_version("ai_edge_litert", "ai-edge-litert"),
        RUNTIME_TFLITE_RUNTIME: _module_version("tflite_runtime.interpreter")
        and _package_version("tflite_runtime", "tflite-runtime"),
        RUNTIME_ONNXRUNTIME: _module_version("onnxruntime"),
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "python": platform.python_version(),
        "numpy": _module_version("numpy"),
        "runtimes": runtimes,
        "device": device_info(),
    }


def _write_atomic(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".profiler-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _profile_run(args: argparse.Namespace) -> dict[str, Any]:
    """`profile` with the settings of parsed arguments."""
    return profile(
        args.model,
        runtime=args.runtime,
        threads=args.threads,
        runs=args.runs,
        warmup=args.warmup,
        cv_threshold=args.cv_threshold,
        max_attempts=args.max_attempts,
        seed=args.seed,
        stability=args.stability,
    )


def _serve_request(line: str) -> dict[str, Any]:
    """One ``--serve`` request line -> its answer object."""
    try:
        try:
            request = json.loads(line)
        except ValueError as e:
            raise ProfilerFailure(f"a request must be a JSON array of arguments: {_one_line(e)}") from None
        if not isinstance(request, list) or not all(isinstance(item, str) for item in request):
            raise ProfilerFailure("a request must be a JSON array of strings (the arguments of one run)")
        args = _parse_args(request)
        if args.serve or args.self_check or args.output is not None:
            raise ProfilerFailure("a request takes a model and its settings, not --serve, --self-check or --output")
        return {"result": _profile_run(args)}
    except ProfilerFailure as e:
        return {"error": _one_line(e)}


def serve(requests: Iterable[str]) -> int:
    """Answers each request line (see the module docstring) on stdout, one line each, until the input ends."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # answers go here; fd 1 itself carries runtime logs to stderr
    with out, _stdout_to_stderr():
        for line in requests:
            if not line.strip():
                continue
            out.write(json.dumps(_serve_request(line)) + "\n")
            out.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the profiler CLI.

    Args:
        argv: The arguments (without the program name); None reads sys.argv.

    Returns:
        0 on success, 2 on an expected failure (after printing one
        ``error: <message>`` line to stderr), 130 when interrupted.
    """
    try:
        try:
            args = _parse_args(argv)
        except SystemExit as e:  # --help
            return e.code if isinstance(e.code, int) else 0
        if args.serve:
            return serve(sys.stdin)
        if args.self_check:
            with _stdout_to_stderr():
                report = self_check()
            sys.stdout.write(json.dumps(report) + "\n")
            sys.stdout.flush()
            if report["numpy"] is None:
                raise ProfilerFailure("numpy is not installed")
            if not any(report["runtimes"].values()):
                raise ProfilerFailure("no runtime is installed (ai-edge-litert, tflite-runtime or onnxruntime)")
            return 0
        with _stdout_to_stderr():
            result = _profile_run(args)
        text = json.dumps(result) + "\n"
        if args.output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            try:
                _write_atomic(args.output, text)
            except OSError as e:
                raise ProfilerFailure(f"cannot write {args.output}: {_one_line(e)}") from None
        return 0
    except ProfilerFailure as e:
        print(f"error: {_one_line(e)}", file=sys.stderr, flush=True)
        return _EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
