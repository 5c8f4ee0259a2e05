"""`AdbDevice`: an Android phone over adb, timed with TFLite's ``benchmark_model``.

One measurement (`AdbDevice.measure`):

1. ``adb -s SERIAL push MODEL /data/local/tmp/edgenas-<sha256[:16]>.tflite``,
   then ``sha256sum`` on the phone (toybox has it): a different hash is a
   `DeviceUnavailableError`;
2. up to ``settings.max_attempts`` times, until an attempt's CV (std / mean,
   whatever ``settings.stability_criterion`` asks for: see below) is within
   ``settings.cv_threshold``: ``[taskset MASK] benchmark_model --graph=...
   --num_threads=T --num_runs=R --warmup_runs=W --min_secs=0
   --warmup_min_secs=0 --use_xnnpack=true`` (the two ``*_min_secs=0`` stop
   the tool from adding runs until a second has passed, so R and W are the
   run counts asked for); its output is parsed by `devices.adb_output`; a
   build that prints no median is refused (`ProfilerError`) after its first
   attempt;
3. the phone describes itself (``getprop``, ``uname``, ``/proc/cpuinfo``,
   governor, thermal zones; `devices.adb_device_info`);
4. always (after a failure or a timeout too): a ``benchmark_model`` still
   running on the pushed file is stopped (by the pid it recorded, only if that
   process still names the file) and the pushed file is removed.

What maps to what. ``benchmark_model`` prints per-phase aggregates in whole
microseconds, never the per-run times; the kept attempt is the one with the
lowest CV. Without per-run times there is no median absolute deviation, so the
robust spread (``robust_cv``, the default ``settings.stability_criterion``)
cannot be computed: every attempt here is judged by CV whatever the settings
ask for, and the result says so (``stability_criterion="cv"``, ``mad_ms`` and
``robust_cv`` None) instead of failing or pretending:

=========================  ===================================================
LatencyResult field        from
=========================  ===================================================
``runtime``                ``"tflite_benchmark_model"``
``runtime_version``        ``"unknown"``: the tool prints no version
``model_path``             the local file (resolved), not the pushed copy
``artifact_sha256``        the local file's SHA-256 (checked on the phone)
``size_bytes``             the local file's size
``threads``                ``settings.threads`` (``--num_threads``)
``delegate``               ``"xnnpack"`` when the tool logged that it applied
                           the XNNPACK delegate (``--use_xnnpack=true`` is
                           always passed), else ``"none"``
``inputs``                 ``()``: the tool prints no input tensors (it feeds
                           random data of the model's own input shapes)
``latency_ms`` (median)    ``median=`` (nearest rank: the upper middle run for
                           an even count); newer builds only. None printed:
                           `ProfilerError`, the mean is never substituted
``p90_ms``                 None: no 90th percentile is printed
``mean_ms``                ``avg=`` (six significant digits)
``std_ms`` (sample)        ``std=`` (population, truncated to whole µs)
                           x sqrt(n/(n-1))
``min_ms``                 ``min=``
``cv``                     ``std_ms / mean_ms``
``mad_ms``/``robust_cv``   None: no per-run times to take a MAD of
``runs``/``warmup_runs``   the two ``count=`` values (what actually ran; equal
                           to ``settings.runs``/``warmup`` when the build
                           honours ``--min_secs=0``/``--warmup_min_secs=0``)
``attempts``               attempts made
``max_attempts``           ``settings.max_attempts``
``cv_threshold``           ``settings.cv_threshold``
``stability_criterion``    ``"cv"``, whatever ``settings.stability_criterion``
``stable``                 ``cv <= cv_threshold``
``seed``                   None: the tool's random inputs take no seed
                           (``settings.seed`` cannot be honoured)
``device``                 ``getprop``/``uname``/``/proc/cpuinfo``/governor of
                           the first measured CPU/thermal zones
``measured_at``            now (UTC), after the phone is cleaned up
=========================  ===================================================

What ``benchmark_model`` also prints but a `LatencyResult` cannot hold (max,
p5/p95, init time) is dropped, as is the ``taskset`` mask (in the `AdbTarget`).

What was exercised: only against a fake ``adb`` (tests/devices/fake_adb/):
a script that keeps a folder as the phone's file system and whose fake
``benchmark_model`` replays real ``benchmark_model`` transcripts copied from
public documentation (recorded on boards, not phones). Never run against a
real phone, a real ``adb`` server or a real ``benchmark_model`` binary: adb's
exact error texts, the flags ``--min_secs``/``--warmup_min_secs`` on old
builds, and the claim that no build prints a version or the input tensors are
unverified here.
"""

from __future__ import annotations

import datetime
import os
import shlex
import time
from pathlib import Path

from .adb_device_info import device_info_script, parse_device_info
from .adb_output import BenchmarkOutput, parse_benchmark_output
from .adb_shell import AdbShell, AdbTimeout, ShellResult
from .adb_target import AdbTarget
from .backend import DeviceBackend, checked_device_name
from .errors import ProfilerError
from .hashing import sha256_file
from .latency_result import SCHEMA_VERSION, DeviceInfo, LatencyResult
from .settings import ProfileSettings

__all__ = ["RUNTIME", "RUNTIME_VERSION", "AdbDevice"]

_NOT_RUNNABLE = (126, 127)  # sh: command not executable / not found
_CLEANUP_TIMEOUT_S = 30.0
_SHORT_TIMEOUT_S = 60.0  # hash check and device description
RUNTIME = "tflite_benchmark_model"
"""The `LatencyResult.runtime` of every measurement made here."""
RUNTIME_VERSION = "unknown"
"""``benchmark_model`` prints no version (none of the recorded transcripts shows one)."""


def _error_line(result: ShellResult) -> str:
    """Why a phone-side command failed: its last ``ERROR`` line, else its last line, else its status."""
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.upper().startswith("ERROR"):
            return line
    return lines[-1] if lines else f"exit status {result.status}"


class AdbDevice(DeviceBackend):
    """An Android phone over adb; see the module docstring for what one call does.

    Holds no connection between calls. Measure one model at a time per phone:
    two calls on the same file would share its pushed copy.

    Args:
        target: The phone, adb and ``benchmark_model``.
        name: The device's name in a farm inventory; defaults to the serial.
    """

    def __init__(self, target: AdbTarget, *, name: str | None = None) -> None:
        if not isinstance(target, AdbTarget):
            raise ValueError(f"target must be an AdbTarget, got {target!r}")
        self._target = target
        self._name = checked_device_name(name if name is not None else target.serial)
        self._adb = AdbShell(target, device=self._name)

    @property
    def name(self) -> str:
        """The device's name."""
        return self._name

    @property
    def target(self) -> AdbTarget:
        """The phone."""
        return self._target

    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        """Times a ``.tflite`` file with ``benchmark_model`` on the phone.

        See the module docstring for what is run and how the tool's report
        maps to the result (``p90_ms`` and ``seed`` are None, ``inputs`` is
        empty, ``runtime_version`` is ``"unknown"``).

        Args:
            model_path: The model file on this machine (TFLite only).
            settings: ``threads``, ``runs``, ``warmup``, ``cv_threshold`` and
                ``max_attempts`` are used; ``seed`` cannot be (the tool has no
                seed); ``stability_criterion`` cannot be either: stability is
                always judged by CV, since the tool prints no per-run times to
                take a MAD of (the result's ``stability_criterion`` is
                ``"cv"``); ``runtime`` must be None or ``"litert"``.
            timeout_s: Wall-clock limit of the whole call (cleanup excluded).

        Returns:
            The most stable attempt (lowest CV).

        Raises:
            FileNotFoundError: ``model_path`` does not exist.
            ValueError: Not a ``.tflite`` file, another runtime asked for, bad
                settings or timeout; raised before adb runs.
            DeviceUnavailableError: adb cannot use the phone, ``benchmark_model``
                is missing there, the push timed out, or the pushed copy's hash differs.
            ProfilerError: ``benchmark_model`` failed, timed out, printed
                something that is not its report, or printed no median.
        """
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        if path.suffix.lower() != ".tflite":
            raise ValueError(f"benchmark_model runs TFLite models only, not {path.name}")
        if not isinstance(settings, ProfileSettings):
            raise ValueError(f"settings must be ProfileSettings, got {settings!r}")
        if settings.runtime not in (None, "litert"):
            raise ValueError(f"benchmark_model is TFLite's tool; runtime {settings.runtime!r} cannot be used")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
            raise ValueError(f"timeout_s must be a number > 0, got {timeout_s!r}")
        deadline = time.monotonic() + timeout_s
        sha256 = sha256_file(path)
        remote = f"{self._target.remote_dir}/edgenas-{sha256[:16]}.tflite"
        try:
            self._push(path, remote, deadline, timeout_s)
            self._verify(remote, path.name, sha256, deadline)
            best, attempts = self._attempts(remote, settings, deadline, timeout_s)
            info = self._device_info(deadline)
        except BaseException as error:
            try:
                self._cleanup(remote)
            except Exception as cleanup_error:  # noqa: BLE001 - the first error is the one to report
                if str(cleanup_error) != str(error):  # an unreachable phone fails both the same way
                    error.add_note(f"cleanup also failed: {cleanup_error}")
            raise
        self._cleanup(remote)
        stats = best.inference
        assert stats.median_us is not None  # _run_once refuses a report without one
        try:
            return LatencyResult(
                schema_version=SCHEMA_VERSION,
                model_path=os.fspath(path.resolve()),
                artifact_sha256=sha256,
                size_bytes=path.stat().st_size,
                runtime=RUNTIME,
                runtime_version=RUNTIME_VERSION,
                threads=settings.threads,
                delegate="xnnpack" if best.xnnpack else "none",
                inputs=(),
                latency_ms=stats.median_us / 1000.0,
                p90_ms=None,
                mean_ms=stats.avg_us / 1000.0,
                std_ms=stats.sample_std_us / 1000.0,
                min_ms=stats.min_us / 1000.0,
                cv=stats.cv,
                mad_ms=None,
                robust_cv=None,
                runs=stats.count,
                warmup_runs=best.warmup.count if best.warmup is not None else 0,
                attempts=attempts,
                max_attempts=settings.max_attempts,
                stable=stats.cv <= settings.cv_threshold,
                stability_criterion="cv",
                cv_threshold=settings.cv_threshold,
                seed=None,
                device=info,
                measured_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds"),
            )
        except ValueError as e:  # e.g. fewer than 2 timed runs, min above the median
            raise ProfilerError(f"{self._name}: benchmark_model's report is not a valid measurement: {e}") from None

    def check_health(self, *, timeout_s: float = 30.0) -> None:
        """Checks that adb reaches the phone and that ``benchmark_model`` and ``sha256sum`` are there.

        Raises:
            DeviceUnavailableError: With the reason, when not.
        """
        bm = shlex.quote(self._target.benchmark_model)
        script = f"[ -x {bm} ] && echo benchmark_model=ok; command -v sha256sum >/dev/null && echo sha256sum=ok"
        try:
            result = self._adb.shell(script, timeout_s=timeout_s)
        except AdbTimeout as e:
            raise self._adb.unavailable(f"adb did not answer: {e}") from None
        found = set(result.stdout.split())
        missing = [
            what
            for what, mark in (
                (f"{self._target.benchmark_model} (not there or not executable)", "benchmark_model=ok"),
                ("sha256sum", "sha256sum=ok"),
            )
            if mark not in found
        ]
        if missing:
            raise self._adb.unavailable(f"the phone cannot run benchmarks: missing {' and '.join(missing)}")

    # ------------------------------------------------------------------ steps

    def _push(self, path: Path, remote: str, deadline: float, timeout_s: float) -> None:
        try:
            self._adb.push(path, remote, timeout_s=deadline - time.monotonic())
        except AdbTimeout:
            raise self._adb.unavailable(f"timed out after {timeout_s:g} s while pushing {path.name}") from None

    def _verify(self, remote: str, shown: str, sha256: str, deadline: float) -> None:
        """Checks the pushed copy's SHA-256 with the phone's ``sha256sum``."""
        try:
            timeout = min(_SHORT_TIMEOUT_S, deadline - time.monotonic())
            result = self._adb.shell(f"sha256sum {remote}", timeout_s=timeout)
        except AdbTimeout:
            raise self._adb.unavailable(f"timed out while checking the SHA-256 of {shown} on the phone") from None
        words = result.stdout.split()
        arrived = words[0].lower() if result.status == 0 and words else ""
        if arrived != sha256:
            shown_hash = arrived or f"unknown ({_error_line(result)})"
            raise self._adb.unavailable(f"{shown} arrived with SHA-256 {shown_hash} instead of {sha256}")

    def _command(self, remote: str, settings: ProfileSettings) -> str:
        """The phone-side command: records its pid, then execs (pinned) benchmark_model."""
        args = [
            self._target.benchmark_model,
            f"--graph={remote}",
            f"--num_threads={settings.threads}",
            f"--num_runs={settings.runs}",
            f"--warmup_runs={settings.warmup}",
            "--min_secs=0",
            "--warmup_min_secs=0",
            "--use_xnnpack=true",
        ]
        if self._target.cpu_mask is not None:
            args = ["taskset", self._target.cpu_mask, *args]
        inner = f"echo $$ > {remote}.pid && exec {' '.join(shlex.quote(a) for a in args)}"
        return f"sh -c {shlex.quote(inner)}"

    def _attempts(
        self, remote: str, settings: ProfileSettings, deadline: float, timeout_s: float
    ) -> tuple[BenchmarkOutput, int]:
        best = None
        attempts = 0
        for attempts in range(1, settings.max_attempts + 1):
            output = self._run_once(remote, settings, deadline, timeout_s)
            if best is None or output.inference.cv < best.inference.cv:
                best = output
            if output.inference.cv <= settings.cv_threshold:
                break
        assert best is not None
        return best, attempts

    def _run_once(self, remote: str, settings: ProfileSettings, deadline: float, timeout_s: float) -> BenchmarkOutput:
        try:
            result = self._adb.shell(self._command(remote, settings), timeout_s=deadline - time.monotonic())
        except AdbTimeout as e:
            raise ProfilerError(
                f"{self._name}: benchmark_model timed out after {timeout_s:g} s", stderr=e.output
            ) from None
        if result.status in _NOT_RUNNABLE:
            raise self._adb.unavailable(
                f"cannot run {self._target.benchmark_model} on the phone: {_error_line(result)}"
            )
        if result.status != 0:
            reason = _error_line(result)
            raise ProfilerError(
                f"{self._name}: benchmark_model exited with status {result.status}: {reason}",
                returncode=result.status,
                stderr=result.output,
            )
        try:
            output = parse_benchmark_output(result.output)
        except ValueError as e:
            raise ProfilerError(
                f"{self._name}: benchmark_model printed no usable report: {e}", returncode=0, stderr=result.output
            ) from None
        if output.inference.median_us is None:
            raise ProfilerError(
                f"{self._name}: benchmark_model printed no median (no 'median=' on its 'count=' line; an older "
                "build): latency_ms needs it and the mean is not substituted; use a newer benchmark_model",
                returncode=0,
                stderr=result.output,
            )
        return output

    def _device_info(self, deadline: float) -> DeviceInfo:
        try:
            result = self._adb.shell(
                device_info_script(self._target.first_cpu), timeout_s=min(_SHORT_TIMEOUT_S, deadline - time.monotonic())
            )
        except AdbTimeout:
            raise self._adb.unavailable("timed out while reading the phone's description") from None
        return parse_device_info(result.stdout)

    def _cleanup(self, remote: str) -> None:
        """Stops benchmark_model if it still runs on ``remote`` (by its recorded pid), removes the files."""
        pid_file = f"{remote}.pid"
        script = (
            f"p=$(cat {pid_file} 2>/dev/null); "
            f'if [ -n "$p" ]; then case "$(tr "\\0" " " < /proc/$p/cmdline 2>/dev/null)" in '
            f'*{remote}*) kill "$p" 2>/dev/null;; esac; fi; '
            f"rm -f {remote} {pid_file}"
        )
        try:
            result = self._adb.shell(script, timeout_s=_CLEANUP_TIMEOUT_S)
        except AdbTimeout as e:
            raise self._adb.unavailable(f"cannot remove {remote}: {e}") from None
        if result.status != 0:
            raise self._adb.unavailable(f"cannot remove {remote}: {_error_line(result)}")
