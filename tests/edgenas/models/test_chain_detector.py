"""The RetinaNet detector on chain backbones: exact sizes against TF Model Garden's, shapes, shared backbone code.

Sizes pinned here were counted by running TF Model Garden's own code
(tf-models-no-deps 2.19.0), see tests/edgenas/specs/test_chain_detector.py:
MobileNetV2 backbone 2,257,984 (with the final 1x1 conv to 1280 + BatchNorm,
414,720, which our detector does not build), FPN(128, separable) 149,056,
RetinaNetHead(4 separable convs x 128, 9 anchors, 91 classes) 274,391.
"""

import keras
import numpy as np
import pytest

from edgenas import build_keras, spaces
from edgenas.errors import SpecError
from edgenas.families import family_of
from edgenas.models.chain import build_chain, chain_stages
from edgenas.models.chain_detector import build_chain_detector
from edgenas.models.fpn import fpn_decoder
from edgenas.models.layers import BatchNormConfig
from edgenas.models.spinenet_head import BOX_OUTPUT, CLASS_OUTPUT, retinanet_head
from edgenas.specs import (
    Activation,
    ChainDetectorSpec,
    DetectionHeadSpec,
    FpnSpec,
    default_chain_detector,
    mobilenet_v2_fpn_retinanet,
)
from edgenas.specs.chain_detector_costs import estimate_chain_detector_cost

_REFERENCE = mobilenet_v2_fpn_retinanet()
_BN = BatchNormConfig()


def _keras_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one image from the built layers, every call of a shared layer counted."""
    macs = 0
    for layer in model.layers:
        for node in layer._inbound_nodes:  # noqa: SLF001  (the head's convs run once per level)
            output = node.output_tensors[0]
            pixels = int(np.prod(output.shape[1:-1])) if len(output.shape) == 4 else 1
            if isinstance(layer, keras.layers.DepthwiseConv2D):
                macs += pixels * int(np.prod(layer.kernel.shape))
            elif isinstance(layer, keras.layers.SeparableConv2D):
                kernels = (layer.depthwise_kernel, layer.pointwise_kernel)
                macs += pixels * sum(int(np.prod(kernel.shape)) for kernel in kernels)
            elif isinstance(layer, keras.layers.Conv2D):
                macs += pixels * int(np.prod(layer.kernel.shape))
            elif isinstance(layer, keras.layers.Multiply):  # the SE gate: one product per value
                macs += int(np.prod(output.shape[1:]))
    return macs


def _fpn_params(spec: FpnSpec, side: int = 16) -> int:
    """The FPN alone on MobileNetV2's level 3/4/5 channels (32, 96, 320)."""
    inputs = {level: keras.Input((side >> (level - 3),) * 2 + (c,)) for level, c in ((3, 32), (4, 96), (5, 320))}
    outputs = fpn_decoder(inputs, spec=spec, activation=Activation.RELU6, bn=_BN)
    return keras.Model(list(inputs.values()), outputs).count_params()


def _head_params(head: DetectionHeadSpec, *, filters_in: int) -> int:
    """The RetinaNet head alone on five levels of `filters_in` channels, 91 classes."""
    inputs = {level: keras.Input((2,) * 2 + (filters_in,)) for level in range(3, 8)}
    classes, boxes = retinanet_head(inputs, head=head, num_classes=91, activation=Activation.RELU6, bn=_BN)
    return keras.Model(list(inputs.values()), [classes, boxes]).count_params()


def test_fpn_and_head_sizes_are_model_gardens():
    # Model Garden's FPN(min_level=3, max_level=7, num_filters=128 / 256, use_separable_conv=True / False)
    # on MobileNetV2's features, and its RetinaNetHead(num_convs=4, num_filters=128 separable / 256 plain,
    # 9 anchors, 91 classes), BatchNorm moving statistics included.
    assert _fpn_params(FpnSpec(128, True)) == 149_056
    assert _fpn_params(FpnSpec(256, False)) == 3_070_976
    assert _head_params(DetectionHeadSpec(4, 128, 9, True), filters_in=128) == 274_391
    assert _head_params(DetectionHeadSpec(4, 256, 9, False), filters_in=256) == 6_732_375


def test_fpn_levels_at_320_and_their_layers():
    inputs = {level: keras.Input((320 >> level,) * 2 + (c,)) for level, c in ((3, 32), (4, 96), (5, 320))}
    outputs = fpn_decoder(inputs, spec=FpnSpec(8, False), activation=Activation.RELU, bn=_BN)
    assert {level: tuple(x.shape) for level, x in outputs.items()} == {
        3: (None, 40, 40, 8), 4: (None, 20, 20, 8), 5: (None, 10, 10, 8), 6: (None, 5, 5, 8), 7: (None, 3, 3, 8)
    }
    model = keras.Model(list(inputs.values()), outputs)
    # Level 6 reads level 5's 3x3 conv (not the backbone's level 5); level 7 reads level 6 after the activation.
    assert model.get_layer("fpn_conv6").input.name == model.get_layer("fpn_conv5").output.name
    assert model.get_layer("fpn_act6").input.name == model.get_layer("fpn_conv6").output.name
    assert model.get_layer("fpn_conv7").input.name == model.get_layer("fpn_act6").output.name
    # One BatchNorm per output level, nothing after it.
    assert [layer.name for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)] == [
        f"fpn_bn{level}" for level in range(3, 8)
    ]
    assert [o.name for o in model.outputs] == [model.get_layer(f"fpn_bn{level}").output.name for level in range(3, 8)]
    with pytest.raises(ValueError, match=r"needs the backbone's levels \[3, 4, 5\], got \[3, 4\]"):
        fpn_decoder({3: inputs[3], 4: inputs[4]}, spec=FpnSpec(), activation=Activation.RELU, bn=_BN)


def test_fpn_top_down_path_is_nearest_upsampling_plus_the_lateral():
    inputs = {level: keras.Input((8 >> (level - 3),) * 2 + (3,)) for level in (3, 4, 5)}
    outputs = fpn_decoder(inputs, spec=FpnSpec(4, True), activation=Activation.RELU, bn=_BN)
    graph = keras.Model(list(inputs.values()), outputs)
    names = ("fpn_lateral5", "fpn_lateral4", "fpn_merge4", "fpn_lateral3", "fpn_merge3")
    probe = keras.Model(graph.inputs, [graph.get_layer(name).output for name in names])
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(1, *x.shape[1:])).astype(np.float32) for x in inputs.values()]
    lateral5, lateral4, merge4, lateral3, merge3 = (np.asarray(v) for v in probe(values))

    def up(x):
        return np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)

    np.testing.assert_allclose(merge4, lateral4 + up(lateral5), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(merge3, lateral3 + up(merge4), rtol=1e-5, atol=1e-6)
    assert isinstance(graph.get_layer("fpn_lateral3"), keras.layers.SeparableConv2D)
    assert graph.get_layer("fpn_lateral3").kernel_size == (1, 1)
    assert graph.get_layer("fpn_conv6").strides == (2, 2)


@pytest.mark.slow
def test_reference_detector_size_is_model_gardens_and_keras():
    # Keras' MobileNetV2 without its classifier, an implementation independent of ours and of Model Garden's,
    # has Model Garden's MobileNetV2 backbone count: 2,257,984.
    independent = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(320, 320, 3))
    assert independent.count_params() == 2_257_984
    del independent
    inputs = keras.Input((320, 320, 3))
    backbone = keras.Model(inputs, chain_stages(inputs, spec=_REFERENCE.backbone, bn=_BN)[-1])
    assert backbone.count_params() == 2_257_984 - 414_720  # without the final 1x1 conv to 1280 and its BatchNorm
    keras.backend.clear_session()
    model = build_chain_detector(_REFERENCE, input_shape=(320, 320, 3), num_classes=91)
    assert model.count_params() == 2_257_984 - 414_720 + 149_056 + 274_391 == 2_266_711
    cost = family_of(_REFERENCE).cost(_REFERENCE, input_shape=(320, 320, 3), num_classes=91)
    assert (cost.params, cost.macs) == (model.count_params(), _keras_macs(model))
    anchors = 9 * (40**2 + 20**2 + 10**2 + 5**2 + 3**2)
    assert tuple(model.output[CLASS_OUTPUT].shape) == (None, anchors, 91)
    assert tuple(model.output[BOX_OUTPUT].shape) == (None, anchors, 4)
    assert model.input.name == "image"


def test_backbone_layers_are_build_chains():
    spec = _REFERENCE.backbone
    chain = {layer.name for layer in build_chain(spec, input_shape=(128, 128, 3), num_classes=10).layers}
    built = build_chain_detector(_REFERENCE, input_shape=(128, 128, 3), num_classes=3)
    detector = {layer.name for layer in built.layers}
    classifier_only = {"head_conv", "head_bn", "head_act", "pool", "classifier"}
    assert chain - detector == classifier_only
    assert all(name.startswith(("fpn_", "class_outputs", "box_outputs")) for name in detector - chain)


@pytest.mark.slow
@pytest.mark.parametrize("space", ["mnasnet", "efficientnet_v2"])
def test_sampled_backbones_build_with_the_familys_cost(space):
    for backbone in spaces.get(space).sample(2, seed=11):
        spec = default_chain_detector(backbone)
        if space == "efficientnet_v2":  # plain convs too, and other widths
            spec = ChainDetectorSpec(backbone=backbone, decoder=FpnSpec(40, False), head=DetectionHeadSpec(2, 24, 3))
        model = build_keras(spec, input_shape=(128, 160, 3), num_classes=5)
        cost = estimate_chain_detector_cost(spec, input_shape=(128, 160, 3), num_classes=5)
        assert (cost.params, cost.macs) == (model.count_params(), _keras_macs(model)), str(spec)
        keras.backend.clear_session()


def test_small_detector_runs_and_its_outputs_are_finite():
    spec = default_chain_detector(spaces.get("mnasnet").sample(1, seed=2)[0])
    model = build_chain_detector(spec, input_shape=(128, 160, 3), num_classes=4, name="small")
    assert model.name == "small"
    out = model(np.random.default_rng(0).normal(size=(2, 128, 160, 3)).astype(np.float32), training=False)
    # Levels 3-7 of 128x160: 16x20, 8x10, 4x5, 2x3, 1x2.
    anchors = 9 * (16 * 20 + 8 * 10 + 4 * 5 + 2 * 3 + 1 * 2)
    assert sorted(out) == [BOX_OUTPUT, CLASS_OUTPUT]
    assert tuple(out[CLASS_OUTPUT].shape) == (2, anchors, 4)
    assert tuple(out[BOX_OUTPUT].shape) == (2, anchors, 4)
    assert np.isfinite(np.asarray(out[CLASS_OUTPUT])).all() and np.isfinite(np.asarray(out[BOX_OUTPUT])).all()
    # The class bias starts at the 0.01 prior; the default name is the spec's digest.
    np.testing.assert_allclose(model.get_layer("class_outputs_out").bias.numpy(), np.log(0.01 / 0.99), rtol=1e-5)
    assert build_chain_detector(spec, input_shape=(128, 128, 3), num_classes=1).name == f"edgenas_{spec.digest()[:12]}"


def test_options_it_has_no_use_for_are_refused():
    with pytest.raises(SpecError, match="has no classifier: pass no dropout_rate or classifier_activation"):
        build_chain_detector(_REFERENCE, input_shape=(128, 128, 3), num_classes=3, dropout_rate=0.2)
    with pytest.raises(SpecError, match="has no classifier: pass no dropout_rate or classifier_activation"):
        build_chain_detector(_REFERENCE, input_shape=(128, 128, 3), num_classes=3, classifier_activation="softmax")
    for bad in (0, -1, True, 2.0):
        with pytest.raises(SpecError, match=f"num_classes must be an int > 0, got {bad!r}"):
            build_chain_detector(_REFERENCE, input_shape=(128, 128, 3), num_classes=bad)
    with pytest.raises(SpecError, match="height 100 is below 128"):
        build_chain_detector(_REFERENCE, input_shape=(100, 128, 3), num_classes=3)
    with pytest.raises(SpecError, match="build_chain_detector needs a ChainDetectorSpec or a NasFpnDetectorSpec, got ArchSpec"):
        build_chain_detector(_REFERENCE.backbone, input_shape=(128, 128, 3), num_classes=3)
