"""Choice trees: counted without PyGlove, turned into the PyGlove hyper value the spaces search."""

import dataclasses

import pyglove as pg
import pytest

from edgenas.errors import SpecError
from edgenas.spaces import ANY_CHOICE, Choice, spinenet_choices
from edgenas.spaces.choices import decision_sizes, has_point
from edgenas.spaces.mnasnet_choices import MnasNetEncoding, StageChoices
from edgenas.spaces.search_space import SearchSpace, hyper_of

_TREE = {"kernel": Choice((3, 5)), "blocks": [{"filters": Choice((8, 16, 24)), "strides": 2}, Choice(("a",))], "k": 1}


def test_decision_sizes_counts_each_choice_in_order():
    assert decision_sizes(_TREE) == (2, 3, 1)  # a one-candidate Choice is a decision, a literal is not
    assert decision_sizes(7) == () and decision_sizes([]) == ()
    with pytest.raises(ValueError, match="found object"):
        decision_sizes({"x": object()})


def test_hyper_of_is_the_pyglove_value_the_tree_declares():
    hyper = hyper_of(_TREE)
    blocks = pg.List([pg.Dict(filters=pg.oneof([8, 16, 24]), strides=2), pg.oneof(["a"])])
    expected = pg.Dict(kernel=pg.oneof([3, 5]), blocks=blocks, k=1)
    assert pg.eq(hyper, expected)
    space = pg.dna_spec(hyper)
    assert (space.space_size, len(space.decision_points)) == (6, 3)


def test_choice_is_validated():
    assert Choice([1, 2]).candidates == (1, 2)
    with pytest.raises(ValueError, match="at least one candidate"):
        Choice(())
    with pytest.raises(ValueError, match="chooses among literals, got \\[1\\]"):
        Choice(([1], 2))


def test_has_point_agrees_with_the_built_space():
    encoding = MnasNetEncoding.around("mnasnet_a1")
    space = SearchSpace("probe", hyper_of(encoding.tree()), encoding.to_spec, from_spec=encoding.from_spec,
                        plain_values=True)  # fmt: skip
    a1 = encoding.reference.spec()
    wide = dataclasses.replace(a1, blocks=(dataclasses.replace(a1.blocks[0], output_filters=17), *a1.blocks[1:]))
    mobilenet_v2 = MnasNetEncoding.around("mobilenet_v2").reference.spec()  # relu6: not this space's activation
    expected = [True, True, True, True, False, False]
    for spec, inside in zip([a1, *space.sample(3, seed=0), wide, mobilenet_v2], expected, strict=True):
        assert has_point(encoding.tree(), encoding.to_spec, encoding.from_spec, spec) is inside
        assert space.contains(spec) is inside


def test_has_point_reads_any_choice_and_refuses_values_off_the_candidates():
    tree = {"a": Choice((1, 2)), "b": Choice((0.0, 0.5)), "c": 3}

    def from_spec(spec):
        if spec == "bad":
            raise SpecError("bad")
        return {"a": spec[0], "b": ANY_CHOICE if spec[1] is None else spec[1]}

    def to_spec(value):
        return (value["a"], value["b"], value["c"])

    assert has_point(tree, to_spec, from_spec, (1, 0.5, 3))
    assert not has_point(tree, to_spec, from_spec, (1, None, 3))  # ANY_CHOICE picks 0.0: (1, 0.0, 3) differs
    assert not has_point(tree, to_spec, from_spec, (1, 0, 3))  # 0 is not the literal 0.0
    assert not has_point(tree, to_spec, from_spec, (4, 0.5, 3))
    assert not has_point(tree, to_spec, from_spec, "bad")


def test_the_pyglove_views_of_the_tables_keep_working():
    stage = StageChoices.around(repeats=1, filters=16)
    assert pg.eq(stage.hyper(), hyper_of(stage.tree()))
    assert "num_repeats" in stage.tree() and isinstance(stage.tree()["num_repeats"], Choice)
    perm = spinenet_choices.MultisetPermutation(((3, 2), (4, 1)))
    assert pg.eq(perm.hyper(), pg.Dict(level3=pg.oneof([0, 1, 2])))
