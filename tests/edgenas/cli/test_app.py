"""The edgenas CLI, in process (main(argv)) and as the installed console script."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from edgenas import spaces
from edgenas.cli import main
from edgenas.specs import ArchSpec, spinenet_reference


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


_SPACES_COLUMNS = ["SPACE", "KIND", "TASK", "OPTIONS", "SIZE", "DECISIONS", "REFERENCES"]


def _cells(line):
    """The cells of a table line with their (start, end) columns: runs of words parted by single spaces."""
    return [(m.group(), m.span()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def test_spaces_lists_search_spaces_and_scaling_grids_in_aligned_columns(capsys):
    code, out, _ = _run(capsys, "spaces")
    assert code == 0
    header, *lines = out.splitlines()
    heads = _cells(header)
    assert [text for text, _ in heads] == _SPACES_COLUMNS
    rows = {}
    for line in lines:
        cells = _cells(line)
        assert len(cells) == len(_SPACES_COLUMNS), line
        for name, (_, (start, end)), (_, (head_start, head_end)) in zip(_SPACES_COLUMNS, cells, heads, strict=True):
            if name in ("SIZE", "DECISIONS"):
                assert end == head_end, f"{name} is right-aligned: {line!r}"
            else:
                assert start == head_start, f"{name} starts under its header: {line!r}"
        rows[cells[0][0], cells[3][0]] = [text for text, _ in cells]
    assert not any(line.endswith(" ") for line in [header, *lines])
    assert rows["mnasnet", "--reference mnasnet_a1"] == [
        "mnasnet", "search space", "classification", "--reference mnasnet_a1", "9.75e+15", "42", "mnasnet_a1",
    ]
    assert rows["spinenet_mbconv", "--reference spinenet_mobile49xs"] == [
        "spinenet_mbconv", "search space", "detection", "--reference spinenet_mobile49xs", "2.57e+30", "33",
        "spinenet_mobile49xs",
    ]
    assert rows["spinenet", "--reference spinenet49"][4:] == ["3.36e+35", "49", "-"]
    assert rows["spinenet_scaling", "-"] == [
        "spinenet_scaling", "scaling grid", "detection", "-", "432", "7",
        "spinenet49s, spinenet49, spinenet96, spinenet143, spinenet190",
    ]
    assert rows["spinenet_mobile_scaling", "-"] == [
        "spinenet_mobile_scaling", "scaling grid", "detection", "-", "512", "6",
        "spinenet_mobile49xs, spinenet_mobile49s, spinenet_mobile49",
    ]
    assert [kind for _, kind, *_ in rows.values()] == ["search space"] * (len(rows) - 2) + ["scaling grid"] * 2
    assert rows["mnasnet", "--reference mobilenet_v2 --task detection"][2:5] == [
        "detection", "--reference mobilenet_v2 --task detection", "9.75e+15",
    ]
    assert rows["nasfpn", "-"][2:] == ["detection", "-", "1.93e+15", "20", "nasfpn"]


def test_spaces_json_has_one_object_per_row(capsys):
    code, out, _ = _run(capsys, "spaces", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    # By name, then by --reference; each variant's other tasks follow it.
    assert [(row["space"], row["task"]) for row in rows[:4]] == [
        ("efficientnet_v2", "classification"), ("efficientnet_v2", "detection"), ("efficientnet_v2", "segmentation"),
        ("mnasnet", "classification"),
    ]
    assert rows[3] == {
        "space": "mnasnet",
        "kind": "search space",
        "task": "classification",
        "options": "--reference mobilenet_v2",
        "size": spaces.get("mnasnet").size,
        "decisions": 42,
        "references": ["mobilenet_v2"],
        "description": "MnasNet backbone, 7 stages around mobilenet_v2",
    }
    grids = {row["space"]: row for row in rows if row["kind"] == "scaling grid"}
    assert grids == {
        "spinenet_mobile_scaling": {
            "space": "spinenet_mobile_scaling",
            "kind": "scaling grid",
            "task": "detection",
            "options": "",
            "size": 512,
            "decisions": 6,
            "references": ["spinenet_mobile49xs", "spinenet_mobile49s", "spinenet_mobile49"],
            "description": "SpineNet-Mobile detectors at 256-384 px",
        },
        "spinenet_scaling": {
            "space": "spinenet_scaling",
            "kind": "scaling grid",
            "task": "detection",
            "options": "",
            "size": 432,
            "decisions": 7,
            "references": ["spinenet49s", "spinenet49", "spinenet96", "spinenet143", "spinenet190"],
            "description": "ResNet-style SpineNet detectors at 512-640 px",
        },
    }


def test_sample_prints_parseable_reproducible_specs(capsys):
    code, out, _ = _run(capsys, "sample", "--space", "mnasnet", "--seed", "3", "-n", "5")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5
    assert [str(ArchSpec.parse(line)) for line in lines] == lines
    assert _run(capsys, "sample", "--space", "mnasnet", "--seed", "3", "-n", "5")[1] == out
    assert _run(capsys, "sample", "--space", "mnasnet", "--seed", "4", "-n", "5")[1] != out
    code, out, _ = _run(capsys, "sample", "--space", "mnasnet", "--reference", "mnasnet_a1", "-n", "1", "--json")
    assert ArchSpec.from_json(out.strip()).activation.value == "relu"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sample", "--space", "resnet"], "edgenas: error: unknown space 'resnet'; known spaces: "),
        (["sample", "--space", "mnasnet", "--reference", "vgg"], "edgenas: error: unknown mnasnet reference 'vgg'"),
        (["export", "--space", "mnasnet", "--arch", "relu-stem32-oops-head1280", "--out", "x"], "malformed block"),
        (["profile", "/nonexistent/model.tflite"], "edgenas: error: model file not found: /nonexistent/model.tflite"),
        (["--plugin", "no_such_module_xyz", "spaces"], "cannot import plugin 'no_such_module_xyz'"),
        (
            ["search", "--space", "mnasnet", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--algorithm", "evolution", "--algorithm-option", "tournament=3"],
            "edgenas: error: algorithm 'evolution' takes options ['population_size', 'tournament_size']",
        ),
        (
            ["search", "--space", "mnasnet", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--algorithm", "evolution", "--population", "4", "--algorithm-option", "tournament_size=9"],
            "edgenas: error: algorithm 'evolution': The value of `population_size` (4) must be no less",
        ),
        (
            ["search", "--space", "mnasnet", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--device", "phone"],
            "edgenas: error: unknown device 'phone'; use 'local' or a farm address farm://HOST:PORT/TAG",
        ),
        (
            ["search", "--space", "mnasnet", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--device", "farm://127.0.0.1:9/cpu"],
            "edgenas: error: farm http://127.0.0.1:9 does not answer",
        ),
        (
            ["search", "--space", "spinenet_mbconv", "--target-ms", "5", "--trials", "1", "--db",
             "/nonexistent/x.sqlite", "--dataset", "/some/folder"],
            "edgenas: error: space 'spinenet_mbconv' trains on a DetectionProxyTask, which makes its own data; "
            "--dataset is for spaces whose proxy task reads a dataset",
        ),
        (
            ["search", "--space", "mnasnet", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--proxy-seeds", "11"],
            "edgenas: error: proxy_seeds must be an integer from 1 to 10, got 11",
        ),
        (
            ["search", "--space", "mnasnet", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--dataset", "clouds"],
            "does not exist (the generated sets are shapes, scenes)",
        ),
        (
            ["search", "--space", "spinenet_mbconv", "--target-ms", "5", "--trials", "1", "--db",
             "/nonexistent/x.sqlite", "--input-size", "224"],
            "edgenas: error: input shape [224, 224, 3] does not fit space 'spinenet_mbconv'",
        ),
        (
            ["search", "--space", "spinenet_mbconv", "--target-ms", "5", "--trials", "1", "--db",
             "/nonexistent/x.sqlite", "--proxy-image-size", "200"],
            "edgenas: error: image_size must be a multiple of 128",
        ),
        (
            ["search", "--space", "spinenet_mbconv", "--task", "classification", "--target-ms", "5", "--trials", "1",
             "--db", "/nonexistent/x.sqlite"],
            "edgenas: error: space 'spinenet_mbconv' has no 'classification' form: its networks (SpineNetSpec) "
            "serve 'detection'",
        ),
        (
            ["sample", "--space", "nasfpn", "--task", "segmentation"],
            "edgenas: error: space 'nasfpn' has no 'segmentation' form: its networks (NasFpnDetectorSpec) serve "
            "'detection'; spaces with a 'segmentation' form: efficientnet_v2, mnasnet, spinenet, spinenet_mbconv, "
            "spinenet_v2",
        ),
        (
            ["sample", "--space", "mnasnet", "--backbone", "mobilenet_v2"],
            "edgenas: error: space 'mnasnet' takes no --backbone",
        ),
        (
            ["sample", "--space", "nasfpn", "--backbone", "spinenet49"],
            "edgenas: error: backbone 'spinenet49' is neither a chain reference (efficientnetv2_b0, mnasnet_a1, "
            "mobilenet_v2) nor a chain spec string",
        ),
        (
            ["search", "--space", "nasfpn", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--input-size", "320"],
            "edgenas: error: input shape [320, 320, 3] does not fit space 'nasfpn'",
        ),
        (
            ["search", "--space", "mnasnet", "--task", "detection", "--target-ms", "5", "--trials", "1", "--db",
             "/nonexistent/x.sqlite", "--input-size", "300"],
            "edgenas: error: input shape [300, 300, 3] does not fit space 'mnasnet'",
        ),
        (["scale", "--reference", "spinenet_mobile49", "--target-ms", "5", "--scaling-space", "nope"],
         "edgenas: error: unknown scaling space 'nope'; known: "),
        (["scale", "--arch", "spinenet-oops", "--target-ms", "5"], "edgenas: error: malformed SpineNet spec"),
        (["farm", "serve", "--inventory", "/nonexistent/farm.yaml"], "/nonexistent/farm.yaml: cannot read the inventory"),
        (["farm", "status", "http://127.0.0.1:9"], "edgenas: error: farm http://127.0.0.1:9 does not answer"),
    ],
)
def test_bad_input_gives_one_line_and_exit_1(capsys, argv, message, monkeypatch):
    monkeypatch.setenv("EDGENAS_FARM_TOKEN", "some-token")
    code, out, err = _run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_export_then_cached_then_profile(capsys, tmp_path):
    out_dir = tmp_path / "out"
    argv = [
        "export", "--space", "mnasnet", "--reference", "mnasnet_a1", "--formats", "tflite,onnx",
        "--precision", "fp32", "--input-size", "64", "--num-classes", "10", "--out", str(out_dir),
    ]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 and "tflite" in lines[0] and "onnx" in lines[1]
    assert [line.split()[-1].endswith("s") for line in lines] == [True, True]  # seconds spent
    code, again, _ = _run(capsys, *argv)
    assert code == 0 and [line.split()[-1] for line in again.splitlines()] == ["cached", "cached"]
    tflite_path = lines[0].split()[0]
    code, out, _ = _run(capsys, "profile", tflite_path, "--runs", "5", "--warmup", "1")
    assert code == 0
    result = json.loads(out)
    assert result["runtime"] == "litert" and result["threads"] == 1 and result["latency_ms"] > 0
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"this is not a flatbuffer at all")
    code, out, err = _run(capsys, "profile", str(garbage))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "edgenas: error:" in err


@pytest.mark.parametrize(("flags", "criterion"), [([], "robust_cv"), (["--stability", "cv"], "cv"),
                                                   (["--stability", "robust_cv"], "robust_cv")])
def test_profile_passes_the_stability_criterion(capsys, monkeypatch, flags, criterion):
    import devices  # noqa: PLC0415

    seen = {}

    class _Result:
        def to_json(self):
            return {"stability_criterion": seen["stability_criterion"]}

    def fake_profile_local(model_path, **kwargs):
        seen.update(kwargs, model_path=model_path)
        return _Result()

    monkeypatch.setattr("edgenas.profiling.profile_local", fake_profile_local)
    code, out, _ = _run(capsys, "profile", "m.onnx", "--cv-threshold", "0.1", *flags)
    assert code == 0 and json.loads(out) == {"stability_criterion": criterion}
    assert (seen["model_path"], seen["cv_threshold"], seen["stability_criterion"]) == ("m.onnx", 0.1, criterion)
    assert criterion in devices.STABILITY_CRITERIA


def test_export_to_unwritable_folder(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = _run(capsys, "export", "--space", "mnasnet", "--out", str(blocker / "sub"))
    assert code == 1 and "is not writable" in err


def test_plugin_registers_a_user_space(capsys, tmp_path, monkeypatch):
    (tmp_path / "my_spaces.py").write_text(
        "from edgenas import spaces\n"
        "spaces.register('mnasnet_small_k', spaces.get('mnasnet').narrow(name='mnasnet_small_k', kernel_size=[3]))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        code, out, _ = _run(capsys, "--plugin", "my_spaces", "sample", "--space", "mnasnet_small_k", "-n", "3")
        assert code == 0
        assert all({b.kernel_size for b in ArchSpec.parse(line).blocks} == {3} for line in out.splitlines())
    finally:
        spaces.unregister("mnasnet_small_k")
        sys.modules.pop("my_spaces", None)


def test_console_script_exit_codes():
    exe = shutil.which("edgenas") or str(__import__("pathlib").Path(sys.executable).parent / "edgenas")
    ok = subprocess.run([exe, "sample", "--space", "mnasnet", "-n", "1"], capture_output=True, text=True)
    assert ok.returncode == 0 and ArchSpec.parse(ok.stdout.strip())
    bad = subprocess.run([exe, "sample", "--space", "nope"], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("edgenas: error: unknown space 'nope'")
    usage = subprocess.run([exe, "frobnicate"], capture_output=True, text=True)
    assert usage.returncode == 2


# ----- sample: streamed, bounded, quiet when the reader goes away --------------------------------------------------

_NO_MORE_THAN_4_GIB = 4 * 2**30  # a guard: a sampler that lists before printing dies of MemoryError, not the machine


def _limit_memory():  # runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (_NO_MORE_THAN_4_GIB, _NO_MORE_THAN_4_GIB))


def test_sample_streams_its_first_line_at_once_and_ends_quietly_when_the_reader_stops():
    import select
    import time

    command = [sys.executable, "-m", "edgenas", "sample", "--space", "mnasnet", "-n", "1000000000", "--seed", "3"]
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_limit_memory)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "no line within 60 s"
        first = child.stdout.readline().decode()
        assert time.monotonic() - started < 60
        child.stdout.close()  # what `| head -1` does after its line
        code = child.wait(timeout=60)
        err = child.stderr.read().decode()
    finally:
        child.kill()
        child.wait()
    assert first.strip() == str(spaces.get("mnasnet").sample(1, seed=3)[0])
    assert code == 141  # 128 + SIGPIPE, as a shell reports a writer whose reader went away
    assert err == ""  # no traceback, no "Exception ignored ... BrokenPipeError"


def test_sample_streamed_by_a_shell_pipe_into_head_ends():
    import os
    import signal

    shell = f"{sys.executable} -m edgenas sample --space mnasnet -n 1000000000 | head -1"
    pipeline = subprocess.Popen(["sh", "-c", shell], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=_limit_memory, start_new_session=True)  # fmt: skip
    try:
        out, err = pipeline.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(pipeline.pid, signal.SIGKILL)  # the whole pipeline, edgenas included
        pipeline.wait()
        raise
    assert pipeline.returncode == 0 and err == ""
    assert ArchSpec.parse(out.strip()) == spaces.get("mnasnet").sample(1, seed=0)[0]


def test_sample_prints_the_same_lines_as_the_space_sampler_for_a_seed(capsys):
    import hashlib

    code, out, _ = _run(capsys, "sample", "--space", "mnasnet", "--seed", "3", "-n", "5")
    assert code == 0
    assert out.splitlines() == [str(s) for s in spaces.get("mnasnet").sample(5, seed=3)]
    # Pinned before sampling streamed: a change here changes every seeded sample of the space.
    assert hashlib.sha256(out.encode()).hexdigest()[:16] == "5ab18133f7daf376"
    code, out, _ = _run(capsys, "sample", "--space", "spinenet_mbconv", "--seed", "1", "-n", "3")
    assert code == 0
    assert hashlib.sha256(out.encode()).hexdigest()[:16] == "fb2d6f6e3e72a138"


# ----- exit codes: usage errors 2 (argparse), everything else 1 ---------------------------------------------------

_SEARCH = ["search", "--space", "mnasnet", "--trials", "1", "--db", "/nonexistent/x.sqlite"]
_SCALE = ["scale", "--reference", "spinenet_mobile49"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*_SEARCH, "--target-ms", "-1"], "argument --target-ms: must be a positive finite number, got '-1'"),
        ([*_SEARCH, "--target-ms", "0"], "argument --target-ms: must be a positive finite number, got '0'"),
        ([*_SEARCH, "--target-ms", "nan"], "argument --target-ms: must be a positive finite number, got 'nan'"),
        ([*_SEARCH, "--target-ms", "inf"], "argument --target-ms: must be a positive finite number, got 'inf'"),
        ([*_SEARCH, "--target-ms", "fast"], "argument --target-ms: must be a positive finite number, got 'fast'"),
        ([*_SEARCH, "--target-ms", "5", "--trials", "0"], "argument --trials: must be a positive integer, got '0'"),
        ([*_SEARCH, "--target-ms", "5", "--threads", "0"], "argument --threads: must be a positive integer, got '0'"),
        ([*_SCALE, "--target-ms", "0"], "argument --target-ms: must be a positive finite number, got '0'"),
        ([*_SCALE, "--target-ms", "5", "--max-trained", "0"],
         "argument --max-trained: must be a positive integer, got '0'"),
        (["sample", "--space", "mnasnet", "-n", "-1"], "argument -n: must be a non-negative integer, got '-1'"),
        (["sample", "--space", "mnasnet", "-n", "many"], "argument -n: must be a non-negative integer, got 'many'"),
        (["export", "--space", "mnasnet", "--out", "x", "--input-size", "0"],
         "argument --input-size: expected SIZE or HxW or HxWxC, got '0'"),
        (["export", "--space", "mnasnet", "--out", "x", "--input-size", "7x"],
         "argument --input-size: expected SIZE or HxW or HxWxC, got '7x'"),
        (["export", "--space", "mnasnet", "--out", "x", "--num-classes", "0"],
         "argument --num-classes: must be a positive integer, got '0'"),
        (["search", "--space", "mnasnet", "--target-ms", "5", "--db", "x.sqlite", "--proxy-seeds", "0"],
         "argument --proxy-seeds: must be a positive integer, got '0'"),
        (["profile", "m.tflite", "--runs", "1"], "argument --runs: must be an integer >= 2, got '1'"),
        (["profile", "m.tflite", "--cv-threshold", "-0.1"],
         "argument --cv-threshold: must be a non-negative finite number, got '-0.1'"),
        (["profile", "m.tflite", "--stability", "mad"],
         "argument --stability: must be one of robust_cv, cv, got 'mad'"),
        (["profile", "m.tflite", "--stability", "CV"],
         "argument --stability: must be one of robust_cv, cv, got 'CV'"),
        (["profile", "m.tflite", "--stability"], "argument --stability: expected one argument"),
        (["profile", "m.tflite", "--warmup", "-1"], "argument --warmup: must be a non-negative integer, got '-1'"),
        (["predictor", "collect", "--space", "mnasnet", "--db", "x.sqlite", "--budget-min", "0"],
         "argument --budget-min: must be a positive finite number, got '0'"),
        (["predictor", "collect", "--space", "mnasnet", "--db", "x.sqlite", "--budget-min", "1", "--layer-share", "2"],
         "argument --layer-share: must be a number from 0 to 1, got '2'"),
    ],
)
def test_usage_errors_exit_2_with_the_usage_message(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert out == ""
    assert err.startswith("usage: edgenas ")
    assert err.strip().splitlines()[-1].endswith(f"error: {message}")


def test_runtime_errors_exit_1_with_one_line(capsys, tmp_path):
    missing = tmp_path / "missing.sqlite"
    code, out, err = _run(capsys, "report", "--db", str(missing))
    assert (code, out, err) == (1, "", f"edgenas: error: no trial store at {str(missing)!r}\n")
    assert not missing.exists()
    code, out, err = _run(capsys, "sample", "--space", "nope")
    assert code == 1 and out == "" and err.startswith("edgenas: error: unknown space 'nope'; known spaces: ")


# ----- spec errors name the grammar of the space asked for --------------------------------------------------------


def test_spec_error_names_only_the_grammar_of_the_space(capsys, tmp_path):
    out_dir = tmp_path / "never"
    code, out, err = _run(capsys, "export", "--space", "mnasnet", "--arch", "garbage", "--out", str(out_dir))
    assert (code, out) == (1, "")
    assert err == (
        "edgenas: error: --arch for space 'mnasnet': malformed spec 'garbage'; "
        "expected '<activation>-stem<filters>-<block>-...-head<filters>'\n"
    )
    chain = str(spaces.get("mnasnet").sample(1, seed=0)[0])
    code, out, err = _run(capsys, "export", "--space", "spinenet_mbconv", "--arch", chain, "--out", str(out_dir))
    assert (code, out) == (1, "")
    assert err.startswith(
        "edgenas: error: --arch for space 'spinenet_mbconv': not a SpineNetSpec or SpineNetDetectorSpec "
        f"string (SpineNetSpec: malformed SpineNet spec {chain!r}: it must start with 'spinenet-'; "
        f"SpineNetDetectorSpec: malformed SpineNet detector spec {chain!r}"
    )
    assert "ArchSpec" not in err
    spinenet49 = str(spinenet_reference("spinenet49"))
    for value in ("inf", "nan"):
        arch = spinenet49.replace("-alpha0.5-", f"-alpha{value}-")
        code, out, err = _run(capsys, "export", "--space", "spinenet", "--arch", arch, "--out", str(out_dir))
        assert (code, out) == (1, "")
        expected = f"resample_alpha must be a finite number, got {value}"
        assert err == f"edgenas: error: --arch for space 'spinenet': {expected}\n"
    assert not out_dir.exists()


# ----- failed exports leave no folder; models too large for memory are refused before building --------------------


def test_failed_export_leaves_no_folder_it_created(capsys, tmp_path):
    out_dir = tmp_path / "new" / "dir"
    code, out, err = _run(capsys, "export", "--space", "mnasnet", "--input-size", "7", "--out", str(out_dir))
    assert (code, out, err) == (1, "", "edgenas: error: input 7x7 is smaller than the network's total stride 32\n")
    assert not (tmp_path / "new").exists()


_HUGE_HEAD = str(spaces.get("mnasnet").reference("mobilenet_v2")).replace("head1280", "head1000000000")
_TOO_LARGE = (
    r"edgenas: error: the model needs about [\d.]+ GB \(parameters [\d.]+ GB, activations [\d.]+ GB at {size}\), "
    r"over the [\d.]+ GB limit \(half of this machine's [\d.]+ GB of memory\)"
)


@pytest.mark.parametrize(
    ("argv", "size"),
    [
        (["--space", "mnasnet", "--arch", _HUGE_HEAD], "224x224"),
        (["--space", "mnasnet", "--input-size", "100000"], "100000x100000"),
        (["--space", "spinenet_mbconv", "--input-size", "65536"], "65536x65536"),
    ],
    ids=["billion-filters", "input-100000", "spinenet-input-65536"],
)
def test_model_too_large_for_memory_is_refused_before_anything_is_built(tmp_path, argv, size):
    import re
    import time

    out_dir = tmp_path / "never"
    argv = ["export", *argv, "--out", str(out_dir)]
    script = (
        "import sys\nfrom edgenas.cli import main\n"
        f"code = main({argv!r})\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported TensorFlow'\n"
        "sys.exit(code)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          preexec_fn=_limit_memory)  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout == ""
    assert re.fullmatch(_TOO_LARGE.format(size=size) + "\n", done.stderr), done.stderr
    assert elapsed < 30  # the imports (~2-5 s on a shared machine); nothing is built
    assert not out_dir.exists()


# ----- bad input is a specific error (one line, exit 1); a bare ValueError is a bug and keeps its traceback -------

_FARM_FORM = "expected farm://HOST:PORT/TAG (or farm+https://HOST:PORT/TAG)"
_ONE_DEVICE_INVENTORY = "devices:\n  - name: local-1\n    backend: local\n    tags: [cpu]\n"


def _serve(tmp_path, *options):
    inventory = tmp_path / "farm.yaml"
    inventory.write_text(_ONE_DEVICE_INVENTORY)
    return ["farm", "serve", "--inventory", str(inventory), "--state-dir", str(tmp_path / "state"), "--port", "0",
            *options]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # devices.farm: FarmConfigError (a FarmError and a ValueError)
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--device", "farm://"],
         f"no host in farm address 'farm://'; {_FARM_FORM}"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--device", "farm://h:99999/cpu"],
         f"bad port in farm address 'farm://h:99999/cpu'; {_FARM_FORM}"),
        (lambda tmp: ["farm", "status", "farm://h:1/"],
         f"farm address 'farm://h:1/' must end with exactly one device tag; {_FARM_FORM}"),
        (lambda tmp: ["farm", "status", "ftp://x"],
         "a farm URL must be http(s)://host:port or farm://host:port/tag, got 'ftp://x'"),
        (lambda tmp: ["farm", "status", "http://[::1"], "bad farm URL 'http://[::1': Invalid port: ':1'"),
        (lambda tmp: _serve(tmp, "--quarantine-after", "0"), "quarantine_after must be an integer >= 1, got 0"),
        (lambda tmp: _serve(tmp, "--health-interval-s", "nan"),
         "health_interval_s must be a finite number of seconds >= 0, got nan"),
        (lambda tmp: _serve(tmp, "--max-model-mb", "1e-9"),
         "--max-model-mb must be a finite number > 0 (at least one byte), got 1e-09"),
        (lambda tmp: _serve(tmp, "--port", "99999"), "--port must be from 0 to 65535 (0: any free port), got 99999"),
        (lambda tmp: ["farm", "serve", "--inventory", str(tmp / "farm.yaml")],
         "{tmp}/farm.yaml: cannot read the inventory: No such file or directory"),
        # edgenas.search.algorithms: AlgorithmOptionError (an EdgenasError and a ValueError)
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm", "ppo", "--algorithm-option", "learning_rate=0"],
         "algorithm 'ppo': learning_rate must be positive, got 0.0"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm", "ppo", "--algorithm-option", "batch_size=0"],
         "algorithm 'ppo': Value 0 is out of range (min=1, max=None). (path=batch_size)"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm", "evolution", "--population", "1"],
         "algorithm 'evolution': population_size must be an integer >= 2, got 1"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm-option", "population_size=abc"],
         "algorithm 'surrogate_evolution': population_size must be an integer >= 2, got 'abc'"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm-option", "foo=1"],
         "algorithm 'surrogate_evolution' takes options ['candidates', 'crossover_prob', 'population_size', 'ridge', "
         "'tournament_size']; got unknown ['foo']"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm-option", "seed=3"],
         "'seed' cannot be an algorithm option: the search gives algorithm 'surrogate_evolution' its own seed and the "
         "space's size"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm", "tpe", "--algorithm-option", "multivariate=maybe"],
         "algorithm 'tpe': multivariate must be true or false, got 'maybe'"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--algorithm", "tpe", "--algorithm-option", "multivariate=FALSE",
                      "--algorithm-option", "group=true"],
         "algorithm 'tpe': group=true needs multivariate=true"),
        (lambda tmp: [*_SEARCH, "--target-ms", "5", "--reward", "pareto", "--algorithm", "tpe"],
         "the pareto reward needs a multi-objective algorithm (motpe, nsga2, surrogate_evolution), not 'tpe'"),
    ],
    ids=[
        "farm-address-no-host", "farm-address-bad-port", "farm-status-no-tag", "farm-status-not-http",
        "farm-status-bad-url", "farm-serve-quarantine-0", "farm-serve-health-nan", "farm-serve-max-model-mb",
        "farm-serve-port", "farm-serve-no-inventory", "ppo-learning-rate-0", "ppo-batch-size-0",
        "evolution-population-1", "evolution-population-text", "unknown-option", "seed-option",
        "tpe-multivariate-text", "tpe-group-alone", "pareto-scalar-algorithm",
    ],
)
def test_bad_input_is_one_exact_line_and_exit_1(capsys, monkeypatch, tmp_path, argv, message):
    monkeypatch.setenv("EDGENAS_FARM_TOKEN", "some-token")
    code, out, err = _run(capsys, *argv(tmp_path))
    assert (code, out, err) == (1, "", f"edgenas: error: {message.format(tmp=tmp_path)}\n")


def test_farm_token_and_state_errors_are_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("EDGENAS_FARM_TOKEN", raising=False)
    code, out, err = _run(capsys, *_SEARCH, "--target-ms", "5", "--device", "farm://127.0.0.1:9/cpu")
    assert (code, out, err) == (1, "", "edgenas: error: no farm token: pass token=... or set EDGENAS_FARM_TOKEN\n")

    argv = _serve(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    (state / "token").write_text("")
    code, out, err = _run(capsys, *argv)
    assert (code, out, err) == (1, "", f"edgenas: error: {state / 'token'} is empty; delete it to get a new token\n")

    (state / "token").write_text("a-token\n")
    (state / "jobs.sqlite").write_text("not sqlite at all " * 100)
    code, out, err = _run(capsys, *argv)
    assert (code, out, err) == (
        1, "", f"edgenas: error: {state / 'jobs.sqlite'}: not a farm job database: file is not a database\n"
    )


@pytest.mark.parametrize("bug", [ValueError("bug"), LookupError("bug"), KeyError("bug"), TypeError("bug")],
                         ids=lambda e: type(e).__name__)  # fmt: skip
def test_a_bug_keeps_its_traceback(monkeypatch, capsys, bug):
    from edgenas.cli import app

    def broken(args):
        raise bug

    monkeypatch.setitem(app._COMMANDS, "sample", broken)
    with pytest.raises(type(bug)) as raised:
        main(["sample", "--space", "mnasnet"])
    assert raised.value is bug
    assert capsys.readouterr().err == ""  # not reported as a user's error
