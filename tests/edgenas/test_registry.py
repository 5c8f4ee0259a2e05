"""Tests of edgenas/registry.py: the one helper every registry uses, its verbs and its messages."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from edgenas.errors import DuplicateNameError, EdgenasError, UnknownNameError
from edgenas.registry import Registry

SOURCE = Path(__file__).resolve().parents[2] / "edgenas" / "registry.py"


def _spaces() -> Registry[str, int]:
    registry = Registry[str, int]("space")
    registry.register("mnasnet", 1)
    registry.register("efficientnet_v2", 2)
    return registry


def test_registered_objects_are_found_and_listed_sorted() -> None:
    registry = _spaces()
    assert registry.get("mnasnet") == 1 and registry.get("efficientnet_v2") == 2
    assert registry.names() == ("efficientnet_v2", "mnasnet")
    assert registry.items() == (("mnasnet", 1), ("efficientnet_v2", 2))  # registration order
    assert list(registry) == ["mnasnet", "efficientnet_v2"]
    assert len(registry) == 2 and registry.label == "space"
    assert "mnasnet" in registry and "resnet" not in registry and ["mnasnet"] not in registry
    assert repr(registry) == "Registry('space': efficientnet_v2, mnasnet)"


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as raised:
        _spaces().get("resnet")
    assert str(raised.value) == "unknown space 'resnet'; known spaces: efficientnet_v2, mnasnet"
    assert isinstance(raised.value, EdgenasError) and isinstance(raised.value, LookupError)


def test_an_empty_registry_says_none() -> None:
    with pytest.raises(UnknownNameError) as raised:
        Registry[str, int]("reward kind").get("darts")
    assert str(raised.value) == "unknown reward kind 'darts'; known reward kinds: none"


@pytest.mark.parametrize("name", [None, ["mnasnet"], 3])
def test_a_key_that_is_no_name_is_unknown_not_a_crash(name: object) -> None:
    with pytest.raises(UnknownNameError) as raised:
        _spaces().get(name)  # type: ignore[arg-type]
    assert str(raised.value) == f"unknown space {name!r}; known spaces: efficientnet_v2, mnasnet"


def test_a_duplicate_name_lists_the_known_ones_and_keeps_the_first() -> None:
    registry = _spaces()
    with pytest.raises(DuplicateNameError) as raised:
        registry.register("mnasnet", 3)
    assert str(raised.value) == (
        "a space named 'mnasnet' is already registered; known spaces: efficientnet_v2, mnasnet"
    )
    assert isinstance(raised.value, EdgenasError) and isinstance(raised.value, ValueError)
    assert registry.get("mnasnet") == 1


def test_replace_overwrites_a_registration() -> None:
    registry = _spaces()
    registry.register("mnasnet", 3, replace=True)
    assert registry.get("mnasnet") == 3 and registry.names() == ("efficientnet_v2", "mnasnet")
    registry.register("nasfpn", 4, replace=True)  # replace=True also registers a new name
    assert registry.get("nasfpn") == 4


def test_unregister_removes_and_an_unknown_name_lists_the_known_ones() -> None:
    registry = _spaces()
    registry.unregister("mnasnet")
    assert registry.names() == ("efficientnet_v2",) and "mnasnet" not in registry
    with pytest.raises(UnknownNameError) as raised:
        registry.unregister("mnasnet")
    assert str(raised.value) == "unknown space 'mnasnet'; known spaces: efficientnet_v2"


@pytest.mark.parametrize("name", ["", "two words", "tab\there", None, 5])
def test_a_name_must_be_a_non_empty_word(name: object) -> None:
    registry = _spaces()
    with pytest.raises(ValueError) as raised:
        registry.register(name, 9)  # type: ignore[arg-type]
    assert str(raised.value) == f"a space name must be a non-empty word, got {name!r}"
    assert registry.names() == ("efficientnet_v2", "mnasnet")


def test_the_article_and_the_plural_follow_the_label() -> None:
    algorithms = Registry[str, int]("algorithm")
    algorithms.register("random", 1)
    with pytest.raises(DuplicateNameError) as raised:
        algorithms.register("random", 2)
    assert str(raised.value) == "an algorithm named 'random' is already registered; known algorithms: random"
    with pytest.raises(ValueError, match="^an algorithm name must be a non-empty word, got ''$"):
        algorithms.register("", 2)
    families = Registry[str, int]("regressor family", plural="regressor families")
    families.register("linear", 1)
    with pytest.raises(UnknownNameError) as unknown:
        families.get("forest")
    assert str(unknown.value) == "unknown regressor family 'forest'; known regressor families: linear"


class _Spec:
    pass


class _OtherSpec:
    pass


def test_keys_other_than_names_are_named_by_key_name() -> None:
    builders = Registry[type, str]("buildable spec type", key_name=lambda t: t.__name__)
    builders.register(_Spec, "chain")
    builders.register(_OtherSpec, "detector")
    assert builders.get(_Spec) == "chain" and _OtherSpec in builders and _Spec.__name__ not in builders
    assert builders.names() == ("_OtherSpec", "_Spec")
    with pytest.raises(UnknownNameError) as unknown:
        builders.get(str)
    assert str(unknown.value) == "unknown buildable spec type 'str'; known buildable spec types: _OtherSpec, _Spec"
    with pytest.raises(DuplicateNameError) as duplicate:
        builders.register(_Spec, "again")
    assert str(duplicate.value) == (
        "a buildable spec type named '_Spec' is already registered; known buildable spec types: _OtherSpec, _Spec"
    )


def test_a_label_is_required() -> None:
    with pytest.raises(ValueError, match="^a registry label must be a non-empty string, got ''$"):
        Registry[str, int]("")


def test_the_helper_imports_only_the_standard_library_and_the_errors() -> None:
    """Any layer may use it: `latency_models` (numpy and plain edgenas data only) included."""
    tree = ast.parse(SOURCE.read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    outside = sorted(m for m in modules if m.split(".")[0] not in sys.stdlib_module_names and m != "__future__")
    assert outside == ["edgenas.errors"]
