"""Tests of latency_models/point_tables.py: stage tables predict what the predictor predicts, for whole batches.

The predictors are trained on made-up latency laws (as in test_predictor.py);
what matters here is that the tables reproduce the predictor's own answers,
point by point, and refuse what they cannot reproduce.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import edgenas
from latency_models.errors import OutOfDomainError, PointLayoutError
from latency_models.layers import LAYER_FEATURES, layer_features, layers_of
from latency_models.measurements import MeasurementKey, MeasurementStore, NetworkMeasurement
from latency_models.point_tables import StageLayout, compile_points, compile_space
from latency_models.predictor import LatencyPredictor
from latency_models.train import fit_predictor

KEY = MeasurementKey("board", "fp32", 1)
RESULT = json.dumps({"runtime": "litert", "runtime_version": "2.3.0"})
MACS, ACT = LAYER_FEATURES.index("macs_m"), LAYER_FEATURES.index("out_activation_k")


def _layer_ms(layer) -> float:
    f = layer_features(layer)
    return 0.02 + 0.004 * f[MACS] + 0.0004 * f[ACT]


def _fit(space, folder: Path, family: str, *, train: int = 60) -> LatencyPredictor:
    """A predictor of `space` from `train` random points (their layers all measured), network law 1.15 x + 0.3."""
    rng = np.random.default_rng(0)
    with MeasurementStore(folder / f"{space.name}-{family}.sqlite") as store:
        specs = space.sample(n=train, seed=1)
        for layer in {x for spec in specs for x in layers_of(spec)}:
            store.add_layer(KEY, layer, _layer_ms(layer), RESULT)
        for spec in specs:
            ms = (1.15 * sum(_layer_ms(x) for x in layers_of(spec)) + 0.3) * (1 + 0.02 * rng.standard_normal())
            store.add_network(KEY, NetworkMeasurement(space.name, str(spec), (224, 224, 3), 1000, ms), RESULT)
        return fit_predictor(store, KEY, families=(family,), select=False)


def _random_points(space, count: int, seed: int) -> np.ndarray:
    sizes = np.array(space.decision_sizes())
    return np.random.default_rng(seed).integers(0, sizes, size=(count, sizes.size))


@pytest.mark.parametrize("family", ["linear", "gbt", "mlp"])
@pytest.mark.parametrize("space_name", ["mnasnet", "efficientnet_v2"])
def test_the_tables_predict_what_the_predictor_predicts(space_name: str, family: str, tmp_path: Path) -> None:
    space = edgenas.spaces.get(space_name)
    predictor = _fit(space, tmp_path, family, train=150)
    compiled = compile_space(predictor, space)
    points = _random_points(space, 400, seed=7)
    got = compiled.predict(points, outside="nan")
    specs = [space.spec_from_numbers(list(row)) for row in points]
    inside = ~np.isnan(got)
    assert inside.sum() > 100  # most points of a predictor trained on 150 random ones are inside its domain
    want = predictor.predict_many([s for s, ok in zip(specs, inside, strict=True) if ok])
    np.testing.assert_allclose(got[inside], want, rtol=1e-9, atol=0)
    for spec, ok in zip(specs, inside, strict=True):  # NaN exactly where the predictor refuses
        if not ok:
            with pytest.raises(OutOfDomainError):
                predictor.predict(spec)
    # The features match too, and a single prediction is the batch's.
    rows = compiled.features(points[inside][:20])
    np.testing.assert_allclose(rows, [predictor.features(s) for s, ok in zip(specs, inside, strict=True) if ok][:20],
                               rtol=1e-9, atol=1e-12)  # fmt: skip
    first = next(s for s, ok in zip(specs, inside, strict=True) if ok)
    assert predictor.predict(first) == pytest.approx(float(got[inside][0]), rel=1e-9)


def test_points_outside_the_domain_raise_or_come_back_as_nan(tmp_path: Path) -> None:
    narrow = edgenas.spaces.get("mnasnet").narrow(name="mnasnet-k3", kernel_size=[3])
    predictor = _fit(narrow, tmp_path, "linear")  # never saw a 5x5 kernel
    space = edgenas.spaces.get("mnasnet")
    kernel_columns = [i for i, p in enumerate(space.dna_spec.decision_points) if str(p.id).endswith("kernel_size")]
    points = np.zeros((3, space.num_decisions), dtype=np.int64)
    points[1, kernel_columns[4]] = 1  # stage 4 of point 1 takes the 5x5 kernel
    compiled = compile_space(predictor, space)  # its check skips the points outside the domain
    layout = StageLayout(space.stage_columns(), space.decision_sizes())
    with pytest.raises(OutOfDomainError, match=r"point 1: stage 4: the predictor never saw a conv layer with "
                                               r"kernel 5"):  # fmt: skip
        compiled.predict(points)
    latency = compiled.predict(points, outside="nan")
    assert np.isnan(latency[1]) and np.isfinite(latency[[0, 2]]).all()
    with pytest.raises(OutOfDomainError, match="not \\[160, 160, 3\\]"):
        compile_points(predictor, layout, space.spec_from_numbers, input_shape=(160, 160, 3))


def test_bad_points_are_refused_with_what_is_wrong(tmp_path: Path) -> None:
    space = edgenas.spaces.get("mnasnet")
    compiled = compile_space(_fit(space, tmp_path, "linear"), space)
    width = space.num_decisions
    with pytest.raises(ValueError, match=rf"2-D array \(points, {width}\), got shape \(3,\)"):
        compiled.predict(np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="integer decision numbers, got float64"):
        compiled.predict(np.zeros((2, width)))
    bad = np.zeros((2, width), dtype=int)
    bad[1, 2] = 3  # stage 0's expansion has 3 candidates: 0..2
    with pytest.raises(ValueError, match="point 1: decision 2 is 3, outside 0..2"):
        compiled.predict(bad)
    with pytest.raises(ValueError, match="outside must be 'raise' or 'nan'"):
        compiled.predict(bad[:1], outside="skip")


def test_the_fastest_layer_sum_is_the_least_over_every_point(tmp_path: Path) -> None:
    small = space = edgenas.spaces.get("mnasnet")
    for i, stage in enumerate(space.stages):  # two kernels and two widths per stage: 4 ** 7 points
        small = small.narrow(name="small", stages=[i], num_repeats=stage.num_repeats[:1],
                             block_fn=stage.block_fn[-1:], expand_ratio=stage.expand_ratio[:1],
                             se_ratio=stage.se_ratio[:1], output_filters=stage.output_filters[:2])  # fmt: skip
    assert small.size == 4**7
    predictor = _fit(small, tmp_path, "linear", train=150)
    compiled = compile_space(predictor, small)
    sums = []
    for numbers in itertools.product(*(range(n) for n in small.decision_sizes())):
        try:  # brute force through the predictor itself, not the tables
            sums.append(predictor.features(small.spec_from_numbers(numbers))[0])
        except OutOfDomainError:
            continue
    assert len(sums) > 1000
    fastest = compiled.fastest_layer_sum()
    assert predictor.features(small.spec_from_numbers(list(fastest)))[0] == pytest.approx(min(sums), rel=1e-12)


def test_spaces_whose_points_are_not_stage_lists_do_not_compile(tmp_path: Path) -> None:
    mnasnet = edgenas.spaces.get("mnasnet")
    predictor = _fit(mnasnet, tmp_path, "linear")
    with pytest.raises(PointLayoutError, match="do not group by stage"):
        compile_space(predictor, edgenas.spaces.get("spinenet"))
    with pytest.raises(PointLayoutError, match="only for chain networks"):
        compile_space(predictor, edgenas.spaces.get("mnasnet", task="detection"))
    # A layout that gives stage 0 a column of stage 1 is caught: stage 0's choices then change another block.
    stages = [list(s) for s in mnasnet.stage_columns()]
    stages[0].append(stages[1].pop())
    layout = StageLayout(tuple(map(tuple, stages)), mnasnet.decision_sizes())
    with pytest.raises(PointLayoutError, match="stage 0's decisions change more than its own block"):
        compile_points(predictor, layout, mnasnet.spec_from_numbers)
    with pytest.raises(PointLayoutError, match="exactly one non-empty stage"):
        StageLayout(((0, 1), (1, 2)), (2, 2, 2))
    # Stage 0 given every column but one of each other stage: far too many combinations to tabulate, refused
    # before any spec is built.
    columns = mnasnet.stage_columns()
    greedy = (tuple(c for stage in columns for c in (stage if stage is columns[0] else stage[1:])),
              *((stage[0],) for stage in columns[1:]))  # fmt: skip
    whole = StageLayout(greedy, mnasnet.decision_sizes())
    with pytest.raises(PointLayoutError, match="combinations of its decisions and inputs; more than 200,000"):
        compile_points(predictor, whole, mnasnet.spec_from_numbers)
