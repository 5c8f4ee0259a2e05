"""Training a `LatencyPredictor` from a `MeasurementStore`.

The layer model and the network model are each the regressor family that
predicts best in k-fold cross-validation on the training data
(`regressors.select_family`: linear, gradient-boosted trees or a small MLP),
refit on all of it. The scores of every family go into the file, so the
choice can be read back.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Sequence

import numpy as np

from edgenas.specs.arch import ArchSpec

from .errors import RegressorOptionError, TrainingError
from .layers import layer_features, layers_of
from .measurements import MeasurementKey, MeasurementStore, networks_read_as
from .predictor import LatencyPredictor, LayerDomain, PredictorInfo, layer_latencies_ms, network_features
from .regressors import REGRESSOR_FAMILIES, fit_regressor, select_family

__all__ = ["TrainingError", "fit_predictor"]

MIN_LAYERS = 8
MIN_NETWORKS = 8


def fit_predictor(
    store: MeasurementStore,
    key: MeasurementKey,
    *,
    space: str | None = None,
    families: Sequence[str] = REGRESSOR_FAMILIES,
    seed: int = 0,
    folds: int = 5,
    select: bool = True,
) -> LatencyPredictor:
    """Fits a predictor on everything the store holds for `key`.

    Args:
        store: The measurements.
        key: Device, precision and threads.
        space: Only networks of this space; None: the store's only space (an error if several).
        families: Regressor families to choose from.
        seed: Seed of the folds and of the regressors.
        folds: Cross-validation folds of the family choice.
        select: Choose the family by cross-validation; False takes the first of `families` (quick refits).

    Returns:
        The predictor.

    Raises:
        TrainingError: Fewer than `MIN_LAYERS` layers or `MIN_NETWORKS` networks, or several spaces and no `space`.
        RegressorOptionError: No families.
        UnknownNameError: An unknown family; the message lists the registered ones.
    """
    if not families:
        raise RegressorOptionError("no families to choose from")
    layer_rows = store.layers(key)
    networks = [n for _, n in networks_read_as(store, key, ArchSpec.parse)]  # detectors: detector_train
    spaces = sorted({n.space for n in networks})
    if space is None:
        if len(spaces) > 1:
            raise TrainingError(f"{store.path} holds networks of several spaces ({', '.join(spaces)}); pick one")
        space = spaces[0] if spaces else "?"
    networks = [n for n in networks if n.space == space]
    if len(layer_rows) < MIN_LAYERS or len(networks) < MIN_NETWORKS:
        raise TrainingError(
            f"{store.path} holds {len(layer_rows)} layers and {len(networks)} {space} networks for {key}; "
            f"a predictor needs at least {MIN_LAYERS} and {MIN_NETWORKS} (run `edgenas predictor collect` first)"
        )
    layers = [layer for layer, _ in layer_rows]
    x_layers = np.array([layer_features(layer) for layer in layers])
    y_layers = np.array([ms for _, ms in layer_rows])
    layer_family, layer_scores = _choose(x_layers, y_layers, families, seed=seed, folds=folds, select=select)
    layer_model = fit_regressor(layer_family, x_layers, y_layers, seed=seed)

    table = dict(layer_rows)
    network_layers = [
        layers_of(ArchSpec.parse(n.spec), input_shape=n.input_shape, num_classes=n.num_classes) for n in networks
    ]
    # The domain: every layer seen, alone or inside a measured network (the layer model covers the latter).
    domain = LayerDomain.of([*layers, *(layer for ls in network_layers for layer in ls)])
    runtime, version = _runtime(store, key)
    info = PredictorInfo(
        device=key.device,
        runtime=runtime,
        runtime_version=version,
        precision=key.precision,
        threads=key.threads,
        space=space,
        input_shapes=tuple(sorted({n.input_shape for n in networks})),
        num_classes=tuple(sorted({n.num_classes for n in networks})),
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )
    # Network features come from the table (and the layer model for layers it lacks), as at prediction time.
    layer_ms = layer_latencies_ms([x for ls in network_layers for x in ls], table=table, layer_model=layer_model)
    x_networks = np.array([network_features(ls, [layer_ms[x] for x in ls]) for ls in network_layers])
    # The target is the latency over the layer sum (`NETWORK_TARGET`); its relative errors are the latency's.
    y_networks = np.array([n.latency_ms for n in networks]) / x_networks[:, 0]
    network_family, network_scores = _choose(x_networks, y_networks, families, seed=seed, folds=folds, select=select)
    network_model = fit_regressor(network_family, x_networks, y_networks, seed=seed)
    info = dataclasses.replace(info, training={
        "layers": len(layers),
        "layers_in_networks_not_measured": len({x for ls in network_layers for x in ls} - set(table)),
        "networks": len(networks),
        "layer_family": layer_family,
        "layer_family_cv_mape": layer_scores,
        "network_family": network_family,
        "network_family_cv_mape": network_scores,
        "seed": seed,
    })  # fmt: skip
    return LatencyPredictor(info=info, domain=domain, table=table, layer_model=layer_model, network_model=network_model)


def _choose(
    x: np.ndarray, y: np.ndarray, families: Sequence[str], *, seed: int, folds: int, select: bool
) -> tuple[str, dict[str, float]]:
    if not select or len(families) == 1:
        return families[0], {}
    selection = select_family(x, y, families=tuple(families), folds=min(folds, len(y)), seed=seed)
    return selection.best, {k: round(float(v), 6) for k, v in selection.scores.items()}


def _runtime(store: MeasurementStore, key: MeasurementKey) -> tuple[str, str]:
    result = store.any_result(key)
    if result is None:
        return "litert", "unknown"
    data = json.loads(result)
    return str(data.get("runtime", "litert")), str(data.get("runtime_version", "unknown"))
