"""`ProfilerSession`: one local profiler process (`profiler.py --serve`) timing a sequence of models.

A one-shot run pays for a process start and the runtime's import on every
model (about 0.3 s here, more than timing a small model). A session keeps one
profiler up and sends it one request per model; each model still gets its own
interpreter, input and warm-up (see ``--serve`` in ``profiler.py``), so a
session's latencies are one-shot latencies (`benchmarks/turnaround.py` checks
that they agree). The process dies with the caller (it is started like every
profiler, see `lifeline`), and a session that finds it gone starts a new one
for the next model; a model that made it crash is reported as a `ProfilerError`.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from .backend import MeasureSession
from .errors import ProfilerError
from .latency_result import LatencyResult
from .lifeline import popen_child
from .settings import ProfileSettings

__all__ = ["ProfilerSession"]


class ProfilerSession(MeasureSession):
    """A profiler process kept up between models; use as a context manager (or call `close`).

    Args:
        profiler: Path of ``profiler.py``.
        python: The interpreter that runs it.
    """

    def __init__(self, *, profiler: str | os.PathLike[str], python: str | os.PathLike[str] = sys.executable) -> None:
        self._command = [os.fspath(python), os.fspath(profiler), "--serve"]
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int | None:
        """The profiler process's id while it runs, else None."""
        return None if self._process is None or self._process.poll() is not None else self._process.pid

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            try:
                self._process = popen_child(
                    self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    encoding="utf-8", errors="replace", bufsize=1,
                )  # fmt: skip
            except OSError as e:
                raise ProfilerError(f"cannot start the profiler with {self._command[0]!r}: {e}") from e
        return self._process

    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        """Times one model in the session's process (started, or restarted, when needed).

        Raises:
            FileNotFoundError: The model file does not exist (nothing is sent).
            ProfilerError: The profiler refused or failed on the model (its one-line message), or its process
                died or did not answer within `timeout_s` (it is then stopped; the next call starts another).
        """
        path = Path(model_path)
        if not path.exists():
            raise FileNotFoundError(f"model file not found: {path}")
        process = self._started()
        assert process.stdin is not None and process.stdout is not None
        request = json.dumps([os.fspath(path.resolve()), *settings.profiler_args()])
        try:
            process.stdin.write(request + "\n")
            process.stdin.flush()
        except OSError as e:
            self.close()
            raise ProfilerError(f"the profiler process stopped before {path.name}: {e}") from None
        deadline = time.monotonic() + timeout_s
        while True:
            ready, _, _ = select.select([process.stdout], [], [], max(deadline - time.monotonic(), 0.0))
            if ready:
                break
            if time.monotonic() >= deadline:
                self.close()
                raise ProfilerError(f"profiler timed out after {timeout_s:g} s on {path}")
        line = process.stdout.readline()
        if not line:
            code = process.wait()
            self._process = None
            raise ProfilerError(f"the profiler process ended (status {code}) while timing {path}", returncode=code)
        try:
            answer = json.loads(line)
        except ValueError as e:
            raise ProfilerError(f"profiler printed an invalid answer: {e}") from e
        if "error" in answer:
            raise ProfilerError(str(answer["error"]))
        try:
            return LatencyResult.from_json(json.dumps(answer["result"]))
        except (KeyError, ValueError) as e:
            raise ProfilerError(f"profiler printed an invalid result: {e}") from e

    def close(self) -> None:
        """Ends the profiler process (end of input, then a kill if it does not stop within 5 s)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
