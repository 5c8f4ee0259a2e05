"""Tests of latency_models/errors.py: every error latency_models raises on purpose is an `EdgenasError`.

The CLI reports an `EdgenasError` in one line and lets anything else (a bug) keep
its traceback, so a bad predictor file, database or option must come out as one.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import latency_models
from edgenas.errors import EdgenasError, UnknownNameError
from latency_models import errors
from latency_models.detector_predictor import DetectorLatencyPredictor
from latency_models.detector_train import fit_detector_predictor
from latency_models.errors import (
    LatencyModelError,
    MeasurementStoreError,
    OutOfDomainError,
    PredictorFileError,
    RegressorOptionError,
    TrainingError,
)
from latency_models.measurements import MeasurementKey, MeasurementStore
from latency_models.predictor import LatencyPredictor
from latency_models.regressors import fit_regressor, select_family
from latency_models.train import fit_predictor

KEY = MeasurementKey("board", "fp32", 1)


def _modules() -> list[str]:
    return ["latency_models", *(m.name for m in pkgutil.walk_packages(latency_models.__path__, "latency_models."))]


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        found += [
            cls
            for cls in vars(module).values()
            if inspect.isclass(cls) and issubclass(cls, BaseException) and cls.__module__ == name
        ]
    return found


def test_every_exception_class_of_latency_models_is_an_edgenas_error() -> None:
    classes = _exception_classes()
    assert {cls.__name__ for cls in classes} >= set(errors.__all__)
    assert [cls.__qualname__ for cls in classes if not issubclass(cls, EdgenasError)] == []


@pytest.mark.parametrize("name", errors.__all__)
def test_each_error_is_a_latency_model_error_and_still_a_value_error(name: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, LatencyModelError) and issubclass(cls, EdgenasError)
    if cls is not LatencyModelError:
        assert issubclass(cls, ValueError)  # callers that caught the bare ValueError it replaces keep working


def test_the_errors_keep_their_old_homes() -> None:
    import latency_models.predictor  # noqa: PLC0415
    import latency_models.train  # noqa: PLC0415

    assert latency_models.predictor.OutOfDomainError is OutOfDomainError
    assert latency_models.train.TrainingError is TrainingError
    assert latency_models.OutOfDomainError is OutOfDomainError and latency_models.TrainingError is TrainingError


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe binary", b"[1, 2]", b'{"format": "other"}'])
@pytest.mark.parametrize("predictor_type", [LatencyPredictor, DetectorLatencyPredictor])
def test_a_file_that_is_not_a_predictor_is_a_predictor_file_error(
    tmp_path: Path, content: bytes, predictor_type: type
) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(PredictorFileError) as raised:
        predictor_type.load(path)
    assert str(raised.value).startswith(f"{path}: not a")


def test_a_file_that_is_not_a_database_is_a_measurement_store_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"definitely not sqlite" * 50)
    with pytest.raises(MeasurementStoreError, match=f"^{junk}: not a latency measurement database: "):
        MeasurementStore(junk)


def test_no_families_is_a_regressor_option_error_before_any_work(tmp_path: Path) -> None:
    with MeasurementStore(tmp_path / "empty.sqlite") as store:
        with pytest.raises(RegressorOptionError, match="^no families to choose from$"):
            fit_predictor(store, KEY, families=())
        with pytest.raises(RegressorOptionError, match="^no families to choose from$"):
            fit_detector_predictor(store, KEY, families=())
        with pytest.raises(TrainingError, match="holds 0 layers and 0 \\? networks"):
            fit_predictor(store, KEY)


def test_regressor_arguments_are_regressor_option_or_unknown_name_errors() -> None:
    x, y = np.arange(20.0).reshape(10, 2) + 1, np.arange(10.0) + 1
    with pytest.raises(RegressorOptionError, match="^families repeat a name: \\['linear', 'linear'\\]$"):
        select_family(x, y, families=("linear", "linear"))
    with pytest.raises(RegressorOptionError, match="^seed must be an integer >= 0, got -1$"):
        fit_regressor("linear", x, y, seed=-1)
    with pytest.raises(UnknownNameError) as raised:
        fit_regressor("forest", x, y)
    assert str(raised.value) == "unknown regressor family 'forest'; known regressor families: gbt, linear, mlp"
