import os
import sys

import pytest

from edgenas.search.workers import WorkerCrashedError, WorkerPool

sys.path.insert(0, os.path.dirname(__file__))
import _worker_tasks as tasks  # noqa: E402


def test_workers_are_recycled_after_n_tasks():
    with WorkerPool(tasks_per_worker=2) as pool:
        results = [pool.run(tasks.pid_and_counter) for _ in range(5)]
    pids = [pid for pid, _ in results]
    assert os.getpid() not in pids
    assert [count for _, count in results] == [1, 2, 1, 2, 1]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


def test_task_exceptions_propagate_and_the_worker_survives():
    with WorkerPool(tasks_per_worker=3) as pool:
        with pytest.raises(ValueError, match="bad candidate"):
            pool.run(tasks.raise_value_error, "bad candidate")
        first, second = pool.run(tasks.pid_and_counter), pool.run(tasks.pid_and_counter)
        assert first[0] == second[0] and (first[1], second[1]) == (1, 2)  # same worker, third task


def test_a_dead_worker_is_reported_and_replaced():
    with WorkerPool(tasks_per_worker=3) as pool:
        with pytest.raises(WorkerCrashedError, match="died while running die"):
            pool.run(tasks.die)
        pid, count = pool.run(tasks.pid_and_counter)
        assert count == 1 and pid != os.getpid()


def test_timeout_kills_the_worker():
    with WorkerPool(tasks_per_worker=3) as pool:
        with pytest.raises(TimeoutError, match="did not finish within 1 s"):
            pool.run(tasks.sleep_forever, timeout_s=1)
        assert pool.run(tasks.pid_and_counter)[1] == 1


def test_bad_argument():
    with pytest.raises(ValueError, match="at least 1"):
        WorkerPool(tasks_per_worker=0)
