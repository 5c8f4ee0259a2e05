"""The edgenas CLI, in process (main(argv)) and as the installed console script."""

import json
import shutil
import subprocess
import sys

import pytest

from edgenas import spaces
from edgenas.cli import main
from edgenas.specs import ArchSpec


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_spaces_lists_every_space_with_size_and_references(capsys):
    code, out, _ = _run(capsys, "spaces")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["SPACE", "OPTIONS", "SIZE", "DECISIONS"]
    rows = {line.split()[2]: line for line in lines[1:] if line.startswith("mnasnet ")}
    assert set(rows) == {"mobilenet_v2", "mnasnet_a1"}
    assert "9.75e+15" in rows["mnasnet_a1"] and rows["mnasnet_a1"].endswith("mnasnet_a1")
    code, out, _ = _run(capsys, "spaces", "--json")
    first = json.loads(out.splitlines()[0])
    assert first["size"] == spaces.get("mnasnet").size


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
             "--algorithm-option", "tournament=3"],
            "edgenas: error: algorithm 'evolution' takes options ['population_size', 'tournament_size']",
        ),
        (
            ["search", "--space", "mnasnet", "--target-ms", "5", "--trials", "1", "--db", "/nonexistent/x.sqlite",
             "--population", "4", "--algorithm-option", "tournament_size=9"],
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
            "edgenas: error: space 'spinenet_mbconv' trains detectors on generated boxes; --dataset is for",
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
