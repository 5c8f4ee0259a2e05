"""`edgenas search` exit statuses: a search no candidate can pass, and one that finishes no trial, exit 1."""

import os
import sys

import pytest

from edgenas.cli import main
from edgenas.store import TrialStore

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "search"))
import _search_fakes as fakes  # noqa: E402


def _search_argv(db, *extra):
    return ["search", "--space", "mnasnet", "--target-ms", "5", "--algorithm", "random", "--trials", "3",
            "--db", str(db), "--proxy-steps", "3", "--proxy-image-size", "32", *extra]  # fmt: skip


def test_search_at_an_input_size_no_candidate_takes_exits_1_before_the_store_exists(capsys, tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    code = main(_search_argv(tmp_path / "s.sqlite", "--input-size", "7"))
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        "edgenas: error: input shape [7, 7, 3] does not fit space 'mnasnet': input 7x7 is smaller than the "
        "network's total stride 32\n"
    )
    assert pool.evaluated == [] and not (tmp_path / "s.sqlite").exists()


def test_search_whose_trials_all_fail_exits_1_and_says_why(capsys, tmp_path, monkeypatch):
    fakes.install(monkeypatch, fakes.failing("the converter gave up"))
    code = main(_search_argv(tmp_path / "s.sqlite"))
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] + "\n" == (  # after the progress bar
        "edgenas: error: 0 of 3 trials of study 'default' finished; the last failure, trial #2: ExportError: the "
        f"converter gave up (the failed trials are kept in {tmp_path / 's.sqlite'})\n"
    )


def test_optuna_samplers_run_from_the_command_line_with_typed_options(capsys, tmp_path, monkeypatch):
    pool = fakes.install(monkeypatch)
    from edgenas.search import loop  # noqa: PLC0415

    local = loop.latency_source
    monkeypatch.setattr(loop, "latency_source", lambda _, **kw: local(fakes.FakeDevice("board"), **kw))
    argv = _search_argv(tmp_path / "s.sqlite")
    argv[argv.index("random")] = "tpe"
    options = ["--algorithm-option", "multivariate=false", "--algorithm-option", "n_startup_trials=2"]
    assert main([*argv, *options]) == 0
    pareto = _search_argv(tmp_path / "p.sqlite", "--reward", "pareto", "--population", "2")
    pareto[pareto.index("random")] = "nsga2"
    assert main(pareto) == 0
    assert len(pool.evaluated) == 6
    with TrialStore(tmp_path / "s.sqlite") as store:
        assert store.study("default").algorithm == 'tpe {"multivariate": false, "n_startup_trials": 2}'
    with TrialStore(tmp_path / "p.sqlite") as store:
        assert store.study("default").algorithm == 'nsga2 {"population_size": 2}'
        assert all(len(trial.objectives) == 2 for trial in store.trials("default"))


@pytest.mark.slow
@pytest.mark.long
def test_a_segmentation_search_runs_from_the_command_line_and_its_report_says_miou(capsys, tmp_path):
    """`edgenas search --space spinenet_mbconv --task segmentation`, real proxy training, export and timing."""
    db = tmp_path / "seg.sqlite"
    code = main(["search", "--space", "spinenet_mbconv", "--task", "segmentation", "--target-ms", "40", "--trials",
                 "1", "--db", str(db), "--proxy-steps", "3", "--input-size", "128", "--num-classes", "3",
                 "--algorithm", "random"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines()[0] == f"study 'default': 1 of 1 trials finished, store {db}"
    assert ", mIoU 0." in out.splitlines()[1] and out.splitlines()[1].endswith("|seg_f48_sep")
    assert main(["report", "--db", str(db), "--formats", "tflite"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[:2] == ["index", "mIoU"]


def test_a_segmentation_search_refuses_a_dataset_folder(capsys, tmp_path):
    code = main(["search", "--space", "mnasnet", "--task", "segmentation", "--target-ms", "5", "--trials", "1",
                 "--db", str(tmp_path / "s.sqlite"), "--dataset", str(tmp_path)])  # fmt: skip
    assert code == 1
    assert capsys.readouterr().err == (
        "edgenas: error: space 'mnasnet' trains on a SegmentationProxyTask, which makes its own data; --dataset is "
        "for spaces whose proxy task reads a dataset\n"
    )


def test_halving_runs_from_the_command_line_and_says_what_it_stopped(capsys, tmp_path, monkeypatch):
    fakes.install(monkeypatch)
    from edgenas.search import loop  # noqa: PLC0415

    local = loop.latency_source
    monkeypatch.setattr(loop, "latency_source", lambda _, **kw: local(fakes.FakeDevice("board"), **kw))
    argv = _search_argv(tmp_path / "s.sqlite", "--halving", "3:2")
    argv[argv.index("3", argv.index("--trials"))] = "8"
    argv[argv.index("--proxy-steps") + 1] = "9"
    assert main(argv) == 0
    out = capsys.readouterr().out
    with TrialStore(tmp_path / "s.sqlite") as store:
        trials = store.trials("default")
    stopped = sum(t.stopped_early for t in trials)
    steps = sum(t.rungs[-1].steps for t in trials)
    assert stopped > 0
    assert (f"halving: {stopped} of 8 trainings stopped early; {steps} training steps, {steps / 72:.0%} of "
            "training every candidate to the end") in out.splitlines()  # fmt: skip


@pytest.mark.parametrize(("value", "message"), [("1:3", "eta must be an integer from 2"), ("fast", "'on' or ETA")])
def test_a_bad_halving_is_a_usage_error(capsys, tmp_path, value, message):
    with pytest.raises(SystemExit) as info:
        main(_search_argv(tmp_path / "s.sqlite", "--halving", value))
    assert info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "s.sqlite").exists()


def test_screening_runs_from_the_command_line_and_says_what_it_dropped(capsys, tmp_path, monkeypatch):
    fakes.install(monkeypatch)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "search"))
    from _law_predictor import predictor_file  # noqa: PLC0415

    predictor = predictor_file(tmp_path, scale=0.2)
    argv = _search_argv(tmp_path / "s.sqlite", "--screen", str(predictor), "--latency", f"predicted:{predictor}",
                        "--input-size", "64", "--num-classes", "10", "--reward", "mnasnet-hard")  # fmt: skip
    argv[argv.index("3", argv.index("--trials"))] = "20"
    argv[argv.index("--target-ms") + 1] = "6"
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    dropped = [line for line in lines if line.startswith("screening: ")]
    assert len(dropped) == 1 and int(dropped[0].split()[1]) > 0, lines
    with TrialStore(tmp_path / "s.sqlite") as store:
        assert '"error_bound":0.1' in store.study("default").screening
