"""`ProxyResult`: what one proxy training measured."""

from __future__ import annotations

import dataclasses
import math

from edgenas.proxy.errors import ProxyTrainingError
from edgenas.specs import ArchSpec
from edgenas.store.rung import Rung

__all__ = ["ProxyResult"]


@dataclasses.dataclass(frozen=True)
class ProxyResult:
    """The outcome of one proxy training.

    Attributes:
        accuracy: Top-1 accuracy on the held-out images, in inference mode, in [0, 1].
        train_loss: Mean training loss of the last tenth of the steps (at least one step).
        steps: Training steps run.
        train_s: Wall time of the `fit` call (its one-off set-up of ~12 s included).
        build_s: Wall time to build and compile the proxy model.
        eval_s: Wall time to score the held-out images.
        params: Parameters of the proxy network (Keras count).
        num_validation: Held-out images the accuracy was measured on.
        proxy_spec: The reduced network that was trained.
        rungs: The score at each rung the training reached, the last included (empty without rungs).
        stopped_early: Whether the gate stopped the training at its last rung; then `accuracy` is
            that rung's score and `steps` its steps.
    """

    accuracy: float
    train_loss: float
    steps: int
    train_s: float
    build_s: float
    eval_s: float
    params: int
    num_validation: int
    proxy_spec: ArchSpec
    rungs: tuple[Rung, ...] = ()
    stopped_early: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.accuracy <= 1.0:
            raise ProxyTrainingError(f"accuracy must be in [0, 1], got {self.accuracy}")
        if not math.isfinite(self.train_loss):
            raise ProxyTrainingError(f"train_loss must be finite, got {self.train_loss}")
