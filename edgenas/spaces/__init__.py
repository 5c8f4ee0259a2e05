"""Search spaces: PyGlove hyper values whose points are typed specs, by name.

`get("mnasnet", reference="mnasnet_a1")`, `names()`, and `register(name, space)`
for spaces of your own.
"""

from edgenas.spaces import registry
from edgenas.spaces.mnasnet import MnasNetSpace, StageChoices
from edgenas.spaces.registry import factory, get, names, register, unregister
from edgenas.spaces.search_space import ANY_CHOICE, SearchSpace
from edgenas.spaces.spinenet import FACTORIES as _SPINENET_FACTORIES
from edgenas.spaces.spinenet import SpineNetChoices, SpineNetSpace

register("mnasnet", MnasNetSpace)
for _name, _factory in _SPINENET_FACTORIES.items():
    register(_name, _factory)

__all__ = [
    "ANY_CHOICE",
    "MnasNetSpace",
    "SearchSpace",
    "SpineNetChoices",
    "SpineNetSpace",
    "StageChoices",
    "factory",
    "get",
    "names",
    "register",
    "registry",
    "unregister",
]
