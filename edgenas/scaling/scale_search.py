"""`scale`: the scaling of a SpineNet topology that maximises the reward within a latency budget.

A scaling space is a grid (`ScalingSpace`) whose every field makes a detector
slower as it grows: a larger image, more filters, a wider resampling, more
blocks per node, more or wider head convolutions. So latency is monotone in
the grid's partial order (a point `p <= q` field by field is at most as slow
as `q`), and one measurement settles many points:

- a point measured within the budget puts every point below it within the
  budget too;
- a point measured over the budget puts every point above it over the budget.

Points are measured in the order that settles the most: first the smallest
point (over the budget, it settles every point: no scaling can meet the
budget), then each time the unsettled point that splits the unsettled rest
most evenly between "below it" and "above it" (a bisection of the partial
order), so the feasible region's frontier is found after a few dozen
measurements instead of one per point.

Accuracy follows the premise of compound scaling: a larger detector is at
least as accurate. So only the maximal feasible points (within the budget and
below no other feasible point) can win; each is trained on the detection proxy
task (`edgenas.proxy.train_and_evaluate_detection`, with its own head and block
repeats, at the proxy's fixed image size: the proxy does not see the image
size's effect on accuracy), and the reward picks the best. Every measurement
and training goes to a JSON-lines log in the output folder at once; a rerun
with the same topology, space, device and settings resumes from it.

With a latency predictor (`predict_ms`, e.g. a
`latency_models.DetectorLatencyPredictor` for the device), points that cannot
meet the budget are pruned before anything is measured: a point is pruned when
even the least latency its prediction allows, `predicted / (1 + error_bound)`,
is over the budget. A measurement always wins over a prediction: a point
pruned but below a point measured within the budget is within the budget.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgenas.errors import EdgenasError
from edgenas.scaling.scaling_point import POINT_FIELDS, ScaledDetector, ScalingPoint
from edgenas.scaling.scaling_space import ScalingSpace
from edgenas.specs.spinenet_arch import SpineNetSpec

__all__ = ["ScaleResult", "ScaledOutcome", "scale"]

_LOG_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ScaledOutcome:
    """What is known of one scaling point.

    Attributes:
        point: The point.
        latency_ms: Measured median latency, or None when not measured.
        within_budget: True / False when settled (measured or implied), None when not settled.
        implied_by: The measured point that settled it without a measurement, or None.
        accuracy: Proxy AP@0.5 when trained, else None.
        reward: The reward when trained, else None.
        model_path: The measured detector file, or None.
        predicted_ms: The predictor's latency when a predictor was given, else None.
        pruned: Settled over the budget by the prediction alone.
    """

    point: ScalingPoint
    latency_ms: float | None = None
    within_budget: bool | None = None
    implied_by: ScalingPoint | None = None
    accuracy: float | None = None
    reward: float | None = None
    model_path: str | None = None
    predicted_ms: float | None = None
    pruned: bool = False


@dataclasses.dataclass(frozen=True)
class ScaleResult:
    """The outcome of `scale`.

    Attributes:
        outcomes: Every point of the space, in the space's order.
        best: The trained maximal feasible point of highest reward (None when no point meets the budget).
        measured: Points whose latency was measured (this run and resumed ones).
        log_path: The JSON-lines log.
        pruned: Points settled over the budget by the predictor alone.
    """

    outcomes: tuple[ScaledOutcome, ...]
    best: ScaledOutcome | None
    measured: int
    log_path: Path
    pruned: int = 0

    @property
    def maximal_feasible(self) -> tuple[ScaledOutcome, ...]:
        """The points within the budget that are below no other point within the budget."""
        feasible = [o for o in self.outcomes if o.within_budget]
        return tuple(o for o in feasible if not any(_below(o.point, f.point) for f in feasible if f is not o))


def _vector(point: ScalingPoint) -> tuple[float, ...]:
    return tuple(float(-1 if getattr(point, f) is None else getattr(point, f)) for f in POINT_FIELDS)


def _below(a: ScalingPoint, b: ScalingPoint) -> bool:
    """Whether `a <= b` in every field and `a != b`."""
    va, vb = _vector(a), _vector(b)
    return va != vb and all(x <= y for x, y in zip(va, vb, strict=True))


def _run_key(arch: SpineNetSpec, space: ScalingSpace, target_ms: float, settings: dict[str, Any]) -> str:
    text = json.dumps({"arch": str(arch), "space": space.name, "target_ms": target_ms, **settings}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _read_log(path: Path, run_key: str) -> dict[str, dict[str, Any]]:
    """Per point: the last record of each kind ("latency", "accuracy") of this run."""
    found: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return found
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                continue  # a last line cut short by an interruption: that point is measured again
            raise EdgenasError(f"{path}:{number}: not a scaling log line") from None
        if record.get("version") != _LOG_VERSION or record.get("run") != run_key:
            continue
        found.setdefault(record["point"], {}).update(record)
    return found


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps({"version": _LOG_VERSION, **record}, sort_keys=True) + "\n")
        log.flush()
        os.fsync(log.fileno())


def scale(
    arch: SpineNetSpec,
    *,
    space: ScalingSpace,
    target_ms: float,
    measure: Callable[[ScaledDetector], tuple[float, str]],
    train: Callable[[ScaledDetector], float],
    reward: Any,
    out_dir: str | os.PathLike[str],
    settings_key: dict[str, Any] | None = None,
    max_trained: int = 4,
    predict_ms: Callable[[Sequence[ScaledDetector]], Sequence[float]] | None = None,
    error_bound: float = 0.0,
    progress: bool = True,
) -> ScaleResult:
    """Finds the scaling of `arch` that maximises `reward` among points within `target_ms`.

    Args:
        arch: The topology to size (its blocks are kept; its sizes are replaced by each point's).
        space: The scaling grid (of `arch`'s family).
        target_ms: The latency budget.
        measure: Exports and times a detector; returns (median latency in ms, model path).
        train: Trains a detector on the proxy task; returns its accuracy (AP@0.5).
        reward: A reward object (`edgenas.rewards`), called with accuracy and latency_ms.
        out_dir: Folder of the JSON-lines log (`scale.jsonl`).
        settings_key: What else decides the measurements (device, precision, threads, classes,
            proxy task): a rerun resumes only records written under equal settings.
        max_trained: Most maximal feasible points to train, the slowest (closest to the budget) first;
            0 settles every point and trains none (no best).
        predict_ms: Predicted latencies (ms) of detectors, one per detector; points it puts over the
            budget even at `error_bound` are not measured (see the module docstring).
        error_bound: The predictor's worst relative error (0.1: 10 %), >= 0.
        progress: Show progress on stderr.

    Returns:
        Every point's outcome and the best.

    Raises:
        EdgenasError: If the space does not suit `arch`, or the budget is not positive.
        SpecError: If a point does not suit `arch` (before anything is measured).
    """
    if not target_ms > 0:
        raise EdgenasError(f"target_ms must be positive, got {target_ms!r}")
    if max_trained < 0:
        raise EdgenasError(f"max_trained must be at least 0, got {max_trained}")
    if not error_bound >= 0:
        raise EdgenasError(f"error_bound must be >= 0, got {error_bound!r}")
    try:
        detectors = space.detectors(arch)  # every point is validated here, before anything is built
    except Exception as error:
        raise EdgenasError(f"cannot scale with {space.name!r}: {error}") from None
    points = space.points()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "scale.jsonl"
    run_key = _run_key(arch, space, target_ms, dict(settings_key or {}))
    known = _read_log(log_path, run_key)

    vectors = np.array([_vector(p) for p in points])
    leq = np.all(vectors[:, None, :] <= vectors[None, :, :], axis=-1)  # leq[i, j]: point i <= point j
    status = np.full(len(points), -1)  # -1 unsettled, 0 over, 1 within
    implied: dict[int, int] = {}
    latency: dict[int, float] = {}
    paths: dict[int, str] = {}
    index_of = {str(p): i for i, p in enumerate(points)}

    predicted: np.ndarray | None = None
    pruned: set[int] = set()
    if predict_ms is not None:
        predicted = np.asarray(predict_ms(detectors), dtype=float)
        if predicted.shape != (len(points),):
            raise EdgenasError(f"predict_ms returned {predicted.shape[0] if predicted.ndim else 0} latencies "
                               f"for {len(points)} points")  # fmt: skip
        pruned = set(np.flatnonzero(predicted / (1.0 + error_bound) > target_ms).tolist())
        status[list(pruned)] = 0

    def settle(i: int, ms: float) -> None:
        latency[i] = ms
        within = ms <= target_ms
        group = np.flatnonzero(leq[:, i] if within else leq[i, :])  # below a fast point / above a slow one
        for j in group:
            if status[j] == -1 or (within and j in pruned):  # a measurement overrules a prediction
                pruned.discard(j)
                status[j] = int(within)
                if j != i:
                    implied[j] = i
        pruned.discard(i)
        status[i] = int(within)

    for text, record in known.items():
        if text in index_of and "latency_ms" in record:
            paths[index_of[text]] = record.get("model_path", "")
            settle(index_of[text], float(record["latency_ms"]))
    from tqdm import tqdm  # noqa: PLC0415

    with tqdm(total=len(points), initial=int(np.sum(status >= 0)), desc=f"scale {space.name}", unit="point",
              file=sys.stderr, disable=not progress) as bar:  # fmt: skip
        while np.any(status == -1):
            open_ = status == -1
            below = (leq & open_[:, None]).sum(axis=0)  # unsettled points below each point (itself included)
            above = (leq & open_[None, :]).sum(axis=1)
            # Most points settled whatever the outcome; among equals, most settled in the better case.
            split = np.where(open_, np.minimum(below, above) * (len(points) + 1) + np.maximum(below, above), -1)
            # The smallest open point first: over the budget, it settles the whole grid at once.
            i = int(np.argmin(np.where(open_, vectors.sum(axis=1), np.inf))) if not latency else int(np.argmax(split))
            ms, path = measure(detectors[i])
            paths[i] = path
            _append(log_path, {"run": run_key, "point": str(points[i]), "latency_ms": ms, "model_path": path})
            settled_before = int(np.sum(status >= 0))
            settle(i, ms)
            bar.update(int(np.sum(status >= 0)) - settled_before)
            bar.set_postfix_str(f"{len(latency)} measured, last {ms:.2f} ms")

    feasible = [i for i in range(len(points)) if status[i] == 1]
    maximal = [i for i in feasible if not any(leq[i, j] and i != j for j in feasible)]
    maximal.sort(key=lambda i: -latency[i])  # every maximal feasible point was measured
    accuracy: dict[int, float] = {}
    rewards: dict[int, float] = {}
    for i in maximal[:max_trained]:
        record = known.get(str(points[i]), {})
        acc = float(record["accuracy"]) if "accuracy" in record else train(detectors[i])
        if "accuracy" not in record:
            _append(log_path, {"run": run_key, "point": str(points[i]), "accuracy": acc})
        accuracy[i] = acc
        rewards[i] = float(reward(accuracy=acc, latency_ms=latency[i]))
    outcomes = tuple(
        ScaledOutcome(
            point=p,
            latency_ms=latency.get(i),
            within_budget=None if status[i] == -1 else bool(status[i]),
            implied_by=points[implied[i]] if i in implied and i not in latency else None,
            accuracy=accuracy.get(i),
            reward=rewards.get(i),
            model_path=paths.get(i),
            predicted_ms=None if predicted is None else float(predicted[i]),
            pruned=i in pruned,
        )
        for i, p in enumerate(points)
    )
    best_index = max(rewards, key=lambda i: rewards[i], default=None)
    return ScaleResult(
        outcomes=outcomes,
        best=None if best_index is None else outcomes[best_index],
        measured=len(latency),
        log_path=log_path,
        pruned=len(pruned),
    )
