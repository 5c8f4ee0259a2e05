"""`accuracy_metric`: what a study's `Trial.accuracy` measures, read from its trials' specs.

The search trains each candidate on its family's proxy task (`Family.metric`):
chain classifiers report a classification accuracy, detectors COCO-style
AP at IoU 0.5, segmenters mean IoU ("mIoU"). The store keeps each trial's spec string, so the
family is known without any extra field.
"""

from __future__ import annotations

from collections.abc import Iterable

from edgenas.errors import SpecError
from edgenas.families import AccuracyMetric, Family, family_of, parse_spec
from edgenas.families.chain_classifier import CLASSIFICATION
from edgenas.families.retinanet import DETECTION
from edgenas.families.segmenter import SEGMENTATION
from edgenas.store import Trial

__all__ = ["CLASSIFICATION", "DETECTION", "SEGMENTATION", "AccuracyMetric", "accuracy_metric"]


def _family(spec_text: str) -> Family | None:
    try:
        return family_of(parse_spec(spec_text))
    except SpecError:
        return None


def accuracy_metric(trials: Iterable[Trial]) -> AccuracyMetric:
    """The metric of a study's accuracies, from its trials' spec strings.

    Args:
        trials: Trials of one study (any status).

    Returns:
        The metric of the trials' family when they all have one, the same (such
        as `DETECTION` for detectors, `SEGMENTATION` for segmenters); otherwise `CLASSIFICATION` (also
        for no trials, a spec string no family reads, or a mix of families,
        which the search never writes).
    """
    found = {_family(text) for text in {t.spec for t in trials}}
    if len(found) == 1 and None not in found:
        return next(iter(found)).metric  # type: ignore[union-attr]
    return CLASSIFICATION
