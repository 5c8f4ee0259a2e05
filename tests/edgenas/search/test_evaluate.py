"""`seeded_task`: the seeds of a candidate's repeated proxy trainings."""

from edgenas.proxy import DetectionProxyTask, ProxyTask
from edgenas.search.evaluate import seeded_task


def test_each_repeat_moves_the_training_seed_and_keeps_the_data():
    task = ProxyTask(seed=5, dataset_seed=9, steps=7)
    assert seeded_task(task, 0) is task
    assert seeded_task(task, 2) == ProxyTask(seed=7, dataset_seed=9, steps=7)
    assert seeded_task(DetectionProxyTask(seed=1), 1) == DetectionProxyTask(seed=2)
