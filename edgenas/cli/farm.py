"""``edgenas farm serve`` / ``edgenas farm status`` and the ``--device`` argument of ``edgenas search``.

Nothing here imports TensorFlow: a farm host needs only the device side.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from edgenas.cli.errors import CliError

__all__ = ["add_farm_parser", "cmd_farm", "device_from_argument"]

DEFAULT_PORT = 8470
_MAX_PORT = 65535
_BYTES_PER_MB = 1024 * 1024


def add_farm_parser(sub: Any) -> None:
    """Adds ``farm serve`` and ``farm status`` to the CLI's sub-commands."""
    farm = sub.add_parser("farm", help="run a device farm, or ask one for its state")
    actions = farm.add_subparsers(dest="farm_command", required=True, metavar="ACTION")

    serve = actions.add_parser("serve", help="serve the devices of an inventory file over HTTP")
    serve.add_argument("--inventory", required=True, help="the inventory YAML (devices, backends, tags)")
    serve.add_argument("--state-dir", default="farm-state",
                       help="queue, result cache, uploaded models and token (default: ./farm-state)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default: {DEFAULT_PORT})")
    serve.add_argument("--max-model-mb", type=float, default=256.0, help="largest model upload (default: 256)")
    serve.add_argument("--quarantine-after", type=int, default=3,
                       help="failed jobs in a row that quarantine a device (default: 3)")
    serve.add_argument("--health-interval-s", type=float, default=30.0,
                       help="seconds between health checks of a quarantined device (default: 30)")

    status = actions.add_parser("status", help="print a farm's devices, their states and its queue")
    status.add_argument("url", help="http://host:port or farm://host:port/tag")


def cmd_farm(args: argparse.Namespace) -> int:
    """Runs ``edgenas farm ACTION``."""
    if args.farm_command == "serve":
        return _serve(args)
    return _status(args)


def device_from_argument(text: str) -> Any:
    """The latency source of ``edgenas search --device``: "measured" for local, else a `devices.farm.Farm`.

    Raises:
        CliError: Neither ``local`` nor a farm address (the message shows both forms).
        FarmConfigError: A malformed farm address, or no farm token (``EDGENAS_FARM_TOKEN``).
    """
    if text == "local":
        return "measured"
    if text.startswith("farm"):
        from devices.farm import Farm  # noqa: PLC0415

        return Farm(text)
    raise CliError(f"unknown device {text!r}; use 'local' or a farm address farm://HOST:PORT/TAG")


def _serve(args: argparse.Namespace) -> int:
    from devices.farm.farm_token import resolve_token  # noqa: PLC0415
    from devices.farm.inventory import load_inventory  # noqa: PLC0415
    from devices.farm.server import serve  # noqa: PLC0415
    from devices.farm.service import FarmService  # noqa: PLC0415

    if not (math.isfinite(args.max_model_mb) and args.max_model_mb * _BYTES_PER_MB >= 1):
        raise CliError(f"--max-model-mb must be a finite number > 0 (at least one byte), got {args.max_model_mb}")
    if not 0 <= args.port <= _MAX_PORT:
        raise CliError(f"--port must be from 0 to {_MAX_PORT} (0: any free port), got {args.port}")
    inventory = load_inventory(args.inventory)
    # The order matters: lock the state folder (a second farm stops here, changing nothing), open the
    # queue (re-queueing the jobs that were running), bind the port, and only then say "listening".
    with FarmService(
        inventory,
        state_dir=args.state_dir,
        max_model_bytes=int(args.max_model_mb * _BYTES_PER_MB),
        quarantine_after=args.quarantine_after,
        health_interval_s=args.health_interval_s,
    ) as service:
        token, source = resolve_token(args.state_dir)
        counts = service.jobs.counts()
        tags = sorted(inventory.tags())
        print(f"farm: {len(inventory.devices)} device(s), tags {', '.join(tags)}; state in {args.state_dir}")
        print(f"farm: {counts['queued']} job(s) queued ({service.jobs.recovered} resumed after a stop), "
              f"{counts['done']} done")
        print(f"farm: token from {source}; clients set EDGENAS_FARM_TOKEN to it", flush=True)

        def announce(url: str) -> None:
            address = url.removeprefix("http://")
            print(f"farm: listening on {url} (e.g. --device farm://{address}/{tags[0]})", flush=True)

        serve(service, token=token, host=args.host, port=args.port, on_listening=announce)
    return 0


def _status(args: argparse.Namespace) -> int:
    from devices.farm import Farm, FarmAddress  # noqa: PLC0415

    url = FarmAddress.parse(args.url).base_url if args.url.startswith("farm") else args.url
    with Farm(url, tag="-") as farm:
        status = farm.status()
    jobs = status["jobs"]
    print(f"jobs: {jobs['queued']} queued, {jobs['running']} running, {jobs['done']} done, {jobs['failed']} failed")
    print(f"{'device':<20} {'state':<12} {'done':>5} {'failed':>6}  tags / last error")
    for device in status["devices"]:
        line = f"{device['name']:<20} {device['state']:<12} {device['jobs_done']:>5} {device['jobs_failed']:>6}  "
        line += ", ".join(device["tags"])
        if device["last_error"]:
            line += f"  ({device['last_error']})"
        print(line)
    return 0
