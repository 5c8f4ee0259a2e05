"""`edgenas scale` end to end on a tiny scaling grid: real exports, the real profiler, a real proxy training."""

from __future__ import annotations

import json

import pytest

from edgenas.cli import main
from edgenas.scaling import ScalingSpace, register_scaling_space, unregister_scaling_space
from edgenas.specs import SpineNetFamily


@pytest.fixture
def tiny_space():
    space = ScalingSpace(name="tiny_mobile_scaling", family=SpineNetFamily.MOBILE, image_size=(128,),
                         endpoints_num_filters=(8, 16), filter_size_scale=(0.3,), resample_alpha=(None,),
                         block_repeats=(1,), head_num_convs=(1,), head_num_filters=(8, 16))  # fmt: skip
    register_scaling_space(space)
    yield space
    unregister_scaling_space(space.name)


@pytest.mark.slow
def test_scale_finds_the_largest_point_within_a_loose_budget_and_refuses_an_impossible_one(
    tiny_space, tmp_path, capsys
) -> None:
    common = ["scale", "--reference", "spinenet_mobile49xs", "--scaling-space", tiny_space.name,
              "--num-classes", "3", "--profile-runs", "5", "--proxy-steps", "2", "--max-trained", "1"]  # fmt: skip
    assert main([*common, "--target-ms", "10000", "--out", str(tmp_path / "loose")]) == 0
    out = capsys.readouterr().out
    assert "tiny_mobile_scaling: 4 points" in out
    best = json.loads(out.strip().splitlines()[-1])
    # Everything fits a loose budget: the largest point (16 endpoint and 16 head filters) is the only maximal one.
    assert best["best_point"] == "scaling-size128-endpoints16-scale0.3-repeats1-head1x16"
    assert best["latency_ms"] > 0 and 0 <= best["accuracy"] <= 1
    assert (tmp_path / "loose" / "scale_table.txt").read_text().count("scaling-size128") == 1
    measured = [json.loads(x) for x in (tmp_path / "loose" / "scale.jsonl").read_text().splitlines()]
    assert 2 <= sum("latency_ms" in r for r in measured) < 4  # the smallest, then what settles the rest

    assert main([*common, "--target-ms", "0.001", "--out", str(tmp_path / "loose")]) == 1  # models are cached
    err = capsys.readouterr().err
    assert "no scaling of this topology meets 0.001 ms on local: the fastest measured, " \
           "scaling-size128-endpoints8-scale0.3-repeats1-head1x8, runs in" in err  # fmt: skip


def test_scale_refuses_a_space_of_the_other_family(capsys) -> None:
    assert main(["scale", "--reference", "spinenet49", "--scaling-space", "spinenet_mobile_scaling",
                 "--target-ms", "5"]) == 1  # fmt: skip
    assert "sizes mobile SpineNets, got a resnet spec" in capsys.readouterr().err
