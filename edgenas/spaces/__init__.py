"""Search spaces: PyGlove hyper values whose points are typed specs, by name.

`get("mnasnet", reference="mnasnet_a1")`, `names()`, and `register(name, space)`
for spaces of your own.
"""

from edgenas.spaces import registry
from edgenas.spaces.mnasnet import MnasNetSpace, StageChoices
from edgenas.spaces.registry import factory, get, names, register, unregister
from edgenas.spaces.search_space import ANY_CHOICE, SearchSpace

register("mnasnet", MnasNetSpace)

__all__ = [
    "ANY_CHOICE",
    "MnasNetSpace",
    "SearchSpace",
    "StageChoices",
    "factory",
    "get",
    "names",
    "register",
    "registry",
    "unregister",
]
