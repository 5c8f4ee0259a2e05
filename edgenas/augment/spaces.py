"""The four augmentation spaces: RandAugment and AutoAugment, for detection and for segmentation.

They search how to augment the training data of an architecture already found,
so they live apart from the architecture spaces (`edgenas.spaces`); each
registry names the other in its errors.

    space = get_augment_space("randaugment_detection")
    space.grid()           # the 20 policies (N, M), searched as a grid
    get_augment_space("autoaugment_segmentation").sample(seed=3)   # a uniform random policy
"""

from __future__ import annotations

import dataclasses
import random

from edgenas.augment.errors import PolicyError
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
)
from edgenas.errors import UnknownNameError
from edgenas.registry import Registry

__all__ = ["AugmentSpace", "augment_space_names", "get_augment_space", "is_augment_space"]


@dataclasses.dataclass(frozen=True)
class AugmentSpace:
    """A space of augmentation policies for one task.

    Attributes:
        kind: RandAugment or AutoAugment.
        task: Detection or segmentation.
    """

    kind: PolicyKind
    task: AugmentTask

    @property
    def name(self) -> str:
        """E.g. "randaugment_detection"."""
        return f"{self.kind}_{self.task}"

    @property
    def bank(self) -> tuple[AugmentOp, ...]:
        """The ops its policies draw from (RandAugment) or index (AutoAugment)."""
        return (RANDAUGMENT_BANKS if self.kind is PolicyKind.RANDAUGMENT else AUTOAUGMENT_BANKS)[self.task]

    @property
    def size(self) -> int:
        """The number of distinct policies: 20 for RandAugment; (ops x 11 x 11) ** 10 for AutoAugment."""
        if self.kind is PolicyKind.RANDAUGMENT:
            return len(RANDAUGMENT_NUM_OPS) * len(RANDAUGMENT_MAGNITUDES)
        per_op = len(self.bank) * len(AUTOAUGMENT_MAGNITUDES) * len(PROBABILITIES)
        return per_op ** (NUM_SUB_POLICIES * OPS_PER_SUB_POLICY)

    def grid(self) -> tuple[RandAugmentPolicy, ...]:
        """Every RandAugment policy, N then M ascending.

        Raises:
            PolicyError: For an AutoAugment space (10^26 or more points: sample or search it instead).
        """
        if self.kind is not PolicyKind.RANDAUGMENT:
            raise PolicyError(f"{self.name} has {self.size:.2e} policies and no grid; sample it or search it")
        return tuple(RandAugmentPolicy(task=self.task, num_ops=n, magnitude=m)
                     for n in RANDAUGMENT_NUM_OPS for m in RANDAUGMENT_MAGNITUDES)  # fmt: skip

    def sample(self, *, seed: int) -> Policy:
        """A policy drawn uniformly from the space, a pure function of `seed`."""
        rng = random.Random(seed)
        if self.kind is PolicyKind.RANDAUGMENT:
            return RandAugmentPolicy(task=self.task, num_ops=rng.choice(RANDAUGMENT_NUM_OPS),
                                     magnitude=rng.choice(RANDAUGMENT_MAGNITUDES))  # fmt: skip
        subs = tuple(
            tuple(OpSetting(op_index=rng.randrange(len(self.bank)), magnitude=rng.choice(AUTOAUGMENT_MAGNITUDES),
                            probability=rng.choice(PROBABILITIES)) for _ in range(OPS_PER_SUB_POLICY))
            for _ in range(NUM_SUB_POLICIES)
        )  # fmt: skip
        return AutoAugmentPolicy(task=self.task, sub_policies=subs)


_SPACES = Registry[str, AugmentSpace]("augmentation space")
for _kind in PolicyKind:
    for _task in AugmentTask:
        _SPACES.register(f"{_kind}_{_task}", AugmentSpace(kind=_kind, task=_task))


def augment_space_names() -> tuple[str, ...]:
    """The registered augmentation spaces' names, sorted."""
    return tuple(sorted(_SPACES.names()))


def is_augment_space(name: object) -> bool:
    """Whether `name` is a registered augmentation space's name."""
    return isinstance(name, str) and name in _SPACES


def get_augment_space(name: str) -> AugmentSpace:
    """The augmentation space called `name`.

    Raises:
        UnknownNameError: An unknown name; an architecture space's name is told apart (it is searched with
            `edgenas search`, not `edgenas augment search`).
    """
    if not is_augment_space(name):
        from edgenas import spaces  # noqa: PLC0415

        if isinstance(name, str) and name in spaces.names():
            raise UnknownNameError(f"{name!r} is an architecture space: search it with `edgenas search --space "
                                   f"{name}`; augmentation spaces: {', '.join(augment_space_names())}")  # fmt: skip
    return _SPACES.get(name)
