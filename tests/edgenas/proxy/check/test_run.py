"""`check_proxy`: worker processes, the store, resuming after an interruption, failures, the CLI's figures.

The trainings here are a stand-in (`_scores.hashed_score`, run in the real worker
processes); `test_run_long.py` runs real ones.
"""

import csv
import os
import sys

import pytest

from edgenas.cli import main
from edgenas.proxy import ProxyTask
from edgenas.proxy.check import TrainingStore, check_proxy, plan_check, plot_check
from edgenas.proxy.check.table import write_scores

sys.path.insert(0, os.path.dirname(__file__))
import _scores  # noqa: E402  (the stand-in trainer; spawned workers find it through sys.path)

_TINY = ProxyTask(dataset="shapes", steps=3, num_images=60, batch_size=8, image_size=16)


def test_an_interrupted_check_resumes_and_a_finished_one_trains_nothing(tmp_path):
    plan = plan_check("mnasnet", models=3, seeds=2, task=_TINY, long_steps=6, long_seeds=2)
    store = tmp_path / "trainings.sqlite"
    seen = []

    def stop_after_two(arch, task, score):
        seen.append((arch.spec, task.seed, task.steps, score))
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_proxy(plan, store=store, progress=False, on_training=stop_after_two, train_fn=_scores.hashed_score)
    with TrainingStore(store) as trainings:
        assert trainings.count() == 2  # both kept, each written as it ended

    check = check_proxy(plan, store=store, progress=False, train_fn=_scores.hashed_score)
    assert check.trained == len(plan.trainings) - 2 and not check.failures
    assert [s.spec for s in check.scores] == [a.spec for a in plan.architectures]
    first = check.scores[0]
    assert first.proxy_scores[:1] == (seen[0][3],) and 0.0 <= first.long_score <= 1.0
    assert check.stats is not None and check.stats.architectures == 3 and check.stats.seeds == 2
    # Two long seeds: the long score is their mean, and the check reports their spread.
    for arch, scores in zip(plan.architectures, check.scores, strict=True):
        each = tuple(_scores.hashed_score(arch.spec, task)[0] for task in plan.long_tasks)
        assert scores.long_scores == each and scores.long_score == pytest.approx(sum(each) / 2)
    assert check.stats.long_seeds == 2 and check.stats.long_seed_spread > 0
    assert any("median std over 2 long seeds" in line for line in check.stats.lines())

    again = check_proxy(plan, store=store, progress=False, train_fn=_scores.failing_score)  # nothing left to run
    assert again.trained == 0 and again.scores == check.scores

    table = write_scores(again, tmp_path / "scores.csv")
    rows = list(csv.DictReader(table.open()))
    assert [r["spec"] for r in rows] == [a.spec for a in plan.architectures]
    assert float(rows[0]["proxy_seed_0"]) == pytest.approx(first.proxy_scores[0], abs=1e-4)
    assert float(rows[0]["long_seed_1"]) == pytest.approx(first.long_scores[1], abs=1e-4)
    assert plot_check(again, tmp_path / "fidelity.png").stat().st_size > 10_000


def test_the_cli_reports_the_figures_from_a_finished_store(tmp_path, capsys):
    # The trainings come from the store the API filled (the same keys), so the command trains nothing here.
    plan = plan_check("mnasnet", models=3, seeds=2, task=_TINY, long_steps=6)
    out = tmp_path / "check"
    check_proxy(plan, store=out / "trainings.sqlite", progress=False, train_fn=_scores.hashed_score)
    status = main(["proxy", "check", "--space", "mnasnet", "--models", "3", "--seeds", "2", "--long-steps", "6",
                   "--proxy-option", "dataset=shapes", "--proxy-option", "steps=3", "--proxy-option", "num_images=60", "--proxy-option", "batch_size=8",
                   "--proxy-option", "image_size=16", "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "0 trainings now" in printed and "Kendall tau, proxy mean vs long training" in printed
    assert (out / "fidelity.png").is_file() and (out / "scores.csv").is_file()


def test_a_failed_training_leaves_its_architecture_out_and_is_retried_next_time(tmp_path):
    plan = plan_check("mnasnet", models=3, seeds=2, task=_TINY, long_steps=6)
    failing = [a.spec for a in plan.architectures if _scores.FAIL_MARK in a.spec]
    assert len(failing) == 1  # the seeded sample: one of the three fails, two give the figures
    store = tmp_path / "trainings.sqlite"
    check = check_proxy(plan, store=store, progress=False, train_fn=_scores.failing_score)
    assert [f.split(":")[0] for f in check.failures] == failing  # one failure each: its other trainings are skipped
    assert "diverged" in check.failures[0]
    assert {s.spec for s in check.scores} == {a.spec for a in plan.architectures} - set(failing)
    assert check.stats.architectures == len(plan.architectures) - len(failing)
    retried = check_proxy(plan, store=store, progress=False, train_fn=_scores.hashed_score)
    assert retried.trained == 3 * len(failing) and not retried.failures and len(retried.scores) == 3
