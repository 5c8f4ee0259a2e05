"""The chain classifier family: `ArchSpec` networks (the mnasnet and efficientnet_v2 spaces): stem, stages, head, logits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgenas.families.family import (
    AccuracyMetric,
    DeploymentDefaults,
    Family,
    OutputSignature,
    PredictorKind,
    Task,
    TaskForm,
)
from edgenas.errors import SpecError
from edgenas.specs.arch import ArchSpec
from edgenas.specs.costs import NetworkCost, estimate_cost

__all__ = ["CLASSIFICATION", "CLASSIFIER_DEFAULTS", "ChainClassifierFamily"]

CLASSIFICATION = AccuracyMetric(name="accuracy", short="acc", axis_label="accuracy (proxy task, fraction)")
"""Top-1 accuracy of a classifier on the proxy task."""

CLASSIFIER_DEFAULTS = DeploymentDefaults((224, 224, 3), 1000)
"""ImageNet's: 224x224 images, 1,000 classes."""


class ChainClassifierFamily(Family):
    """Chain classifiers: one output, `(1, num_classes)` logits; layer-wise latency predictors."""

    name = "chain_classifier"
    spec_types = (ArchSpec,)
    task = Task.CLASSIFICATION
    metric = CLASSIFICATION
    deployment = CLASSIFIER_DEFAULTS
    predictor_kind = PredictorKind.LAYERWISE

    def check_input(self, spec: ArchSpec, *, input_shape: Any, num_classes: int) -> tuple[int, int, int]:
        """The input as three ints if the chain's total stride fits in it (any class count: 0 is the pooled features)."""
        del num_classes  # the builder refuses a negative count in its own words
        return spec.check_input_shape(input_shape)

    def input_multiple(self, spec: ArchSpec) -> int:
        """The total stride: any height and width at least that are legal."""
        return spec.total_stride

    def outputs(
        self, spec: ArchSpec, *, input_shape: tuple[int, int, int], num_classes: int
    ) -> tuple[OutputSignature, ...]:
        """One unnamed output: logits `(1, num_classes)`, or the pooled features `(1, head_filters)` for 0 classes."""
        self.check_input(spec, input_shape=input_shape, num_classes=num_classes)
        return (OutputSignature(name="", shape=(1, num_classes or spec.head_filters)),)

    def cost(self, spec: ArchSpec, *, input_shape: tuple[int, int, int], num_classes: int) -> NetworkCost:
        """`estimate_cost`: the exact Keras parameter count and MACs of the built network."""
        shape = self.check_input(spec, input_shape=input_shape, num_classes=num_classes)
        return estimate_cost(spec, input_shape=shape, num_classes=num_classes)

    def task_forms(self) -> tuple[TaskForm, ...]:
        """Detection: the chain as the backbone of `default_chain_detector` (FPN and RetinaNet head, mobile sizes);
        segmentation: of `default_chain_segmenter` (the level 3-5 decoder, logits at stride 8)."""
        from edgenas.specs.chain_detector import ChainDetectorSpec, default_chain_detector  # noqa: PLC0415

        def unwrap(spec: Any) -> ArchSpec:
            if not isinstance(spec, ChainDetectorSpec) or spec != default_chain_detector(spec.backbone):
                raise SpecError(f"not the default detector of a chain backbone: {spec}")
            return spec.backbone

        from edgenas.families.segmenter import chain_segmentation_form  # noqa: PLC0415

        return (
            TaskForm(
                task=Task.DETECTION,
                spec_type=ChainDetectorSpec,
                wrap=default_chain_detector,
                unwrap=unwrap,
                description="+ FPN + RetinaNet head (separable, 128 filters)",
            ),
            chain_segmentation_form(),
        )

    def build(self, spec: ArchSpec, *, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> Any:
        """The chain's Keras model (`edgenas.models.chain.build_chain`)."""
        from edgenas.models.chain import build_chain  # noqa: PLC0415  (imports TensorFlow)

        return build_chain(spec, input_shape=input_shape, num_classes=num_classes, **options)

    has_timing_graph = True

    def timing_graph(self, spec: ArchSpec, *, input_shape: tuple[int, int, int], num_classes: int, seed: int) -> Any:
        """The converter's graph of the classifier (`edgenas.graphs.chain.chain_graph`); no TensorFlow."""
        from edgenas.graphs.chain import chain_graph  # noqa: PLC0415

        return chain_graph(spec, input_shape=input_shape, num_classes=num_classes, input_name=self.input_name,
                           seed=seed)  # fmt: skip

    @property
    def proxy_task_type(self) -> type:
        """`edgenas.proxy.ProxyTask`."""
        from edgenas.proxy.task import ProxyTask  # noqa: PLC0415

        return ProxyTask

    def train_proxy(self, spec: ArchSpec, task: Any) -> Any:
        """`edgenas.proxy.train_and_evaluate`."""
        from edgenas.proxy.train import train_and_evaluate  # noqa: PLC0415

        return train_and_evaluate(spec, task)

    def train_proxy_with_rungs(
        self, spec: ArchSpec, task: Any, *, rung_steps: tuple[int, ...], gate: Callable[[int, float], bool]
    ) -> Any:
        """`edgenas.proxy.train_and_evaluate` with its rungs."""
        from edgenas.proxy.train import train_and_evaluate  # noqa: PLC0415

        return train_and_evaluate(spec, task, rung_steps=rung_steps, gate=gate)
