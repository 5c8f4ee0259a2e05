"""A stand-in for the ``adb`` client, for tests: a folder plays the phone.

Usage as adb: ``adb.py -s SERIAL push LOCAL REMOTE`` and ``adb.py -s SERIAL
shell COMMAND...``. The phone is the folder named by ``$FAKE_ADB_ROOT``:

* ``state.json``: ``{"serial": ..., "state": "device" | "offline" | "unauthorized",
  "corrupt_push": false}``; another serial or state fails the way adb does
  (message on stderr, exit status 1);
* ``push`` copies into the folder (flipping a byte when ``corrupt_push``);
* ``shell`` joins its arguments with spaces, as adb does, and runs them with
  ``sh -c`` (exit status passed on, as with adb's shell protocol); phone paths
  under ``/data/``, ``/sys/`` and ``/proc/cpuinfo`` are redirected into the
  folder, other ``/proc`` paths are this machine's; ``$ROOT/system/bin`` comes
  first on PATH (fake ``getprop`` and ``taskset``).

Every call is appended to ``adb.log`` (one JSON list of arguments a line).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_PHONE_PATH = re.compile(r"(?<![\w./-])(/data/|/sys/|/proc/cpuinfo\b)")

_UNAUTHORIZED = (
    "adb: device unauthorized.\n"
    "This adb server's $ADB_VENDOR_KEYS is not set\n"
    "Try 'adb kill-server' if that seems wrong.\n"
    "Otherwise check for a confirmation dialog on your device."
)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    root = Path(os.environ["FAKE_ADB_ROOT"])
    with (root / "adb.log").open("a") as log:
        log.write(json.dumps(argv) + "\n")
    phone = json.loads((root / "state.json").read_text())
    if len(argv) < 3 or argv[0] != "-s":
        return _fail("adb: usage: adb -s SERIAL push|shell ... (fake adb)")
    serial, command, args = argv[1], argv[2], argv[3:]
    if serial != phone["serial"]:
        return _fail(f"adb: device '{serial}' not found")
    if phone["state"] == "unauthorized":
        return _fail(_UNAUTHORIZED)
    if phone["state"] != "device":
        return _fail(f"adb: device {phone['state']}")

    def on_phone(text: str) -> str:
        return _PHONE_PATH.sub(lambda m: os.fspath(root) + m.group(1), text)

    if command == "push" and len(args) == 2:
        local, remote = Path(args[0]), Path(on_phone(args[1]))
        if not remote.parent.is_dir():
            return _fail(f"adb: error: failed to copy '{local}' to '{args[1]}': remote No such file or directory")
        shutil.copyfile(local, remote)
        if phone.get("corrupt_push"):
            data = bytearray(remote.read_bytes())
            data[len(data) // 2] ^= 0xFF
            remote.write_bytes(bytes(data))
        size = local.stat().st_size
        print(f"{local}: 1 file pushed, 0 skipped. 41.2 MB/s ({size} bytes in 0.001s)")
        return 0
    if command == "shell" and args:
        env = dict(os.environ, PATH=f"{root / 'system' / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}")
        return subprocess.run(["sh", "-c", on_phone(" ".join(args))], env=env, check=False).returncode
    return _fail(f"adb: unknown command {command} (fake adb)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
