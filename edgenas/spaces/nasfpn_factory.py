"""The `nasfpn` space as data: its fixed backbone and head, its listing, and its registry factory (no PyGlove).

`edgenas.spaces.get("nasfpn", backbone="mnasnet_a1")` searches NAS-FPN decoders
(`NasFpnEncoding`: the decisions of shared/spaces.md) on a fixed chain backbone
with the mobile RetinaNet head; its points are `NasFpnDetectorSpec`s. Options:

- `backbone`: a chain reference name (`mobilenet_v2`, the default, `mnasnet_a1`,
  `efficientnetv2_b0`), a chain spec string (`edgenas sample --space mnasnet`
  prints them) or an `ArchSpec`; it must give level 3-5 features.
- `reference`: only `nasfpn` (the published cell), accepted so that `--reference`
  picks it as it picks other spaces' references.
- `num_filters`, `num_repeats`, `use_separable_conv`: the decoder's width, depth
  and convolution kind, fixed for every point (default 128, 3, separable: the
  mobile decoder; the published NAS-FPN is 256 filters of plain convolutions).

The space's reference `nasfpn` is the published cell at those settings.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from edgenas.errors import SpecError, UnknownNameError
from edgenas.spaces.nasfpn_choices import NasFpnEncoding
from edgenas.spaces.space_info import SpaceInfo
from edgenas.specs.arch import ArchSpec
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.nasfpn import NasFpnSpec
from edgenas.specs.nasfpn_detector import NasFpnDetectorSpec

__all__ = [
    "DEFAULT_BACKBONE",
    "NASFPN_HEAD",
    "NasFpnDetectorEncoding",
    "NasFpnSpaceFactory",
    "PUBLISHED_REFERENCE",
    "chain_backbone",
    "describe_nasfpn",
]

DEFAULT_BACKBONE = "mobilenet_v2"
"""The backbone searched on by default: the mnasnet space's MobileNetV2 reference."""

NASFPN_HEAD = DetectionHeadSpec(head_num_convs=4, head_num_filters=128, num_anchors=9, use_separable_conv=True)
"""The RetinaNet head of every point: the mobile head of the chain detectors (4 separable convs x 128, 9 anchors)."""

PUBLISHED_REFERENCE = "nasfpn"
"""The name of the space's reference point: the published cell."""


def _chain_references() -> dict[str, ArchSpec]:
    from edgenas.spaces.mnasnet_choices import REFERENCES  # noqa: PLC0415  (plain data)
    from edgenas.specs.efficientnet_v2_references import (  # noqa: PLC0415
        efficientnet_v2_reference,
        efficientnet_v2_reference_names,
    )

    named = {name: reference.spec() for name, reference in REFERENCES.items()}
    named.update({name: efficientnet_v2_reference(name) for name in efficientnet_v2_reference_names()})
    return named


def chain_backbone(backbone: Any) -> ArchSpec:
    """The backbone `backbone=` names: a chain reference name, a chain spec string or an `ArchSpec`.

    Raises:
        SpecError: If it is none of those, or a chain without level 3, 4 and 5 features; the
            message names the references and where chain spec strings come from.
    """
    from edgenas.specs.chain_levels import feature_taps  # noqa: PLC0415

    references = _chain_references()
    if isinstance(backbone, ArchSpec):
        spec = backbone
    elif isinstance(backbone, str) and backbone in references:
        spec = references[backbone]
    elif isinstance(backbone, str):
        try:
            spec = ArchSpec.parse(backbone)
        except SpecError as error:
            raise SpecError(
                f"backbone {backbone!r} is neither a chain reference ({', '.join(sorted(references))}) nor a chain "
                f"spec string such as `edgenas sample --space mnasnet` prints ({error})"
            ) from None
    else:
        raise SpecError(f"backbone must be a chain reference name, a chain spec string or an ArchSpec, got "
                        f"{type(backbone).__name__}")  # fmt: skip
    try:
        feature_taps(spec)
    except SpecError as error:
        raise SpecError(f"backbone {str(spec)[:60]}... cannot feed a NAS-FPN: {error}") from None
    return spec


@dataclasses.dataclass(frozen=True, kw_only=True)
class NasFpnDetectorEncoding:
    """The `nasfpn` space's points as detectors: the decoder's encoding, the fixed backbone and head.

    Attributes:
        decoder: The decoder's decisions (`NasFpnEncoding`).
        backbone: The fixed chain backbone.
        head: The fixed RetinaNet head.
    """

    decoder: NasFpnEncoding
    backbone: ArchSpec
    head: DetectionHeadSpec = NASFPN_HEAD

    def to_spec(self, value: Any) -> NasFpnDetectorSpec:
        """The detector of a point."""
        return NasFpnDetectorSpec(backbone=self.backbone, decoder=self.decoder.to_decoder(value), head=self.head)

    def from_spec(self, spec: Any) -> dict[str, Any]:
        """The point of a detector.

        Raises:
            SpecError: If `spec` is not a `NasFpnDetectorSpec` with this backbone and head.
        """
        if not isinstance(spec, NasFpnDetectorSpec):
            raise SpecError(f"the nasfpn space holds NasFpnDetectorSpecs, got {type(spec).__name__}")
        if (spec.backbone, spec.head) != (self.backbone, self.head):
            raise SpecError("spec is not a point of this nasfpn space: its backbone or head is not the space's")
        return self.decoder.from_decoder(spec.decoder)

    @property
    def published(self) -> NasFpnDetectorSpec:
        """The published cell on the backbone, with the head."""
        return NasFpnDetectorSpec(backbone=self.backbone, decoder=self.decoder.published, head=self.head)

    def description(self, backbone_label: str) -> str:
        """One line for listings."""
        decoder: NasFpnSpec = self.decoder.published
        conv = "separable" if decoder.use_separable_conv else "plain"
        return (f"NAS-FPN decoder, 7 cells x {decoder.num_repeats} repeats, {decoder.num_filters} {conv} filters, "
                f"on {backbone_label}")  # fmt: skip


def _encoding(
    *, backbone: Any, num_filters: int, num_repeats: int, use_separable_conv: bool
) -> tuple[NasFpnDetectorEncoding, str]:
    try:
        spec = chain_backbone(backbone)
    except SpecError as error:
        raise UnknownNameError(str(error)) from None
    label = backbone if isinstance(backbone, str) and not backbone.count("-") else "a chain backbone"
    decoder = NasFpnEncoding(num_filters=num_filters, num_repeats=num_repeats, use_separable_conv=use_separable_conv)
    return NasFpnDetectorEncoding(decoder=decoder, backbone=spec), label


_DEFAULTS: dict[str, Any] = {"backbone": DEFAULT_BACKBONE, "num_filters": 128, "num_repeats": 3,
                             "use_separable_conv": True}  # fmt: skip


def _options(options: dict[str, Any]) -> dict[str, Any]:
    """The encoding's options with their defaults; `reference=` may only name the space's one reference."""
    reference = options.get("reference", PUBLISHED_REFERENCE)
    if reference != PUBLISHED_REFERENCE:
        raise UnknownNameError(f"unknown nasfpn reference {reference!r}; known: {PUBLISHED_REFERENCE}")
    unknown = sorted(set(options) - set(_DEFAULTS) - {"name", "reference"})
    if unknown:
        raise TypeError(
            f"space 'nasfpn' takes no option {', '.join(unknown)} (it takes: reference, {', '.join(_DEFAULTS)})"
        )
    return {**_DEFAULTS, **{k: v for k, v in options.items() if k not in ("name", "reference")}}


def describe_nasfpn(**options: Any) -> SpaceInfo:
    """What `edgenas spaces` lists about the `nasfpn` space with `options`, without building it.

    Raises:
        UnknownNameError: On a backbone that is not a chain with level 3-5 features.
        TypeError: On an option the space does not take.
    """
    encoding, label = _encoding(**_options(options))
    return SpaceInfo.of_tree(
        encoding.decoder.tree(),
        name="nasfpn",
        spec_type=NasFpnDetectorSpec,
        references=(PUBLISHED_REFERENCE,),
        description=encoding.description(label),
    )


@dataclasses.dataclass(frozen=True)
class NasFpnSpaceFactory:
    """What the registry holds for `nasfpn`: builds `NasFpnSpace(**options)` on call (PyGlove loads then)."""

    OPTIONS: ClassVar[tuple[str, ...]] = tuple(_DEFAULTS)
    """The options the space takes."""

    def __call__(self, **options: Any) -> Any:
        """`NasFpnSpace` with `backbone=`, `num_filters=`, `num_repeats=`, `use_separable_conv=`, `name=`.

        Raises:
            UnknownNameError: On a backbone that is not a chain with level 3-5 features.
            TypeError: On an option the space does not take.
        """
        from edgenas.spaces.nasfpn import NasFpnSpace  # noqa: PLC0415

        name = options.get("name", "nasfpn")
        encoding, label = _encoding(**_options(options))
        return NasFpnSpace(encoding=encoding, name=name, description=encoding.description(label))
