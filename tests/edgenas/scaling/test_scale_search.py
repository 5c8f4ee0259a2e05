"""Tests of edgenas/scaling/scale_search.py: the bisection over the grid against brute force, resuming, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgenas.errors import EdgenasError
from edgenas.scaling import SPINENET_MOBILE_SCALING, SPINENET_SCALING, ScaledDetector
from edgenas.scaling.scale_search import scale
from edgenas.search.rewards import make_reward
from edgenas.specs import spinenet_reference

MOBILE = spinenet_reference("spinenet_mobile49")


def _latency_ms(d: ScaledDetector) -> float:
    """A made-up latency, increasing in every scaling field."""
    spec, head = d.spec, d.head
    return (d.input_shape[0] / 256) ** 2 * (spec.filter_size_scale * 4 + spec.endpoints_num_filters / 24
                                            + 1.5 * spec.block_repeats + head.head_num_convs * head.head_num_filters / 48)  # fmt: skip


def _accuracy(d: ScaledDetector) -> float:
    return 0.3 + 0.05 * d.spec.filter_size_scale + 0.001 * d.head.head_num_filters


class _Counting:
    def __init__(self) -> None:
        self.measured: list[ScaledDetector] = []
        self.trained: list[ScaledDetector] = []

    def measure(self, d: ScaledDetector) -> tuple[float, str]:
        self.measured.append(d)
        return _latency_ms(d), f"/models/{len(self.measured)}.tflite"

    def train(self, d: ScaledDetector) -> float:
        self.trained.append(d)
        return _accuracy(d)


def test_scaling_settles_every_point_with_few_measurements_and_matches_brute_force(tmp_path: Path) -> None:
    counting = _Counting()
    reward = make_reward("mnasnet-hard", target_ms=9.0)
    result = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=counting.measure,
                   train=counting.train, reward=reward, out_dir=tmp_path, max_trained=100, progress=False)  # fmt: skip
    detectors = SPINENET_MOBILE_SCALING.detectors(MOBILE)
    truth = [_latency_ms(d) <= 9.0 for d in detectors]
    assert [o.within_budget for o in result.outcomes] == truth  # every point settled, and rightly
    assert 0 < sum(truth) < len(truth)
    assert result.measured == len(counting.measured) < len(detectors) / 4  # 512 points, far fewer measured
    implied = [o for o in result.outcomes if o.latency_ms is None]
    assert implied and all(o.implied_by is not None for o in implied)
    # The best trained point is the brute-force best over all feasible points (accuracy grows with size).
    brute = max((d for d, ok in zip(detectors, truth) if ok), key=_accuracy)
    assert result.best is not None and result.best.accuracy == pytest.approx(_accuracy(brute))
    assert all(_latency_ms(d) <= 9.0 for d in counting.trained)
    assert {o.point for o in result.maximal_feasible} == {o.point for o in result.outcomes if o.accuracy is not None}

    # A rerun resumes from the log: nothing is measured or trained again.
    again = _Counting()
    resumed = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=again.measure, train=again.train,
                    reward=reward, out_dir=tmp_path, max_trained=100, progress=False)  # fmt: skip
    assert again.measured == [] and again.trained == [] and resumed.best == result.best
    # Another budget is another run: the log's records of this one are not reused for it.
    other = _Counting()
    scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=5.0, measure=other.measure, train=other.train,
          reward=reward, out_dir=tmp_path, max_trained=1, progress=False)  # fmt: skip
    assert other.measured
    lines = (tmp_path / "scale.jsonl").read_text().splitlines()
    assert len(lines) == len(counting.measured) + len(counting.trained) + len(other.measured) + len(other.trained)
    assert all(json.loads(line)["version"] == 1 for line in lines)


def test_an_interrupted_log_line_is_measured_again(tmp_path: Path) -> None:
    first = _Counting()
    reward = make_reward("mnasnet-hard", target_ms=9.0)
    scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=first.measure, train=first.train,
          reward=reward, out_dir=tmp_path, max_trained=1, progress=False)  # fmt: skip
    log = tmp_path / "scale.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])  # killed while writing the 4th record
    again = _Counting()
    scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=again.measure, train=again.train,
          reward=reward, out_dir=tmp_path, max_trained=1, progress=False)  # fmt: skip
    assert 0 < len(again.measured) < len(first.measured)  # the first 3 were kept
    log.write_text("garbage\n" + "\n".join(lines))
    with pytest.raises(EdgenasError, match="scale.jsonl:1: not a scaling log line"):
        scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=again.measure, train=again.train,
              reward=reward, out_dir=tmp_path, progress=False)  # fmt: skip


def test_a_budget_no_point_meets_gives_no_best_and_bad_input_is_refused(tmp_path: Path) -> None:
    counting = _Counting()
    reward = make_reward("mnasnet-hard", target_ms=0.1)
    result = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=0.1, measure=counting.measure,
                   train=counting.train, reward=reward, out_dir=tmp_path, progress=False)  # fmt: skip
    assert result.best is None and not any(o.within_budget for o in result.outcomes)
    assert len(counting.measured) == 1 and counting.trained == []  # the smallest point over budget settles all
    with pytest.raises(EdgenasError, match="sizes resnet SpineNets, got a mobile spec"):
        scale(MOBILE, space=SPINENET_SCALING, target_ms=5.0, measure=counting.measure, train=counting.train,
              reward=reward, out_dir=tmp_path, progress=False)  # fmt: skip
    with pytest.raises(EdgenasError, match="target_ms must be positive"):
        scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=0, measure=counting.measure, train=counting.train,
              reward=reward, out_dir=tmp_path, progress=False)  # fmt: skip


def _predict_ms(error: float):
    """A stand-in predictor: the made-up latency, off by `error` relatively, alternating in sign."""
    return lambda detectors: [_latency_ms(d) * (1 + error * (-1) ** i) for i, d in enumerate(detectors)]


def test_a_predictor_prunes_points_before_measuring_and_changes_no_outcome(tmp_path: Path) -> None:
    reward = make_reward("mnasnet-hard", target_ms=9.0)
    plain, pruning = _Counting(), _Counting()
    base = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=plain.measure, train=plain.train,
                 reward=reward, out_dir=tmp_path / "plain", max_trained=100, progress=False)  # fmt: skip
    result = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=pruning.measure,
                   train=pruning.train, reward=reward, out_dir=tmp_path / "pruned", max_trained=100,
                   predict_ms=_predict_ms(0.1), error_bound=0.1, progress=False)  # fmt: skip
    assert [o.within_budget for o in result.outcomes] == [o.within_budget for o in base.outcomes]
    assert result.best is not None and base.best is not None and result.best.point == base.best.point
    assert 0 < result.pruned and result.measured < base.measured
    # Pruned points were never measured, and each is over the budget even at the bound.
    pruned = [o for o in result.outcomes if o.pruned]
    assert len(pruned) == result.pruned
    assert all(o.latency_ms is None and o.predicted_ms / 1.1 > 9.0 for o in pruned)
    assert not {str(d) for d in pruning.measured} & {str(o.point) for o in pruned}


def test_a_measurement_overrules_a_wrong_prediction(tmp_path: Path) -> None:
    """A predictor 3x too slow on the 24-filter heads prunes feasible points; a larger point measured within
    the budget puts those below it back within the budget."""
    counting = _Counting()
    reward = make_reward("mnasnet-hard", target_ms=9.0)

    def wrong(detectors):
        return [_latency_ms(d) * (3.0 if d.head.head_num_filters == 24 else 1.0) for d in detectors]

    result = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=counting.measure,
                   train=counting.train, reward=reward, out_dir=tmp_path, max_trained=100,
                   predict_ms=wrong, error_bound=0.1, progress=False)  # fmt: skip
    detectors = SPINENET_MOBILE_SCALING.detectors(MOBILE)
    for outcome, detector in zip(result.outcomes, detectors, strict=True):
        if outcome.within_budget:
            assert _latency_ms(detector) <= 9.0  # never wrongly within the budget
    overruled = [o for o in result.outcomes if o.within_budget and o.predicted_ms / 1.1 > 9.0]
    assert overruled and all(not o.pruned and o.latency_ms is None for o in overruled)


def test_a_predictor_that_prunes_everything_measures_nothing(tmp_path: Path) -> None:
    counting = _Counting()
    reward = make_reward("mnasnet-hard", target_ms=1.0)
    result = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=1.0, measure=counting.measure,
                   train=counting.train, reward=reward, out_dir=tmp_path, predict_ms=_predict_ms(0.0),
                   error_bound=0.05, progress=False)  # fmt: skip
    assert result.best is None and result.measured == 0 and not counting.measured
    assert result.pruned == len(result.outcomes) == 512
    with pytest.raises(EdgenasError, match="returned 1 latencies for 512 points"):
        scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=1.0, measure=counting.measure, train=counting.train,
              reward=reward, out_dir=tmp_path, predict_ms=lambda ds: [1.0], progress=False)  # fmt: skip
    with pytest.raises(EdgenasError, match="error_bound must be >= 0"):
        scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=1.0, measure=counting.measure, train=counting.train,
              reward=reward, out_dir=tmp_path, predict_ms=_predict_ms(0.0), error_bound=-0.1, progress=False)  # fmt: skip


def test_max_trained_zero_settles_every_point_and_trains_none(tmp_path: Path) -> None:
    counting = _Counting()
    reward = make_reward("mnasnet-hard", target_ms=9.0)
    result = scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=counting.measure,
                   train=counting.train, reward=reward, out_dir=tmp_path, max_trained=0, progress=False)  # fmt: skip
    assert all(o.within_budget is not None for o in result.outcomes) and result.maximal_feasible
    assert counting.trained == [] and result.best is None
    with pytest.raises(EdgenasError, match="max_trained must be at least 0, got -1"):
        scale(MOBILE, space=SPINENET_MOBILE_SCALING, target_ms=9.0, measure=counting.measure, train=counting.train,
              reward=reward, out_dir=tmp_path, max_trained=-1, progress=False)  # fmt: skip
