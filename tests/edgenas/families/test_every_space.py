"""Every registered search space, end to end (timm's habit of testing every registered model).

The tests are parametrised over `edgenas.spaces.names()` as it stands when
pytest collects this file, and over every task each space serves (its own and
its families' wrapped forms, `edgenas.spaces.task_form`), so a space is tested
by registering it: no list here names the spaces. Each space is built the
default way, `spaces.get(name)` (with `task=` for a wrapped form).

- Fast (no TensorFlow): seeded points read back from their strings (through
  every family's parser and through the space's own), their DNA gives them
  back, their family is the space's, and the family costs them at the smallest
  input it accepts.
- Slow, one per space: a point is built as Keras with the family's parameter
  count, exported to TFLite fp32, run in LiteRT on a seeded image, and its
  outputs are finite, named and shaped as the family declares, in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from edgenas import export_spec, spaces
from edgenas.families import Family, OutputSignature, family_of, family_of_type, parse_spec
from edgenas.spaces import SearchSpace

_SEED = 0
_FAST_POINTS = 4
_NUM_CLASSES = 5
_MIN_SIDE = 32  # the heavy test's input is at least this wide (a chain's stride alone may allow less)


def registered_space_names() -> tuple[str, ...]:
    """The spaces these tests cover: every registered name, read at collection time."""
    return spaces.names()


def registered_space_tasks() -> list[Any]:
    """(name, task) of every registered space and every task it serves, as pytest params ("mnasnet-detection")."""
    from edgenas.spaces.task_form import tasks_of  # noqa: PLC0415

    return [
        pytest.param(name, task, id=f"{name}-{task}")
        for name in registered_space_names()
        for task in tasks_of(spaces.describe(name).spec_type)
    ]


def _check_points(space: SearchSpace) -> None:
    """The fast checks of one space: strings, DNA, family and cost of seeded points and named references."""
    points = space.sample(_FAST_POINTS, seed=_SEED)
    assert space.sample(_FAST_POINTS, seed=_SEED) == points, "the same seed must give the same points"
    points += [space.reference(name) for name in space.reference_names()]
    family = family_of_type(space.spec_type)
    for spec in points:
        text = str(spec)
        assert type(spec) is space.spec_type, text
        assert parse_spec(text) == spec, text
        assert space.parse_spec(text) == spec, text
        assert space.spec_from_dna(space.dna_of(spec)) == spec, text
        assert family_of(spec) is family, text
        side = family.input_multiple(spec)
        shape = family.check_input(spec, input_shape=(side, side, 3), num_classes=_NUM_CLASSES)
        cost = family.cost(spec, input_shape=shape, num_classes=_NUM_CLASSES)
        assert cost.params > 0, text
        assert cost.macs > 0, text
        assert family.outputs(spec, input_shape=shape, num_classes=_NUM_CLASSES), text


@pytest.mark.parametrize(("name", "task"), registered_space_tasks())
def test_points_read_back_from_strings_and_dna_and_are_costed(name: str, task: str) -> None:
    _check_points(spaces.get(name, task=task))


def test_a_newly_registered_space_is_covered() -> None:
    base = spaces.get("mnasnet")
    hyper = base.hyper.clone(deep=True)
    hyper.rebind({"[0].kernel_size": 3})
    name = "every_space_test_mnasnet_k3"
    assert name not in registered_space_names()
    spaces.register(name, base.derive(name, hyper))
    try:
        assert name in registered_space_names()
        derived = spaces.get(name)
        assert derived.num_decisions == base.num_decisions - 1
        assert {spec.blocks[0].kernel_size for spec in derived.sample(_FAST_POINTS, seed=_SEED)} == {3}
        _check_points(derived)
    finally:
        spaces.unregister(name)
    assert name not in registered_space_names()


def _smallest_input(family: Family, spec: Any) -> tuple[int, int, int]:
    """The smallest square input that is a multiple of the family's and at least `_MIN_SIDE` wide."""
    multiple = family.input_multiple(spec)
    side = multiple * -(-_MIN_SIDE // multiple)
    return family.check_input(spec, input_shape=(side, side, 3), num_classes=_NUM_CLASSES)


def _run_litert(path: Any, image: np.ndarray) -> tuple[dict[str, Any], list[tuple[dict[str, Any], np.ndarray]]]:
    """The file's input details and each output's details with its value, in file order."""
    from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    interpreter.set_tensor(inp["index"], image)
    interpreter.invoke()
    details = interpreter.get_output_details()
    return inp, [(d, interpreter.get_tensor(d["index"])) for d in details]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "task"), registered_space_tasks())
def test_a_point_builds_exports_and_runs_in_litert(name: str, task: str, tmp_path: Any) -> None:
    import keras  # noqa: PLC0415

    space = spaces.get(name, task=task)
    (spec,) = space.sample(1, seed=_SEED)
    family = family_of(spec)
    shape = _smallest_input(family, spec)
    cost = family.cost(spec, input_shape=shape, num_classes=_NUM_CLASSES)

    model = family.build(spec, input_shape=shape, num_classes=_NUM_CLASSES)
    assert model.count_params() == cost.params  # a family's cost is Keras' count, from the spec alone
    del model
    keras.backend.clear_session()

    result = export_spec(
        spec, out_dir=tmp_path, formats="tflite", precision="fp32", input_shape=shape, num_classes=_NUM_CLASSES
    )
    image = np.random.default_rng(_SEED).uniform(-1.0, 1.0, size=(1, *shape)).astype(np.float32)
    inp, outputs = _run_litert(result.tflite_path, image)

    assert (inp["name"], tuple(inp["shape"]), inp["dtype"]) == (family.input_name, (1, *shape), np.float32)
    declared = family.outputs(spec, input_shape=shape, num_classes=_NUM_CLASSES)
    assert len(outputs) == len(declared)
    got = [
        OutputSignature(name=d["name"] if want.name else "", shape=tuple(int(n) for n in d["shape"]))
        for (d, _), want in zip(outputs, declared)
    ]
    assert got == list(declared)
    for d, value in outputs:
        assert value.dtype == np.float32, d["name"]
        assert np.isfinite(value).all(), d["name"]
