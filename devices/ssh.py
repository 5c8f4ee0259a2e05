"""`SshDevice`: a Linux board (Raspberry Pi, Jetson, any Linux box) reached over SSH.

A measurement is three ``ssh`` connections, all non-interactive:

1. **upload**: make a fresh working folder with ``mktemp -d`` under
   `SshTarget.remote_tmp_dir`, unpack ``profiler.py`` and the model into it from
   a tar stream, and print the model's SHA-256 as it arrived (``sha256sum``, or
   the board's Python when ``sha256sum`` is missing); a hash other than the
   local file's is a `DeviceUnavailableError`;
2. **run**: ``python3 profiler.py MODEL <settings.profiler_args()>`` in that
   folder; its stdout is parsed with `LatencyResult.from_json`;
3. **cleanup**, always (after a failure or a timeout too): stop the profiler
   if it still runs (by the pid it recorded, only if that process still works
   in the folder), then remove the folder.

The board needs ``sh``, ``mktemp``, ``tar`` and a Python with numpy and a
runtime; nothing is installed on it and nothing outside the working folder is
written. The result names the local model file in ``model_path`` (the remote
copy is gone), and its ``artifact_sha256`` is checked against the local file.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shlex
import tarfile
import time
from pathlib import Path

from .backend import DeviceBackend, checked_device_name
from .errors import ProfilerError
from .hashing import sha256_file
from .latency_result import LatencyResult
from .local import PROFILER_PATH
from .settings import ProfileSettings
from .ssh_client import SSH_FAILURE, SshClient, SshTimeout
from .ssh_target import SshTarget

__all__ = ["SshDevice"]

_SUFFIX = re.compile(r"\.[a-z0-9]+")  # kept on the remote copy: the profiler reads the runtime from it
_DIR_MARK = "edgenas-dir "
_DIR_PREFIX = "edgenas."
_PROFILER_NAME = "profiler.py"
_CLEANUP_EXTRA_S = 20.0  # cleanup may take this long beyond the connect timeout
_NOT_RUNNABLE = (126, 127)  # sh: command not executable / not found

# Prints the SHA-256 of "$m": with sha256sum where present, else with the board's Python "$py".
_HASH = """\
if command -v sha256sum >/dev/null 2>&1; then sha256sum "$m"
else "$py" -c 'import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
print(h.hexdigest())' "$m"
fi"""


def _tar(files: dict[str, bytes]) -> bytes:
    """A plain ustar archive of ``files`` (name -> content), readable by busybox tar."""
    buffer = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), 0o644, now
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def _reason(returncode: int, stderr: str) -> str:
    """Why a remote step failed: the profiler's last ``error:`` line, else the last stderr line, else the status."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return line[len("error: ") :]
    return lines[-1] if lines else f"exit status {returncode}"


class SshDevice(DeviceBackend):
    """A Linux board over SSH; see the module docstring for what one call does.

    Holds no connection between calls: each `measure` and `check_health` opens
    its own.

    Args:
        target: How to reach the board.
        name: The device's name in a farm inventory; defaults to ``str(target)``.
        ssh: The local OpenSSH client executable.
    """

    def __init__(self, target: SshTarget, *, name: str | None = None, ssh: str = "ssh") -> None:
        if not isinstance(target, SshTarget):
            raise ValueError(f"target must be an SshTarget, got {target!r}")
        self._target = target
        self._name = checked_device_name(name if name is not None else str(target))
        self._client = SshClient(target, device=self._name, ssh=ssh)

    @property
    def name(self) -> str:
        """The device's name."""
        return self._name

    @property
    def target(self) -> SshTarget:
        """How the board is reached."""
        return self._target

    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        """Times the model on the board; see `DeviceBackend.measure`.

        A timeout while copying is a `DeviceUnavailableError`; one while the
        profiler runs is a `ProfilerError` (the profiler is then stopped).
        """
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        if not isinstance(settings, ProfileSettings):
            raise ValueError(f"settings must be ProfileSettings, got {settings!r}")
        _check_timeout(timeout_s)
        deadline = time.monotonic() + timeout_s
        sha256 = sha256_file(path)
        suffix = path.suffix.lower()
        model_name = "model" + (suffix if _SUFFIX.fullmatch(suffix) else "")
        folder = self._upload(path, model_name, sha256, deadline, timeout_s)
        try:
            result = self._run_profiler(folder, model_name, settings, deadline, timeout_s)
        except BaseException as error:
            self._cleanup_after(error, folder)
            raise
        self._cleanup(folder)
        if result.artifact_sha256 != sha256:
            raise ProfilerError(
                f"{self._name}: the profiler measured a file with SHA-256 {result.artifact_sha256}, "
                f"not {path} ({sha256})"
            )
        return dataclasses.replace(result, model_path=os.fspath(path.resolve()))

    def check_health(self, *, timeout_s: float = 30.0) -> None:
        """Runs ``profiler.py --self-check`` with the board's Python in a throw-away folder.

        Raises:
            DeviceUnavailableError: The board cannot be reached, or it lacks
                numpy or every runtime, or it did not answer in time.
        """
        _check_timeout(timeout_s)
        script = "\n".join(
            [
                "set -e",
                f"d=$(mktemp -d {self._template()})",
                "trap 'rm -rf \"$d\"' EXIT",
                f'cat > "$d/{_PROFILER_NAME}"',
                f'{shlex.quote(self._target.python)} "$d/{_PROFILER_NAME}" --self-check',
            ]
        )
        try:
            proc = self._client.run(script, timeout_s=timeout_s, stdin=PROFILER_PATH.read_bytes())
        except SshTimeout as e:
            raise self._client.unavailable(f"the profiler self-check did not finish: {e}") from None
        if proc.returncode != 0:
            reason = _reason(proc.returncode, _text(proc.stderr))
            raise self._client.unavailable(f"profiler self-check failed: {reason}")

    # ------------------------------------------------------------------ steps

    def _template(self) -> str:
        parent = self._target.remote_tmp_dir.rstrip("/")
        return shlex.quote(f"{parent}/{_DIR_PREFIX}XXXXXXXX")

    def _upload(self, path: Path, model_name: str, sha256: str, deadline: float, timeout_s: float) -> str:
        """Step 1: makes the working folder, unpacks the files, checks the model's hash."""
        script = "\n".join(
            [
                "set -e",
                f"d=$(mktemp -d {self._template()})",
                f"printf '{_DIR_MARK}%s\\n' \"$d\"",
                'tar -xf - -C "$d"',
                f'm="$d/{model_name}"',
                f"py={shlex.quote(self._target.python)}",
                _HASH,
            ]
        )
        archive = _tar({_PROFILER_NAME: PROFILER_PATH.read_bytes(), model_name: path.read_bytes()})
        try:
            proc = self._client.run(script, timeout_s=_remaining(deadline), stdin=archive, check_ssh=False)
        except SshTimeout as e:
            error = self._client.unavailable(
                f"timed out after {timeout_s:g} s while copying {path.name} to {self._target}"
            )
            self._cleanup_after(error, self._folder(_text(e.stdout)))
            raise error from None
        stdout = _text(proc.stdout)
        folder = self._folder(stdout)
        words = stdout.splitlines()[-1].split() if stdout.strip() else []
        arrived = words[0].lower() if words else ""
        if proc.returncode == SSH_FAILURE:
            error = self._client.ssh_failure(_text(proc.stderr))
        elif proc.returncode != 0 or folder is None:
            detail = _reason(proc.returncode, _text(proc.stderr))
            error = self._client.unavailable(f"cannot copy {path.name} to {self._target}: {detail}")
        elif arrived != sha256:
            error = self._client.unavailable(
                f"{path.name} arrived on {self._target} with SHA-256 {arrived or '(none printed)'} instead of {sha256}"
            )
        else:
            return folder
        self._cleanup_after(error, folder)
        raise error

    def _folder(self, stdout: str) -> str | None:
        """The working folder named by step 1, only if it is one that step 1 can have made."""
        parent = self._target.remote_tmp_dir.rstrip("/")
        for line in stdout.splitlines():
            if line.startswith(_DIR_MARK):
                folder = line[len(_DIR_MARK) :]
                name = folder[len(parent) + 1 :]
                if folder.startswith(parent + "/") and name.startswith(_DIR_PREFIX) and "/" not in name:
                    return folder
        return None

    def _run_profiler(
        self, folder: str, model_name: str, settings: ProfileSettings, deadline: float, timeout_s: float
    ) -> LatencyResult:
        """Step 2: runs the profiler in the working folder and parses its JSON."""
        python = shlex.quote(self._target.python)
        args = " ".join(shlex.quote(a) for a in [_PROFILER_NAME, model_name, *settings.profiler_args()])
        script = f"cd {shlex.quote(folder)} && echo $$ > pid && exec {python} {args}"
        try:
            proc = self._client.run(script, timeout_s=_remaining(deadline))
        except SshTimeout as e:
            raise ProfilerError(
                f"{self._name}: profiler timed out after {timeout_s:g} s", stderr=_text(e.stderr)
            ) from None
        stderr = _text(proc.stderr)
        if proc.returncode in _NOT_RUNNABLE:
            raise self._client.unavailable(
                f"cannot run the profiler with {self._target.python!r}: {_reason(proc.returncode, stderr)}"
            )
        if proc.returncode != 0:
            raise ProfilerError(
                f"{self._name}: {_reason(proc.returncode, stderr)}", returncode=proc.returncode, stderr=stderr
            )
        try:
            return LatencyResult.from_json(_text(proc.stdout))
        except ValueError as e:
            raise ProfilerError(
                f"{self._name}: the profiler printed an invalid result: {e}", returncode=0, stderr=stderr
            ) from e

    def _cleanup(self, folder: str) -> None:
        """Step 3: stops a profiler still running in ``folder`` (by its recorded pid), removes ``folder``."""
        quoted = shlex.quote(folder)
        script = "\n".join(
            [
                f"d={quoted}",
                'if [ -f "$d/pid" ]; then',
                '  p=$(cat "$d/pid"); real=$(cd "$d" && pwd -P)',
                '  if [ -n "$p" ] && [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$real" ]; then',
                '    kill "$p" 2>/dev/null || true',
                "  fi",
                "fi",
                'rm -rf "$d"',
            ]
        )
        try:
            proc = self._client.run(script, timeout_s=self._target.connect_timeout_s + _CLEANUP_EXTRA_S)
        except SshTimeout as e:
            raise self._client.unavailable(f"cannot remove {folder}: {e}") from None
        if proc.returncode != 0:
            raise self._client.unavailable(f"cannot remove {folder}: {_reason(proc.returncode, _text(proc.stderr))}")

    def _cleanup_after(self, error: BaseException, folder: str | None) -> None:
        """Cleans up after ``error`` without hiding it: a cleanup failure becomes a note on it."""
        if folder is None:
            return
        try:
            self._cleanup(folder)
        except Exception as cleanup_error:  # noqa: BLE001 - the first error is the one to report
            if str(cleanup_error) != str(error):  # an unreachable board fails both the same way
                error.add_note(f"cleanup also failed: {cleanup_error}")


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def _check_timeout(timeout_s: object) -> None:
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
        raise ValueError(f"timeout_s must be a number > 0, got {timeout_s!r}")
