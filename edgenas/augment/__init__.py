"""Data-augmentation policies searched for an architecture already found (issue 18's spaces).

    from edgenas.augment import RandAugmentPolicy, get_augment_space, load_policy, save_policy
    policy = RandAugmentPolicy(task="detection", num_ops=2, magnitude=7)
    save_policy(policy, "runs/aug/best_policy.json")
    load_policy("runs/aug/best_policy.json", space="randaugment_detection") == policy
    get_augment_space("autoaugment_segmentation").sample(seed=0)

The ops' banks and ranges are those of `shared/spaces.md`. Policies are typed,
checked when made, printed on one line, and stored as versioned JSON;
`op_parameters` says what a magnitude level means for each op. None of this
imports TensorFlow.

Applying a policy to (image, boxes, mask) needs TensorFlow, so it is not
imported here: `from edgenas.augment.apply import apply_policy, apply_op`
(the ops themselves: `image_ops`, `geometry`, `box_ops`).

    result = apply_policy(policy, image, boxes=boxes, seed=(7, 0))   # an `Augmented`
    trace_policy(policy, (7, 0))     # from edgenas.augment.trace: which ops that call applied, and their signs

`edgenas.augment.preview.write_preview` draws a policy's augmentations of
generated images into one PNG (`edgenas augment preview`).
"""

from edgenas.augment.errors import AugmentInputError, PolicyError, PolicyParseError, PreviewError
from edgenas.augment.example import IGNORE_LABEL, IMAGE_FILL_VALUE, Augmented
from edgenas.augment.magnitudes import MAX_MAGNITUDE, REFERENCE_IMAGE_SIZE_PX, OpParameters, Quantity, op_parameters
from edgenas.augment.ops import AUTOAUGMENT_BANKS, RANDAUGMENT_BANKS, AugmentOp, AugmentTask
from edgenas.augment.policy import (
    AUTOAUGMENT_MAGNITUDES,
    NUM_SUB_POLICIES,
    OPS_PER_SUB_POLICY,
    PROBABILITIES,
    RANDAUGMENT_MAGNITUDES,
    RANDAUGMENT_NUM_OPS,
    AutoAugmentPolicy,
    OpSetting,
    Policy,
    PolicyKind,
    RandAugmentPolicy,
    SubPolicy,
)
from edgenas.augment.policy_json import (
    POLICY_SCHEMA,
    POLICY_VERSION,
    load_policy,
    parse_policy,
    policy_to_json,
    save_policy,
)
from edgenas.augment.spaces import AugmentSpace, augment_space_names, get_augment_space, is_augment_space

__all__ = [
    "AUTOAUGMENT_BANKS",
    "AUTOAUGMENT_MAGNITUDES",
    "IGNORE_LABEL",
    "IMAGE_FILL_VALUE",
    "MAX_MAGNITUDE",
    "NUM_SUB_POLICIES",
    "OPS_PER_SUB_POLICY",
    "POLICY_SCHEMA",
    "POLICY_VERSION",
    "PROBABILITIES",
    "RANDAUGMENT_BANKS",
    "RANDAUGMENT_MAGNITUDES",
    "RANDAUGMENT_NUM_OPS",
    "REFERENCE_IMAGE_SIZE_PX",
    "AugmentInputError",
    "AugmentOp",
    "AugmentSpace",
    "AugmentTask",
    "Augmented",
    "AutoAugmentPolicy",
    "OpParameters",
    "OpSetting",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicyParseError",
    "PreviewError",
    "Quantity",
    "RandAugmentPolicy",
    "SubPolicy",
    "augment_space_names",
    "get_augment_space",
    "is_augment_space",
    "load_policy",
    "op_parameters",
    "parse_policy",
    "policy_to_json",
    "save_policy",
]
