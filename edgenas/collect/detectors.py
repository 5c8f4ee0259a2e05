"""Collecting a detector predictor's training data: random SpineNet detectors timed on a device.

Each detector is a random topology of a SpineNet space (`spinenet`,
`spinenet_v2`, `spinenet_mbconv`) sized by a random point of a scaling space
(`spinenet_mobile_scaling` for mobile topologies, `spinenet_scaling` for
ResNet-style ones), so the data spans both what a search samples and what
`edgenas scale` sizes. As in `collect`, models are exported in a recycled worker
process and timed one at a time, every measurement is stored at once, and a
rerun measures only detectors not measured before.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devices import DeviceBackend, DeviceUnavailableError, ProfilerError, ProfileSettings

from edgenas.collect.layerwise import _quiet_worker
from latency_models.detector_train import detector_rows
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement

__all__ = ["DetectorCollectSummary", "collect_detectors", "export_detectors", "random_detectors"]


@dataclasses.dataclass(frozen=True)
class DetectorCollectSummary:
    """What a detector collection did.

    Attributes:
        measured: Detectors measured in this call.
        total: Detectors in the store for the key afterwards.
        failures: One line per detector that could not be exported or timed (skipped).
        elapsed_s: Wall time of the call.
    """

    measured: int
    total: int
    failures: tuple[str, ...]
    elapsed_s: float


def export_detectors(
    texts: Sequence[str], precision: str, out_dir: str, input_shapes: Sequence[tuple[int, int, int]], num_classes: int
) -> list[str | None]:
    """Worker task: exports `SpineNetDetectorSpec` strings to .tflite, each at its input shape; None where one failed."""
    import keras  # noqa: PLC0415

    from edgenas.export import export  # noqa: PLC0415
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec  # noqa: PLC0415

    paths: list[str | None] = []
    for text, shape in zip(texts, input_shapes, strict=True):
        try:
            result = export(SpineNetDetectorSpec.parse(text), out_dir=out_dir, formats="tflite", precision=precision,
                            input_shape=tuple(shape), num_classes=num_classes)  # fmt: skip
            paths.append(os.fspath(result.artifacts[0].path))
        except Exception:  # noqa: BLE001 - reported by the caller
            paths.append(None)
        finally:
            keras.backend.clear_session()
    return paths


def random_detectors(
    space_name: str, *, count: int, seed: int, scaling_space: str | None = None
) -> list[tuple[str, tuple[int, int, int]]]:
    """`count` random detectors (spec string, input shape): random topologies sized by random scaling points.

    Args:
        space_name: A SpineNet space.
        count: How many.
        seed: Seed of the topologies and points.
        scaling_space: The sizes to draw from; default by the topologies' family.

    Raises:
        ValueError: The space does not hold SpineNet topologies.
    """
    from edgenas import spaces  # noqa: PLC0415
    from edgenas.errors import SpecError  # noqa: PLC0415
    from edgenas.scaling import get_scaling_space  # noqa: PLC0415
    from edgenas.specs import SpineNetFamily, SpineNetSpec  # noqa: PLC0415
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec  # noqa: PLC0415

    rng = random.Random(seed)
    topologies = spaces.get(space_name).sample(n=max(count, 1) * 2, seed=seed)
    if not all(isinstance(t, SpineNetSpec) for t in topologies):
        raise ValueError(f"space {space_name!r} does not hold SpineNet topologies; detectors need one")
    out: list[tuple[str, tuple[int, int, int]]] = []
    for topology in topologies:
        if len(out) == count:
            break
        name = scaling_space or (
            "spinenet_mobile_scaling" if topology.family is SpineNetFamily.MOBILE else "spinenet_scaling"
        )
        points = get_scaling_space(name).points()
        for _ in range(8):  # a point may leave a topology's level without filters: draw another
            try:
                detector = rng.choice(points).apply(topology)
            except SpecError:
                continue
            out.append((str(SpineNetDetectorSpec(backbone=detector.spec, head=detector.head)), detector.input_shape))
            break
    return out


def collect_detectors(
    space_name: str,
    *,
    device: DeviceBackend,
    store: MeasurementStore,
    precision: str = "fp32",
    threads: int = 1,
    budget_min: float = 20.0,
    num_classes: int = 91,
    scaling_space: str | None = None,
    runs: int = 20,
    warmup_runs: int = 5,
    batch_size: int = 4,
    seed: int = 0,
    work_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> DetectorCollectSummary:
    """Measures random detectors of a SpineNet space on a device until the budget is spent (module docstring).

    Args:
        space_name: A SpineNet space (e.g. "spinenet_mbconv").
        device: Where to measure; health-checked first.
        store: Where the measurements go (and what was measured before).
        precision: "fp32" or "int8".
        threads: Interpreter threads.
        budget_min: Wall-clock budget in minutes (the current batch's exports finish after it).
        num_classes: Classes of the detectors' heads.
        scaling_space: The sizes to draw from; default by the topologies' family.
        runs: Timed runs per measurement.
        warmup_runs: Untimed runs before them.
        batch_size: Detectors exported per worker task.
        seed: Seed of every random choice.
        work_dir: Folder of the exported models (default: beside the store).
        progress: Show a progress bar.
        log: Where one-line messages go.

    Raises:
        ValueError: A bad budget, or a space without SpineNet topologies.
        DeviceUnavailableError: The device cannot be used (what was measured before is kept).
    """
    from edgenas.search.workers import WorkerPool  # noqa: PLC0415

    if not budget_min > 0:
        raise ValueError(f"budget_min must be > 0, got {budget_min!r}")
    key = MeasurementKey(device.name, precision, threads)
    settings = ProfileSettings(runtime="litert", threads=threads, runs=runs, warmup=warmup_runs)
    device.check_health()
    start = time.monotonic()
    deadline = start + budget_min * 60.0
    folder = Path(work_dir) if work_dir is not None else store.path.with_name(store.path.stem + "-models")
    measured = {n.spec for n in store.networks(key)}
    log(f"collect {space_name} detectors on {key}: {len(measured)} networks in the store; budget {budget_min:g} min")
    failures: list[str] = []
    done = 0
    from tqdm import tqdm  # noqa: PLC0415

    round_index = 0
    with WorkerPool(tasks_per_worker=2, initializer=_quiet_worker) as pool, tqdm(
        total=round(budget_min * 60), desc="detectors (s of budget)", unit="s", disable=not progress, file=sys.stderr
    ) as bar:  # fmt: skip
        while time.monotonic() < deadline:
            drawn = random_detectors(space_name, count=batch_size, seed=seed * 100_003 + round_index,
                                     scaling_space=scaling_space)  # fmt: skip
            round_index += 1
            batch = [(text, shape) for text, shape in drawn if text not in measured]
            if not batch:
                continue
            paths = pool.run(export_detectors, [t for t, _ in batch], precision, os.fspath(folder),
                             [s for _, s in batch], num_classes)  # fmt: skip
            for (text, shape), path in zip(batch, paths, strict=True):
                measured.add(text)
                if path is None:
                    failures.append(f"{text[:60]}: export failed")
                    continue
                try:
                    result = device.measure(path, settings)
                except DeviceUnavailableError:
                    raise
                except ProfilerError as e:
                    failures.append(f"{text[:60]}: {e}")
                    continue
                network = NetworkMeasurement(space_name, text, shape, num_classes, result.latency_ms)
                store.add_network(key, network, json.dumps(result.to_json()))
                done += 1
            bar.n = min(round(time.monotonic() - start), bar.total)
            bar.set_postfix_str(f"{done} measured")
            bar.refresh()
    total = len(detector_rows(store, key))
    return DetectorCollectSummary(measured=done, total=total, failures=tuple(failures),
                                  elapsed_s=time.monotonic() - start)  # fmt: skip

