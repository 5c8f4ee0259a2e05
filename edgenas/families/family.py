"""`Family`: everything that differs between kinds of network, in one record per kind.

A family owns one or more spec types (its space's point type first, then the
types built on it, such as a detector with its own head on a SpineNet
backbone). The search loop, the CLI, export, reports, predictor collection and
training, and scaling ask a spec's family (`edgenas.families.family_of`) instead
of testing the spec's type. Adding a kind of network is one module with a
`Family` subclass and one `register_family` call.

Importing this module does not import TensorFlow; `build`, `train_proxy` and
`initialise_for_export` do.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
from collections.abc import Callable
from typing import Any, ClassVar

from edgenas.errors import EdgenasError, SpecError, SpecParseError
from edgenas.specs.costs import NetworkCost

__all__ = [
    "AccuracyMetric",
    "DeploymentDefaults",
    "Family",
    "OutputSignature",
    "PredictorKind",
    "Task",
    "TaskForm",
]


class Task(enum.Enum):
    """What a family's networks do, which decides their proxy task and accuracy metric."""

    CLASSIFICATION = "classification"
    DETECTION = "detection"
    SEGMENTATION = "segmentation"


class PredictorKind(enum.Enum):
    """Which learned latency predictor serves a family (`latency_models`).

    LAYERWISE: a chain network as a sum of per-layer table entries plus a
    network-level regressor (`LatencyPredictor`). WHOLE_NETWORK: one regressor on
    features of the whole network (`DetectorLatencyPredictor`). NONE: no learned
    predictor serves the family yet (the segmenters): its latencies are measured.
    """

    LAYERWISE = "layerwise"
    WHOLE_NETWORK = "whole_network"
    NONE = "none"


@dataclasses.dataclass(frozen=True)
class AccuracyMetric:
    """How a family's proxy accuracy is named in tables and plots.

    Attributes:
        name: Short name: the table's column header and the plot title.
        short: Shorter still, for the plot legend.
        axis_label: The plot's y-axis label.
    """

    name: str
    short: str
    axis_label: str


@dataclasses.dataclass(frozen=True)
class DeploymentDefaults:
    """An input shape and class count: what a spec is exported and timed at when the user gives none.

    Attributes:
        input_shape: Height, width, channels of one image.
        num_classes: Classifier outputs, or detector or segmenter (object) classes.
    """

    input_shape: tuple[int, int, int]
    num_classes: int


@dataclasses.dataclass(frozen=True)
class OutputSignature:
    """One named output of an exported model, batch 1.

    Attributes:
        name: The output's name in the .tflite and .onnx files (a classifier's single output is unnamed: "").
        shape: Its shape, batch dimension first.
    """

    name: str
    shape: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class TaskForm:
    """Another task a family's networks serve inside a larger network (a chain backbone in a detector).

    A space of the family's networks gets this form with `task=` (`edgenas.spaces.get("mnasnet",
    task="detection")`): the same decisions, each point wrapped.

    Attributes:
        task: The task the wrapped networks do.
        spec_type: The wrapped networks' spec type (owned by another family).
        wrap: Turns one of the family's specs into the wrapped network's.
        unwrap: The inverse on wrapped specs; raises `SpecError` for a spec `wrap` does not make.
        description: What the wrapping adds, for listings ("+ FPN + RetinaNet head").
    """

    task: Task
    spec_type: type
    wrap: Callable[[Any], Any]
    unwrap: Callable[[Any], Any]
    description: str


class Family(abc.ABC):
    """One kind of network: its spec types and everything the rest of edgenas asks of them.

    Subclasses set the class attributes and implement the abstract methods; one
    instance of each is registered (`edgenas.families.register_family`).

    Attributes:
        name: The family's registered name.
        spec_types: The spec types it owns: a space's point type first, then the types built on it.
        task: What its networks do.
        metric: Its proxy accuracy's name.
        deployment: The input and class count a spec is exported and timed at by default.
        predictor_kind: The latency predictor that serves it. Its measurements are rows
            of a `latency_models.MeasurementStore` keyed by the measured network's
            spec string (a SpineNet backbone is measured as its detector,
            `backbone|head`); that predictor reads the rows in its own grammar
            (`latency_models.measurements.networks_read_as`).
        input_name: The exported model's input name.
    """

    name: ClassVar[str]
    spec_types: ClassVar[tuple[type, ...]]
    task: ClassVar[Task]
    metric: ClassVar[AccuracyMetric]
    deployment: ClassVar[DeploymentDefaults]
    predictor_kind: ClassVar[PredictorKind]
    input_name: ClassVar[str] = "image"

    def __repr__(self) -> str:
        return f"<family {self.name}: {', '.join(t.__name__ for t in self.spec_types)}>"

    # -- specs ------------------------------------------------------------------------------------

    def parse(self, text: str) -> Any:
        """The spec of one of this family's types whose `str()` is `text`.

        Each type's strict parser is tried in order; the grammars do not overlap.
        A type whose grammar reads `text` but whose values are invalid answers
        alone: its `SpecError` is raised as it is.

        Raises:
            SpecParseError: If none of the types reads `text`; the message gives each type's complaint.
            SpecError: If a type reads `text` but its values are invalid.
        """
        if len(self.spec_types) == 1:
            return self.spec_types[0].parse(text)
        problems = []
        for spec_type in self.spec_types:
            parse: Callable[[str], Any] = spec_type.parse
            try:
                return parse(text)
            except SpecParseError as error:
                problems.append(f"{spec_type.__name__}: {error}")
        names = " or ".join(t.__name__ for t in self.spec_types)
        raise SpecParseError(f"not a {names} string ({'; '.join(problems)})")

    @abc.abstractmethod
    def check_input(self, spec: Any, *, input_shape: Any, num_classes: int) -> tuple[int, int, int]:
        """Refuses an input shape or class count the network cannot take, before anything is built.

        Returns:
            The input shape as three ints.

        Raises:
            SpecError: Naming the bad value and what the network takes.
        """

    @abc.abstractmethod
    def input_multiple(self, spec: Any) -> int:
        """What legal input sizes are: height and width at least this, and for some families multiples of it.

        `check_input` is the rule; this is the smallest square side it accepts
        (a chain's total stride, a SpineNet's coarsest level's stride).
        """

    @abc.abstractmethod
    def outputs(self, spec: Any, *, input_shape: tuple[int, int, int], num_classes: int) -> tuple[OutputSignature, ...]:
        """The exported model's outputs, in file order, with their batch-1 shapes."""

    @abc.abstractmethod
    def cost(self, spec: Any, *, input_shape: tuple[int, int, int], num_classes: int) -> NetworkCost:
        """Parameters, MACs and the largest activation of the network built at `input_shape`, from the spec alone.

        `params` is exactly Keras' `count_params()` of `build` (BatchNorm moving
        statistics included); the test over every registered space holds each family to it.
        """

    def task_forms(self) -> tuple[TaskForm, ...]:
        """The other tasks its networks serve when wrapped (default: none)."""
        return ()

    # -- models -----------------------------------------------------------------------------------

    @abc.abstractmethod
    def build(self, spec: Any, *, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> Any:
        """The Keras model of `spec` with fresh random weights (imports TensorFlow).

        Args:
            spec: One of the family's specs.
            input_shape: Height, width, channels of one image.
            num_classes: Classifier outputs, or detector or segmenter (object) classes.
            **options: `edgenas.build_keras`'s keyword options (bn_momentum, dropout_rate,
                classifier_activation, name); a family refuses those it has no use for.
        """

    def export_calibration_images(self, spec: Any, *, input_shape: tuple[int, int, int], default: int) -> int:
        """How many seeded images set the exported model's BatchNorm statistics (`default` unless the family needs more)."""
        del spec, input_shape
        return default

    has_timing_graph: ClassVar[bool] = False
    """Whether `timing_graph` writes this family's timing models (`edgenas.export.direct`)."""
    timing_graph_formats: ClassVar[tuple[str, ...]] = ("tflite", "onnx")
    """The file formats (`edgenas.export.ModelFormat` values) the direct writer makes of `timing_graph`'s graph
    for this family; the others come from the converter."""

    def timing_graph(self, spec: Any, *, input_shape: tuple[int, int, int], num_classes: int, seed: int) -> Any:
        """The converter's graph of `spec` with seeded random weights (`edgenas.export.direct.Graph`), written
        without TensorFlow; None where the family has no direct writer (its timing models come from the converter).

        `input_shape` and `num_classes` have passed `check_input`.
        """
        del spec, input_shape, num_classes, seed
        return None

    def initialise_for_export(self, model: Any, *, seed: int) -> None:
        """Adjusts freshly built weights before export calibrates and converts them (default: nothing)."""
        del model, seed

    # -- accuracy ---------------------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def proxy_task_type(self) -> type:
        """The type of proxy task its networks train on (`edgenas.proxy.ProxyTask`, `DetectionProxyTask`,
        `SegmentationProxyTask`)."""

    def default_proxy_task(self) -> Any:
        """Its proxy task with default settings (the chain family's: the bundled shapes dataset)."""
        return self.proxy_task()

    def proxy_task(self, **options: Any) -> Any:
        """Its proxy task with `options` (the task's own fields, such as `steps=` or `image_size=`).

        Raises:
            EdgenasError: If the task takes no such option; the message lists the ones it takes.
        """
        task_type = self.proxy_task_type
        fields = sorted(field.name for field in dataclasses.fields(task_type))
        unknown = sorted(set(options) - set(fields))
        if unknown:
            raise EdgenasError(
                f"{self.name} networks train on a {task_type.__name__}, which takes no {', '.join(unknown)} "
                f"option (it takes: {', '.join(fields)})"
            )
        return task_type(**options)

    @abc.abstractmethod
    def train_proxy(self, spec: Any, task: Any) -> Any:
        """Trains the reduced network of `spec` on `task` and returns the proxy result (`.accuracy`)."""

    @property
    def supports_rungs(self) -> bool:
        """Whether its proxy training can be scored at rungs and stopped there (`train_proxy_with_rungs`)."""
        return type(self).train_proxy_with_rungs is not Family.train_proxy_with_rungs

    def train_proxy_with_rungs(
        self, spec: Any, task: Any, *, rung_steps: tuple[int, ...], gate: Callable[[int, float], bool]
    ) -> Any:
        """`train_proxy`, scored after each of `rung_steps` steps and stopped where `gate` says no.

        The result carries `rungs` and `stopped_early` (`edgenas.proxy.ProxyResult`).

        Raises:
            EdgenasError: If the family's proxy training has no rungs (`supports_rungs`).
        """
        del spec, task, rung_steps, gate
        raise EdgenasError(
            f"the {self.name} family's proxy training ({self.proxy_task_type.__name__}) cannot stop at rungs yet, "
            "so successive halving cannot run on it"
        )

    def check_proxy_task(self, task: Any, *, what: str) -> None:
        """Refuses a proxy task of another family's kind.

        Args:
            task: The task given.
            what: What the networks are, for the message (e.g. "space 'mnasnet' yields ArchSpec points").

        Raises:
            EdgenasError: If `task` is not a `proxy_task_type`.
        """
        if not isinstance(task, self.proxy_task_type):
            raise EdgenasError(
                f"{what}, which train on a {self.proxy_task_type.__name__}, not a {type(task).__name__}"
            )
