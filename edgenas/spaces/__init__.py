"""Search spaces: PyGlove hyper values whose points are typed specs, by name.

`get("mnasnet", reference="mnasnet_a1")`, `get("efficientnet_v2")`, `names()`, `register(name, space)`
for spaces of your own, and `describe(name, **options)` / `describe_all()`:
what `edgenas spaces` lists (size, decisions, task, references), read from
the spaces' choice tables.

Importing this package does not import PyGlove: the registry, the choice tables
and the listing are plain data; PyGlove loads when a space is built (`get`)
or a PyGlove-side name (`SearchSpace`, `MnasNetSpace`, `EfficientNetV2Space`,
`SpineNetSpace`) is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from edgenas.spaces import registry
from edgenas.spaces.choices import ANY_CHOICE, Choice
from edgenas.spaces.efficientnet_v2_choices import EfficientNetV2SpaceFactory, describe_efficientnet_v2
from edgenas.spaces.mnasnet_choices import MnasNetSpaceFactory, StageChoices, describe_mnasnet
from edgenas.spaces.nasfpn_factory import NasFpnSpaceFactory, describe_nasfpn
from edgenas.spaces.registry import describe, describe_all, factory, get, names, register, unregister, variants
from edgenas.spaces.space_info import SpaceInfo
from edgenas.spaces.spinenet_choices import FACTORIES as _SPINENET_FACTORIES
from edgenas.spaces.spinenet_choices import SpineNetChoices

register("mnasnet", MnasNetSpaceFactory(), describe=describe_mnasnet)
register("efficientnet_v2", EfficientNetV2SpaceFactory(), describe=describe_efficientnet_v2)
register("nasfpn", NasFpnSpaceFactory(), describe=describe_nasfpn)
for _name, _factory in _SPINENET_FACTORIES.items():
    register(_name, _factory, describe=_factory.describe)
del _name, _factory

_LAZY = {
    "SearchSpace": "edgenas.spaces.search_space",
    "MnasNetSpace": "edgenas.spaces.mnasnet",
    "NasFpnSpace": "edgenas.spaces.nasfpn",
    "EfficientNetV2Space": "edgenas.spaces.efficientnet_v2",
    "SpineNetSpace": "edgenas.spaces.spinenet",
}
"""PyGlove-side names -> their module, imported on first use."""

__all__ = [
    "ANY_CHOICE",
    "Choice",
    "EfficientNetV2Space",
    "MnasNetSpace",
    "NasFpnSpace",
    "SearchSpace",
    "SpaceInfo",
    "SpineNetChoices",
    "SpineNetSpace",
    "StageChoices",
    "describe",
    "describe_all",
    "factory",
    "get",
    "names",
    "register",
    "registry",
    "unregister",
    "variants",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'edgenas.spaces' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
