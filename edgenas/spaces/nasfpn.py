"""The `nasfpn` search space: NAS-FPN decoders on a fixed chain backbone (`NasFpnDetectorSpec` points).

The decisions and their encoding are `edgenas.spaces.nasfpn_choices.NasFpnEncoding`
(shared/spaces.md's `## nasfpn`); the backbone, head and options are
`edgenas.spaces.nasfpn_factory`'s. This module makes the PyGlove space.
"""

from __future__ import annotations

from edgenas.spaces.nasfpn_factory import PUBLISHED_REFERENCE, NasFpnDetectorEncoding
from edgenas.spaces.search_space import SearchSpace, hyper_of

__all__ = ["NasFpnSpace"]


class NasFpnSpace(SearchSpace):
    """NAS-FPN decoders on a fixed backbone with a fixed head; one DNA per distinct decoder.

    Args:
        encoding: The decoder's decisions, the backbone and the head.
        name: The name the space reports.
        description: One line for listings.
    """

    def __init__(self, *, encoding: NasFpnDetectorEncoding, name: str, description: str) -> None:
        self._encoding = encoding
        super().__init__(
            name,
            hyper_of(encoding.decoder.tree()),
            encoding.to_spec,
            from_spec=encoding.from_spec,
            references={PUBLISHED_REFERENCE: encoding.published},
            description=description,
            plain_values=True,
        )

    @property
    def encoding(self) -> NasFpnDetectorEncoding:
        """The space's decisions, backbone and head, as plain data."""
        return self._encoding

    @property
    def num_distinct_specs(self) -> int:
        """Exact number of distinct specs; each DNA point is another decoder (`NasFpnEncoding.num_distinct_specs`)."""
        return self._encoding.decoder.num_distinct_specs
