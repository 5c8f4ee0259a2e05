"""Which ops `apply_policy` applies to an example for a seed: the op, its sign, whether it ran.

    trace = trace_policy(policy, seed=(0, 3))
    str(trace)   # "Rotate(m=7, sign -) + Equalize(m=7)"
                 # "sub-policy 3: ShearX(m=4, p=0.6, sign -) ran, Color(m=2, p=0.3) skipped"

The trace reads the same stateless draws `apply_policy` makes (the ops or the
sub-policy, each op's gate and sign, from the helpers of
`edgenas.augment.apply`), so it says what happened without touching an image.
Each step carries its own seed: chaining `apply_op` over the steps that ran
(`probability=1.0`) and the per-box steps (their probability) reproduces
`apply_policy`'s output exactly. A box-only op always runs and changes each box
with probability p / 3; which boxes it changes depends on the boxes the earlier
op left, so the trace says "per box" rather than naming them. Imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import enum

from edgenas.augment.apply import (
    _BOX_ONLY_OPS,
    Seed,
    _gate,
    _negates,
    _op_seed,
    _seed,
    draw_randaugment_ops,
    draw_sub_policy,
)
from edgenas.augment.errors import PolicyError
from edgenas.augment.magnitudes import op_parameters
from edgenas.augment.ops import AugmentOp
from edgenas.augment.policy import AutoAugmentPolicy, Policy, RandAugmentPolicy

__all__ = ["AppliedOp", "OpOutcome", "PolicyTrace", "trace_policy"]


class OpOutcome(enum.StrEnum):
    """What became of one op of the drawn ops or sub-policy."""

    RAN = "ran"
    """It changed the whole image (and its labels) once."""
    SKIPPED = "skipped"
    """Its probability gate stayed shut (or its probability is 0): the example passed unchanged."""
    PER_BOX = "per box"
    """A box-only op: it ran, each box's crop changing with probability p / 3."""


@dataclasses.dataclass(frozen=True)
class AppliedOp:
    """One step of a policy applied to one example.

    Attributes:
        op: The op.
        magnitude: Its level, 0 to 10.
        probability: Its probability (1.0 for RandAugment, whose ops always run).
        outcome: Whether it ran, was skipped, or ran box by box.
        negative: For a signed op (translate, shear, rotate) with a non-zero parameter that ran on the whole
            image: whether its sign was flipped; None otherwise (box-only ops draw a sign per box).
        seed: The op's own stateless seed: `apply_op(op, image, magnitude=..., seed=seed, probability=...)`
            repeats this step.
        autoaugment: Whether the step is an AutoAugment op (printed with its probability and outcome).
    """

    op: AugmentOp
    magnitude: int
    probability: float
    outcome: OpOutcome
    negative: bool | None
    seed: tuple[int, int]
    autoaugment: bool

    def __str__(self) -> str:
        fields = [f"m={self.magnitude}"]
        if self.autoaugment:
            fields.append(f"p={self.probability:.1f}")
        if self.negative is not None:
            fields.append(f"sign {'-' if self.negative else '+'}")
        text = f"{self.op}({', '.join(fields)})"
        return f"{text} {self.outcome}" if self.autoaugment else text


@dataclasses.dataclass(frozen=True)
class PolicyTrace:
    """The ops a policy applied to one example, in order.

    Attributes:
        policy: The policy.
        sub_policy: The index of the sub-policy drawn (AutoAugment); None for RandAugment.
        ops: Each op drawn, in the order it was applied (skipped ones included).
    """

    policy: Policy
    sub_policy: int | None
    ops: tuple[AppliedOp, ...]

    @property
    def ran(self) -> tuple[AppliedOp, ...]:
        """The steps that changed something (or may have, box by box)."""
        return tuple(step for step in self.ops if step.outcome is not OpOutcome.SKIPPED)

    def lines(self) -> tuple[str, ...]:
        """The trace over short lines: "sub-policy K:" first for AutoAugment, then one op per line."""
        if self.sub_policy is None:
            return tuple(("" if k == 0 else "+ ") + str(step) for k, step in enumerate(self.ops))
        return (f"sub-policy {self.sub_policy}:", *map(str, self.ops))

    def __str__(self) -> str:
        if self.sub_policy is None:
            return " + ".join(map(str, self.ops))
        return f"sub-policy {self.sub_policy}: " + ", ".join(map(str, self.ops))


def _seed_pair(seed: object) -> tuple[int, int]:
    first, second = (int(v) for v in seed.numpy())  # type: ignore[attr-defined]
    return first, second


def _step(op: AugmentOp, *, magnitude: int, probability: float, seed: object, autoaugment: bool) -> AppliedOp:
    """Mirrors `apply._run`: its branches, in its order, from the same draws."""
    parameters = op_parameters(op, magnitude)
    if probability <= 0.0:
        outcome = OpOutcome.SKIPPED
    elif op in _BOX_ONLY_OPS:
        outcome = OpOutcome.PER_BOX
    elif probability >= 1.0 or bool(_gate(seed, probability)):
        outcome = OpOutcome.RAN
    else:
        outcome = OpOutcome.SKIPPED
    signs = outcome is OpOutcome.RAN and parameters.signed and parameters.value != 0.0
    negative = bool(_negates(seed)) if signs else None
    return AppliedOp(op, magnitude, probability, outcome, negative, _seed_pair(seed), autoaugment)


def trace_policy(policy: Policy, seed: Seed) -> PolicyTrace:
    """The ops `apply_policy(policy, image, seed=seed, ...)` applies, whatever the image.

    Args:
        policy: A RandAugment or AutoAugment policy.
        seed: The seed given to `apply_policy` (an int, two ints or an integer tensor of shape [2]).

    Returns:
        The trace (`PolicyTrace`); `str(trace)` is one line for a caption or a log.

    Raises:
        PolicyError: Not a policy.
        AugmentInputError: A seed of the wrong form.
    """
    seed = _seed(seed)
    if isinstance(policy, RandAugmentPolicy):
        indices = draw_randaugment_ops(policy, seed).numpy()
        steps = tuple(
            _step(policy.bank[int(index)], magnitude=policy.magnitude, probability=1.0,
                  seed=_op_seed(seed, position), autoaugment=False)
            for position, index in enumerate(indices)
        )  # fmt: skip
        return PolicyTrace(policy, None, steps)
    if isinstance(policy, AutoAugmentPolicy):
        chosen = int(draw_sub_policy(policy, seed))
        steps = tuple(
            _step(policy.op(setting), magnitude=setting.magnitude, probability=setting.probability,
                  seed=_op_seed(seed, position), autoaugment=True)
            for position, setting in enumerate(policy.sub_policies[chosen])
        )  # fmt: skip
        return PolicyTrace(policy, chosen, steps)
    raise PolicyError(f"policy must be a RandAugmentPolicy or an AutoAugmentPolicy, got {policy!r}")
