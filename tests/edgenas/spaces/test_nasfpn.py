"""The `nasfpn` space: NAS-FPN decoders on a fixed chain backbone, one DNA per decoder."""

import math

import pytest

import edgenas.spaces as spaces
from edgenas.errors import SpecError, UnknownNameError
from edgenas.spaces import SpaceInfo
from edgenas.spaces.mnasnet_choices import REFERENCES
from edgenas.spaces.nasfpn_factory import NASFPN_HEAD
from edgenas.specs import efficientnet_v2_reference
from edgenas.specs.nasfpn import PUBLISHED_NASFPN_CELLS, published_nasfpn
from edgenas.specs.nasfpn_detector import NasFpnDetectorSpec

# shared/spaces.md: per intermediate cell 4 levels x 2 combines x C(5 + i, 2) pairs; per output cell 2 combines x
# C(7 + j, 2) pairs; 5! orders of the output levels.
_SIZE = (
    (4 * 2 * math.comb(5, 2)) * (4 * 2 * math.comb(6, 2))
    * math.prod(2 * math.comb(7 + j, 2) for j in range(5)) * math.factorial(5)
)  # fmt: skip


def test_the_default_space_is_the_mobile_decoder_on_mobilenet_v2():
    space = spaces.get("nasfpn")
    assert space.size == space.num_distinct_specs == _SIZE == 1_931_334_451_200_000
    assert space.num_decisions == 20
    published = space.reference("nasfpn")
    assert published == NasFpnDetectorSpec(
        backbone=REFERENCES["mobilenet_v2"].spec(),
        decoder=published_nasfpn(num_filters=128, num_repeats=3, use_separable_conv=True),
        head=NASFPN_HEAD,
    )
    assert published.decoder.cells == PUBLISHED_NASFPN_CELLS
    assert space.contains(published)
    for spec in space.sample(20, seed=4):
        assert isinstance(spec, NasFpnDetectorSpec)
        assert (spec.backbone, spec.head) == (published.backbone, NASFPN_HEAD)
        assert space.spec_from_dna(space.dna_of(spec)) == spec
    assert len({str(spec) for spec in space.sample(200, seed=5)}) == 200  # distinct DNA, distinct decoders


def test_backbones_by_reference_spec_string_and_settings():
    b0 = efficientnet_v2_reference("efficientnetv2_b0")
    by_name = spaces.get("nasfpn", backbone="efficientnetv2_b0")
    by_text = spaces.get("nasfpn", backbone=str(b0))
    assert by_name.reference("nasfpn") == by_text.reference("nasfpn")
    assert by_name.reference("nasfpn").backbone == b0
    wide = spaces.get("nasfpn", num_filters=256, use_separable_conv=False)
    assert wide.reference("nasfpn").decoder == published_nasfpn()
    assert not wide.contains(spaces.get("nasfpn").reference("nasfpn"))
    with pytest.raises(SpecError, match="not a point of this nasfpn space: its backbone or head"):
        spaces.get("nasfpn").dna_of(by_name.reference("nasfpn"))


def test_bad_options_name_what_works():
    with pytest.raises(UnknownNameError, match=r"backbone 'spinenet49' is neither a chain reference \(efficientnetv2_b0, "
                                               r"mnasnet_a1, mobilenet_v2\) nor a chain spec string"):  # fmt: skip
        spaces.get("nasfpn", backbone="spinenet49")
    with pytest.raises(UnknownNameError, match="cannot feed a NAS-FPN: a detection backbone must end at stride 32"):
        spaces.get("nasfpn", backbone="relu-stem32-conv_r1_k3_s2_e1_se0_c16-head64")
    with pytest.raises(UnknownNameError, match="unknown nasfpn reference 'spinenet49'; known: nasfpn"):
        spaces.get("nasfpn", reference="spinenet49")
    with pytest.raises(TypeError, match=r"takes no option filters \(it takes: reference, backbone, num_filters"):
        spaces.get("nasfpn", filters=64)
    with pytest.raises(UnknownNameError, match="no 'classification' form"):
        spaces.get("nasfpn", task="classification")


def test_the_listing_matches_the_built_space():
    listed = spaces.describe("nasfpn", backbone="mnasnet_a1")
    built = SpaceInfo.of(spaces.get("nasfpn", backbone="mnasnet_a1"), name="nasfpn", options={"backbone": "mnasnet_a1"})
    assert listed == built
    assert listed.description == "NAS-FPN decoder, 7 cells x 3 repeats, 128 separable filters, on mnasnet_a1"
