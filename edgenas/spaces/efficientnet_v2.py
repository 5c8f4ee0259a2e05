"""The EfficientNetV2 search space: 6 blocks whose kind, repeats, widths and activations are searched.

Paper: EfficientNetV2: Smaller Models and Faster Training, Tan and Le, ICML 2021,
https://arxiv.org/abs/2104.00298. The choices are those of the space Vertex AI
NAS publishes (see `shared/spaces.md`); per block, around EfficientNetV2-B0:

| decision         | candidates                                          |
|------------------|-----------------------------------------------------|
| `num_repeats`    | {r - 1, r, r + 1}, or {1, 2} where r = 1            |
| `block_type`     | {mbconv, fused_mbconv}                              |
| `expand_ratio`   | {1, 2, 4, 6}                                        |
| `kernel_size`    | {3, 5}                                              |
| `se_ratio`       | {0, 0.25}                                           |
| `output_filters` | {int(0.75 o), o, int(1.25 o)}                       |
| `activation`     | {swish, relu} (swish, the network's, is no suffix)  |

The tables and the conversion of points to specs are plain data in
`edgenas.spaces.efficientnet_v2_choices`; this module makes the PyGlove space of them.
"""

from __future__ import annotations

from edgenas.spaces.efficientnet_v2_choices import DEFAULT_REFERENCE, BlockChoices, EfficientNetV2Encoding
from edgenas.spaces.search_space import SearchSpace, hyper_of
from edgenas.specs import efficientnet_v2_reference_names

__all__ = ["EfficientNetV2Space"]


class EfficientNetV2Space(SearchSpace):
    """The EfficientNetV2 space built around a reference network.

    Args:
        reference: `efficientnetv2_b0` (the default and, today, the only one);
            sets the repeats and filters the choices are centred on, and the
            stem, head, strides and network activation every point keeps.
        name: The name the space reports.

    Raises:
        UnknownNameError: On an unknown reference.
    """

    REFERENCE_CHOICES = efficientnet_v2_reference_names()
    """The values `reference=` accepts."""

    def __init__(self, *, reference: str = DEFAULT_REFERENCE, name: str = "efficientnet_v2") -> None:
        encoding = EfficientNetV2Encoding.around(reference, name=name)
        self._encoding = encoding
        super().__init__(
            name,
            hyper_of(encoding.tree()),
            encoding.to_spec,
            from_spec=encoding.from_spec,
            references={reference: encoding.reference},
            description=encoding.description,
            plain_values=True,
        )

    @property
    def base_reference(self) -> str:
        """The reference the choices are centred on."""
        return self._encoding.reference_name

    @property
    def blocks(self) -> tuple[BlockChoices, ...]:
        """The per-block choices."""
        return self._encoding.blocks

    @property
    def encoding(self) -> EfficientNetV2Encoding:
        """The space's decisions and the meaning of its points, as plain data."""
        return self._encoding
