"""Whether a network can fit in this machine's memory, decided from its spec before anything is built.

A filter count of a billion or a 100000x100000 input is a valid spec and shape,
but building it ends, after seconds of TensorFlow start-up, in an out-of-memory
crash (or the machine swapping). `check_fits_in_memory` refuses it at once, in
one line that names the estimate and the limit. `export` and `build_keras`
call it before they build. Nothing here imports TensorFlow.

The estimate is a lower bound: the weights (4 bytes a parameter) plus the
largest single tensor of one image's forward pass (4 bytes a value). An export
needs several times that (Keras's variables, the frozen graph and the converted
file each hold the weights; BatchNorm calibration runs a batch of images), so the
limit is half of the machine's physical memory.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from edgenas.errors import ModelTooLargeError, UnknownNameError
from edgenas.families import family_of
from edgenas.specs.image_shape import image_shape

__all__ = ["MemoryEstimate", "check_fits_in_memory", "estimate_memory", "memory_limit_bytes", "physical_memory_bytes"]

_BYTES_PER_VALUE = 4  # float32 weights and activations
_LIMIT_SHARE_OF_MEMORY = 0.5  # an export holds the weights several times over; see the module docstring
_FALLBACK_MEMORY_BYTES = 16 * 10**9  # where the OS does not say (no sysconf): a common laptop's memory
_GB = 10**9


@dataclasses.dataclass(frozen=True)
class MemoryEstimate:
    """The least memory a network needs at one input shape (batch 1, float32).

    Attributes:
        params_bytes: The weights, 4 bytes a parameter.
        activation_bytes: The largest tensor of one image's forward pass, 4 bytes a value.
        input_shape: Height, width, channels of the image.
    """

    params_bytes: int
    activation_bytes: int
    input_shape: tuple[int, int, int]

    @property
    def total_bytes(self) -> int:
        """Weights plus the largest activation."""
        return self.params_bytes + self.activation_bytes


def estimate_memory(spec: object, *, input_shape: Sequence[int], num_classes: int) -> MemoryEstimate | None:
    """The least memory the network `edgenas.build_keras` makes from `spec` needs.

    Args:
        spec: A spec of any registered family (its `Family.cost`).
        input_shape: Height, width, channels of one image.
        num_classes: Classifier outputs, or detector classes (0: a SpineNet backbone without its head).

    Returns:
        The estimate, or None for a spec type no family owns.

    Raises:
        SpecError: If the network cannot take `input_shape`.
    """
    try:
        family = family_of(spec)
    except UnknownNameError:
        return None
    shape = image_shape(input_shape)
    cost = family.cost(spec, input_shape=shape, num_classes=num_classes)
    return _estimate(cost.params, cost.largest_activation, shape)


def _estimate(params: int, largest_activation: int, shape: tuple[int, int, int]) -> MemoryEstimate:
    return MemoryEstimate(
        params_bytes=_BYTES_PER_VALUE * params,
        activation_bytes=_BYTES_PER_VALUE * largest_activation,
        input_shape=shape,
    )


def physical_memory_bytes() -> int:
    """This machine's physical memory (`sysconf`), or 16 GB where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return _FALLBACK_MEMORY_BYTES


def memory_limit_bytes() -> int:
    """The most a network's estimate may need: half of this machine's physical memory."""
    return int(_LIMIT_SHARE_OF_MEMORY * physical_memory_bytes())


def check_fits_in_memory(spec: object, *, input_shape: Sequence[int], num_classes: int) -> None:
    """Refuses a network whose `estimate_memory` exceeds `memory_limit_bytes`.

    A spec type no family owns is not checked (its builder refuses it).

    Raises:
        ModelTooLargeError: In one line: the estimate, its parts, the input size and the limit.
        SpecError: If the network cannot take `input_shape`.
    """
    estimate = estimate_memory(spec, input_shape=input_shape, num_classes=num_classes)
    if estimate is None:
        return
    memory = physical_memory_bytes()
    limit = memory_limit_bytes()
    if estimate.total_bytes <= limit:
        return
    height, width, _ = estimate.input_shape
    raise ModelTooLargeError(
        f"the model needs about {estimate.total_bytes / _GB:.1f} GB (parameters {estimate.params_bytes / _GB:.1f} "
        f"GB, activations {estimate.activation_bytes / _GB:.1f} GB at {height}x{width}), over the "
        f"{limit / _GB:.1f} GB limit (half of this machine's {memory / _GB:.1f} GB of memory)"
    )
