"""Published EfficientNetV2 networks as chain specs (`ArchSpec`), by name. Plain data, no TensorFlow.

Paper: EfficientNetV2: Smaller Models and Faster Training, Tan and Le, ICML 2021,
https://arxiv.org/abs/2104.00298. The tables are the paper's base networks as
Keras' `keras.applications.EfficientNetV2B0` builds them (the independent
implementation the tests compare parameter counts against).
"""

from __future__ import annotations

from edgenas.errors import UnknownNameError
from edgenas.specs.arch import ArchSpec

__all__ = ["EFFICIENTNET_V2_STRIDES", "efficientnet_v2_reference", "efficientnet_v2_reference_names"]

EFFICIENTNET_V2_STRIDES = (1, 2, 2, 2, 1, 2)
"""First-block stride of each of the 6 stages of the EfficientNetV2 base networks."""

_B0 = ArchSpec.parse(
    "-".join(
        (
            "swish",
            "stem32",
            "fused_mbconv_r1_k3_s1_e1_se0_c16",
            "fused_mbconv_r2_k3_s2_e4_se0_c32",
            "fused_mbconv_r2_k3_s2_e4_se0_c48",
            "mbconv_r3_k3_s2_e4_se0.25_c96",
            "mbconv_r5_k3_s1_e6_se0.25_c112",
            "mbconv_r8_k3_s2_e6_se0.25_c192",
            "head1280",
        )
    )
)
"""EfficientNetV2-B0: Keras' `efficientnetv2-b0` block table (width and depth 1.0, so no rounding)."""

_REFERENCES: dict[str, ArchSpec] = {"efficientnetv2_b0": _B0}


def efficientnet_v2_reference_names() -> tuple[str, ...]:
    """The names `efficientnet_v2_reference` knows, in table order."""
    return tuple(_REFERENCES)


def efficientnet_v2_reference(name: str) -> ArchSpec:
    """The published network registered under `name`, as a spec.

    Args:
        name: For example "efficientnetv2_b0".

    Raises:
        UnknownNameError: On an unknown name; the message lists the known ones.
    """
    try:
        return _REFERENCES[name]
    except KeyError:
        known = ", ".join(_REFERENCES)
        raise UnknownNameError(f"unknown efficientnet_v2 reference {name!r}; known: {known}") from None
