"""`check_proxy` with real (tiny) trainings in worker processes (long form; `test_run.py` covers the rest)."""

import pytest

from edgenas.proxy import ProxyTask
from edgenas.proxy.check import check_proxy, plan_check, plot_check

pytestmark = [pytest.mark.slow, pytest.mark.long]

_TINY = ProxyTask(dataset="shapes", steps=3, num_images=60, batch_size=8, image_size=16)


def test_real_trainings_fill_the_store_and_give_the_figures(tmp_path):
    plan = plan_check("mnasnet", models=3, seeds=2, task=_TINY, long_steps=6)
    check = check_proxy(plan, store=tmp_path / "trainings.sqlite", progress=False)
    assert check.trained == 9 and not check.failures, check.failures
    assert all(0.0 <= s.long_score <= 1.0 and s.proxy_s > 0 and s.long_s > 0 for s in check.scores)
    assert check.stats is not None and check.stats.architectures == 3
    assert plot_check(check, tmp_path / "fidelity.png").stat().st_size > 10_000
    again = check_proxy(plan, store=tmp_path / "trainings.sqlite", progress=False)
    assert again.trained == 0 and again.scores == check.scores
