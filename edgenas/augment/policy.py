"""Augmentation policies as typed data: RandAugment's (N, M) and AutoAugment's five sub-policies of two ops.

A policy knows its space (`kind` and `task`), checks every value against the
ranges of `shared/spaces.md` when it is made, prints one line for logs, and
has a versioned JSON form (`edgenas.augment.policy_json`).

    RandAugmentPolicy(task="detection", num_ops=2, magnitude=7)
    # randaugment_detection(N=2, M=7)
    AutoAugmentPolicy(task="segmentation", sub_policies=((OpSetting(0, 3, 0.4), OpSetting(9, 7, 0.2)), ...))
    # autoaugment_segmentation[Equalize(m=3, p=0.4) + Rotate(m=7, p=0.2) | ...]
"""

from __future__ import annotations

import dataclasses
import enum
import math

from edgenas.augment.errors import PolicyError
from edgenas.augment.ops import AUTOAUGMENT_BANKS, RANDAUGMENT_BANKS, AugmentOp, AugmentTask
from edgenas.specs.enums import coerce_enum

__all__ = [
    "AUTOAUGMENT_MAGNITUDES",
    "NUM_SUB_POLICIES",
    "OPS_PER_SUB_POLICY",
    "PROBABILITIES",
    "RANDAUGMENT_MAGNITUDES",
    "RANDAUGMENT_NUM_OPS",
    "AutoAugmentPolicy",
    "OpSetting",
    "Policy",
    "PolicyKind",
    "RandAugmentPolicy",
    "SubPolicy",
]

RANDAUGMENT_NUM_OPS = (1, 2)
"""RandAugment's N: ops applied to each image."""
RANDAUGMENT_MAGNITUDES = tuple(range(1, 11))
"""RandAugment's M: one magnitude for every op."""
AUTOAUGMENT_MAGNITUDES = tuple(range(11))
"""An AutoAugment op's magnitude."""
PROBABILITIES = tuple(k / 10 for k in range(11))
"""An AutoAugment op's probability: 0.0 to 1.0 by 0.1."""
NUM_SUB_POLICIES = 5
OPS_PER_SUB_POLICY = 2


class PolicyKind(enum.StrEnum):
    """How a policy picks the ops an image gets."""

    RANDAUGMENT = "randaugment"
    """N ops drawn uniformly from the bank, all at magnitude M."""
    AUTOAUGMENT = "autoaugment"
    """One of five sub-policies drawn uniformly; its two ops run in turn, each with its probability."""


def _task(value: object) -> AugmentTask:
    return coerce_enum(AugmentTask, value, field="augmentation task", error=PolicyError)


def _choice(name: str, value: object, allowed: tuple[int, ...]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{name} must be an integer, got {value!r}")
    if value not in allowed:
        raise PolicyError(f"{name} must be one of {allowed[0]}..{allowed[-1]}, got {value}")
    return value


@dataclasses.dataclass(frozen=True)
class RandAugmentPolicy:
    """RandAugment: each image gets `num_ops` ops drawn uniformly (with replacement) from the bank, at `magnitude`.

    Attributes:
        task: Detection or segmentation (an `AugmentTask` or its name); it picks the bank.
        num_ops: N, 1 or 2.
        magnitude: M, 1 to 10.

    Raises:
        PolicyError: An unknown task, or N or M out of range or not an integer.
    """

    task: AugmentTask
    num_ops: int
    magnitude: int

    kind = PolicyKind.RANDAUGMENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", _task(self.task))
        _choice("num_ops", self.num_ops, RANDAUGMENT_NUM_OPS)
        _choice("magnitude", self.magnitude, RANDAUGMENT_MAGNITUDES)

    @property
    def space(self) -> str:
        """The name of the space the policy belongs to, e.g. "randaugment_detection"."""
        return f"{self.kind}_{self.task}"

    @property
    def bank(self) -> tuple[AugmentOp, ...]:
        """The ops N are drawn from."""
        return RANDAUGMENT_BANKS[self.task]

    def __str__(self) -> str:
        return f"{self.space}(N={self.num_ops}, M={self.magnitude})"


@dataclasses.dataclass(frozen=True)
class OpSetting:
    """One op of an AutoAugment sub-policy.

    Attributes:
        op_index: Its index in the task's bank (`AUTOAUGMENT_BANKS`; checked by the policy).
        magnitude: 0 to 10.
        probability: Chance that the op runs: 0.0 to 1.0 by 0.1 (stored rounded to one decimal).

    Raises:
        PolicyError: A value of the wrong type or out of range.
    """

    op_index: int
    magnitude: int
    probability: float

    def __post_init__(self) -> None:
        if isinstance(self.op_index, bool) or not isinstance(self.op_index, int) or self.op_index < 0:
            raise PolicyError(f"op_index must be a non-negative integer, got {self.op_index!r}")
        _choice("magnitude", self.magnitude, AUTOAUGMENT_MAGNITUDES)
        p = self.probability
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p):
            raise PolicyError(f"probability must be a number, got {p!r}")
        tenths = round(p * 10)
        if not 0 <= tenths <= 10 or abs(p * 10 - tenths) > 1e-6:
            raise PolicyError(f"probability must be one of 0.0, 0.1, ..., 1.0, got {p!r}")
        object.__setattr__(self, "probability", tenths / 10)


SubPolicy = tuple[OpSetting, OpSetting]
"""Two ops that run in turn, each with its own probability."""


@dataclasses.dataclass(frozen=True)
class AutoAugmentPolicy:
    """AutoAugment: each image gets one of five sub-policies (drawn uniformly); its two ops run in turn.

    Attributes:
        task: Detection or segmentation (an `AugmentTask` or its name); it picks the bank.
        sub_policies: Five sub-policies of two `OpSetting`s (any sequences; stored as tuples).

    Raises:
        PolicyError: An unknown task, a count other than 5 x 2, or an op index outside the task's bank.
    """

    task: AugmentTask
    sub_policies: tuple[SubPolicy, ...]

    kind = PolicyKind.AUTOAUGMENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", _task(self.task))
        subs = self.sub_policies
        if isinstance(subs, (str, bytes)) or not hasattr(subs, "__len__") or len(subs) != NUM_SUB_POLICIES:
            raise PolicyError(f"an AutoAugment policy has {NUM_SUB_POLICIES} sub-policies, got {subs!r}")
        bank = self.bank
        checked = []
        for index, sub in enumerate(subs):
            if isinstance(sub, (str, bytes)) or not hasattr(sub, "__len__") or len(sub) != OPS_PER_SUB_POLICY:
                raise PolicyError(f"sub-policy {index} must hold {OPS_PER_SUB_POLICY} ops, got {sub!r}")
            for setting in sub:
                if not isinstance(setting, OpSetting):
                    raise PolicyError(f"sub-policy {index}: an op must be an OpSetting, got {setting!r}")
                if setting.op_index >= len(bank):
                    raise PolicyError(f"sub-policy {index}: op index {setting.op_index} is outside the {self.task} "
                                      f"bank (0..{len(bank) - 1}: {', '.join(bank)})")  # fmt: skip
            checked.append(tuple(sub))
        object.__setattr__(self, "sub_policies", tuple(checked))

    @property
    def space(self) -> str:
        """The name of the space the policy belongs to, e.g. "autoaugment_detection"."""
        return f"{self.kind}_{self.task}"

    @property
    def bank(self) -> tuple[AugmentOp, ...]:
        """The ops the sub-policies index."""
        return AUTOAUGMENT_BANKS[self.task]

    def op(self, setting: OpSetting) -> AugmentOp:
        """The op `setting` names in this policy's bank."""
        return self.bank[setting.op_index]

    def __str__(self) -> str:
        subs = " | ".join(" + ".join(f"{self.op(s)}(m={s.magnitude}, p={s.probability:.1f})" for s in sub)
                          for sub in self.sub_policies)  # fmt: skip
        return f"{self.space}[{subs}]"


Policy = RandAugmentPolicy | AutoAugmentPolicy
"""Either kind of policy."""
