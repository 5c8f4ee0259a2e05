"""Collecting a predictor's training data on a device, within a time budget.

Two phases, both resumable (every finished measurement is in the
`MeasurementStore` at once, and nothing measured before is measured again):

1. **Layers** (at most `layer_share` of the budget): every distinct layer of
   the space at the input shape, as a single-layer model. They are taken in
   round-robin over layer types (kind, kernel, stride, expansion, SE), so that a
   collection cut short still covers every type.
2. **Networks** (the rest): whole random architectures of the space. The first
   `warmup_networks` are uniform; after that each batch is the one the current
   predictor is least sure about: a bootstrap ensemble of network models is fit
   on what was measured so far, and of a pool of fresh random architectures the
   ones where the ensemble disagrees most are measured next (query by committee).

Models are timing models written from the spec by `edgenas.export.direct`
(the converter's graph in milliseconds, in this process) unless `writer` asks
for the converter; converted models are exported in a recycled worker process
(TensorFlow leaks memory per converted model). Either way they are timed one at
a time on the device, so that a measurement never shares the CPU with an export.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from devices import DeviceBackend, DeviceUnavailableError, ProfilerError, ProfileSettings
from edgenas.collect.budget import BatchClock
from edgenas.collect.interleaved import RepeatedLatency, time_interleaved
from edgenas.export.settings import ModelWriter
from edgenas.specs.enums import coerce_enum

from latency_models.layers import LayerSpec, layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.train import MIN_NETWORKS

__all__ = ["CollectSummary", "collect", "space_layers"]

_SATURATION_SAMPLES = 1000


@dataclasses.dataclass(frozen=True)
class CollectSummary:
    """What a collection did.

    Attributes:
        layers_measured: Layers measured in this call.
        layers_total: Layers in the store for the key afterwards.
        layers_in_space: Distinct layers of the space at this input shape.
        networks_measured: Networks measured in this call.
        networks_total: Networks in the store for the key afterwards.
        failures: One line per model that could not be exported or timed (skipped).
        elapsed_s: Wall time of the call.
        passes: Interleaved passes over each model.
        remeasured: Models of this call timed once more because their passes disagreed.
        spread_median: Median spread between a kept measurement's passes (largest / smallest - 1).
        spread_p95: Its 95th percentile.
    """

    layers_measured: int
    layers_total: int
    layers_in_space: int
    networks_measured: int
    networks_total: int
    failures: tuple[str, ...]
    elapsed_s: float
    passes: int = 1
    remeasured: int = 0
    spread_median: float = 0.0
    spread_p95: float = 0.0


def space_layers(
    space: Any, *, input_shape: tuple[int, int, int], num_classes: int, seed: int = 0
) -> list[LayerSpec]:
    """Every distinct layer of the space's networks, found by sampling until a further
    `_SATURATION_SAMPLES` architectures bring no new one; in round-robin order over layer types
    (kind, kernel, stride, expansion, SE, activation), so that a collection cut short still covers every type."""
    found: dict[LayerSpec, None] = {}
    round_index = 0
    while True:
        before = len(found)
        for spec in space.sample(n=_SATURATION_SAMPLES, seed=seed + round_index):
            found.update(dict.fromkeys(layers_of(spec, input_shape=input_shape, num_classes=num_classes)))
        round_index += 1
        if len(found) == before:
            break
    by_type: dict[tuple[object, ...], list[LayerSpec]] = {}
    for layer in found:
        # The type a predictor's domain checks (activation included: efficientnet_v2 chooses it per stage).
        layer_type = (layer.kind, layer.kernel_size, layer.strides, layer.expand_ratio, layer.se_ratio, layer.activation)
        by_type.setdefault(layer_type, []).append(layer)
    rng = random.Random(seed)
    groups = [by_type[t] for t in sorted(by_type, key=str)]
    for group in groups:
        rng.shuffle(group)
    return [layer for batch in itertools.zip_longest(*groups) for layer in batch if layer is not None]


def _quiet_worker() -> None:
    """Worker initializer: the converters print to the process's stdout/stderr; keep the caller's screen clean."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def _export_layers(
    layers_json: list[dict[str, Any]], precision: str, out_dir: str, direct: bool = False
) -> list[str | None]:
    """Exports single-layer models (in a worker when converted; `direct`: written here); None where one failed."""
    from edgenas.collect.layer_models import export_layer  # noqa: PLC0415

    paths: list[str | None] = []
    for data in layers_json:
        try:
            layer = LayerSpec.from_json(data)
            paths.append(os.fspath(export_layer(layer, precision=precision, out_dir=out_dir, direct=direct)))
        except Exception:  # noqa: BLE001 - reported by the caller as a failure of this layer
            paths.append(None)
    return paths


def _export_networks(
    specs: list[str],
    precision: str,
    out_dir: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    direct: bool = False,
) -> list[str | None]:
    """Exports whole networks to .tflite (in a worker when converted; `direct`: timing models written here, no
    TensorFlow); None where one failed."""
    from edgenas.export import export  # noqa: PLC0415
    from edgenas.specs import ArchSpec  # noqa: PLC0415

    paths: list[str | None] = []
    for text in specs:
        try:
            result = export(ArchSpec.parse(text), out_dir=out_dir, formats="tflite", precision=precision,
                            input_shape=input_shape, num_classes=num_classes, timing_only=direct)  # fmt: skip
            paths.append(os.fspath(result.artifacts[0].path))
        except Exception:  # noqa: BLE001 - reported by the caller
            paths.append(None)
        finally:
            if not direct:
                import keras  # noqa: PLC0415

                keras.backend.clear_session()
    return paths


class _Collector:
    def __init__(
        self,
        *,
        space_name: str,
        space: Any,
        device: DeviceBackend,
        store: MeasurementStore,
        key: MeasurementKey,
        settings: ProfileSettings,
        input_shape: tuple[int, int, int],
        num_classes: int,
        work_dir: Path,
        batch_size: int,
        deadline: float,
        progress: bool,
        direct: bool,
        passes: int,
        tolerance: float,
    ) -> None:
        from edgenas.search.workers import WorkerPool  # noqa: PLC0415

        self.direct = direct
        self.space_name, self.space, self.device, self.store, self.key = space_name, space, device, store, key
        self.settings, self.input_shape, self.num_classes = settings, input_shape, num_classes
        self.work_dir, self.batch_size, self.deadline, self.progress = work_dir, batch_size, deadline, progress
        self.pool = WorkerPool(tasks_per_worker=4, initializer=_quiet_worker)
        self.timer = device.session()  # a local device keeps one profiler up for the whole collection
        self.failures: list[str] = []
        self.passes, self.tolerance = passes, tolerance
        self.spreads: list[float] = []  # of every kept measurement: largest pass / smallest - 1
        self.remeasured = 0
        self.layer_batch_s = 0.0  # the layer phase's longest batch: a network batch takes at least as long

    def layers(self, todo: Sequence[LayerSpec], stop_at: float) -> int:
        from tqdm import tqdm  # noqa: PLC0415

        done = 0
        with tqdm(total=len(todo), desc="layers", unit="layer", disable=not self.progress, file=sys.stderr) as bar:
            clock = BatchClock()
            for start in range(0, len(todo), self.batch_size):
                if not clock.fits(stop_at):
                    break
                batch = todo[start : start + self.batch_size]
                with clock.batch():
                    paths = self._export(_export_layers, [x.to_json() for x in batch], self.key.precision,
                                         os.fspath(self.work_dir / "layers"))  # fmt: skip
                    timed = self._interleaved([x.key() for x in batch], paths, lambda: time.monotonic() < stop_at)
                for layer, result in zip(batch, timed, strict=True):
                    if result is not None:
                        self.store.add_layer(self.key, layer, result.latency_ms, result.result_json())
                        done += 1
                    bar.update(1)
            self.layer_batch_s = clock.longest_s
        return done

    def networks(self, *, warmup: int, pool_size: int, seed: int) -> int:
        from tqdm import tqdm  # noqa: PLC0415

        done = 0
        rng_round = itertools.count()
        measured = {n.spec for n in self.store.networks(self.key)}
        total_s = max(self.deadline - time.monotonic(), 0.0)
        with tqdm(total=round(total_s), desc="networks (s of budget)", unit="s", disable=not self.progress,
                  file=sys.stderr) as bar:  # fmt: skip
            # A network batch times whole architectures, each at least one of the layers a layer batch times,
            # so the layers' longest batch is the first estimate: the time a stopped layer phase leaves over is
            # too short for a network batch, and one started there would overrun the budget.
            clock = BatchClock(at_least_s=self.layer_batch_s)
            while clock.fits(self.deadline):
                round_index = next(rng_round)
                known = self.store.networks(self.key)
                pool = [s for s in self.space.sample(n=pool_size, seed=seed * 100_003 + round_index)
                        if str(s) not in measured]  # fmt: skip
                if not pool:
                    break
                if len(known) < max(warmup, MIN_NETWORKS):  # too few to fit the ensemble on: uniform
                    batch = pool[: self.batch_size]
                else:
                    batch = self._most_uncertain(pool, known, seed=seed + round_index)
                texts = [str(s) for s in batch]
                with clock.batch():
                    paths = self._export(_export_networks, texts, self.key.precision,
                                         os.fspath(self.work_dir / "networks"), self.input_shape, self.num_classes)  # fmt: skip
                    timed = self._interleaved([t[:60] for t in texts], paths,
                                              lambda: time.monotonic() < self.deadline)  # fmt: skip
                for text, result in zip(texts, timed, strict=True):
                    measured.add(text)
                    if result is not None:
                        network = NetworkMeasurement(self.space_name, text, self.input_shape, self.num_classes,
                                                     result.latency_ms)  # fmt: skip
                        self.store.add_network(self.key, network, result.result_json())
                        done += 1
                bar.n = min(round(total_s - max(self.deadline - time.monotonic(), 0.0)), bar.total)
                bar.set_postfix_str(f"{done} measured")
                bar.refresh()
        return done

    def _export(self, export: Callable[..., list[str | None]], *args: Any) -> list[str | None]:
        """Direct writing runs here (milliseconds, no TensorFlow); conversion in the recycled worker."""
        return export(*args, direct=True) if self.direct else self.pool.run(export, *args)

    def _interleaved(
        self, names: list[str], paths: list[str | None], keep_going: Callable[[], bool]
    ) -> list[RepeatedLatency | None]:
        """Times a batch's files in interleaved passes (`time_interleaved`); records the passes' spreads."""
        timed = time_interleaved(lambda i: self._timed(names[i], paths[i]), len(paths), passes=self.passes,
                                 tolerance=self.tolerance, keep_going=keep_going)  # fmt: skip
        for result in timed:
            if result is not None:
                self.spreads.append(result.spread)
                self.remeasured += len(result.passes_ms) > self.passes
        return timed

    def _timed(self, what: str, path: str | None) -> Any:
        if path is None:
            self.failures.append(f"{what}: export failed")
            return None
        try:
            return self.timer.measure(path, self.settings)
        except DeviceUnavailableError:
            raise  # the device is gone: stop, everything so far is stored
        except ProfilerError as e:
            self.failures.append(f"{what}: {e}")
            return None

    def _most_uncertain(self, pool: list[Any], known: list[NetworkMeasurement], *, seed: int) -> list[Any]:
        """The pool's architectures where a bootstrap ensemble of network models disagrees most."""
        from latency_models.predictor import OutOfDomainError  # noqa: PLC0415
        from latency_models.train import fit_predictor  # noqa: PLC0415

        predictor = fit_predictor(self.store, self.key, space=self.space_name, families=("linear",), seed=seed,
                                  select=False)  # fmt: skip
        from edgenas.specs import ArchSpec  # noqa: PLC0415

        x = np.array([predictor.features(ArchSpec.parse(n.spec), input_shape=self.input_shape,
                                         num_classes=self.num_classes) for n in known])  # fmt: skip
        y = np.array([n.latency_ms for n in known])
        inside, candidates = [], []
        for index, spec in enumerate(pool):
            try:
                candidates.append(predictor.features(spec, input_shape=self.input_shape, num_classes=self.num_classes))
            except OutOfDomainError:  # layers beyond anything measured: where the predictor knows least
                continue
            inside.append(index)
        outside = sorted(set(range(len(pool))) - set(inside))
        if len(outside) >= self.batch_size or not candidates:
            return [pool[i] for i in outside[: self.batch_size]] or pool[: self.batch_size]
        from latency_models.regressors import fit_regressor  # noqa: PLC0415

        rng = np.random.default_rng(seed)
        predictions = []
        for _ in range(8):
            rows = rng.integers(0, len(y), size=len(y))
            predictions.append(fit_regressor("linear", x[rows], y[rows], seed=seed).predict(candidates))
        stacked = np.array(predictions)
        spread = stacked.std(axis=0) / np.maximum(np.abs(stacked.mean(axis=0)), 1e-9)
        order = np.argsort(-spread)
        return [pool[i] for i in outside] + [pool[inside[i]] for i in order[: self.batch_size - len(outside)]]


def collect(
    space_name: str,
    *,
    device: DeviceBackend,
    store: MeasurementStore,
    precision: str = "fp32",
    threads: int = 1,
    budget_min: float = 20.0,
    layer_share: float = 0.45,
    input_shape: tuple[int, int, int] = (224, 224, 3),
    num_classes: int = 1000,
    runs: int = 25,
    warmup_runs: int = 10,
    passes: int = 2,
    tolerance: float = 0.05,
    warmup_networks: int = 24,
    pool_size: int = 256,
    batch_size: int = 8,
    seed: int = 0,
    work_dir: str | os.PathLike[str] | None = None,
    writer: str = "direct",
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> CollectSummary:
    """Measures layers and networks of a space on a device for a predictor (see the module docstring).

    Args:
        space_name: A registered space with `ArchSpec` points (e.g. "mnasnet").
        device: Where to measure; health-checked first.
        store: Where the measurements go (and what was measured before).
        precision: "fp32" or "int8".
        threads: Interpreter threads.
        budget_min: Wall-clock budget in minutes: a batch starts only when the longest batch so far would still
            end within it, and a batch the deadline interrupts between passes keeps nothing.
        layer_share: Largest share of the budget spent on layers.
        input_shape: Input shape of the networks.
        num_classes: Classifier outputs of the networks.
        runs: Timed runs per pass over a model.
        warmup_runs: Untimed runs before them.
        passes: Interleaved passes over each batch of models (forward, backward, ...); a model's latency is
            the median of its passes' medians (`edgenas.collect.interleaved`).
        tolerance: A model whose passes differ by more (largest / smallest - 1) gets one more pass.
        warmup_networks: Networks sampled uniformly before sampling turns adaptive.
        pool_size: Random architectures an adaptive round chooses from.
        batch_size: Models exported per worker task.
        seed: Seed of every random choice.
        work_dir: Folder of the exported models (default: beside the store).
        writer: "direct": timing models written from the spec without TensorFlow (`edgenas.export.direct`,
            the converter's graph); "converter": the Keras models through the TFLite converter.
        progress: Show progress bars.
        log: Where one-line messages go.

    Returns:
        What was done.

    Raises:
        DeviceUnavailableError: The device cannot be used (at the start, or it stopped answering; what was
            measured before that is kept).
    """
    from edgenas import spaces  # noqa: PLC0415

    if not budget_min > 0:
        raise ValueError(f"budget_min must be > 0, got {budget_min!r}")
    if not 0 <= layer_share <= 1:
        raise ValueError(f"layer_share must be in [0, 1], got {layer_share!r}")
    model_writer = coerce_enum(ModelWriter, writer, field="writer")
    space = spaces.get(space_name)
    key = MeasurementKey(device.name, precision, threads)
    settings = ProfileSettings(runtime="litert", threads=threads, runs=runs, warmup=warmup_runs)
    device.check_health()
    start = time.monotonic()
    deadline = start + budget_min * 60.0
    folder = Path(work_dir) if work_dir is not None else store.path.with_name(store.path.stem + "-models")
    shape = tuple(int(v) for v in input_shape)
    collector = _Collector(
        space_name=space_name, space=space, device=device, store=store, key=key, settings=settings,
        input_shape=shape, num_classes=num_classes, work_dir=folder, batch_size=batch_size, deadline=deadline,
        progress=progress, direct=model_writer is ModelWriter.DIRECT, passes=passes, tolerance=tolerance,
    )  # fmt: skip
    try:
        all_layers = space_layers(space, input_shape=shape, num_classes=num_classes, seed=seed)  # type: ignore[arg-type]
        measured = store.layer_keys(key)
        todo = [layer for layer in all_layers if layer.key() not in measured]
        log(f"collect {space_name} on {key}: {len(all_layers) - len(todo)} of {len(all_layers)} layers measured "
            f"before, {len(store.networks(key))} networks; budget {budget_min:g} min")  # fmt: skip
        layers_done = collector.layers(todo, start + layer_share * budget_min * 60.0) if todo and layer_share else 0
        networks_done = collector.networks(warmup=warmup_networks, pool_size=pool_size, seed=seed)
    finally:
        collector.pool.close()
        collector.timer.close()
    return CollectSummary(
        layers_measured=layers_done,
        layers_total=len(store.layer_keys(key)),
        layers_in_space=len(all_layers),
        networks_measured=networks_done,
        networks_total=len(store.networks(key)),
        failures=tuple(collector.failures),
        elapsed_s=time.monotonic() - start,
        passes=passes,
        remeasured=collector.remeasured,
        spread_median=float(np.median(collector.spreads)) if collector.spreads else 0.0,
        spread_p95=float(np.quantile(collector.spreads, 0.95)) if collector.spreads else 0.0,
    )
