"""Data-augmentation policies searched for an architecture already found (issue 18's spaces).

    from edgenas.augment import RandAugmentPolicy, get_augment_space, load_policy, save_policy
    policy = RandAugmentPolicy(task="detection", num_ops=2, magnitude=7)
    save_policy(policy, "runs/aug/best_policy.json")
    load_policy("runs/aug/best_policy.json", space="randaugment_detection") == policy
    get_augment_space("autoaugment_segmentation").sample(seed=0)

The ops' banks and ranges are those of `shared/spaces.md`. Policies are typed,
checked when made, printed on one line, and stored as versioned JSON. No
TensorFlow: the ops that apply a policy to images, boxes and masks are not here yet.
"""

from edgenas.augment.errors import PolicyError, PolicyParseError
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
    "NUM_SUB_POLICIES",
    "OPS_PER_SUB_POLICY",
    "POLICY_SCHEMA",
    "POLICY_VERSION",
    "PROBABILITIES",
    "RANDAUGMENT_BANKS",
    "RANDAUGMENT_MAGNITUDES",
    "RANDAUGMENT_NUM_OPS",
    "AugmentOp",
    "AugmentSpace",
    "AugmentTask",
    "AutoAugmentPolicy",
    "OpSetting",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicyParseError",
    "RandAugmentPolicy",
    "SubPolicy",
    "augment_space_names",
    "get_augment_space",
    "is_augment_space",
    "load_policy",
    "parse_policy",
    "policy_to_json",
    "save_policy",
]
