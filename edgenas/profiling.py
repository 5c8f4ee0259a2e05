"""`profile`: time a model file on this machine, in a separate profiler process."""

from __future__ import annotations

import os

from devices import LatencyResult, profile_local

__all__ = ["profile"]


def profile(
    model_path: str | os.PathLike[str],
    *,
    runtime: str | None = None,
    threads: int = 1,
    runs: int = 50,
    warmup: int = 10,
    cv_threshold: float = 0.05,
    max_attempts: int = 3,
    stability_criterion: str = "robust_cv",
    timeout_s: float = 600.0,
) -> LatencyResult:
    """Measures a .tflite (LiteRT) or .onnx (onnxruntime) file's latency locally.

    The on-device profiler (`devices/profiler.py`) runs in its own process: it
    warms up, times `runs` inferences, and repeats the measurement when its
    spread exceeds `cv_threshold`: by default the robust spread 1.4826 * MAD /
    median, which a few preempted runs barely move; with
    `stability_criterion="cv"` the coefficient of variation, std / mean.

    Args:
        model_path: The model file.
        runtime: "litert" or "onnxruntime"; default from the file extension.
        threads: Interpreter threads.
        runs: Timed inferences per measurement.
        warmup: Untimed inferences first.
        cv_threshold: Largest spread (see `stability_criterion`) accepted as stable.
        max_attempts: Measurements tried before giving up on stability.
        stability_criterion: "robust_cv" (1.4826 * MAD / median) or "cv" (std / mean).
        timeout_s: Wall-clock limit of the profiler process.

    Returns:
        Latency statistics with the runtime settings, device and file hash.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a setting is out of range (an unknown `stability_criterion` too).
        devices.ProfilerError: If the file is not a model or the runtime fails.
    """
    return profile_local(
        model_path,
        runtime=runtime,
        threads=threads,
        runs=runs,
        warmup=warmup,
        cv_threshold=cv_threshold,
        max_attempts=max_attempts,
        stability_criterion=stability_criterion,
        timeout_s=timeout_s,
    )
