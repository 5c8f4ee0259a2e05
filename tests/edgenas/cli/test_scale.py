"""`edgenas scale` end to end on a tiny scaling grid: real exports, the real profiler, a real proxy training."""

from __future__ import annotations

import json

import pytest

from edgenas.cli import main
from edgenas.scaling import ScalingSpace, register_scaling_space, unregister_scaling_space
from edgenas.specs import SpineNetFamily


@pytest.fixture
def tiny_space():
    space = ScalingSpace(name="tiny_mobile_scaling", family=SpineNetFamily.MOBILE, image_size=(128,),
                         endpoints_num_filters=(8, 16), filter_size_scale=(0.3,), resample_alpha=(None,),
                         block_repeats=(1,), head_num_convs=(1,), head_num_filters=(8, 16))  # fmt: skip
    register_scaling_space(space)
    yield space
    unregister_scaling_space(space.name)


@pytest.mark.slow
@pytest.mark.long
def test_scale_finds_the_largest_point_within_a_loose_budget_and_refuses_an_impossible_one(
    tiny_space, tmp_path, capsys
) -> None:
    common = ["scale", "--reference", "spinenet_mobile49xs", "--scaling-space", tiny_space.name,
              "--num-classes", "3", "--profile-runs", "5", "--proxy-steps", "2", "--max-trained", "1"]  # fmt: skip
    assert main([*common, "--target-ms", "10000", "--out", str(tmp_path / "loose")]) == 0
    out = capsys.readouterr().out
    assert "tiny_mobile_scaling: 4 points" in out
    best = json.loads(out.strip().splitlines()[-1])
    # Everything fits a loose budget: the largest point (16 endpoint and 16 head filters) is the only maximal one.
    assert best["best_point"] == "scaling-size128-endpoints16-scale0.3-repeats1-head1x16"
    assert best["latency_ms"] > 0 and 0 <= best["accuracy"] <= 1
    assert (tmp_path / "loose" / "scale_table.txt").read_text().count("scaling-size128") == 1
    measured = [json.loads(x) for x in (tmp_path / "loose" / "scale.jsonl").read_text().splitlines()]
    assert 2 <= sum("latency_ms" in r for r in measured) < 4  # the smallest, then what settles the rest
    # Every measured detector is also in the measurement store, for training a detector predictor.
    from latency_models.detector_train import detector_rows
    from latency_models.measurements import MeasurementKey, MeasurementStore

    with MeasurementStore(tmp_path / "loose" / "measurements.sqlite") as store:
        rows = detector_rows(store, MeasurementKey("local", "fp32", 1))
    assert sorted(n.latency_ms for _, n in rows) == sorted(r["latency_ms"] for r in measured if "latency_ms" in r)
    assert {n.space for _, n in rows} == {tiny_space.name}

    assert main([*common, "--target-ms", "0.001", "--out", str(tmp_path / "loose")]) == 1  # models are cached
    err = capsys.readouterr().err
    assert "no scaling of this topology meets 0.001 ms on local: the fastest measured, " \
           "scaling-size128-endpoints8-scale0.3-repeats1-head1x8, runs in" in err  # fmt: skip


def test_scale_refuses_a_space_of_the_other_family(capsys) -> None:
    assert main(["scale", "--reference", "spinenet49", "--scaling-space", "spinenet_mobile_scaling",
                 "--target-ms", "5"]) == 1  # fmt: skip
    assert "sizes mobile SpineNets, got a resnet spec" in capsys.readouterr().err


@pytest.fixture
def detector_predictor_file(tmp_path, capsys):
    """A detector predictor for `local` fp32, trained by `edgenas predictor train` on a real store whose
    latencies follow a made-up law (0.01 ms per million MACs plus 1 ms), so its predictions are known."""
    from edgenas.collect.detectors import random_detectors
    from latency_models.detector_features import detector_features
    from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
    from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

    result = json.dumps({"runtime": "litert", "runtime_version": "test"})
    with MeasurementStore(tmp_path / "det.sqlite") as store:
        for text, shape in random_detectors("spinenet_mbconv", count=24, seed=5):
            macs = detector_features(SpineNetDetectorSpec.parse(text), input_shape=shape, num_classes=91)[0]
            store.add_network(MeasurementKey("local", "fp32", 1),
                              NetworkMeasurement("spinenet_mbconv", text, shape, 91, 1.0 + 0.01 * macs), result)  # fmt: skip
    path = tmp_path / "det.json"
    assert main(["predictor", "train", "--db", str(tmp_path / "det.sqlite"), "--device", "local",
                 "--out", str(path)]) == 0  # fmt: skip
    assert f"detector predictor {path}: 24 detectors of spinenet_mbconv; model linear" in capsys.readouterr().out
    return path


def test_scale_with_a_predictor_that_rules_out_every_point_measures_nothing(detector_predictor_file, tmp_path,
                                                                              capsys) -> None:  # fmt: skip
    assert main(["scale", "--reference", "spinenet_mobile49", "--target-ms", "2", "--predictor",
                 str(detector_predictor_file), "--out", str(tmp_path / "s")]) == 1  # fmt: skip
    captured = capsys.readouterr()
    assert "512 points, 0 measured on local, 512 pruned by the predictor" in captured.out
    assert "no scaling of this topology meets 2 ms on local: the predictor puts every point over it (the fastest, " \
           "scaling-size256-endpoints24-scale0.6-repeats1-head3x24, at" in captured.err  # fmt: skip
    assert "nothing was measured" in captured.err
    assert not (tmp_path / "s" / "models").exists()


def test_scale_refuses_a_predictor_of_another_setting_or_a_bad_file(detector_predictor_file, tmp_path,
                                                                     capsys) -> None:  # fmt: skip
    common = ["scale", "--reference", "spinenet_mobile49", "--target-ms", "20", "--out", str(tmp_path / "s")]
    assert main([*common, "--precision", "int8", "--predictor", str(detector_predictor_file)]) == 1
    assert "describes local fp32 1 thread(s), not local int8 1 thread(s)" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("[]")
    assert main([*common, "--predictor", str(tmp_path / "bad.json")]) == 1
    assert "--predictor: " in capsys.readouterr().err
    assert main(["scale", "--reference", "spinenet_mobile49", "--target-ms", "20", "--num-classes", "80",
                 "--predictor", str(detector_predictor_file), "--out", str(tmp_path / "s")]) == 1  # fmt: skip
    assert "num_classes [91], not 80" in capsys.readouterr().err


def test_predictor_eval_reads_a_detector_predictor(detector_predictor_file, tmp_path, capsys) -> None:
    db = tmp_path / "det.sqlite"
    assert main(["predictor", "eval", "--model", str(detector_predictor_file), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "det.json" in out and " 24 " in out and "100.0%" in out  # the law is learned: all 24 within 5 %
    assert "pruning bound (worst cross-validated error):" in out
    assert detector_predictor_file.with_suffix(".eval.png").stat().st_size > 0
    assert main(["predictor", "collect", "--space", "mnasnet", "--scaling-space", "spinenet_mobile_scaling",
                 "--budget-min", "1", "--db", str(tmp_path / "x.sqlite")]) == 1  # fmt: skip
    assert "--scaling-space sizes SpineNet detectors; 'mnasnet' is a chain_classifier space" in capsys.readouterr().err
