"""Tests of edgenas/collect/layer_models.py: the single-layer models that collection times."""

from __future__ import annotations

import pytest

import edgenas
from edgenas.collect.layer_models import build_layer_model
from latency_models.layers import LayerKind, layers_of


def _references():
    return [
        edgenas.spaces.get("mnasnet", reference=name).reference(name) for name in ("mnasnet_a1", "mobilenet_v2")
    ]


@pytest.mark.slow
def test_single_layer_models_rebuild_the_network_exactly() -> None:
    """The single-layer models hold, between them, exactly the network's weights (BatchNorm included)."""
    for spec in _references() + edgenas.spaces.get("mnasnet").sample(n=1, seed=7):
        network = edgenas.build_keras(spec, input_shape=(64, 64, 3), num_classes=10)
        layers = layers_of(spec, input_shape=(64, 64, 3), num_classes=10)
        models = [build_layer_model(layer)[0] for layer in layers]
        assert sum(m.count_params() for m in models) == network.count_params()
        for layer, model in zip(layers, models):
            assert model.output_shape[1:] == ((layer.out_height, layer.out_width, layer.out_channels)
                                               if layer.kind is not LayerKind.HEAD else (10,))  # fmt: skip
