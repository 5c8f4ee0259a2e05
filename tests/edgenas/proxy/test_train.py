"""`train_and_evaluate`: real (short) trainings, their results and their failures."""

import math
import pickle

import pytest

import edgenas
from edgenas.proxy import ProxyDatasetError, ProxyResult, ProxyTask, ProxyTrainingError, train_and_evaluate
from edgenas.specs import ArchSpec

# A tiny network: two stages, cheap to build and trace.
_TINY = ArchSpec.parse("relu-stem8-conv_r1_k3_s2_e1_se0_c16-mbconv_r1_k3_s1_e3_se0.25_c16-head32")
_TINY_TASK = dict(dataset="shapes", steps=5, num_images=60, batch_size=8, image_size=16)


def test_tiny_training_reports_every_field():
    task = ProxyTask(**_TINY_TASK)
    result = train_and_evaluate(_TINY, task)
    assert isinstance(result, ProxyResult)
    assert 0.0 <= result.accuracy <= 1.0
    assert result.num_validation == 10 and (result.accuracy * 10).is_integer()  # 1 of each 6 images
    assert math.isfinite(result.train_loss) and result.train_loss > 0
    assert result.steps == 5 and result.params > 0
    assert result.train_s > 0 and result.build_s > 0 and result.eval_s > 0
    assert result.proxy_spec == edgenas.proxy.proxy_spec(_TINY, task)
    assert pickle.loads(pickle.dumps(result)) == result


def test_the_same_task_gives_the_same_result():
    task = ProxyTask(**_TINY_TASK)
    first, second = train_and_evaluate(_TINY, task), train_and_evaluate(_TINY, task)
    assert (first.accuracy, first.train_loss) == (second.accuracy, second.train_loss)


def test_a_bad_folder_fails_before_training(tmp_path):
    (tmp_path / "cats").mkdir()
    with pytest.raises(ProxyDatasetError, match="found 1"):
        train_and_evaluate(_TINY, ProxyTask(dataset=str(tmp_path)))


def test_a_diverging_training_is_an_error():
    task = ProxyTask(**{**_TINY_TASK, "steps": 30, "optimizer": "sgd", "learning_rate": 1e8})
    with pytest.raises(ProxyTrainingError, match="diverged"):
        train_and_evaluate(_TINY, task)


@pytest.mark.slow
@pytest.mark.long
def test_a_short_training_beats_chance_clearly():
    spec = edgenas.spaces.get("mnasnet").reference("mobilenet_v2")
    result = train_and_evaluate(spec, ProxyTask())  # the defaults: 300 steps on the scenes set, ~36 s here
    assert result.accuracy > 0.3  # chance is 0.1; measured 0.445 and 0.452 (seeds 0 and 1)
    assert result.train_loss < math.log(10)  # below the loss of a uniform guess


def test_a_short_training_runs_eagerly_and_learns_what_the_traced_one_learns(monkeypatch):
    # The same 5 steps, eager (the default for a training this short) and traced: the same losses and accuracy.
    import edgenas.proxy._training as training

    task = ProxyTask(**_TINY_TASK)
    assert training.runs_eagerly(task.steps) and not training.runs_eagerly(training.EAGER_MAX_STEPS + 1)
    eager = train_and_evaluate(_TINY, task)
    monkeypatch.setattr(training, "EAGER_MAX_STEPS", 0)
    traced = train_and_evaluate(_TINY, task)
    assert traced.train_loss == pytest.approx(eager.train_loss, rel=1e-4)
    assert traced.accuracy == eager.accuracy
    assert traced.train_s > eager.train_s  # tracing the training step costs seconds; 5 eager steps do not
