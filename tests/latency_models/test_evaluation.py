"""Tests of latency_models/evaluation.py: error shares, Kendall's tau, the table and the plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from latency_models.evaluation import format_evaluations, kendall_tau, metrics, plot_evaluation


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kendall_tau_matches_scipy_with_and_without_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=80)
    b = a + rng.normal(scale=0.5, size=80)
    assert kendall_tau(a, b) == pytest.approx(scipy.stats.kendalltau(a, b).statistic, abs=1e-12)
    tied_a, tied_b = np.round(a), np.round(b * 2) / 2
    assert kendall_tau(tied_a, tied_b) == pytest.approx(scipy.stats.kendalltau(tied_a, tied_b).statistic, abs=1e-12)
    assert kendall_tau(a, a) == pytest.approx(1.0) and kendall_tau(a, -a) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="equal length"):
        kendall_tau(a, b[:-1])


def test_metrics_count_shares_within_5_and_10_percent() -> None:
    measured = np.array([10.0, 10.0, 10.0, 10.0, 20.0])
    predicted = np.array([10.4, 10.6, 11.2, 9.0, 20.0])  # errors 4 %, 6 %, 12 %, 10 %, 0 %
    e = metrics(predicted, measured, name="board")
    assert (e.count, e.within_5_pct, e.within_10_pct) == (5, 0.4, 0.8)
    assert e.rmse_ms == pytest.approx(np.sqrt(np.mean((predicted - measured) ** 2)))
    assert e.mape_pct == pytest.approx(6.4)
    table = format_evaluations([e])
    assert "board" in table and "40.0%" in table and "80.0%" in table


def test_the_plot_is_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    measured = rng.uniform(3, 12, size=50)
    e = metrics(measured * rng.normal(1, 0.03, size=50), measured, name="board")
    path = plot_evaluation(e, tmp_path / "plots" / "board.png", title="board fp32")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
