"""NasFpnSpec: the published cells, strict token and JSON round trips, validation messages, derived facts."""

import dataclasses
import json
import random
import subprocess
import sys

import pytest

from edgenas.errors import SpecError, SpecParseError
from edgenas.specs.nasfpn import (
    NASFPN_EXAMPLE,
    PUBLISHED_NASFPN_CELLS,
    NasFpnCell,
    NasFpnCombine,
    NasFpnSpec,
    published_nasfpn,
)

_PUBLISHED = "nasfpn_f256_r3_c4a1.3_c4s1.5_c3s0.6o_c4s6.7o_c5a7.8o_c7a6.9o_c6a9.10o"
_SUM, _ATTENTION = NasFpnCombine.SUM, NasFpnCombine.ATTENTION


def _random_spec(rng: random.Random) -> NasFpnSpec:
    """A valid spec drawn from the rules of shared/spaces.md directly (no encoding)."""
    cells = []
    for i in range(2):
        first, second = sorted(rng.sample(range(5 + i), 2))
        cells.append(NasFpnCell(rng.choice((4, 5, 6, 7)), rng.choice(list(NasFpnCombine)), (first, second), False))
    levels = [3, 4, 5, 6, 7]
    rng.shuffle(levels)
    for j, level in enumerate(levels):
        first, second = sorted(rng.sample(range(7 + j), 2))
        cells.append(NasFpnCell(level, rng.choice(list(NasFpnCombine)), (first, second), True))
    return NasFpnSpec(
        tuple(cells),
        num_filters=rng.choice((8, 64, 128, 256, 384)),
        num_repeats=rng.randint(1, 7),
        use_separable_conv=rng.random() < 0.5,
    )


_RANDOM = [_random_spec(random.Random(seed)) for seed in range(40)]


def test_published_cells_are_those_of_model_garden():
    # (level, combine, inputs, is_output), nodes 0-4 being levels 3-7 (shared/spaces.md, Model Garden).
    assert [(c.level, c.combine.value, c.inputs, c.is_output) for c in PUBLISHED_NASFPN_CELLS] == [
        (4, "attention", (1, 3), False),
        (4, "sum", (1, 5), False),
        (3, "sum", (0, 6), True),
        (4, "sum", (6, 7), True),
        (5, "attention", (7, 8), True),
        (7, "attention", (6, 9), True),
        (6, "attention", (9, 10), True),
    ]
    spec = published_nasfpn()
    assert (spec.num_filters, spec.num_repeats, spec.use_separable_conv) == (256, 3, False)
    assert spec.cells == PUBLISHED_NASFPN_CELLS


def test_token_of_the_published_decoder_is_pinned():
    assert str(published_nasfpn()) == _PUBLISHED == NASFPN_EXAMPLE
    separable = published_nasfpn(num_filters=128, num_repeats=5, use_separable_conv=True)
    assert str(separable) == "nasfpn_f128_sep_r5_c4a1.3_c4s1.5_c3s0.6o_c4s6.7o_c5a7.8o_c7a6.9o_c6a9.10o"
    assert NasFpnSpec.parse(_PUBLISHED) == published_nasfpn()
    assert NasFpnSpec.parse(str(separable)) == separable


@pytest.mark.parametrize("spec", _RANDOM, ids=str)
def test_random_specs_round_trip_through_token_and_json(spec):
    text = str(spec)
    assert NasFpnSpec.parse(text) == spec
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz0123456789_.")  # never '-' nor '|'
    assert NasFpnSpec.from_json(spec.to_json()) == spec
    assert NasFpnSpec.from_json(spec.to_json_string()) == spec
    assert json.loads(spec.to_json_string()) == spec.to_json()


def test_specs_are_frozen_and_hashable():
    spec = published_nasfpn()
    assert len({spec, published_nasfpn(), published_nasfpn(num_filters=128)}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.num_filters = 128  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.cells[0].level = 5  # type: ignore[misc]
    assert NasFpnSpec(list(PUBLISHED_NASFPN_CELLS)).cells == PUBLISHED_NASFPN_CELLS  # a list becomes a tuple
    assert NasFpnCell(4, "sum", [1, 3], False) == NasFpnCell(4, _SUM, (1, 3), False)


def test_json_form_is_pinned():
    assert published_nasfpn(num_filters=64, num_repeats=1).to_json() == {
        "schema": "edgenas.NasFpnSpec/1",
        "num_filters": 64,
        "num_repeats": 1,
        "use_separable_conv": False,
        "cells": [cell.to_json() for cell in PUBLISHED_NASFPN_CELLS],
    }
    first = {"level": 4, "combine": "attention", "inputs": [1, 3], "is_output": False}
    assert PUBLISHED_NASFPN_CELLS[0].to_json() == first


def _replace(cells, index, **changes):
    cells = list(cells)
    cells[index] = dataclasses.replace(cells[index], **changes)
    return tuple(cells)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: NasFpnSpec(PUBLISHED_NASFPN_CELLS[:6]),
            "a NAS-FPN needs 7 cells, 2 intermediate then 5 output cells; got 6",
        ),
        (
            lambda: NasFpnSpec(_replace(PUBLISHED_NASFPN_CELLS, 0, level=3)),
            "cell 0 (c3a1.3): an intermediate cell's level must be one of 4, 5, 6, 7, got 3",
        ),
        (
            lambda: NasFpnSpec(_replace(PUBLISHED_NASFPN_CELLS, 1, is_output=True)),
            "cell 1 (c4s1.5o) must be an intermediate cell (no 'o'): cells 0..1 are intermediate, "
            "cells 2..6 are outputs",
        ),
        (
            lambda: NasFpnSpec(_replace(PUBLISHED_NASFPN_CELLS, 2, is_output=False)),
            "cell 2 (c3s0.6) must be an output cell ('o'): cells 0..1 are intermediate, cells 2..6 are outputs",
        ),
        (
            lambda: NasFpnSpec(_replace(PUBLISHED_NASFPN_CELLS, 6, level=5)),
            "the output cells' levels must be 3, 4, 5, 6, 7 in some order, each once; got (3, 4, 5, 7, 5): "
            "missing [6], repeated [5]",
        ),
        (
            lambda: NasFpnSpec(_replace(PUBLISHED_NASFPN_CELLS, 1, inputs=(1, 6))),
            "cell 1 (c4s1.6) reads node 6, which is not an earlier node: it can read nodes 0..5 "
            "(nodes 0-4 are levels 3-7, cell 1 is node 6)",
        ),
        (lambda: published_nasfpn(num_filters=0), "NasFpnSpec.num_filters must be an int >= 1, got 0"),
        (lambda: published_nasfpn(num_repeats=True), "NasFpnSpec.num_repeats must be an int >= 1, got True"),
        (lambda: published_nasfpn(use_separable_conv=1), "NasFpnSpec.use_separable_conv must be a bool, got 1"),
        (lambda: NasFpnSpec(("c4a1.3",) * 7), "cell 0 must be a NasFpnCell, got str"),
        (lambda: NasFpnCell(8, "sum", (0, 1), True), "NasFpnCell.level must be one of 3, 4, 5, 6, 7, got 8"),
        (lambda: NasFpnCell("4", "sum", (0, 1), True), "NasFpnCell.level must be one of 3, 4, 5, 6, 7, got '4'"),
        (lambda: NasFpnCell(4, "max", (0, 1), True), "unknown combine 'max'; known: sum, attention"),
        (
            lambda: NasFpnCell(4, "sum", (3, 1), False),
            "NasFpnCell.inputs must be two distinct node indices in ascending order, got (3, 1); write (1, 3)",
        ),
        (
            lambda: NasFpnCell(4, "sum", (2, 2), False),
            "NasFpnCell.inputs must be two distinct node indices in ascending order, got (2, 2)",
        ),
        (lambda: NasFpnCell(4, "sum", (-1, 2), False), "NasFpnCell.inputs must be an int >= 0, got -1"),
        (lambda: NasFpnCell(4, "sum", (0, 1, 2), False), "NasFpnCell.inputs must be two node indices, got (0, 1, 2)"),
        (lambda: NasFpnCell(4, "sum", (0, 1), 1), "NasFpnCell.is_output must be a bool, got 1"),
    ],
)
def test_invalid_specs_are_refused_with_what_would_work(make, message):
    with pytest.raises(SpecError) as error:
        make()
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "fpn_f128_sep",
            SpecParseError,
            "malformed NAS-FPN token 'fpn_f128_sep': expected nasfpn_f<filters>[_sep]_r<repeats>_<cell>_..._<cell>, "
            f"e.g. {_PUBLISHED!r}",
        ),
        (
            "nasfpn_f256_c4a1.3_c4s1.5_c3s0.6o_c4s6.7o_c5a7.8o_c7a6.9o_c6a9.10o",
            SpecParseError,
            "malformed NAS-FPN token 'nasfpn_f256_c4a1.3_c4s1.5_c3s0.6o_c4s6.7o_c5a7.8o_c7a6.9o_c6a9.10o': it must "
            "start with 'nasfpn_f<filters>_r<repeats>' or 'nasfpn_f<filters>_sep_r<repeats>', "
            f"e.g. {_PUBLISHED!r}",
        ),
        (
            _PUBLISHED.replace("c4a1.3", "c4x1.3"),
            SpecParseError,
            "cell 0: NAS-FPN cell 'c4x1.3': unknown combine letter 'x'; known: s (sum), a (attention)",
        ),
        (
            _PUBLISHED.replace("c4a1.3", "c4a1-3"),
            SpecParseError,
            "cell 0: malformed NAS-FPN cell 'c4a1-3'; expected c<level><s|a><first>.<second>, 'o' appended for an "
            "output cell, e.g. 'c4a1.3' or 'c3s0.6o'",
        ),
        (
            _PUBLISHED.replace("f256", "f0256"),
            SpecParseError,
            f"NAS-FPN token {_PUBLISHED.replace('f256', 'f0256')!r} is not in canonical form; write {_PUBLISHED!r}",
        ),
        (
            _PUBLISHED.replace("c4a1.3", "c4a01.3"),
            SpecParseError,
            "cell 0: NAS-FPN cell 'c4a01.3' is not in canonical form; write 'c4a1.3'",
        ),
        (
            _PUBLISHED + "_c5s0.1o",
            SpecError,
            "a NAS-FPN needs 7 cells, 2 intermediate then 5 output cells; got 8",
        ),
        (
            _PUBLISHED.replace("c4a1.3", "c4a3.1"),
            SpecError,
            "cell 0: NasFpnCell.inputs must be two distinct node indices in ascending order, got (3, 1); write (1, 3)",
        ),
    ],
)
def test_malformed_tokens_are_refused(text, error, message):
    with pytest.raises(error) as raised:
        NasFpnSpec.parse(text)
    assert str(raised.value) == message


def test_parse_refuses_a_non_string():
    with pytest.raises(SpecParseError, match="a NAS-FPN token must be a str, got int"):
        NasFpnSpec.parse(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda d: d.update(schema="edgenas.FpnSpec/1"), SpecParseError, "NAS-FPN spec JSON schema must be"),
        (lambda d: d.pop("num_repeats"), SpecParseError, "missing keys ['num_repeats'], unknown keys []"),
        (lambda d: d.update(cells="c4a1.3"), SpecParseError, "NAS-FPN spec JSON: 'cells' must be a list, got str"),
        (
            lambda d: d["cells"][3].update(extra=1),
            SpecParseError,
            "cell 3: NAS-FPN cell JSON: missing keys [], unknown keys ['extra']",
        ),
        (
            lambda d: d["cells"][0].update(combine="max"),
            SpecError,
            "cell 0: unknown combine 'max'; known: sum, attention",
        ),
        (lambda d: d["cells"].pop(), SpecError, "a NAS-FPN needs 7 cells"),
    ],
)
def test_bad_json_is_refused(mutate, error, message):
    data = published_nasfpn().to_json()
    mutate(data)
    with pytest.raises(error) as raised:
        NasFpnSpec.from_json(data)
    assert message in str(raised.value)
    assert type(raised.value) is error


def test_malformed_json_text_is_refused():
    with pytest.raises(SpecParseError, match="NAS-FPN spec JSON is malformed"):
        NasFpnSpec.from_json("{")


def test_derived_facts_of_the_published_cells():
    spec = published_nasfpn()
    assert spec.node_levels == (3, 4, 5, 6, 7, 4, 4, 3, 4, 5, 7, 6)
    # Nodes 2 (level 5) and 4 (level 7) are read by no cell before the output cells of their level.
    assert spec.unconsumed_inputs() == ((), (), (), (), (2,), (4,), ())
    assert spec.output_nodes == {3: 7, 4: 8, 5: 9, 6: 11, 7: 10}
    # The attention gate comes from the coarser input: node 3 (level 6) for cell 0, node 9 (level 5) for cell 5.
    assert [spec.operands(i) for i in range(7)] == [(3, 1), (1, 5), (6, 0), (6, 7), (8, 7), (9, 6), (10, 9)]
    assert spec.merge_filters == spec.num_filters == 256
    assert published_nasfpn(num_filters=64).merge_filters == 64


def test_same_level_attention_gates_on_the_first_input_and_every_unconsumed_node_is_added():
    cells = (
        NasFpnCell(7, _SUM, (0, 1), False),
        NasFpnCell(5, _ATTENTION, (2, 5), False),  # node 5 is level 7: it gates
        NasFpnCell(7, _ATTENTION, (4, 5), True),  # both level 7: the first (node 4) gates
        NasFpnCell(3, _SUM, (3, 6), True),  # level 3: node 0 was read by cell 0
        NasFpnCell(6, _ATTENTION, (1, 8), True),  # level 6: node 3 was read by cell 3
        NasFpnCell(4, _SUM, (7, 9), True),  # level 4: node 1 was read by cell 0
        NasFpnCell(5, _ATTENTION, (0, 10), True),  # level 5: nodes 2 and 6 were read
    )
    spec = NasFpnSpec(cells)
    assert spec.operands(1) == (5, 2)
    assert spec.operands(2) == (4, 5)
    assert spec.unconsumed_inputs() == ((),) * 7
    lonely = NasFpnSpec(
        (
            NasFpnCell(5, _SUM, (3, 4), False),
            NasFpnCell(5, _SUM, (3, 4), False),
            NasFpnCell(5, _SUM, (0, 1), True),  # adds nodes 2, 5 and 6, all level 5 and unread
            NasFpnCell(3, _SUM, (0, 7), True),
            NasFpnCell(4, _SUM, (1, 8), True),
            NasFpnCell(6, _SUM, (2, 9), True),
            NasFpnCell(7, _SUM, (9, 10), True),
        )
    )
    assert lonely.unconsumed_inputs() == ((), (), (2, 5, 6), (), (), (), ())


def test_importing_the_spec_loads_no_tensorflow_nor_pyglove():
    code = (
        "import sys; import edgenas.specs.nasfpn, edgenas.specs.nasfpn_costs, edgenas.spaces.nasfpn_choices; "
        "print(*[m in sys.modules for m in ('tensorflow', 'keras', 'pyglove')])"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == "False False False\n"
