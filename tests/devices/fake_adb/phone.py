"""Builds the folder that plays an Android phone for the fake ``adb`` (adb.py beside this file).

The phone's description (properties, ``/proc/cpuinfo``, governors, thermal
zones, ``uname``) is made up for the tests, shaped like an arm64 phone's; the
``benchmark_model`` output it replays is real (recorded.py).
"""

from __future__ import annotations

import dataclasses
import json
import stat
import sys
from pathlib import Path

__all__ = ["FakePhone", "make_phone"]

HERE = Path(__file__).resolve().parent

PROPS = {
    "ro.product.model": "Pixel 4",
    "ro.board.platform": "msmnile",
    "ro.build.version.release": "12",
}
CPUINFO = "".join(
    f"processor\t: {i}\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n"
    f"CPU implementer\t: 0x51\nCPU architecture: 8\nCPU variant\t: 0xd\nCPU part\t: 0x80{'d' if i >= 4 else '5'}\n"
    "CPU revision\t: 14\n\n"
    for i in range(8)
) + "Hardware\t: Qualcomm Technologies, Inc SM8150\n"
GOVERNORS = {0: "schedutil", 4: "performance"}
THERMAL_ZONES = [("battery", "31000"), ("cpu-1-0-usr", "45300"), ("gpuss-0-usr", "41200")]


def _executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@dataclasses.dataclass(frozen=True)
class FakePhone:
    """A fake phone: its folder, its serial and the ``adb`` to reach it.

    Attributes:
        root: The folder standing for the phone's file system (``$FAKE_ADB_ROOT``).
        serial: The serial it answers to.
        adb: An executable that behaves as ``adb`` for it.
    """

    root: Path
    serial: str
    adb: Path

    def set_state(self, state: str, *, corrupt_push: bool = False) -> None:
        """``device``, ``offline`` or ``unauthorized``; ``corrupt_push`` damages pushed files."""
        (self.root / "state.json").write_text(
            json.dumps({"serial": self.serial, "state": state, "corrupt_push": corrupt_push})
        )

    def replay(self, transcript: str, *, status: int = 0, sleep_s: float | None = None) -> None:
        """What ``benchmark_model`` prints next, its exit status and an optional delay."""
        (self.root / "benchmark_model.out").write_text(transcript)
        (self.root / "benchmark_model.status").write_text(str(status))
        sleep = self.root / "benchmark_model.sleep_s"
        if sleep_s is None:
            sleep.unlink(missing_ok=True)
        else:
            sleep.write_text(str(sleep_s))

    def adb_calls(self) -> list[list[str]]:
        """Every adb invocation so far (arguments after ``adb``)."""
        log = self.root / "adb.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def benchmark_calls(self) -> list[dict]:
        """Every ``benchmark_model`` invocation so far: ``{"pid": ..., "argv": [...]}``."""
        log = self.root / "benchmark_model.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def taskset_masks(self) -> list[str]:
        """The masks ``taskset`` was called with."""
        log = self.root / "taskset.log"
        return log.read_text().split() if log.exists() else []

    def tmp_files(self) -> list[str]:
        """Files in the phone's /data/local/tmp other than benchmark_model."""
        return sorted(p.name for p in (self.root / "data/local/tmp").iterdir() if p.name != "benchmark_model")


def make_phone(folder: Path, *, serial: str = "R58M123ABC", with_benchmark_model: bool = True) -> FakePhone:
    """Lays out a fake phone in ``folder/phone`` and an ``adb`` executable for it in ``folder``."""
    python = sys.executable
    root = folder / "phone"
    (root / "data/local/tmp").mkdir(parents=True)
    if with_benchmark_model:
        _executable(
            root / "data/local/tmp/benchmark_model",
            f'#!/bin/sh\nexec {python} {HERE / "benchmark_model.py"} "$@"\n',
        )
    (root / "props").write_text("".join(f"{k}={v}\n" for k, v in PROPS.items()))
    (root / "proc").mkdir()
    (root / "proc/cpuinfo").write_text(CPUINFO)
    for cpu, governor in GOVERNORS.items():
        folder = root / f"sys/devices/system/cpu/cpu{cpu}/cpufreq"
        folder.mkdir(parents=True)
        (folder / "scaling_governor").write_text(governor + "\n")
    for i, (kind, temp) in enumerate(THERMAL_ZONES):
        zone = root / f"sys/class/thermal/thermal_zone{i}"
        zone.mkdir(parents=True)
        (zone / "type").write_text(kind + "\n")
        (zone / "temp").write_text(temp + "\n")
    bin_dir = root / "system/bin"
    _executable(bin_dir / "getprop", f'#!/bin/sh\nsed -n "s/^$1=//p" {root / "props"}\n')
    _executable(bin_dir / "taskset", f'#!/bin/sh\necho "$1" >> {root / "taskset.log"}\nshift\nexec "$@"\n')
    _executable(
        bin_dir / "uname", '#!/bin/sh\ncase "$1" in -m) echo aarch64;; -n) echo localhost;; *) echo Linux;; esac\n'
    )
    adb = _executable(
        folder / "adb",
        f'#!/bin/sh\nFAKE_ADB_ROOT={root}\nexport FAKE_ADB_ROOT\nexec {python} {HERE / "adb.py"} "$@"\n',
    )
    phone = FakePhone(root=root, serial=serial, adb=adb)
    phone.set_state("device")
    return phone

