"""`edgenas proxy check`: bad input is one clear error before any training."""

import pytest

from edgenas.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--models", "1"], "models must be between 3"),
        (["--seeds", "1"], "seeds must be between 2"),
        (["--long-seeds", "0"], "long_seeds must be between 1"),
        (["--long-steps", "50"], "must be longer than the proxy's (300 steps)"),
        (["--proxy-option", "stepz=3"], "takes no stepz option"),
        (["--proxy-option", "steps=-3"], "steps must be at least 1"),
        (["--long-option", "learning_rat=0.1"], "takes no 'learning_rat' long option"),
        (["--long-option", "width_multiplier=2"], "width_multiplier is set by long_width"),
    ],
)
def test_bad_input_fails_before_training(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    assert main(["proxy", "check", "--space", "mnasnet", "--out", str(out), *argv]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()  # nothing was created, let alone trained


def test_an_unknown_space_is_named(capsys):
    assert main(["proxy", "check", "--space", "no_such_space"]) == 1
    assert "no_such_space" in capsys.readouterr().err


def test_an_out_path_that_is_a_file_is_refused(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("x")
    assert main(["proxy", "check", "--space", "mnasnet", "--models", "3", "--out", str(path)]) == 1
    assert "is a file" in capsys.readouterr().err
