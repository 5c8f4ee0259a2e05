"""Fixtures for the device tests: tiny real models, built once per session.

TensorFlow is imported lazily, inside the model fixtures, so tests that need
no model never pay for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROFILER = REPO_ROOT / "devices" / "profiler.py"

# Runs the profiler as a script after installing an import blocker; records
# sys.modules at exit. argv: BLOCKED_JSON REPORT_PATH PROFILER [ARGS...].
_WRAPPER = '''\
import importlib.abc, json, runpy, sys

blocked = set(json.loads(sys.argv[1]))
report, profiler = sys.argv[2], sys.argv[3]


class Blocker(importlib.abc.MetaPathFinder):
    active = True

    def find_spec(self, name, path=None, target=None):
        if self.active and name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
        return None


sys.edgenas_test_blocker = Blocker()
sys.meta_path.insert(0, sys.edgenas_test_blocker)
sys.argv = [profiler] + sys.argv[4:]
try:
    runpy.run_path(profiler, run_name="__main__")
finally:
    with open(report, "w") as f:
        json.dump(sorted(sys.modules), f)
'''

# A stand-in for the old tflite_runtime package (the real one cannot run with
# numpy 2): it serves LiteRT's Interpreter, lifting the test's block on
# ai_edge_litert just for that import.
_FAKE_TFLITE_RUNTIME_INTERPRETER = '''\
import sys

sys.edgenas_test_blocker.active = False
try:
    from ai_edge_litert.interpreter import Interpreter  # noqa: F401
finally:
    sys.edgenas_test_blocker.active = True
'''


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def run_profiler() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs ``devices/profiler.py`` as a script; returns the finished process."""

    def run(
        *args: object, python: str | os.PathLike[str] = sys.executable, cwd: Path | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [os.fspath(python), os.fspath(PROFILER), *map(os.fspath, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=_clean_env(),
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def run_profiler_wrapped(tmp_path_factory: pytest.TempPathFactory):
    """Runs the profiler with some top-level packages made unimportable.

    Returns ``run(args, *, blocked=(), extra_path=None) -> (process, modules)``
    where ``modules`` is the sorted list of ``sys.modules`` at exit.
    """
    folder = tmp_path_factory.mktemp("wrapper")
    wrapper = folder / "wrapper.py"
    wrapper.write_text(_WRAPPER)
    counter = iter(range(10**6))

    def run(args: Sequence[object], *, blocked: Sequence[str] = (), extra_path: Path | None = None):
        report = folder / f"modules-{next(counter)}.json"
        env = _clean_env(**({"PYTHONPATH": os.fspath(extra_path)} if extra_path else {}))
        proc = subprocess.run(
            [sys.executable, os.fspath(wrapper), json.dumps(list(blocked)), os.fspath(report), os.fspath(PROFILER)]
            + [os.fspath(a) for a in args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        modules = json.loads(report.read_text()) if report.exists() else None
        return proc, modules

    return run


@pytest.fixture(scope="session")
def fake_tflite_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a stand-in ``tflite_runtime`` package (version 2.14.0)."""
    root = tmp_path_factory.mktemp("fake_site")
    package = root / "tflite_runtime"
    package.mkdir()
    (package / "__init__.py").write_text('__version__ = "2.14.0"\n')
    (package / "interpreter.py").write_text(_FAKE_TFLITE_RUNTIME_INTERPRETER)
    return root


# --------------------------------------------------------------------------- #
# Models
# --------------------------------------------------------------------------- #


def _tiny_keras_model(keras, *, height: int = 32, channels: int = 8, convs: int = 1):
    inputs = keras.Input((height, height, 3))
    x = inputs
    for _ in range(convs):
        x = keras.layers.Conv2D(channels, 3, padding="same", activation="relu")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(4)(x)
    return keras.Model(inputs, outputs)


def _convert(tf, model, batch: int | None, *, int8: bool = False) -> bytes:
    height = model.input_shape[1]
    spec = tf.TensorSpec((batch, height, height, 3), tf.float32)
    concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    # Without the model argument: with it the weights stay variables (stack.md).
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    if int8:
        rng = np.random.default_rng(0)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (
            [rng.uniform(-1, 1, (1, height, height, 3)).astype(np.float32)] for _ in range(8)
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def _int8(tf, model) -> bytes:
    with warnings.catch_warnings():
        # int8 input/output types make the converter warn about input statistics.
        warnings.filterwarnings("ignore", "Statistics for quantized inputs", UserWarning)
        return _convert(tf, model, 1, int8=True)


@pytest.fixture(scope="session")
def tflite_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real TFLite files: ``f32``, ``int8``, ``dynamic`` (batch -1) and ``heavy``."""
    import tensorflow as tf  # noqa: PLC0415 - slow import, only when needed
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("tflite")
    small = _tiny_keras_model(keras)
    heavy = _tiny_keras_model(keras, height=64, channels=32, convs=3)
    files = {
        "f32": _convert(tf, small, 1),
        "int8": _int8(tf, small),
        "dynamic": _convert(tf, small, None),
        "heavy": _convert(tf, heavy, 1),
    }
    paths = {}
    for name, content in files.items():
        path = folder / f"{name}.tflite"
        path.write_bytes(content)
        paths[name] = path
    return paths


@pytest.fixture(scope="session")
def tflite_f32(tflite_models: dict[str, Path]) -> Path:
    return tflite_models["f32"]


@pytest.fixture(scope="session")
def tflite_int8(tflite_models: dict[str, Path]) -> Path:
    return tflite_models["int8"]


def write_tiny_onnx(path: Path, *, seed: int = 0) -> Path:
    """Writes a real ONNX file (Conv-Relu-GlobalAveragePool-Flatten-Gemm, symbolic batch); `seed` sets the weights."""
    import onnx  # noqa: PLC0415
    from onnx import TensorProto, helper, numpy_helper  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    weights = [
        numpy_helper.from_array(rng.normal(size=(8, 3, 3, 3)).astype(np.float32), "conv_w"),
        numpy_helper.from_array(np.zeros(8, np.float32), "conv_b"),
        numpy_helper.from_array(rng.normal(size=(8, 4)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(np.zeros(4, np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        initializer=weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, os.fspath(path))
    return path


@pytest.fixture(scope="session")
def onnx_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ONNX file (see `write_tiny_onnx`)."""
    return write_tiny_onnx(tmp_path_factory.mktemp("onnx") / "tiny.onnx")


@pytest.fixture(scope="session")
def tiny_onnx_models(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], list[Path]]:
    """``make(n)``: n distinct real ONNX files (different weights, so different SHA-256)."""
    folder = tmp_path_factory.mktemp("onnx-many")

    def make(count: int) -> list[Path]:
        return [
            path if path.exists() else write_tiny_onnx(path, seed=seed)
            for seed in range(count)
            for path in [folder / f"tiny-{seed}.onnx"]
        ]

    return make


@pytest.fixture()
def garbage(tmp_path: Path) -> Callable[[str], Path]:
    """Makes a file of random bytes with the given name."""

    def make(name: str) -> Path:
        path = tmp_path / name
        path.write_bytes(np.random.default_rng(1).bytes(2048))
        return path

    return make
