"""Keeps TensorFlow's and the converters' routine output off the user's terminal.

TensorFlow's C++ start-up lines (the oneDNN notice, absl's "before
InitializeLog" warning, the CPU feature notice) ignore TF_CPP_MIN_LOG_LEVEL, and
the TFLite converter, tf2onnx and onnxruntime's quantiser print progress on the
process's stderr (file descriptor 2) or through Python logging and warnings:
"Estimated count of arithmetic ops", "fully_quantize: 0", "Please consider
providing the trackable_obj", "Please consider to run pre-processing". None of
it is something a user of edgenas can act on.

`native_chatter_filtered` sends descriptor 2 to a temporary file for the
duration of a block and afterwards writes back every line that is not such
routine output: real errors still reach the terminal, after the block.
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator

__all__ = ["native_chatter_filtered"]

# Routine lines, as they appeared here (TF 2.21, tf2onnx 1.17, onnxruntime 1.32).
_CHATTER = re.compile(
    rb"|".join(
        [
            rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR",
            # absl's info and warning lines: "I0000 00:00:1796520765.223271   10510 port.cc:153] ...".
            # Errors (E, F) are kept.
            rb"[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-]+:\d+\] ",
            rb"To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags",
            rb"fully_quantize: \d+, inference_type: ",
            rb"WARNING:root:Please consider (to run )?pre-processing before quantization",
        ]
    )
)
# Python warnings from these packages are progress or deprecation notes about
# their own internals (e.g. "Statistics for quantized inputs were expected").
_NOISY_MODULES = r"(tensorflow|keras|tf2onnx|onnxruntime|onnx)(\.|$)"


def _kept(captured: bytes) -> bytes:
    return b"".join(line for line in captured.splitlines(keepends=True) if not _CHATTER.match(line))


@contextlib.contextmanager
def native_chatter_filtered() -> Iterator[None]:
    """Runs the block with routine TensorFlow and converter output filtered from stderr.

    Everything else the block writes to stderr (Python or native) is written
    to stderr after the block, in order.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to protect
        yield
        return
    absl = logging.getLogger("absl")
    absl_level = absl.level
    sys.stderr.flush()
    with tempfile.TemporaryFile() as capture, warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=_NOISY_MODULES)
        absl.setLevel(logging.ERROR)
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            absl.setLevel(absl_level)
            capture.seek(0)
            kept = _kept(capture.read())
            if kept:
                os.write(2, kept)
