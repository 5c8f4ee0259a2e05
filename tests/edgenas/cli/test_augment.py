"""`edgenas augment preview`: a PNG of the layout's size; bad input is one clear error and writes nothing."""

import json
import subprocess
import sys

import pytest
from PIL import Image

from edgenas.augment import AutoAugmentPolicy, OpSetting, RandAugmentPolicy, save_policy
from edgenas.augment import preview_sizes
from edgenas.augment.preview import preview_layout
from edgenas.cli import augment as cli_augment
from edgenas.cli import main

_DETECTION = RandAugmentPolicy("detection", 1, 5)
_SEGMENTATION = AutoAugmentPolicy("segmentation", ((OpSetting(9, 4, 0.5), OpSetting(12, 6, 0.5)),) * 5)


@pytest.fixture
def policy_file(tmp_path):
    return str(save_policy(_DETECTION, tmp_path / "policy.json"))


def _run(capsys, *argv):
    code = main(["augment", "preview", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("policy", "task"), [(_DETECTION, "detection"), (_SEGMENTATION, None)])
def test_preview_writes_the_png(tmp_path, capsys, policy, task):
    file = save_policy(policy, tmp_path / "policy.json")
    out = tmp_path / "runs" / "preview.png"
    argv = ["--policy", str(file), "--out", str(out), "--images", "2", "--draws", "1", "--seed", "3"]
    code, stdout, err = _run(capsys, *argv, *(["--task", task] if task else []))
    assert (code, err) == (0, "")
    assert stdout == f"wrote {out}: {policy.space}, 2 image(s) x 1 draw(s), seed 3\n"
    layout = preview_layout(policy, images=2, draws=1, seed=3)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (layout.width_px, layout.height_px)


def _nothing_written(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir()) == ["policy.json"]


def test_a_task_that_is_not_the_policys_names_both(tmp_path, capsys, policy_file):
    code, _, err = _run(capsys, "--policy", policy_file, "--task", "segmentation", "--out", str(tmp_path / "p.png"))
    assert code == 1
    assert err == (f"edgenas: error: --task segmentation does not match the policy's task detection ({policy_file} "
                   "is a randaugment_detection policy)\n")  # fmt: skip
    assert _nothing_written(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read policy file"),
        ("{not json", "policy JSON is malformed"),
        (json.dumps({"schema": "edgenas.augment_policy", "version": 1, "space": "randaugment_detection",
                     "num_ops": 3, "magnitude": 5}), "num_ops must be one of 1..2, got 3"),  # fmt: skip
    ],
    ids=["missing", "malformed", "invalid"],
)
def test_a_bad_policy_file_is_one_line(tmp_path, capsys, content, message):
    file = tmp_path / "policy.json"
    if content is not None:
        file.write_text(content)
    code, _, err = _run(capsys, "--policy", str(file), "--out", str(tmp_path / "p.png"))
    assert code == 1 and err.startswith("edgenas: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--images", "0"], "argument --images: must be an integer from 1 to 64, got '0'"),
        (["--images", "65"], "argument --images: must be an integer from 1 to 64, got '65'"),
        (["--draws", "-1"], "argument --draws: must be an integer from 1 to 64, got '-1'"),
        (["--draws", "many"], "argument --draws: must be an integer from 1 to 64, got 'many'"),
        (["--image-size", "8"], "argument --image-size: must be an integer from 16 to 1024, got '8'"),
        (["--seed", "-2"], "argument --seed: must be a non-negative integer, got '-2'"),
        (["--task", "classification"], "argument --task: must be one of detection, segmentation"),
    ],
)
def test_values_argparse_can_judge_are_usage_errors(tmp_path, capsys, policy_file, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(["augment", "preview", "--policy", policy_file, "--out", str(tmp_path / "p.png"), *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert _nothing_written(tmp_path)


def test_bad_out_paths_are_one_line(tmp_path, capsys, policy_file):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    for out, message in [
        ("folder", "folder' is a folder; give the PNG's path"),
        ("file/preview.png", "is a file, not a folder"),
        ("preview.jpg", "must end in .png"),
    ]:
        code, _, err = _run(capsys, "--policy", policy_file, "--out", str(tmp_path / out))
        assert code == 1 and message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder", "policy.json"]
    assert list((tmp_path / "folder").iterdir()) == []


def test_augment_needs_an_action(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["augment"])
    assert exit_.value.code == 2 and "ACTION" in capsys.readouterr().err


def test_the_cli_limits_are_the_librarys():
    assert (cli_augment._MAX_IMAGES, cli_augment._MAX_DRAWS) == (preview_sizes.MAX_IMAGES, preview_sizes.MAX_DRAWS)
    assert cli_augment._IMAGE_SIZES_PX == preview_sizes.IMAGE_SIZES_PX


def test_bad_input_is_refused_without_importing_tensorflow(tmp_path, policy_file):
    code = (
        "import sys\n"
        "from edgenas.cli import main\n"
        f"status = main(['augment', 'preview', '--policy', {policy_file!r}, '--task', 'segmentation', "
        f"'--out', {str(tmp_path / 'p.png')!r}])\n"
        "print(status, 'tensorflow' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "False", "False"]
