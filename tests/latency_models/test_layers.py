"""Tests of latency_models/layers.py: a network as its layers, read from the spec alone."""

from __future__ import annotations

import json

import pytest

import edgenas
from latency_models.layers import LAYER_FEATURES, LayerKind, LayerSpec, layer_features, layers_of

MACS = LAYER_FEATURES.index("macs_m")
PARAMS = LAYER_FEATURES.index("params_k")


def _references():
    return [
        edgenas.spaces.get("mnasnet", reference=name).reference(name) for name in ("mnasnet_a1", "mobilenet_v2")
    ]


def test_the_layers_follow_the_builder_block_by_block() -> None:
    a1 = _references()[0]
    layers = layers_of(a1, input_shape=(224, 224, 3), num_classes=1000)
    assert len(layers) == 1 + sum(b.num_repeats for b in a1.blocks) + 1
    assert layers[0].kind is LayerKind.STEM and (layers[0].in_height, layers[0].strides) == (224, 2)
    assert layers[-1].kind is LayerKind.HEAD and (layers[-1].in_height, layers[-1].num_classes) == (7, 1000)
    for before, after in zip(layers, layers[1:]):  # each layer takes what the previous one gives
        assert (after.in_channels, after.in_height, after.in_width) == (
            before.out_channels, before.out_height, before.out_width
        )  # fmt: skip
    # A block's first repeat carries its stride; the others run at stride 1.
    second = [x for x in layers if x.kind is LayerKind.MBCONV and x.in_height == 112]
    assert [x.strides for x in second] == [1, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("space", ["mnasnet", "efficientnet_v2"])
def test_the_layers_macs_add_up_to_the_networks(space: str, seed: int) -> None:
    specs = _references() + edgenas.spaces.get(space).sample(n=5, seed=seed)
    for spec in specs:
        for shape in ((224, 224, 3), (160, 128, 3)):
            layers = layers_of(spec, input_shape=shape, num_classes=1000)
            macs = sum(layer_features(layer)[MACS] for layer in layers) * 1e6
            assert macs == pytest.approx(edgenas.estimate_cost(spec, input_shape=shape).macs, rel=1e-9)


def test_a_layer_round_trips_through_json_and_has_a_unique_key() -> None:
    layers = {x for s in edgenas.spaces.get("mnasnet").sample(n=50, seed=0) for x in layers_of(s)}
    assert {x.key() for x in layers}.__len__() == len(layers)
    for layer in layers:
        assert LayerSpec.from_json(json.loads(json.dumps(layer.to_json()))) == layer
    data = next(iter(layers)).to_json()
    with pytest.raises(ValueError, match="exactly the fields"):
        LayerSpec.from_json({**data, "dilation": 2})
    with pytest.raises(ValueError, match="invalid layer"):
        LayerSpec.from_json({**data, "kind": "transformer"})


def test_skip_and_se_are_read_from_the_shapes() -> None:
    base = dict(in_height=14, in_width=14, kernel_size=3, expand_ratio=6)
    assert LayerSpec(LayerKind.MBCONV, 40, 40, strides=1, **base).has_skip
    assert not LayerSpec(LayerKind.MBCONV, 40, 80, strides=1, **base).has_skip
    assert not LayerSpec(LayerKind.MBCONV, 40, 40, strides=2, **base).has_skip
    assert not LayerSpec(LayerKind.CONV, 40, 40, strides=1, **base).has_skip
    se = LayerSpec(LayerKind.MBCONV, 40, 40, strides=1, se_ratio=0.25, **base)
    plain = LayerSpec(LayerKind.MBCONV, 40, 40, strides=1, **base)
    assert layer_features(se)[MACS] > layer_features(plain)[MACS]


def test_fused_blocks_and_block_activations_become_their_own_layers() -> None:
    """A fused block is a `fused_mbconv` layer (never an mbconv), with its block's activation where it has one."""
    space = edgenas.spaces.get("efficientnet_v2")
    b0 = space.reference("efficientnetv2_b0")
    layers = layers_of(b0, input_shape=(224, 224, 3), num_classes=1000)
    kinds = [x.kind for x in layers]
    assert kinds == [LayerKind.STEM, *[LayerKind.FUSED_MBCONV] * 5, *[LayerKind.MBCONV] * 16, LayerKind.HEAD]
    first = layers[1]
    assert (first.in_channels, first.out_channels, first.expand_ratio, first.has_skip) == (32, 16, 1, False)
    assert [x.has_skip for x in layers[2:6]] == [False, True, False, True]
    relu_blocks = [b for s in space.sample(n=20, seed=4) for b in s.blocks if b.activation is not None]
    assert relu_blocks, "the space's samples must hold blocks with an activation of their own"
    for spec in space.sample(n=20, seed=4):
        block_acts = [b.activation or spec.activation for b in spec.blocks for _ in range(b.num_repeats)]
        assert [x.activation for x in layers_of(spec)[1:-1]] == block_acts
    fused = layer_features(LayerSpec(LayerKind.FUSED_MBCONV, 24, 24, 28, 28, 3, strides=1, expand_ratio=4))
    assert fused[LAYER_FEATURES.index("is_fused_mbconv")] == 1.0
    assert fused[LAYER_FEATURES.index("is_mbconv")] == 0.0
    assert fused[LAYER_FEATURES.index("has_skip")] == 1.0
