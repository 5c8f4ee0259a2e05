"""Families: one record per kind of network, which the rest of edgenas asks instead of testing spec types.

    from edgenas.families import family_of
    family = family_of(spec)
    family.deployment.input_shape, family.metric.name, family.outputs(spec, input_shape=..., num_classes=...)

`register_family(MyFamily())` adds a kind of network (one module, one call);
`parse_spec` reads a spec string of any registered family. Importing this
package does not import TensorFlow.
"""

from edgenas.families.chain_classifier import ChainClassifierFamily
from edgenas.families.chain_detector import ChainDetectorFamily
from edgenas.families.family import (
    AccuracyMetric,
    DeploymentDefaults,
    Family,
    OutputSignature,
    PredictorKind,
    Task,
    TaskForm,
)
from edgenas.families.nasfpn_detector import NasFpnDetectorFamily
from edgenas.families.registry import (
    families,
    family_named,
    family_of,
    family_of_type,
    parse_spec,
    register_family,
    spec_types,
    unregister_family,
)
from edgenas.families.segmenter import ChainSegmenterFamily, SpineNetSegmenterFamily
from edgenas.families.spinenet_detector import SpineNetDetectorFamily

register_family(ChainClassifierFamily())
register_family(ChainDetectorFamily())
register_family(ChainSegmenterFamily())
register_family(NasFpnDetectorFamily())
register_family(SpineNetDetectorFamily())
register_family(SpineNetSegmenterFamily())

__all__ = [
    "AccuracyMetric",
    "ChainClassifierFamily",
    "ChainDetectorFamily",
    "ChainSegmenterFamily",
    "DeploymentDefaults",
    "Family",
    "NasFpnDetectorFamily",
    "OutputSignature",
    "PredictorKind",
    "SpineNetDetectorFamily",
    "SpineNetSegmenterFamily",
    "Task",
    "TaskForm",
    "families",
    "family_named",
    "family_of",
    "family_of_type",
    "parse_spec",
    "register_family",
    "spec_types",
    "unregister_family",
]
