"""Proposals that render to a spec the study already tried cost no trial."""

import pyglove as pg

from edgenas import spaces
from edgenas.search.loop import _MAX_REPEATED_PROPOSALS, _propose_untried
from edgenas.specs import ArchSpec, BlockSpec


def _space_with_a_dead_decision():
    """Two decisions, of which only `filters` reaches the spec (like a conv block's expansion)."""
    hyper = pg.Dict(unused=pg.oneof([0, 1]), filters=pg.oneof([8, 16, 24]))

    def to_spec(value):
        block = BlockSpec(
            block_fn="mbconv", num_repeats=1, kernel_size=3, strides=2, expand_ratio=3, se_ratio=0.0,
            output_filters=value["filters"],
        )
        return ArchSpec(blocks=(block,), stem_filters=8, head_filters=32)

    return spaces.SearchSpace("dead_decision", hyper, to_spec, description="tiny")


class _Scripted:
    """Proposes fixed DNAs in order and records every feedback."""

    def __init__(self, space, numbers):
        self._dnas = [pg.DNA(n).use_spec(space.dna_spec) for n in numbers]
        self.told = []

    def propose(self):
        return self._dnas.pop(0)

    def feedback(self, dna, value):
        self.told.append((dna.to_numbers(), value))


def test_a_repeated_spec_is_fed_back_and_the_next_proposal_taken():
    space = _space_with_a_dead_decision()
    tried = {str(space.spec_from_dna(pg.DNA([0, 1]).use_spec(space.dna_spec))): 0.7}
    algo = _Scripted(space, [[1, 1], [0, 1], [1, 2]])  # the first two render to the tried spec
    dna, spec = _propose_untried(algo, space, tried)
    assert dna.to_numbers() == [1, 2] and spec.blocks[0].output_filters == 24
    assert algo.told == [([1, 1], 0.7), ([0, 1], 0.7)]


def test_an_exhausted_space_returns_the_repeat_after_the_limit():
    space = _space_with_a_dead_decision()
    tried = {str(space.spec_from_dna(pg.DNA([0, f]).use_spec(space.dna_spec))): 0.5 for f in range(3)}
    algo = _Scripted(space, [[0, 0]] * (_MAX_REPEATED_PROPOSALS + 1))
    dna, spec = _propose_untried(algo, space, tried)
    assert dna.to_numbers() == [0, 0] and str(spec) in tried
    assert len(algo.told) == _MAX_REPEATED_PROPOSALS
