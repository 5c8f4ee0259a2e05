"""`AdbTarget`: which Android phone, through which ``adb``, with which ``benchmark_model``."""

from __future__ import annotations

import dataclasses
import os
import re

__all__ = ["AdbTarget"]

_SERIAL = re.compile(r"[A-Za-z0-9._:\[\]-]+")  # USB serials and host:port of adb over TCP
_CPU_MASK = re.compile(r"(0x)?[0-9a-fA-F]+")
_REMOTE_PATH = re.compile(r"/[A-Za-z0-9._/+-]*")  # a plain absolute path: used unquoted-safe in shell scripts


@dataclasses.dataclass(frozen=True)
class AdbTarget:
    """One phone as ``adb -s SERIAL`` sees it, and where TFLite's ``benchmark_model`` lies on it.

    Attributes:
        serial: The phone's serial as listed by ``adb devices`` (``host:port`` for adb over TCP).
        adb: The local ``adb`` executable (name on PATH or path).
        benchmark_model: Path of the ``benchmark_model`` binary on the phone (pushed there beforehand).
        remote_dir: Writable folder on the phone where models are pushed for the measurement.
        cpu_mask: Hex CPU affinity mask for ``taskset`` (e.g. ``"f0"`` for the big cores
            of a 4+4 phone), or None to let the scheduler choose.
    """

    serial: str
    adb: str = "adb"
    benchmark_model: str = "/data/local/tmp/benchmark_model"
    remote_dir: str = "/data/local/tmp"
    cpu_mask: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.serial, str) or not _SERIAL.fullmatch(self.serial) or self.serial.startswith("-"):
            raise ValueError(f"serial must be an adb serial (letters, digits, '.', '_', ':', '-'), got {self.serial!r}")
        adb = os.fspath(self.adb) if isinstance(self.adb, os.PathLike) else self.adb
        if not isinstance(adb, str) or not adb:
            raise ValueError(f"adb must be an executable name or path, got {self.adb!r}")
        object.__setattr__(self, "adb", adb)
        for name in ("benchmark_model", "remote_dir"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _REMOTE_PATH.fullmatch(value) or value == "/":
                raise ValueError(
                    f"{name} must be an absolute path on the phone (letters, digits, '._/+-'), got {value!r}"
                )
        object.__setattr__(self, "remote_dir", self.remote_dir.rstrip("/"))
        if self.cpu_mask is not None:
            if not isinstance(self.cpu_mask, str) or not _CPU_MASK.fullmatch(self.cpu_mask):
                raise ValueError(f"cpu_mask must be a hex CPU mask such as 'f0', got {self.cpu_mask!r}")
            if int(self.cpu_mask, 16) == 0:
                raise ValueError(f"cpu_mask {self.cpu_mask!r} selects no CPU")

    @property
    def first_cpu(self) -> int:
        """The lowest CPU the measurement runs on (0 without a mask)."""
        if self.cpu_mask is None:
            return 0
        mask = int(self.cpu_mask, 16)
        return (mask & -mask).bit_length() - 1

    def __str__(self) -> str:
        return self.serial
