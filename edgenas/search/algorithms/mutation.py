"""`DistinctUniform`: PyGlove's uniform mutator that never returns its parent unchanged."""

from __future__ import annotations

import pyglove as pg

__all__ = ["DistinctUniform"]

_MAX_REDRAWS = 32


class DistinctUniform(pg.evolution.mutators.Uniform):
    """Re-samples one random node of the DNA, redrawing until the child differs from its parent.

    PyGlove's `Uniform` draws the node's new value among all its candidates, the
    old one included: on a two-way decision half the mutations change nothing,
    and with trials costing a minute each, regularized evolution would spend a
    large share of a short search re-proposing its parents (seen in the demo:
    4 of the 5 children were a parent). Redraws use the same seeded stream, so
    the same seed still gives the same children. A DNA whose every redraw comes
    back unchanged (a space of one point) is returned as it is.
    """

    def mutate(self, dna: pg.DNA, step: int = 0) -> pg.DNA:
        """A mutated copy of `dna` that differs from it in at least one decision."""
        parent = dna.to_numbers()
        child = dna
        for _ in range(_MAX_REDRAWS):
            child = super().mutate(dna, step)
            if child.to_numbers() != parent:
                return child
        return child
