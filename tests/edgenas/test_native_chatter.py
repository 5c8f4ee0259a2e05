"""edgenas/_native_chatter.py: routine TensorFlow/converter lines are filtered from stderr, real ones kept."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from edgenas._native_chatter import native_chatter_filtered

REPO_ROOT = Path(__file__).resolve().parents[2]

# Lines recorded from a real export here (TF 2.21).
_ROUTINE = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    b"I0000 00:00:1796520765.223271   10510 port.cc:153] oneDNN custom operations are on.\n"
    b"W0000 00:00:1796520781.576868   10510 tf_tfl_flatbuffer_helpers.cc:364] Ignored output_format.\n"
    b"I0000 00:00:1796520782.657087   10510 flatbuffer_export.cc:4302] Estimated count of arithmetic ops: 808.360 M\n"
    b"fully_quantize: 0, inference_type: 6, input_inference_type: INT8, output_inference_type: INT8\n"
    b"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
    b"appropriate compiler flags.\n"
)


def test_routine_lines_are_dropped_and_real_ones_kept_in_order(capfd: pytest.CaptureFixture[str]) -> None:
    lines = _ROUTINE.splitlines(keepends=True)
    with native_chatter_filtered():
        os.write(2, b"".join(lines[:2]))
        os.write(2, b"E0000 00:00:1796520782.1   10510 op.cc:1] a real error\n")
        os.write(2, b"".join(lines[2:]))
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "E0000 00:00:1796520782.1   10510 op.cc:1] a real error\nafter\n"


def test_warnings_of_the_converters_are_dropped_and_others_kept() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with native_chatter_filtered():
            warnings.warn_explicit("statistics expected", UserWarning, "convert.py", 1, module="tensorflow.lite.python")
            warnings.warn_explicit("ours", UserWarning, "x.py", 1, module="edgenas.search")
    assert [str(w.message) for w in caught] == ["ours"]


def test_a_python_api_export_prints_nothing_on_stderr(tmp_path: Path) -> None:
    code = (
        "import edgenas\n"
        "spec = edgenas.spaces.get('mnasnet').sample(n=1, seed=0)[0]\n"
        f"edgenas.export_spec(spec, formats=('tflite', 'onnx'), precision=('fp32', 'int8'), out_dir={str(tmp_path)!r},"
        " input_shape=(32, 32, 3), num_classes=10)\n"
        "print('exported')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "exported\n"
    assert proc.stderr == ""
