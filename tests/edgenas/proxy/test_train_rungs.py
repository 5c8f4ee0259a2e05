"""`train_and_evaluate` with rungs: scores along the way, the same end, and a gate that stops it."""

import pytest

from edgenas.proxy import ProxyConfigError, ProxyTask, train_and_evaluate
from edgenas.specs import ArchSpec
from edgenas.store import Rung

_TINY = ArchSpec.parse("relu-stem8-conv_r1_k3_s2_e1_se0_c16-mbconv_r1_k3_s1_e3_se0.25_c16-head32")
_TASK = ProxyTask(dataset="shapes", steps=6, num_images=60, batch_size=8, image_size=16)


def test_a_training_through_every_rung_ends_as_one_without_rungs():
    plain = train_and_evaluate(_TINY, _TASK)
    asked: list[tuple[int, float]] = []
    ranged = train_and_evaluate(_TINY, _TASK, rung_steps=(2, 4), gate=lambda k, s: asked.append((k, s)) or True)
    assert (ranged.accuracy, ranged.train_loss, ranged.steps) == (plain.accuracy, plain.train_loss, 6)
    assert [r.steps for r in ranged.rungs] == [2, 4, 6] and ranged.rungs[-1].score == plain.accuracy
    assert asked == [(0, ranged.rungs[0].score), (1, ranged.rungs[1].score)]  # the last rung is not gated
    assert not ranged.stopped_early and plain.rungs == () and not plain.stopped_early
    assert all(isinstance(r, Rung) and (r.score * 10).is_integer() for r in ranged.rungs)  # of 10 held-out images


def test_a_gate_that_says_no_stops_the_training_at_that_rung_with_its_score():
    full = train_and_evaluate(_TINY, _TASK, rung_steps=(2, 4))
    stopped = train_and_evaluate(_TINY, _TASK, rung_steps=(2, 4), gate=lambda k, s: k < 1)
    assert stopped.stopped_early and stopped.steps == 4
    assert stopped.rungs == full.rungs[:2] and stopped.accuracy == full.rungs[1].score


@pytest.mark.parametrize("rungs", [(0, 3), (3, 2), (2, 2), (6,), (2.0,), (True,)])
def test_rungs_that_do_not_ascend_below_the_task_steps_are_refused_before_training(rungs):
    with pytest.raises(ProxyConfigError, match="rung steps"):
        train_and_evaluate(_TINY, _TASK, rung_steps=rungs)


def test_a_traced_training_through_every_rung_ends_as_one_without_rungs():
    task = ProxyTask(dataset="shapes", steps=12, num_images=60, batch_size=8, image_size=16)  # > EAGER_MAX_STEPS
    plain = train_and_evaluate(_TINY, task)
    ranged = train_and_evaluate(_TINY, task, rung_steps=(4, 8), gate=lambda k, s: True)
    assert (ranged.accuracy, ranged.train_loss) == (plain.accuracy, plain.train_loss)
    assert [r.steps for r in ranged.rungs] == [4, 8, 12]
