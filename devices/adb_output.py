"""Parses what TFLite's ``benchmark_model`` prints into typed statistics.

Facts about the tool this parser relies on (``tensorflow/lite/tools/benchmark/
benchmark_model.cc`` and ``stats_calculator.h``):

* Each phase (warm-up, then the timed runs) ends with one line of statistics
  over its runs in microseconds: ``count=N first=F curr=C min=m max=M avg=A
  std=S``. ``avg`` is printed with six significant digits (``2.95034e+06``);
  ``std`` is the *population* standard deviation, truncated to an integer.
  When every run took the same time the line is ``count=N curr=C`` (plus
  ``(all same)`` when N > 1); an empty phase prints ``count=0``.
* Newer builds append ``p5=... median=... p95=...`` to that line; the
  percentile is the element at index ``N * p / 100`` of the sorted runs
  (nearest rank; for an even N the median is the upper of the two middle runs).
* At the end: ``Inference timings in us: Init: I, First inference: F,
  Warmup (avg): W, Inference (avg): A``.
* Lines may carry a log prefix (``INFO: ``) depending on the build; the
  per-operator profile (``--enable_op_profiling``) prints more ``count=``
  statistics, but after a ``Timings (microseconds): `` label, never at the
  start of a line.

The tool prints no per-run times and no 90th percentile.
"""

from __future__ import annotations

import dataclasses
import math
import re

__all__ = ["BenchmarkOutput", "RunStats", "parse_benchmark_output"]

_PREFIX = re.compile(r"^\s*(?:(?:INFO|WARN|WARNING|ERROR|VERBOSE|DEBUG):\s*)?")
_TIMINGS = re.compile(
    r"Inference timings in us: Init: (?P<init>\S+), First inference: (?P<first>\S+), "
    r"Warmup \(avg\): (?P<warmup>\S+), Inference \(avg\): (?P<inference>\S+)"
)
_XNNPACK = re.compile(r"[Aa]pplied XNNPACK delegate")
_AVG_PRINT_RTOL = 1e-5  # avg is printed with 6 significant digits


def _number(text: str, what: str) -> float | None:
    """A printed number; None for ``nan`` (an empty phase)."""
    try:
        value = float(text.rstrip(","))
    except ValueError:
        raise ValueError(f"benchmark_model printed {what}={text!r}, not a number") from None
    if math.isnan(value):
        return None
    if math.isinf(value) or value < 0:
        raise ValueError(f"benchmark_model printed {what}={text!r}, not a duration")
    return value


@dataclasses.dataclass(frozen=True)
class RunStats:
    """One ``count=`` line: the statistics of a phase's runs, in microseconds as printed.

    Attributes:
        count: Runs in the phase.
        first_us: The first run.
        curr_us: The last run.
        min_us: The fastest run.
        max_us: The slowest run.
        avg_us: The mean (six significant digits).
        std_us: The population standard deviation (truncated to an integer by the tool).
        p5_us: 5th percentile (nearest rank), None when the build does not print it.
        median_us: Median (nearest rank: the upper middle run for an even count), or None.
        p95_us: 95th percentile (nearest rank), or None.
    """

    count: int
    first_us: float
    curr_us: float
    min_us: float
    max_us: float
    avg_us: float
    std_us: float
    p5_us: float | None = None
    median_us: float | None = None
    p95_us: float | None = None

    @property
    def sample_std_us(self) -> float:
        """The sample standard deviation (ddof=1), from the printed population one."""
        return self.std_us * math.sqrt(self.count / (self.count - 1)) if self.count > 1 else 0.0

    @property
    def cv(self) -> float:
        """Coefficient of variation: sample std / mean."""
        return self.sample_std_us / self.avg_us if self.avg_us > 0 else 0.0

    @classmethod
    def parse(cls, line: str) -> RunStats | None:
        """Parses a ``count=`` line (log prefix already removed); None for ``count=0``.

        Raises:
            ValueError: A field is missing or not a number.
        """
        fields: dict[str, str] = {}
        for word in line.replace("(all same)", " ").split():
            key, sep, value = word.partition("=")
            if sep:
                fields[key] = value
        try:
            count = int(fields["count"])
        except (KeyError, ValueError):
            raise ValueError(f"benchmark_model printed a statistics line without a count: {line!r}") from None
        if count == 0:
            return None
        values = {k: _number(v, k) for k, v in fields.items() if k != "count"}
        extra = {k: values.get(k) for k in ("p5", "median", "p95")}
        if "first" not in fields:  # every run took the same time: only curr is printed
            if "curr" not in fields or values["curr"] is None:
                raise ValueError(f"benchmark_model printed a statistics line without times: {line!r}")
            same = values["curr"]
            return cls(count, same, same, same, same, same, 0.0, extra["p5"], extra["median"], extra["p95"])
        missing = [k for k in ("first", "curr", "min", "max", "avg", "std") if values.get(k) is None]
        if missing:
            raise ValueError(f"benchmark_model's statistics line lacks {', '.join(missing)}: {line!r}")
        return cls(
            count,
            values["first"],
            values["curr"],
            values["min"],
            values["max"],
            values["avg"],
            values["std"],
            extra["p5"],
            extra["median"],
            extra["p95"],
        )  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class BenchmarkOutput:
    """What one ``benchmark_model`` run reported.

    Attributes:
        warmup: The warm-up phase, None when it made no run.
        inference: The timed runs.
        init_us: Initialisation time (loading the model, applying delegates).
        first_inference_us: The first warm-up run, None without warm-up.
        warmup_avg_us: Mean warm-up run, None without warm-up.
        inference_avg_us: Mean timed run, as on the summary line.
        xnnpack: Whether the tool said it applied the XNNPACK delegate.
    """

    warmup: RunStats | None
    inference: RunStats
    init_us: float | None
    first_inference_us: float | None
    warmup_avg_us: float | None
    inference_avg_us: float
    xnnpack: bool


def parse_benchmark_output(text: str) -> BenchmarkOutput:
    """Parses everything ``benchmark_model`` printed (stdout and stderr together).

    The timed runs are the last statistics line; the one before it, if any, is
    the warm-up. The summary line's ``Inference (avg)`` must agree with the
    timed runs' ``avg``, which catches a misread transcript.

    Raises:
        ValueError: Naming what is missing or inconsistent.
    """
    stats_lines = []
    timings = None
    for raw in text.replace("\r", "").splitlines():
        line = _PREFIX.sub("", raw, count=1)
        if line.startswith("count="):
            stats_lines.append(line)
        match = _TIMINGS.search(line)
        if match:
            timings = match
    if timings is None:
        raise ValueError("benchmark_model printed no 'Inference timings in us' summary line")
    if not stats_lines:
        raise ValueError("benchmark_model printed no 'count=' statistics line")
    inference = RunStats.parse(stats_lines[-1])
    if inference is None:
        raise ValueError("benchmark_model made no timed run (count=0)")
    warmup = RunStats.parse(stats_lines[-2]) if len(stats_lines) >= 2 else None
    inference_avg = _number(timings["inference"], "Inference (avg)")
    if inference_avg is None or not math.isclose(inference_avg, inference.avg_us, rel_tol=_AVG_PRINT_RTOL):
        raise ValueError(
            f"benchmark_model's Inference (avg) {timings['inference']} disagrees with avg={inference.avg_us:g} "
            "of its last statistics line"
        )
    return BenchmarkOutput(
        warmup=warmup,
        inference=inference,
        init_us=_number(timings["init"], "Init"),
        first_inference_us=_number(timings["first"], "First inference") if warmup is not None else None,
        warmup_avg_us=_number(timings["warmup"], "Warmup (avg)"),
        inference_avg_us=inference_avg,
        xnnpack=bool(_XNNPACK.search(text)),
    )
