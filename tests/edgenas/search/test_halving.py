"""`Halving`: rung steps, checks, JSON and the command line's form."""

import pytest

from edgenas.search import Halving, HalvingError


def test_rungs_are_eta_apart_and_end_at_the_task_steps():
    assert Halving().rung_steps(300) == (100, 300) and Halving(rungs=3).rung_steps(300) == (33, 100, 300)
    assert Halving(eta=2, rungs=4).rung_steps(80) == (10, 20, 40, 80)
    assert Halving(eta=4, rungs=2).rung_steps(6) == (2, 6)


def test_rungs_below_one_step_are_refused():
    with pytest.raises(HalvingError, match=r"\[0, 1, 3, 9\]"):
        Halving(eta=3, rungs=4).rung_steps(9)
    with pytest.raises(HalvingError, match=r"\[0, 1, 2\]"):
        Halving(eta=2, rungs=3).rung_steps(2)


@pytest.mark.parametrize("field", [{"eta": 1}, {"eta": 101}, {"rungs": 1}, {"rungs": 11}, {"eta": 2.0},
                                   {"rungs": True}])  # fmt: skip
def test_bad_settings_are_refused(field):
    with pytest.raises(HalvingError, match=next(iter(field))):
        Halving(**field)


def test_json_round_trips_and_bad_json_is_refused():
    halving = Halving(eta=4, rungs=2)
    assert Halving.from_json(halving.to_json()) == halving == Halving.from_json('{"rungs": 2, "eta": 4}')
    for bad in ('{"eta": 3}', "[3, 3]", "not json", {"eta": 3, "rungs": 3, "min": 1}):
        with pytest.raises(HalvingError):
            Halving.from_json(bad)


def test_the_command_line_form():
    assert Halving.parse("on") == Halving() and Halving.parse(" 2:4 ") == Halving(eta=2, rungs=4)
    assert str(Halving()) == "halving eta 3, 2 rungs"
    for bad in ("", "3", "3:", "a:b", "3:3:3", "-2:3", "1:3"):
        with pytest.raises(HalvingError):
            Halving.parse(bad)
