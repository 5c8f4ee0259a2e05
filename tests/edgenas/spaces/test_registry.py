import pyglove as pg
import pytest

from edgenas import spaces
from edgenas.errors import DuplicateNameError, UnknownNameError
from edgenas.specs import ArchSpec, BlockSpec


def test_builtin_spaces_are_listed():
    assert "mnasnet" in spaces.names()
    assert spaces.names() == tuple(sorted(spaces.names()))


def test_unknown_space_lists_known_ones():
    with pytest.raises(UnknownNameError) as error:
        spaces.get("resnet")
    assert str(error.value) == f"unknown space 'resnet'; known spaces: {', '.join(spaces.names())}"


def test_duplicate_registration_raises():
    with pytest.raises(DuplicateNameError, match="'mnasnet' is already registered"):
        spaces.register("mnasnet", spaces.MnasNetSpace)


def test_unknown_reference_lists_known_ones():
    with pytest.raises(UnknownNameError, match="known: mnasnet_a1, mobilenet_v2"):
        spaces.get("mnasnet", reference="resnet50")
    space = spaces.get("mnasnet")
    with pytest.raises(UnknownNameError, match="its references: mobilenet_v2"):
        space.reference("mnasnet_a1")


def _tiny_space(name):
    hyper = pg.Dict(kernel=pg.oneof([3, 5]), filters=pg.oneof([8, 16, 24]))

    def to_spec(value):
        block = BlockSpec(
            block_fn="mbconv",
            num_repeats=1,
            kernel_size=value["kernel"],
            strides=2,
            expand_ratio=3,
            se_ratio=0.0,
            output_filters=value["filters"],
        )
        return ArchSpec(blocks=(block,), stem_filters=8, head_filters=32)

    def from_spec(spec):
        return {"kernel": spec.blocks[0].kernel_size, "filters": spec.blocks[0].output_filters}

    return spaces.SearchSpace(name, hyper, to_spec, from_spec=from_spec, description="tiny")


def test_user_space_registers_and_works_everywhere():
    spaces.register("test_tiny", _tiny_space("test_tiny"))
    try:
        space = spaces.get("test_tiny")
        assert "test_tiny" in spaces.names()
        assert space.size == 6 and space.num_decisions == 2
        specs = space.sample(20, seed=1)
        assert {s.blocks[0].kernel_size for s in specs} == {3, 5}
        assert all(space.contains(s) for s in specs)
        with pytest.raises(TypeError, match="takes no options"):
            spaces.get("test_tiny", reference="x")
    finally:
        spaces.unregister("test_tiny")
    assert "test_tiny" not in spaces.names()
    with pytest.raises(UnknownNameError):
        spaces.unregister("test_tiny")


def test_register_rejects_bad_names_and_objects():
    with pytest.raises(ValueError, match="non-empty word"):
        spaces.register("two words", _tiny_space("x"))
    with pytest.raises(TypeError, match="SearchSpace or a factory"):
        spaces.register("not_a_space", 42)


def test_plain_value_fast_path_agrees_with_pyglove_materialize():
    import random

    fast = spaces.get("mnasnet")
    slow = spaces.SearchSpace("mnasnet_slow", fast.hyper, fast._to_spec)  # materialize path
    rng = random.Random(7)
    for _ in range(20):
        dna = fast.random_dna(rng)
        assert fast.spec_from_dna(dna) == slow.spec_from_dna(dna)


def test_plain_values_rejects_non_literal_choices():
    hyper = pg.Dict(k=pg.floatv(0.0, 1.0))
    with pytest.raises(ValueError, match="plain_values needs"):
        spaces.SearchSpace("float_space", hyper, lambda v: None, plain_values=True)


def test_derive_from_a_pyglove_edit_of_a_prebuilt_space():
    space = spaces.get("mnasnet")
    hyper = space.hyper.clone(deep=True)
    hyper.rebind({"[0].kernel_size": 5, "[6].se_ratio": pg.oneof([0.25])})
    mine = space.derive("mnasnet_mine", hyper)
    assert mine.num_decisions == space.num_decisions - 1  # a one-candidate oneof stays a decision
    assert mine.size * 4 == space.size
    assert mine.reference_names() == ()  # MobileNetV2 has a 3x3 first stage and no SE
    for spec in mine.sample(10, seed=0):
        assert spec.blocks[0].kernel_size == 5
        assert spec.blocks[6].se_ratio in (0.0, 0.25)  # conv blocks drop SE
        assert mine.spec_from_dna(mine.dna_of(spec)) == spec
    assert space.size == 9_749_755_840_167_936  # the prebuilt space is untouched
