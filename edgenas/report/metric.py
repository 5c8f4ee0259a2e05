"""`accuracy_metric`: what a study's `Trial.accuracy` measures, read from its trials' specs.

The search picks the proxy task from the kind of point a space yields
(`edgenas.search.loop`): `ArchSpec` classifiers train on a `ProxyTask` and
report a classification accuracy; SpineNet backbones train as RetinaNet
detectors on a `DetectionProxyTask` and report COCO-style AP at IoU 0.5. The
store keeps each trial's spec string, so the kind is known without any extra
field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from edgenas.errors import SpecError
from edgenas.specs.spec_text import parse_spec
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from edgenas.store import Trial

__all__ = ["CLASSIFICATION", "DETECTION", "AccuracyMetric", "accuracy_metric"]


@dataclasses.dataclass(frozen=True)
class AccuracyMetric:
    """How reports name a study's accuracy.

    Attributes:
        name: Short name: the table's column header and the plot title.
        short: Shorter still, for the plot legend.
        axis_label: The plot's y-axis label.
    """

    name: str
    short: str
    axis_label: str


CLASSIFICATION = AccuracyMetric(name="accuracy", short="acc", axis_label="accuracy (proxy task, fraction)")
"""Top-1 accuracy of a classifier on the proxy task."""

DETECTION = AccuracyMetric(name="AP@0.5", short="AP@0.5", axis_label="AP@0.5 (detection proxy)")
"""COCO-style AP at IoU 0.5 of a detector on the detection proxy task."""


def _is_detector(spec_text: str) -> bool:
    try:
        spec = parse_spec(spec_text)
    except SpecError:
        return False
    return isinstance(spec, (SpineNetSpec, SpineNetDetectorSpec))


def accuracy_metric(trials: Iterable[Trial]) -> AccuracyMetric:
    """The metric of a study's accuracies, from its trials' spec strings.

    Args:
        trials: Trials of one study (any status).

    Returns:
        `DETECTION` when there are trials and every one's spec is a SpineNet
        backbone or detector; otherwise `CLASSIFICATION` (also for no trials, a
        spec string no parser reads, or a mix of kinds, which the search never
        writes).
    """
    specs = {t.spec for t in trials}
    if specs and all(_is_detector(text) for text in specs):
        return DETECTION
    return CLASSIFICATION
