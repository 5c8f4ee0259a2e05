"""Typed, frozen architecture specs: the data every other part of edgenas reads."""

from edgenas.specs.arch import ArchSpec
from edgenas.specs.block import BlockSpec
from edgenas.specs.costs import NetworkCost, estimate_cost, se_reduced_filters
from edgenas.specs.enums import Activation, BlockFn

__all__ = [
    "Activation",
    "ArchSpec",
    "BlockFn",
    "BlockSpec",
    "NetworkCost",
    "estimate_cost",
    "se_reduced_filters",
]
