"""`edgenas predictor survey`: a predictor's view of a whole space, from a real predictor file, with its plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import edgenas
from edgenas.cli import main
from latency_models.layers import layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.train import fit_predictor

RESULT = json.dumps({"runtime": "litert", "runtime_version": "test"})


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A predictor file of mnasnet at 224 (every layer 0.02 ms, a network 1.1 x its layers)."""
    folder = tmp_path_factory.mktemp("survey")
    key = MeasurementKey("board", "fp32", 1)
    specs = edgenas.spaces.get("mnasnet").sample(n=200, seed=3)
    with MeasurementStore(folder / "law.sqlite") as store:
        for layer in {x for s in specs for x in layers_of(s)}:
            store.add_layer(key, layer, 0.02, RESULT)
        for spec in specs[:40]:
            store.add_network(key, NetworkMeasurement("mnasnet", str(spec), (224, 224, 3), 1000,
                                                      1.1 * 0.02 * len(layers_of(spec))), RESULT)  # fmt: skip
        return fit_predictor(store, key, families=("linear",), select=False).save(folder / "board.json")


def test_survey_prints_the_range_and_the_share_within_the_target_and_plots_them(model: Path, tmp_path: Path,
                                                                                capsys) -> None:  # fmt: skip
    plot = tmp_path / "survey.png"
    assert main(["predictor", "survey", "--model", str(model), "--target-ms", "0.6", "--points", "5000",
                 "--plot", str(plot)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "predicted latency of 5,000 random points of mnasnet in " in out
    assert "of them are predicted within the target 0.6 ms" in out
    fastest = edgenas.ArchSpec.parse(out.split("fastest by summed layers: ")[1].split()[0])
    assert edgenas.spaces.get("mnasnet").contains(fastest)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target-ms", "-1"], "argument --target-ms: must be a positive finite number, got '-1'"),
        (["--points", "20000000"], "more than 10,000,000"),
        (["--space", "spinenet"], "cannot be compiled for the points of 'spinenet'"),
        (["--input-size", "160"], "trained at input shape(s) [[224, 224, 3]], not [160, 160, 3]"),
        (["--space", "no-such-space"], "no-such-space"),
    ],
)
def test_survey_refuses_bad_input_with_what_is_wrong(model: Path, extra, message, tmp_path: Path, capsys) -> None:
    try:
        code = main(["predictor", "survey", "--model", str(model), "--plot", str(tmp_path / "p.png"), *extra])
    except SystemExit as usage_error:  # argparse's usage errors exit with 2
        code = usage_error.code
    assert code in (1, 2)
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


def test_survey_refuses_a_file_that_is_not_a_layerwise_predictor(tmp_path: Path, capsys) -> None:
    assert main(["predictor", "survey", "--model", str(tmp_path / "missing.json")]) == 1
    assert "no predictor file" in capsys.readouterr().err
    other = tmp_path / "detector.json"
    other.write_text(json.dumps({"format": "edgenas-detector-latency-predictor"}))
    assert main(["predictor", "survey", "--model", str(other)]) == 1
    assert "is not a layer-wise predictor of a chain space" in capsys.readouterr().err
