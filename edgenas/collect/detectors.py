"""Collecting a detector predictor's training data: random detectors timed on a device.

From a SpineNet space (`spinenet`, `spinenet_v2`, `spinenet_mbconv`) each
detector is a random topology sized by a random point of a scaling space
(`spinenet_mobile_scaling` for mobile topologies, `spinenet_scaling` for
ResNet-style ones), so the data spans both what a search samples and what
`edgenas scale` sizes. From a detection space on chain backbones (`nasfpn`,
or `mnasnet` / `efficientnet_v2` with `task="detection"`) each detector is a
random point at one of `image_sizes` (`edgenas.collect.chain_detectors`).
As in `collect`, models are exported in a recycled worker process and timed
one at a time (timing models: written from the spec where the family has a
direct writer, `edgenas.export.direct`, else converted), every measurement is stored at once (keyed by the spec string,
its `space` column `chain_detectors.space_label`), and a rerun measures only
detectors not measured before.
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
from typing import Any

from devices import DeviceBackend, DeviceUnavailableError, ProfilerError, ProfileSettings
from edgenas.errors import EdgenasError
from edgenas.export.settings import ModelWriter
from edgenas.specs.enums import coerce_enum

from edgenas.collect.budget import BatchClock
from edgenas.collect.chain_detectors import detection_space, random_chain_detectors, space_label
from edgenas.collect.layerwise import _quiet_worker
from latency_models.detector_train import detector_rows
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement

__all__ = ["DetectorCollectError", "DetectorCollectSummary", "collect_detectors", "export_detectors", "random_detectors"]


class DetectorCollectError(EdgenasError, ValueError):
    """A detector collection's space or options do not suit each other (the message names what would work)."""


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
    texts: Sequence[str],
    precision: str,
    out_dir: str,
    input_shapes: Sequence[tuple[int, int, int]],
    num_classes: int,
    *,
    direct: bool = True,
) -> list[str | None]:
    """Worker task: exports detector spec strings (of any family: `parse_spec`) to timing .tflite files, each at
    its input shape; None where one failed. `direct`: written from the spec where the family has a direct
    writer (TensorFlow is then not imported), else converted."""
    from edgenas.export import export  # noqa: PLC0415
    from edgenas.families import parse_spec  # noqa: PLC0415

    paths: list[str | None] = []
    for text, shape in zip(texts, input_shapes, strict=True):
        try:
            result = export(parse_spec(text), out_dir=out_dir, formats="tflite", precision=precision,
                            input_shape=tuple(shape), num_classes=num_classes, timing_only=direct)  # fmt: skip
            paths.append(os.fspath(result.artifacts[0].path))
        except Exception:  # noqa: BLE001 - reported by the caller
            paths.append(None)
        finally:
            keras = sys.modules.get("keras")  # loaded by a converter export only
            if keras is not None:
                keras.backend.clear_session()
    return paths


def random_detectors(
    space_name: str,
    *,
    count: int,
    seed: int,
    scaling_space: str | None = None,
    task: str | None = None,
    image_sizes: Sequence[int] | None = None,
) -> list[tuple[str, tuple[int, int, int]]]:
    """`count` random detectors (spec string, input shape) of a space (module docstring).

    A SpineNet space's detectors are random topologies sized by random scaling
    points; a detection space's are random points at drawn `image_sizes`
    (`random_chain_detectors`).

    Args:
        space_name: A SpineNet space, or a space whose points (for `task`) are whole detectors.
        count: How many.
        seed: Seed of the topologies, points and sizes.
        scaling_space: SpineNet: the sizes to draw from; default by the topologies' family.
        task: The space's task (default: its own); "detection" makes "mnasnet" a space of FPN detectors.
        image_sizes: Detection spaces: square input sides, one drawn per detector (default: the family's).

    Raises:
        DetectorCollectError: The space holds neither SpineNet topologies nor detectors, or an option of the
            other kind of space is given (the message says which).
        SpecError: An input side the detectors cannot take.
        UnknownNameError: No such space, or its networks serve no such task.
    """
    from edgenas.specs import SpineNetSpec  # noqa: PLC0415

    space, family = detection_space(space_name, task=task)
    if not issubclass(space.spec_type, SpineNetSpec):
        from edgenas.families import PredictorKind  # noqa: PLC0415

        if family.predictor_kind is not PredictorKind.WHOLE_NETWORK:
            raise DetectorCollectError(
                f"space {space_name!r} does not hold SpineNet topologies or detectors (its points are "
                f"{family.name} networks); detectors need a SpineNet space (e.g. 'spinenet_mbconv'), a detection "
                "space ('nasfpn') or a chain space for task 'detection' (--task detection)"
            )
        if scaling_space is not None:
            raise DetectorCollectError(f"a scaling space sizes SpineNet detectors; {space_name!r} yields {family.name} "
                                       "networks: give their input sides (image_sizes, --image-sizes) "
                                       "instead")  # fmt: skip
        return random_chain_detectors(space_name, count=count, seed=seed, task=task, image_sizes=image_sizes)
    if image_sizes is not None:
        raise DetectorCollectError(f"SpineNet detectors ({space_name!r}) take their scaling point's input size; pick the sizes "
                                   "with a scaling space (scaling_space, --scaling-space) instead of "
                                   "image_sizes")  # fmt: skip
    return _random_spinenet_detectors(space, count=count, seed=seed, scaling_space=scaling_space)


def _random_spinenet_detectors(
    space: Any, *, count: int, seed: int, scaling_space: str | None
) -> list[tuple[str, tuple[int, int, int]]]:
    """`random_detectors` of a SpineNet space: random topologies sized by random scaling points."""
    from edgenas.errors import SpecError  # noqa: PLC0415
    from edgenas.scaling import get_scaling_space  # noqa: PLC0415
    from edgenas.specs import SpineNetFamily  # noqa: PLC0415
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec  # noqa: PLC0415

    rng = random.Random(seed)
    topologies = space.sample(n=max(count, 1) * 2, seed=seed)
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
    task: str | None = None,
    image_sizes: Sequence[int] | None = None,
    max_detectors: int | None = None,
    runs: int = 20,
    warmup_runs: int = 5,
    batch_size: int = 4,
    seed: int = 0,
    writer: ModelWriter | str = ModelWriter.DIRECT,
    work_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> DetectorCollectSummary:
    """Measures random detectors of a space on a device until the budget is spent (module docstring).

    Args:
        space_name: A SpineNet space (e.g. "spinenet_mbconv") or a detection space ("nasfpn"; "mnasnet" with
            `task="detection"`).
        device: Where to measure; health-checked first.
        store: Where the measurements go (and what was measured before).
        precision: "fp32" or "int8".
        threads: Interpreter threads.
        budget_min: Wall-clock budget in minutes: a batch starts only when the longest batch so far would still
            end within it.
        num_classes: Classes of the detectors' heads.
        scaling_space: SpineNet: the sizes to draw from; default by the topologies' family.
        task: The space's task (default: its own).
        image_sizes: Detection spaces: square input sides, one drawn per detector (default: the family's).
        max_detectors: Stop once this many are measured in this call (default: only the budget stops).
        runs: Timed runs per measurement.
        warmup_runs: Untimed runs before them.
        batch_size: Detectors exported per worker task.
        seed: Seed of every random choice.
        writer: What writes the timing models: "direct" (from the spec, where the family has a writer; else the
            converter, with a one-line notice) or "converter".
        work_dir: Folder of the exported models (default: beside the store).
        progress: Show a progress bar.
        log: Where one-line messages go.

    Raises:
        ValueError: A bad budget or detector cap.
        DetectorCollectError: A space without SpineNet topologies or detectors, or an option of the other
            kind of space (a `ValueError` too).
        SpecError: An input side the detectors cannot take.
        UnknownNameError: No such space, or its networks serve no such task.
        DeviceUnavailableError: The device cannot be used (what was measured before is kept).
    """
    from edgenas.search.workers import WorkerPool  # noqa: PLC0415

    if not budget_min > 0:
        raise ValueError(f"budget_min must be > 0, got {budget_min!r}")
    if max_detectors is not None and (isinstance(max_detectors, bool) or not isinstance(max_detectors, int)
                                      or max_detectors < 1):  # fmt: skip
        raise ValueError(f"max_detectors must be an integer >= 1 or None, got {max_detectors!r}")

    def draw(count: int, round_seed: int) -> list[tuple[str, tuple[int, int, int]]]:
        return random_detectors(space_name, count=count, seed=round_seed, scaling_space=scaling_space, task=task,
                                image_sizes=image_sizes)  # fmt: skip

    direct = coerce_enum(ModelWriter, writer, field="writer") is ModelWriter.DIRECT
    draw(1, seed)  # a bad space, option or size fails here, before the device or a worker is touched
    label = space_label(space_name, task=task)
    key = MeasurementKey(device.name, precision, threads)
    settings = ProfileSettings(runtime="litert", threads=threads, runs=runs, warmup=warmup_runs)
    device.check_health()
    start = time.monotonic()
    deadline = start + budget_min * 60.0
    folder = Path(work_dir) if work_dir is not None else store.path.with_name(store.path.stem + "-models")
    measured = {(n.spec, n.input_shape) for n in store.networks(key)}
    log(f"collect {label} detectors on {key}: {len(measured)} networks in the store; budget {budget_min:g} min")
    failures: list[str] = []
    done = 0
    from tqdm import tqdm  # noqa: PLC0415

    round_index = 0
    with WorkerPool(tasks_per_worker=2, initializer=_quiet_worker) as pool, tqdm(
        total=round(budget_min * 60), desc="detectors (s of budget)", unit="s", disable=not progress, file=sys.stderr
    ) as bar:  # fmt: skip
        clock = BatchClock()
        while clock.fits(deadline) and (max_detectors is None or done < max_detectors):
            drawn = draw(batch_size, seed * 100_003 + round_index)
            round_index += 1
            batch = [(text, shape) for text, shape in drawn if (text, shape) not in measured]
            if max_detectors is not None:
                batch = batch[: max_detectors - done]
            if not batch:
                continue
            with clock.batch():
                paths = pool.run(export_detectors, [t for t, _ in batch], precision, os.fspath(folder),
                                 [s for _, s in batch], num_classes, direct=direct)  # fmt: skip
                for (text, shape), path in zip(batch, paths, strict=True):
                    measured.add((text, shape))
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
                    network = NetworkMeasurement(label, text, shape, num_classes, result.latency_ms)
                    store.add_network(key, network, json.dumps(result.to_json()))
                    done += 1
            bar.n = min(round(time.monotonic() - start), bar.total)
            bar.set_postfix_str(f"{done} measured")
            bar.refresh()
    total = len(detector_rows(store, key))
    return DetectorCollectSummary(measured=done, total=total, failures=tuple(failures),
                                  elapsed_s=time.monotonic() - start)  # fmt: skip

