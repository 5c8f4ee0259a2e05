"""Tests of edgenas/families/registry.py: one family per spec type, found by the spec, refused loudly otherwise."""

from __future__ import annotations

import pytest

import edgenas
from edgenas.errors import DuplicateNameError, SpecError, SpecParseError, UnknownNameError
from edgenas.families import (
    ChainClassifierFamily,
    SpineNetDetectorFamily,
    Task,
    families,
    family_named,
    family_of,
    family_of_type,
    parse_spec,
    register_family,
    spec_types,
    unregister_family,
)
from edgenas.specs import ArchSpec, SpineNetDetectorSpec, SpineNetSpec
from edgenas.specs.chain_detector import ChainDetectorSpec
from edgenas.specs.nasfpn_detector import NasFpnDetectorSpec
from edgenas.specs.segmenter import ChainSegmenterSpec, SpineNetSegmenterSpec


def test_the_builtin_families_own_the_builtin_spec_types() -> None:
    names = ["chain_classifier", "chain_detector", "chain_segmenter", "nasfpn_detector", "spinenet_detector",
             "spinenet_segmenter"]  # fmt: skip
    assert [f.name for f in families()] == names
    assert spec_types() == (ArchSpec, ChainDetectorSpec, ChainSegmenterSpec, NasFpnDetectorSpec, SpineNetSpec,
                            SpineNetDetectorSpec, SpineNetSegmenterSpec)  # fmt: skip
    assert family_of_type(ArchSpec) is family_named("chain_classifier")
    assert family_of_type(SpineNetSpec) is family_of_type(SpineNetDetectorSpec) is family_named("spinenet_detector")
    assert family_named("spinenet_detector").task is Task.DETECTION
    assert family_named("spinenet_detector").metric.name == "AP@0.5"
    assert family_named("chain_classifier").deployment.input_shape == (224, 224, 3)
    for name in ("chain_segmenter", "spinenet_segmenter"):
        assert family_named(name).task is Task.SEGMENTATION
        assert family_named(name).metric.name == "mIoU"


def test_unknown_types_and_names_are_refused_with_what_exists() -> None:
    with pytest.raises(UnknownNameError) as error:
        family_of("mnasnet")
    assert str(error.value) == (
        "unknown spec type 'str'; known spec types: ArchSpec, ChainDetectorSpec, ChainSegmenterSpec, "
        "NasFpnDetectorSpec, SpineNetDetectorSpec, SpineNetSegmenterSpec, SpineNetSpec"
    )
    with pytest.raises(UnknownNameError) as error:
        family_named("segmenter")
    assert str(error.value) == (
        "unknown family 'segmenter'; known families: chain_classifier, chain_detector, chain_segmenter, "
        "nasfpn_detector, spinenet_detector, spinenet_segmenter"
    )


def test_a_family_or_spec_type_is_registered_once() -> None:
    with pytest.raises(DuplicateNameError, match="a family named 'chain_classifier' is already registered; known families: chain_classifier, "):
        register_family(ChainClassifierFamily())

    class Renamed(SpineNetDetectorFamily):
        name = "spinenet_again"

    with pytest.raises(DuplicateNameError, match="spec type SpineNetSpec already belongs to family 'spinenet_detector'"):
        register_family(Renamed())
    assert "spinenet_again" not in [f.name for f in families()]  # nothing half-registered
    with pytest.raises(TypeError, match="register_family needs a Family, got str"):
        register_family("chain_classifier")  # type: ignore[arg-type]


def test_a_new_family_is_one_registration() -> None:
    class Tagged(ArchSpec):
        pass

    class TaggedFamily(ChainClassifierFamily):
        name = "tagged_chain"
        spec_types = (Tagged,)

    register_family(TaggedFamily())
    try:
        assert family_of_type(Tagged).name == "tagged_chain"
        assert "tagged_chain" in [f.name for f in families()]
    finally:
        unregister_family("tagged_chain")
    with pytest.raises(UnknownNameError):
        family_of_type(Tagged)


def test_parse_spec_reads_every_family_and_names_each_complaint() -> None:
    a1 = edgenas.spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
    (backbone,) = edgenas.spaces.get("spinenet").sample(1, seed=3)
    assert parse_spec(str(a1)) == a1
    assert parse_spec(str(backbone)) == backbone
    with pytest.raises(SpecParseError) as error:
        parse_spec("not a spec")
    message = str(error.value)
    assert message.startswith("not a spec string of any known family (chain_classifier: ")
    assert "; spinenet_detector: not a SpineNetSpec or SpineNetDetectorSpec string (SpineNetSpec: " in message


def test_a_family_whose_grammar_reads_the_text_answers_alone() -> None:
    """A SpineNet string with a bad value is that family's error, not a list of every grammar's complaint."""
    (backbone,) = edgenas.spaces.get("spinenet").sample(1, seed=3)
    text = str(backbone).replace("-alpha0.5-", "-alphainf-")
    assert text != str(backbone)
    with pytest.raises(SpecError) as error:
        parse_spec(text)
    assert not isinstance(error.value, SpecParseError)
    assert str(error.value) == "resample_alpha must be a finite number, got inf"
