"""Where a search's latencies come from: a device, a learned predictor, or both (hybrid).

* **measured**: every candidate's exported model is timed on the device.
* **predicted**: every candidate's latency comes from a `latency_models`
  predictor file, read from the spec; nothing is timed.
* **hybrid**: every candidate is predicted first; only a candidate whose reward
  could reach the best so far (for the Pareto reward: the current front), with
  its latency taken `margin` lower than predicted, is timed on the device.
  Each such measurement goes into a `latency_models` measurement store, so the
  predictor can be retrained on exactly the architectures that mattered.

`latency_source` turns the `latency=` argument of `edgenas.run_search` into one.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices import DeviceBackend, LatencyResult, LocalDevice, ProfileSettings
from devices.hashing import sha256_file
from edgenas.errors import EdgenasError
from edgenas.store.predicted_latency import PredictedLatency

if TYPE_CHECKING:
    from edgenas.search.latency_survey import LatencySurvey

__all__ = ["HybridLatency", "LatencySource", "latency_source"]

Latency = LatencyResult | PredictedLatency
CouldImprove = Callable[[float], bool]
"""Whether a candidate (its accuracy already known) could improve the search at this latency in ms."""


@dataclasses.dataclass(frozen=True)
class HybridLatency:
    """The `latency=` of a hybrid search: predict everything, measure what could matter.

    Attributes:
        predictor: A predictor file (or a loaded `LatencyPredictor`).
        device: Where candidates that could matter are measured.
        measurements: The `latency_models` measurement store new measurements go into;
            None: ``<trial store>-latency.sqlite`` beside the trial store.
        margin: How much faster than predicted a candidate might be (0.1: 10 %).
    """

    predictor: Any
    device: DeviceBackend
    measurements: str | os.PathLike[str] | None = None
    margin: float = 0.1


class LatencySource(abc.ABC):
    """One search's latency source (see the module docstring)."""

    label: str
    predictor_space: str | None = None
    predictor_family: str | None = None
    """The search space a predictor behind this source covers (None: nothing is predicted)."""

    @abc.abstractmethod
    def check(self, *, input_shape: tuple[int, int, int], num_classes: int, precision: str, threads: int) -> None:
        """Raises `EdgenasError` before any trial when the source cannot serve the search."""

    @abc.abstractmethod
    def latency(self, spec: Any, model_path: Path, could_improve: CouldImprove) -> Latency:
        """The candidate's latency."""

    def before_training(self, spec: Any, model_path: Path) -> tuple[float, Latency | None]:
        """The candidate's latency for successive halving to rank it by, before its accuracy is known.

        Returns:
            The latency in ms, and the trial's latency when that is final (measured, or predicted), or
            None when it is decided after training (hybrid: `latency` then, with the accuracy).
        """
        final = self.latency(spec, model_path, lambda _: True)
        return final.latency_ms, final

    def close(self) -> None:
        """Releases what the source holds (a device's profiler session); the search calls it at its end."""

    def survey(self, space: Any, *, target_ms: float | None) -> LatencySurvey | None:
        """What the source's predictor says about the whole space (None: nothing is predicted, or it cannot
        compile for the space)."""
        return None


class _Measured(LatencySource):
    def __init__(self, device: DeviceBackend, label: str, settings: ProfileSettings) -> None:
        self.device, self.label, self._settings = device, label, settings
        self._session = device.session()  # a local device keeps one profiler up for the whole search

    def check(self, **_: Any) -> None:
        self.device.check_health()  # an unreachable device is an error now, before any trial runs

    def latency(self, spec: Any, model_path: Path, could_improve: CouldImprove) -> Latency:
        return self._session.measure(model_path, self._settings)

    def close(self) -> None:
        self._session.close()


class _Predicted(LatencySource):
    def __init__(self, predictor: Any, source: str, settings: ProfileSettings) -> None:
        self.predictor, self._settings = predictor, settings
        self._name = Path(source).name if source else "<in memory>"
        self._sha256 = sha256_file(source) if source and Path(source).is_file() else "0" * 64
        self.label = f"predicted[{predictor.info.device}]"
        self.predictor_space = str(predictor.info.space)
        self.predictor_family = _family_of_space(self.predictor_space)
        self._shape: tuple[int, int, int] = (224, 224, 3)
        self._classes = 1000

    def check(self, *, input_shape: tuple[int, int, int], num_classes: int, precision: str, threads: int) -> None:
        info = self.predictor.info
        wanted = (precision, threads)
        if (info.precision, info.threads) != wanted:
            raise EdgenasError(
                f"predictor {self._name} describes {info.precision} with {info.threads} thread(s); the search "
                f"measures {precision} with {threads}"
            )
        self._shape, self._classes = tuple(input_shape), num_classes  # type: ignore[assignment]
        from edgenas import spaces  # noqa: PLC0415
        from latency_models.predictor import OutOfDomainError  # noqa: PLC0415

        try:  # the input shape and class count are checked now; layers are checked per candidate
            self.predictor.predict(spaces.get(info.space).sample(n=1, seed=0)[0], input_shape=input_shape,
                                   num_classes=num_classes)  # fmt: skip
        except OutOfDomainError as error:
            raise EdgenasError(f"predictor {self._name}: {error}") from None

    def predict(self, spec: Any) -> PredictedLatency:
        ms = self.predictor.predict(spec, input_shape=self._shape, num_classes=self._classes)
        info = self.predictor.info
        return PredictedLatency(latency_ms=ms, predictor=self._name, predictor_sha256=self._sha256,
                                device=info.device, precision=info.precision, threads=info.threads)  # fmt: skip

    def latency(self, spec: Any, model_path: Path, could_improve: CouldImprove) -> Latency:
        return self.predict(spec)

    def survey(self, space: Any, *, target_ms: float | None) -> LatencySurvey | None:
        from edgenas.search.latency_survey import survey_space  # noqa: PLC0415

        return survey_space(self.predictor, space, input_shape=self._shape, num_classes=self._classes,
                            target_ms=target_ms)  # fmt: skip


class _Hybrid(LatencySource):
    def __init__(self, predicted: _Predicted, measured: _Measured, measurements: Path, margin: float) -> None:
        if not 0 <= margin < 1:
            raise EdgenasError(f"the hybrid margin must be in [0, 1), got {margin!r}")
        self._predicted, self._measured, self._margin = predicted, measured, margin
        self._measurements = measurements
        self.label = f"hybrid[{measured.device.name}]"
        self.predictor_space = predicted.predictor_space
        self.predictor_family = predicted.predictor_family
        self.measured_count = 0

    def check(self, **kwargs: Any) -> None:
        self._predicted.check(**kwargs)
        self._measured.check(**kwargs)

    def close(self) -> None:
        self._measured.close()

    def survey(self, space: Any, *, target_ms: float | None) -> LatencySurvey | None:
        return self._predicted.survey(space, target_ms=target_ms)

    def before_training(self, spec: Any, model_path: Path) -> tuple[float, Latency | None]:
        """The prediction, taken `margin` faster (as the improvement test takes it); nothing is measured yet."""
        del model_path
        return self._predicted.predict(spec).latency_ms * (1 - self._margin), None

    def latency(self, spec: Any, model_path: Path, could_improve: CouldImprove) -> Latency:
        predicted = self._predicted.predict(spec)
        if not could_improve(predicted.latency_ms * (1 - self._margin)):
            return predicted
        result = self._measured.latency(spec, model_path, could_improve)
        self.measured_count += 1
        self._record(spec, result)
        return result

    def _record(self, spec: Any, result: LatencyResult) -> None:
        from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement  # noqa: PLC0415

        info = self._predicted.predictor.info
        key = MeasurementKey(self._measured.device.name, info.precision, info.threads)
        network = NetworkMeasurement(info.space, str(spec), self._predicted._shape, self._predicted._classes,
                                     result.latency_ms)  # fmt: skip
        with MeasurementStore(self._measurements) as store:
            store.add_network(key, network, json.dumps(result.to_json()))


def _family_of_space(name: str) -> str | None:
    """The family name of a registered space's own points (None if no such space is registered)."""
    from edgenas import spaces  # noqa: PLC0415
    from edgenas.errors import UnknownNameError  # noqa: PLC0415
    from edgenas.families import family_of_type  # noqa: PLC0415

    try:
        return family_of_type(spaces.get(name).spec_type).name
    except UnknownNameError:
        return None


def load_predictor(value: Any) -> tuple[Any, str]:
    """A predictor and its file's path ("" for a loaded one) from a path or a `LatencyPredictor`.

    Raises:
        EdgenasError: If the file is missing or not a predictor file.
    """
    from latency_models.predictor import LatencyPredictor  # noqa: PLC0415

    if isinstance(value, LatencyPredictor):
        return value, ""
    path = os.fspath(value)
    try:
        return LatencyPredictor.load(path), path
    except FileNotFoundError:
        raise EdgenasError(f"no predictor file {path!r}") from None
    except ValueError as error:
        raise EdgenasError(str(error)) from None


def latency_source(latency: Any, *, settings: ProfileSettings, trial_store: Path) -> LatencySource:
    """The source for `edgenas.run_search(latency=...)`.

    Args:
        latency: "measured" (this machine), a `devices.DeviceBackend`, "predicted:<file>", a
            `LatencyPredictor`, or a `HybridLatency`.
        settings: Runtime settings of measurements.
        trial_store: The search's trial store (the hybrid's measurement store goes beside it).

    Raises:
        EdgenasError: Anything else, or a predictor file that cannot be read.
    """
    from latency_models.predictor import LatencyPredictor  # noqa: PLC0415

    if isinstance(latency, DeviceBackend):
        return _Measured(latency, latency.name, settings)
    if latency == "measured":
        return _Measured(LocalDevice(), "local", settings)  # "local": the label stores had before devices existed
    if isinstance(latency, LatencyPredictor) or (isinstance(latency, str) and latency.startswith("predicted:")):
        value = latency if isinstance(latency, LatencyPredictor) else latency[len("predicted:") :]
        return _Predicted(*load_predictor(value), settings)
    if isinstance(latency, HybridLatency):
        predicted = _Predicted(*load_predictor(latency.predictor), settings)
        store = latency.measurements or trial_store.with_name(f"{trial_store.stem}-latency.sqlite")
        return _Hybrid(predicted, _Measured(latency.device, latency.device.name, settings), Path(store),
                       latency.margin)  # fmt: skip
    raise EdgenasError(
        f"unknown latency source {latency!r}; use 'measured' (this machine), a devices.DeviceBackend, "
        "'predicted:<predictor file>' or edgenas.search.HybridLatency(predictor, device)"
    )
