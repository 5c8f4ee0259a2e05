"""The search loop end to end: real proxy training, real export, real profiling, real SQLite."""

import json
from pathlib import Path

import pytest

import edgenas
from devices import DeviceUnavailableError, LocalDevice
from edgenas.errors import EdgenasError
from edgenas.proxy import DetectionProxyTask, ProxyTask
from edgenas.proxy.segmentation_task import SegmentationProxyTask
from edgenas.search.rewards import make_reward
from edgenas.specs import SpineNetSpec
from edgenas.store import StudyMismatchError, TrialStatus, TrialStore

_TINY_TASK = dict(dataset="shapes", steps=3, image_size=32, num_images=96, batch_size=16)
_POPULATION_2 = {"population_size": 2, "tournament_size": 2}


def _run(tmp_path, trials, *, resume=False, **overrides):
    options = dict(
        reward=make_reward("mnasnet-soft", target_ms=2.0),
        trials=trials,
        db=tmp_path / "study.sqlite",
        algorithm="evolution",
        accuracy=ProxyTask(**_TINY_TASK),
        seed=3,
        resume=resume,
        input_shape=(64, 64, 3),
        num_classes=10,
        profile_runs=5,
        tasks_per_worker=2,
        progress=False,
    )
    space = overrides.pop("space", None) or edgenas.spaces.get("mnasnet")
    options.update(overrides)
    return edgenas.run_search(space, **options)


def _description(path):
    from ai_edge_litert import schema_py_generated as schema  # noqa: PLC0415

    return schema.Model.GetRootAsModel(path.read_bytes(), 0).Description().decode()


@pytest.mark.slow
def test_search_records_trials_and_resumes_without_repeating(tmp_path):
    first = _run(tmp_path, 2, algorithm_options=_POPULATION_2)
    assert [t.index for t in first.trials] == [0, 1]
    assert all(t.status is TrialStatus.DONE for t in first.trials)
    for trial in first.trials:
        assert 0.0 <= trial.accuracy <= 1.0
        assert trial.latency.latency_ms > 0 and trial.reward > 0
        assert trial.artifacts[0].path.is_file()
        assert edgenas.ArchSpec.parse(trial.spec)
        # A candidate is only timed: its model is written from the spec (edgenas.export.direct), not converted.
        assert _description(trial.artifacts[0].path) == "edgenas direct"
    with pytest.raises(EdgenasError, match="--resume"):
        _run(tmp_path, 3, algorithm_options=_POPULATION_2)
    with pytest.raises(StudyMismatchError, match="algorithm"):  # another population proposes other trials
        _run(tmp_path, 3, resume=True, algorithm_options={"population_size": 3})
    resumed = _run(tmp_path, 3, resume=True, algorithm_options=_POPULATION_2)
    assert [t.index for t in resumed.trials] == [0, 1, 2]
    # Finished trials are kept as they were, not evaluated again.
    assert resumed.trials[:2] == first.trials
    assert resumed.best().reward == max(t.reward for t in resumed.done)
    # With a population of 2 the third trial is a mutated copy of one of the first two:
    # a decision or two away from it, where two random points differ in most of the 42.
    assert len({t.spec for t in resumed.trials}) == 3  # a child that renders to a tried spec costs no trial
    child = resumed.trials[2].dna
    assert min(sum(a != b for a, b in zip(child, t.dna, strict=True)) for t in first.trials) <= 2
    assert sum(a != b for a, b in zip(first.trials[0].dna, first.trials[1].dna, strict=True)) > 10


@pytest.mark.long  # its fast twin, on a stand-in pool: test_proxy_seeds.py
def test_a_candidate_trained_over_several_seeds_scores_their_mean_and_stores_each(tmp_path):
    result = _run(tmp_path, 1, proxy_seeds=2)
    (trial,) = result.trials
    assert len(trial.proxy_scores) == 2 and all(0.0 <= s <= 1.0 for s in trial.proxy_scores)
    assert trial.accuracy == pytest.approx(sum(trial.proxy_scores) / 2)
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.study("default").proxy_seeds == 2
    with pytest.raises(StudyMismatchError, match="proxy_seeds: stored 2, given 1"):  # one seed's scores are others
        _run(tmp_path, 2, resume=True)
    assert _run(tmp_path, 1, resume=True, proxy_seeds=2).trials == result.trials


_TINY_DETECTION = dict(steps=4, num_train=32, num_val=16, batch_size=8)


@pytest.mark.slow
@pytest.mark.long
def test_a_spinenet_search_trains_detectors_and_times_their_export(tmp_path):
    """spinenet_mbconv end to end: a candidate trains as a RetinaNet detector (AP@0.5 on generated boxes), is
    exported as a two-output detector and timed (resuming is the classification search's code, tested above)."""
    space = edgenas.spaces.get("spinenet_mbconv")
    reward = make_reward("mnasnet-soft", target_ms=20.0)
    result = _run(tmp_path, 1, space=space, accuracy=DetectionProxyTask(**_TINY_DETECTION), input_shape=(128, 128, 3),
                  num_classes=3, algorithm="random", reward=reward)  # fmt: skip
    (trial,) = result.trials
    assert trial.status is TrialStatus.DONE, trial.error
    assert space.contains(SpineNetSpec.parse(trial.spec))
    assert 0.0 <= trial.accuracy <= 1.0 and trial.latency.latency_ms > 0  # AP@0.5 is ~0 after 4 steps
    assert trial.reward == pytest.approx(reward(accuracy=trial.accuracy, latency_ms=trial.latency_ms))
    assert trial.timings.proxy_train_s > 0
    from ai_edge_litert.interpreter import Interpreter

    outputs = Interpreter(model_path=str(trial.artifacts[0].path)).get_output_details()
    anchors = 9 * (16 * 16 + 8 * 8 + 4 * 4 + 2 * 2 + 1)  # levels 3-7 of a 128x128 image, 9 anchors each
    assert [(o["name"], tuple(o["shape"])) for o in outputs] == [("class_outputs", (1, anchors, 3)),
                                                                 ("box_outputs", (1, anchors, 4))]  # fmt: skip


@pytest.mark.slow
@pytest.mark.long
def test_a_detection_search_on_a_chain_space_trains_detectors_and_records_its_task(tmp_path):
    """mnasnet --task detection end to end: each candidate is its backbone + FPN + RetinaNet head, trained on the
    detection proxy (AP@0.5), exported with two outputs and timed; the study records the task, so resuming it
    as the classification space is refused."""
    from edgenas.specs.chain_detector import ChainDetectorSpec

    space = edgenas.spaces.get("mnasnet", task="detection")
    reward = make_reward("mnasnet-soft", target_ms=20.0)
    result = _run(tmp_path, 1, space=space, accuracy=DetectionProxyTask(**_TINY_DETECTION), input_shape=(128, 128, 3),
                  num_classes=3, algorithm="random", reward=reward)  # fmt: skip
    (trial,) = result.trials
    assert trial.status is TrialStatus.DONE, trial.error
    assert space.contains(ChainDetectorSpec.parse(trial.spec))
    assert 0.0 <= trial.accuracy <= 1.0 and trial.latency.latency_ms > 0
    from ai_edge_litert.interpreter import Interpreter

    outputs = Interpreter(model_path=str(trial.artifacts[0].path)).get_output_details()
    anchors = 9 * (16 * 16 + 8 * 8 + 4 * 4 + 2 * 2 + 1)
    assert [(o["name"], tuple(o["shape"])) for o in outputs] == [("class_outputs", (1, anchors, 3)),
                                                                 ("box_outputs", (1, anchors, 4))]  # fmt: skip
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert json.loads(store.study("default").space_options) == {"task": "detection"}
    with pytest.raises(StudyMismatchError, match="space_options"):
        _run(tmp_path, 2, resume=True, algorithm="random", reward=reward)


_TINY_SEGMENTATION = dict(steps=3, num_train=16, num_val=8, batch_size=8, num_classes=2, max_object_px=48)


@pytest.mark.slow
@pytest.mark.long
def test_a_segmentation_search_on_a_chain_space_trains_segmenters_and_records_its_task(tmp_path):
    """mnasnet --task segmentation end to end: each candidate is its backbone + the level 3-5 decoder, trained on the
    segmentation proxy (mIoU), exported through Keras with one named output at stride 8 and timed; the study
    records the task."""
    from edgenas.specs.segmenter import ChainSegmenterSpec

    space = edgenas.spaces.get("mnasnet", task="segmentation")
    reward = make_reward("mnasnet-soft", target_ms=20.0)
    result = _run(tmp_path, 1, space=space, accuracy=SegmentationProxyTask(image_size=64, **_TINY_SEGMENTATION),
                  input_shape=(128, 128, 3), num_classes=2, algorithm="random", reward=reward)  # fmt: skip
    (trial,) = result.trials
    assert trial.status is TrialStatus.DONE, trial.error
    assert space.contains(ChainSegmenterSpec.parse(trial.spec))
    assert 0.0 <= trial.accuracy <= 1.0 and trial.latency.latency_ms > 0
    assert trial.reward == pytest.approx(reward(accuracy=trial.accuracy, latency_ms=trial.latency_ms))
    assert _description(trial.artifacts[0].path) != "edgenas direct"  # no direct writer: converted from Keras
    from ai_edge_litert.interpreter import Interpreter

    outputs = Interpreter(model_path=str(trial.artifacts[0].path)).get_output_details()
    assert [(o["name"], tuple(o["shape"])) for o in outputs] == [("segmentation_logits", (1, 16, 16, 3))]
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert json.loads(store.study("default").space_options) == {"task": "segmentation"}
    from edgenas.report import front_table

    assert front_table(result.trials).splitlines()[0].split()[1] == "mIoU"


def test_a_segmentation_space_trains_on_the_segmentation_proxy_only(tmp_path):
    with pytest.raises(EdgenasError, match="yields ChainSegmenterSpec points, which train on a SegmentationProxyTask, "
                                           "not a DetectionProxyTask"):  # fmt: skip
        _run(tmp_path, 1, space=edgenas.spaces.get("mnasnet", task="segmentation"), accuracy=DetectionProxyTask())
    with pytest.raises(EdgenasError, match=r"input shape \[96, 96, 3\] does not fit space 'spinenet_mbconv'"):
        _run(tmp_path, 1, space=edgenas.spaces.get("spinenet_mbconv", task="segmentation"),
             accuracy=SegmentationProxyTask(), input_shape=(96, 96, 3))  # fmt: skip
    assert not (tmp_path / "study.sqlite").exists()


def test_bad_input_is_rejected_before_any_trial(tmp_path):
    with pytest.raises(ValueError, match="target_ms must be a positive"):
        make_reward("mnasnet-soft", target_ms=0)
    with pytest.raises(EdgenasError, match="unknown"):
        _run(tmp_path, 1, algorithm="annealing")
    with pytest.raises(EdgenasError, match=r"the pareto reward needs a multi-objective algorithm \(motpe, nsga2, "
                                           r"surrogate_evolution\), not 'evolution'"):  # fmt: skip
        _run(tmp_path, 1, reward=make_reward("pareto", target_ms=2.0))
    with pytest.raises(EdgenasError, match=r"algorithm 'evolution' takes options \['population_size', 'tournament_size'\]"):
        _run(tmp_path, 1, algorithm_options={"populaton_size": 4})
    with pytest.raises(EdgenasError, match="yields SpineNetSpec points, which train on a DetectionProxyTask, not a "
                                           "ProxyTask"):  # fmt: skip
        _run(tmp_path, 1, space=edgenas.spaces.get("spinenet_mbconv"))
    with pytest.raises(EdgenasError, match=r"input shape \[224, 224, 3\] does not fit space 'spinenet_mbconv'"):
        _run(tmp_path, 1, space=edgenas.spaces.get("spinenet_mbconv"), accuracy=DetectionProxyTask(),
             input_shape=(224, 224, 3))  # fmt: skip
    with pytest.raises(EdgenasError, match="which train on a ProxyTask, not a DetectionProxyTask"):
        _run(tmp_path, 1, accuracy=DetectionProxyTask())
    with pytest.raises(EdgenasError, match="yields ChainDetectorSpec points, which train on a DetectionProxyTask"):
        _run(tmp_path, 1, space=edgenas.spaces.get("mnasnet", task="detection"))
    with pytest.raises(EdgenasError, match=r"input shape \[100, 100, 3\] does not fit space 'mnasnet'"):
        _run(tmp_path, 1, space=edgenas.spaces.get("mnasnet", task="detection"), accuracy=DetectionProxyTask(),
             input_shape=(100, 100, 3))  # fmt: skip
    with pytest.raises(EdgenasError, match="unknown latency source 'predicted'"):
        _run(tmp_path, 1, latency="predicted")
    with pytest.raises(DeviceUnavailableError, match="board-7: the profiler self-check did not run"):
        _run(tmp_path, 1, latency=LocalDevice("board-7", python=tmp_path / "no-python"))
    with pytest.raises(EdgenasError, match="trials must be a positive integer"):
        _run(tmp_path, 0)
    for seeds in (0, 11, True, 2.0):
        with pytest.raises(EdgenasError, match="proxy_seeds must be an integer from 1 to 10"):
            _run(tmp_path, 1, proxy_seeds=seeds)
    (tmp_path / "one_class" / "cats").mkdir(parents=True)
    with pytest.raises(EdgenasError, match="needs at least 2 class sub-folders, found 1"):
        _run(tmp_path, 1, accuracy=ProxyTask(dataset=str(tmp_path / "one_class")))
    assert not (tmp_path / "study.sqlite").exists() or not TrialStore(tmp_path / "study.sqlite").studies()


def test_a_store_written_for_another_space_is_refused(tmp_path):
    from edgenas.search.loop import space_fingerprint
    from edgenas.store import Study

    other = edgenas.spaces.get("mnasnet", reference="mnasnet_a1")
    with TrialStore(tmp_path / "study.sqlite") as store:
        store.create_or_open_study(
            Study(
                name="default", space="mnasnet", space_options="{}",
                space_fingerprint=space_fingerprint(other), reward=json.dumps(make_reward("mnasnet-soft", target_ms=2.0).to_json()),
                algorithm="evolution", seed=3, device="local:litert:1t:fp32",
            ),
            resume=False,
        )
    with pytest.raises(StudyMismatchError, match="space_fingerprint"):
        _run(tmp_path, 1, resume=True)


class _CountingDevice(LocalDevice):
    """This machine under another name, counting its measurements."""

    def __init__(self) -> None:
        super().__init__("bench-board")
        self.measured = []

    def measure(self, model_path, settings, *, timeout_s=600.0):
        self.measured.append((model_path, settings))
        return super().measure(model_path, settings, timeout_s=timeout_s)

    def session(self):
        from devices import DeviceBackend  # noqa: PLC0415

        return DeviceBackend.session(self)  # one `measure` per model, so that they are counted


@pytest.mark.slow
def test_latency_comes_from_the_given_device(tmp_path):
    device = _CountingDevice()
    result = _run(tmp_path, 1, latency=device, threads=2, profile_runs=6)
    (trial,) = result.done
    ((path, settings),) = device.measured
    assert Path(path) == trial.artifacts[0].path
    assert (settings.runtime, settings.threads, settings.runs) == ("litert", 2, 6)
    assert (trial.latency.threads, trial.latency.runs) == (2, 6)
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.studies()[0].device == "bench-board:litert:2t:fp32"


@pytest.mark.slow
@pytest.mark.long
def test_a_search_times_its_candidates_on_a_device_farm(tmp_path):
    from devices.farm import Farm, FarmServer, FarmService  # noqa: PLC0415
    from devices.farm.inventory import parse_inventory  # noqa: PLC0415

    inventory = parse_inventory({"devices": [{"name": "cpu-1", "backend": "local", "tags": ["x86"]}]})
    service = FarmService(inventory, state_dir=tmp_path / "farm")
    with FarmServer(service, token="search-token") as server, Farm(server.url, tag="x86", token="search-token") as farm:
        result = _run(tmp_path, 2, latency=farm)
        status = farm.status()
    assert len(result.done) == 2
    for trial in result.done:
        assert trial.latency.artifact_sha256 == trial.artifacts[0].sha256
        assert Path(trial.latency.model_path) == trial.artifacts[0].path.resolve()
    distinct = len({t.artifacts[0].sha256 for t in result.done})
    assert status["devices"][0]["jobs_done"] == distinct
    with TrialStore(tmp_path / "study.sqlite") as store:
        assert store.studies()[0].device == "farm:x86:litert:1t:fp32"
