"""`edgenas predictor collect | train | eval` with detectors on chain backbones (FPN, NAS-FPN).

The store's latencies follow a made-up law of the detectors' MACs, so no model
is exported here; a real collection is tests/edgenas/collect/test_chain_detectors.py's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgenas.cli import main
from edgenas.collect.detectors import random_detectors
from latency_models.detector_features import detector_features
from latency_models.detector_train import parse_detector
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement

RESULT = json.dumps({"runtime": "litert", "runtime_version": "test"})


def _fill(path: Path, label: str, drawn: list[tuple[str, tuple[int, int, int]]]) -> None:
    with MeasurementStore(path) as store:
        for text, shape in drawn:
            macs = detector_features(parse_detector(text), input_shape=shape, num_classes=91)[0]
            store.add_network(MeasurementKey("local", "fp32", 1),
                              NetworkMeasurement(label, text, shape, 91, 1.0 + 0.01 * macs), RESULT)  # fmt: skip


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Path, Path]:
    """A store of FPN and NAS-FPN detectors, and one of NAS-FPN detectors only."""
    fpn = random_detectors("mnasnet", task="detection", count=12, seed=2, image_sizes=(256, 320))
    nasfpn = random_detectors("nasfpn", count=12, seed=2, image_sizes=(256, 384))
    _fill(tmp_path / "both.sqlite", "mnasnet:detection", fpn)
    _fill(tmp_path / "both.sqlite", "nasfpn", nasfpn)
    _fill(tmp_path / "nasfpn.sqlite", "nasfpn", random_detectors("nasfpn", count=4, seed=9, image_sizes=(256,)))
    return tmp_path / "both.sqlite", tmp_path / "nasfpn.sqlite"


def test_train_picks_the_family_of_the_space_and_eval_refuses_another(stores, tmp_path: Path, capsys) -> None:
    both, nasfpn_only = stores
    common = ["predictor", "train", "--db", str(both), "--device", "local"]
    assert main([*common, "--out", str(tmp_path / "x.json")]) == 1
    assert "holds networks of several families (chain_detector, nasfpn_detector); pick a space with --space" in (
        capsys.readouterr().err
    )
    assert main([*common, "--task", "detection", "--out", str(tmp_path / "x.json")]) == 1
    assert "--task picks the task of --space's networks; name the space too" in capsys.readouterr().err
    fpn_file = tmp_path / "fpn.json"
    assert main([*common, "--space", "mnasnet", "--task", "detection", "--out", str(fpn_file)]) == 0
    assert f"detector predictor {fpn_file}: 12 detectors of mnasnet:detection; model linear" in capsys.readouterr().out
    nasfpn_file = tmp_path / "nasfpn.json"
    assert main([*common, "--space", "nasfpn", "--out", str(nasfpn_file)]) == 0
    assert f"detector predictor {nasfpn_file}: 12 detectors of nasfpn; model linear" in capsys.readouterr().out

    assert main(["predictor", "eval", "--model", str(nasfpn_file), "--db", str(nasfpn_only)]) == 0
    out = capsys.readouterr().out
    assert "nasfpn.json" in out and " 4 " in out and "100.0%" in out  # the law is learned
    assert main(["predictor", "eval", "--model", str(fpn_file), "--db", str(nasfpn_only)]) == 1
    assert capsys.readouterr().err == (
        f"edgenas: error: {nasfpn_only} holds 0 chain_detector networks measured on local (fp32, 1 thread(s)) "
        "(besides 4 of nasfpn_detector, which it does not serve); the predictor was trained on chain_detector "
        "networks and an evaluation needs at least 2\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--space", "mnasnet", "--image-sizes", "256"], "--image-sizes is for detector spaces; 'mnasnet' is a "
                                                         "chain_classifier space"),
        (["--space", "mnasnet", "--max-detectors", "3"], "--max-detectors is for detector spaces"),
        (["--space", "nasfpn", "--scaling-space", "spinenet_scaling"], "a scaling space sizes SpineNet detectors; "
                                                                      "'nasfpn' yields nasfpn_detector networks"),
        (["--space", "nasfpn", "--input-size", "384"], "--input-size sets chain networks' input; SpineNet detectors "
                                                       "take their scaling point's size (--scaling-space), detectors "
                                                       "on chain backbones --image-sizes (e.g. 256,320)"),
        (["--space", "nasfpn", "--image-sizes", "256,320"], "height 320 is not a multiple of 128"),
        (["--space", "nasfpn", "--task", "classification"], "space 'nasfpn' has no 'classification' form"),
        (["--space", "mnasnet", "--task", "segmentation"], "no latency predictor serves chain_segmenter networks yet "
                                                           "(space 'mnasnet' for segmentation); search them with "
                                                           "measured latency"),
    ],
)
def test_collect_refuses_options_that_do_not_suit_the_space(argv, message, tmp_path: Path, capsys) -> None:
    db = tmp_path / "never.sqlite"
    assert main(["predictor", "collect", *argv, "--budget-min", "1", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("edgenas: error: ") and message in err
    assert not (tmp_path / "never-models").exists()
    assert not db.exists()  # refused before the store was created


def test_image_sizes_are_checked_as_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["predictor", "collect", "--space", "nasfpn", "--image-sizes", "256,big", "--budget-min", "1",
              "--db", "x.sqlite"])  # fmt: skip
    assert exit_info.value.code == 2
    assert "argument --image-sizes: expected comma-separated positive input sides (e.g. 256,320), got '256,big'" in (
        capsys.readouterr().err
    )
