"""`layer_graph`: a single-layer timing model is the converter's file of the Keras layer model, op for op."""

from __future__ import annotations

from typing import Any

import pytest

from edgenas.collect.layer_models import export_layer
from edgenas.export.direct.signature import file_signature, first_difference
from edgenas.specs import Activation
from latency_models.layers import LayerKind, LayerSpec

pytestmark = pytest.mark.slow

_LAYERS = [
    LayerSpec(LayerKind.STEM, 3, 32, 96, 96, 3, 2, activation=Activation.RELU6),
    LayerSpec(LayerKind.CONV, 16, 24, 24, 24, 5, 1, activation=Activation.SWISH),
    LayerSpec(LayerKind.MBCONV, 16, 16, 24, 24, 3, 1, 6, 0.25, Activation.SWISH),  # skip, SE, unfused activation
    LayerSpec(LayerKind.MBCONV, 16, 24, 24, 24, 5, 2, 1, 0.0, Activation.RELU),  # no expansion
    LayerSpec(LayerKind.FUSED_MBCONV, 24, 24, 24, 24, 3, 1, 4, 0.25, Activation.HARD_SWISH),
    LayerSpec(LayerKind.FUSED_MBCONV, 24, 40, 24, 24, 3, 2, 1, 0.25, Activation.RELU),  # ratio 1: SE gates the input
    LayerSpec(LayerKind.HEAD, 40, 64, 7, 7, 1, 1, activation=Activation.RELU6, num_classes=10),
]


@pytest.mark.parametrize("precision", ["fp32", "int8"])
@pytest.mark.parametrize("layer", _LAYERS, ids=lambda layer: layer.key())
def test_the_direct_layer_file_is_the_converters_graph(layer: LayerSpec, precision: str, tmp_path: Any) -> None:
    converted = export_layer(layer, precision=precision, out_dir=tmp_path)
    direct = export_layer(layer, precision=precision, out_dir=tmp_path, direct=True)
    assert direct != converted  # two files: the writer is part of the name
    difference = first_difference(file_signature(converted.read_bytes()), file_signature(direct.read_bytes()))
    assert difference is None, f"{layer.key()} {precision}: {difference}"
