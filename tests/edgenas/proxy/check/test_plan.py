"""`plan_check`: the architectures and tasks of a check, and every bad input refused before training."""

import pytest

from edgenas import spaces
from edgenas.errors import UnknownNameError
from edgenas.proxy import DetectionProxyTask, ProxyConfigError, ProxyTask
from edgenas.proxy.check import plan_check


def test_references_come_first_then_distinct_random_points():
    plan = plan_check("mnasnet", models=5, seeds=3)
    references = spaces.get("mnasnet").reference_names()
    assert [a.reference for a in plan.architectures[: len(references)]] == list(references)
    assert all(not a.reference for a in plan.architectures[len(references):])
    assert len({a.spec for a in plan.architectures}) == 5
    assert [t.seed for t in plan.proxy_tasks] == [0, 1, 2]
    assert plan.long_task.steps == 6 * plan.proxy_tasks[0].steps and plan.long_task.width_multiplier == 1.0
    assert len(plan.trainings) == 5 * 4
    assert plan_check("mnasnet", models=5, seeds=3) == plan  # seeded


def test_the_task_and_the_long_training_can_be_set():
    plan = plan_check("mnasnet", models=3, seeds=2, task=ProxyTask(steps=40, seed=7), long_steps=90, long_width=None)
    assert [t.seed for t in plan.proxy_tasks] == [7, 8]
    assert (plan.long_task.steps, plan.long_task.width_multiplier, plan.long_task.seed) == (90, 0.5, 7)


def test_several_long_seeds_train_the_long_task_once_per_seed():
    plan = plan_check("mnasnet", models=3, seeds=2, task=ProxyTask(steps=40, seed=7), long_steps=90, long_seeds=3)
    assert [t.seed for t in plan.long_tasks] == [7, 8, 9] and plan.long_task == plan.long_tasks[0]
    assert {t.steps for t in plan.long_tasks} == {90}
    assert len(plan.trainings) == 3 * (2 + 3)
    assert len(plan_check("mnasnet", models=3, seeds=2).long_tasks) == 1  # one by default


def test_the_long_training_can_differ_from_the_proxy_in_other_fields():
    plan = plan_check("mnasnet", models=3, seeds=2, task=ProxyTask(steps=40), long_steps=90,
                      long_options={"learning_rate": 0.002}, long_seeds=2)  # fmt: skip
    assert [t.learning_rate for t in plan.long_tasks] == [0.002, 0.002]
    assert {t.learning_rate for t in plan.proxy_tasks} == {ProxyTask().learning_rate}
    assert [t.seed for t in plan.long_tasks] == [0, 1] and plan.long_task.steps == 90


def test_a_detection_space_plans_on_its_detection_task():
    plan = plan_check("spinenet", models=3, seeds=2)
    assert isinstance(plan.long_task, DetectionProxyTask)
    assert plan.long_task.steps == 6 * DetectionProxyTask().steps


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"models": 1}, "models must be between 3"),
        ({"models": "20"}, "models must be an integer"),
        ({"seeds": 1}, "seeds must be between 2"),
        ({"long_seeds": 0}, "long_seeds must be between 1"),
        ({"long_seeds": 2.0}, "long_seeds must be an integer"),
        ({"long_steps": 300}, r"long training \(300 steps\) must be longer than the proxy's \(300 steps\)"),
        ({"long_steps": 50}, "must be longer"),
        ({"long_width": -1.0}, "width_multiplier"),
        ({"task": DetectionProxyTask()}, "not a DetectionProxyTask"),
        ({"long_options": {"learning_rat": 0.1}}, "takes no 'learning_rat' long option"),
        ({"long_options": {"steps": 900}}, "long training's steps is set by long_steps"),
        ({"long_options": {"seed": 3}}, "seed is set by long_seeds"),
        ({"long_options": {"learning_rate": -1.0}}, "learning_rate"),
    ],
)
def test_bad_input_is_one_clear_error(options, message):
    with pytest.raises(ProxyConfigError, match=message):
        plan_check("mnasnet", **options)


def test_an_unknown_space_is_refused():
    with pytest.raises(UnknownNameError, match="no_such_space"):
        plan_check("no_such_space")
