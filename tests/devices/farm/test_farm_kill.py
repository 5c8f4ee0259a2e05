"""`kill -9` of `edgenas farm serve` ends the profilers its device workers were running."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from devices import ProfileSettings
from devices.farm.client import Farm

_TOKEN = "kill-test-token"
_BUSY = "import time; time.sleep(120)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_killed_farm_leaves_no_profiler_running(
    marked_command: Callable[..., object], make_python: Callable[..., Path], tiny_onnx_models, tmp_path: Path
) -> None:
    # A device whose "profiler" is busy for two minutes (exec: it stays the farm's own child).
    busy = make_python("busy-python", on_measure=f'exec "{sys.executable}" -c "{_BUSY}"')
    inventory = tmp_path / "farm.yaml"
    inventory.write_text(json.dumps({  # JSON is YAML
        "devices": [{"name": "cpu-1", "backend": "local", "connection": {"python": str(busy)}, "tags": ["cpu"]}],
    }))  # fmt: skip
    port = _free_port()
    command = marked_command(
        [sys.executable, "-m", "edgenas", "farm", "serve", "--inventory", str(inventory),
         "--state-dir", str(tmp_path / "state"), "--port", str(port)],
        env={"EDGENAS_FARM_TOKEN": _TOKEN},
    )  # fmt: skip
    command.wait_for(lambda c: "listening" in c.output(), timeout_s=60, what="the farm to listen")
    with Farm(f"farm://127.0.0.1:{port}/cpu", token=_TOKEN) as farm:
        farm.submit(tiny_onnx_models(1)[0], ProfileSettings(runs=5, warmup=1, max_attempts=1))
    command.wait_for(lambda c: c.children(running=_BUSY), timeout_s=30, what="the device's profiler to run")
    command.kill_and_expect_no_orphans(watched=tmp_path / "state")
