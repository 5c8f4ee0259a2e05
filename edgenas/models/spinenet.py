"""Builds the Keras backbone of a `SpineNetSpec`: feature maps of levels min_level..max_level.

Papers: SpineNet, https://arxiv.org/abs/1912.05027; SpineNet-Mobile,
https://arxiv.org/abs/2010.11426. Layer for layer it follows the published
backbones (TF Model Garden's `spinenet.py` / `spinenet_mobile.py`), so that the
reference specs have the published networks' parameter counts; where it differs
(mbconv SE inner activation, chained block repeats in the mobile stem) the
parameter count does not change.
"""

from __future__ import annotations

import keras

from edgenas.errors import SpecError
from edgenas.models.layers import BatchNormConfig, activation_layer, conv_bn_act
from edgenas.models.spinenet_head import BOX_OUTPUT, CLASS_OUTPUT, retinanet_head
from edgenas.models.spinenet_layers import block_group, resample_mobile, resample_resnet
from edgenas.specs import SpineNetFamily, SpineNetSpec
from edgenas.specs.spinenet_arch import NUM_STEM_BLOCKS
from edgenas.specs.detection_head import DetectionHeadSpec, default_detection_head
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from edgenas.specs.spinenet_family import RESNET_STEM_CONV_FILTERS

__all__ = ["build_spinenet", "build_spinenet_detector", "output_name"]


def output_name(level: int) -> str:
    """Key of the feature map of `level` in the model's output dict (`"level3"` ...)."""
    return f"level{level}"


def build_spinenet(
    spec: SpineNetSpec,
    *,
    input_shape: tuple[int, int, int] = (256, 256, 3),
    num_classes: int = 0,
    bn_momentum: float = 0.99,
    dropout_rate: float = 0.0,
    classifier_activation: str | None = None,
    name: str | None = None,
    detection_head: DetectionHeadSpec | None = None,
) -> keras.Model:
    """Builds the SpineNet backbone of `spec`, or a RetinaNet detector on it, with fresh random weights.

    With num_classes=0 the model maps an image batch to a dict `{"level3": ...,
    "level7": ...}` of feature maps, each `(batch, height / 2**level, width /
    2**level, endpoints_num_filters)`. With num_classes > 0 it is a RetinaNet
    detector (`edgenas.models.spinenet_head`) with two outputs, a dict
    `{"class_outputs": (batch, total_anchors, num_classes), "box_outputs":
    (batch, total_anchors, 4)}`; anchors from `edgenas.models.anchors`.

    Args:
        spec: The backbone.
        input_shape: Height, width, channels of one image; height and width must
            be multiples of `2 ** spec.max_block_level` (128 for the published nets).
        num_classes: 0: the backbone; > 0: detector classes (logits, no background class).
        bn_momentum: BatchNorm momentum.
        dropout_rate: Must be 0 (no classifier).
        classifier_activation: Must be None (no classifier).
        name: Model name (default: "edgenas_" + the first 12 hex digits of the spec digest).
        detection_head: Head settings when num_classes > 0 (default: Model Garden's
            for the backbone, `default_detection_head`: separable convs as wide as
            the endpoints for a mobile spec, 256-filter plain convs otherwise);
            must be None when num_classes=0.

    Returns:
        An uncompiled `keras.Model` with dict outputs.

    Raises:
        SpecError: On an input shape the backbone cannot take, classifier
            options (a SpineNet has no classifier), a negative num_classes, or a
            head spec without classes.
    """
    height, width, channels = spec.check_input_shape(input_shape)
    if dropout_rate != 0.0 or classifier_activation is not None:
        raise SpecError(
            "a SpineNetSpec builds a backbone (num_classes=0) or a RetinaNet detector (num_classes > 0): "
            "pass no dropout_rate or classifier_activation"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 0:
        raise SpecError(f"num_classes must be an int >= 0 (0: backbone only), got {num_classes!r}")
    if num_classes == 0 and detection_head is not None:
        raise SpecError("detection_head needs num_classes > 0 (num_classes=0 builds the backbone only)")
    if detection_head is not None and not isinstance(detection_head, DetectionHeadSpec):
        raise SpecError(f"detection_head must be a DetectionHeadSpec, got {type(detection_head).__name__}")
    bn = BatchNormConfig(momentum=bn_momentum)
    inputs = keras.Input(shape=(height, width, channels), name="image")
    features = _stem(spec, inputs, bn)
    for i, extra in enumerate(spec.merged_inputs()):
        features.append(_node(spec, i, features, extra, bn))
    act = spec.activation
    outputs = {}
    for level, index in sorted(spec.output_block_indices().items()):
        outputs[output_name(level)] = conv_bn_act(
            features[index],
            filters=spec.endpoints_num_filters,
            kernel_size=1,
            strides=1,
            activation=act,
            bn=bn,
            name=f"endpoint{level}",
        )
    model_name = name or f"edgenas_{spec.digest()[:12]}"
    if num_classes == 0:
        return keras.Model(inputs, outputs, name=model_name)
    head = detection_head or default_detection_head(
        spec.family is SpineNetFamily.MOBILE, endpoints_num_filters=spec.endpoints_num_filters
    )
    classes, boxes = retinanet_head(
        {level: outputs[output_name(level)] for level in sorted(spec.output_block_indices())},
        head=head,
        num_classes=num_classes,
        activation=act,
        bn=bn,
    )
    return keras.Model(inputs, {CLASS_OUTPUT: classes, BOX_OUTPUT: boxes}, name=model_name)


def _stem(spec: SpineNetSpec, inputs: keras.KerasTensor, bn: BatchNormConfig) -> list[keras.KerasTensor]:
    """The stem convolution and the two stem blocks; returns the stem blocks' outputs."""
    act = spec.activation
    if spec.family is SpineNetFamily.MOBILE:
        filters, kernel_size, in_level = spec.level_filters(0), 3, 1
    else:
        filters, kernel_size, in_level = RESNET_STEM_CONV_FILTERS, 7, 2  # the max-pool halves again
    x = conv_bn_act(inputs, filters=filters, kernel_size=kernel_size, strides=2, activation=act, bn=bn, name="stem")
    if spec.family is SpineNetFamily.RESNET:
        x = keras.layers.MaxPooling2D(pool_size=3, strides=2, padding="same", name="stem_pool")(x)
    features = []
    for index, level in enumerate(spec.levels[:NUM_STEM_BLOCKS]):
        x = block_group(
            x,
            block_fn=spec.stem_block_fn,
            filters=spec.level_filters(level),
            strides=2 ** (level - in_level),
            repeats=spec.block_repeats,
            activation=act,
            bn=bn,
            mbconv_settings=spec.mbconv,
            name=f"stem_block{index}",
        )
        features.append(x)
        in_level = level
    return features


def _node(
    spec: SpineNetSpec,
    i: int,
    features: list[keras.KerasTensor],
    extra: tuple[int, ...],
    bn: BatchNormConfig,
) -> keras.KerasTensor:
    """Scale-permuted block `i`: resample its two inputs, sum (with `extra` blocks), apply its blocks."""
    block = spec.blocks[i]
    index = NUM_STEM_BLOCKS + i
    levels = spec.levels
    target_channels = spec.channels_at(index)
    parents = []
    for k, source in enumerate(block.input_offsets):
        resample_name = f"block{index}_in{k}"
        if spec.family is SpineNetFamily.MOBILE:
            parents.append(
                resample_mobile(
                    features[source],
                    source_level=levels[source],
                    target_level=block.level,
                    target_channels=target_channels,
                    activation=spec.activation,
                    bn=bn,
                    name=resample_name,
                )
            )
        else:
            assert spec.resample_alpha is not None
            parents.append(
                resample_resnet(
                    features[source],
                    source_level=levels[source],
                    source_filters=spec.level_filters(levels[source]),
                    target_level=block.level,
                    target_channels=target_channels,
                    alpha=spec.resample_alpha,
                    activation=spec.activation,
                    bn=bn,
                    name=resample_name,
                )
            )
    parents += [features[j] for j in extra]
    x = keras.layers.Add(name=f"block{index}_merge")(parents)
    x = activation_layer(spec.activation, f"block{index}_merge_act")(x)
    return block_group(
        x,
        block_fn=block.block_fn,
        filters=spec.level_filters(block.level),
        strides=1,
        repeats=spec.block_repeats,
        activation=spec.activation,
        bn=bn,
        mbconv_settings=spec.mbconv,
        name=f"block{index}",
    )


def build_spinenet_detector(
    spec: SpineNetDetectorSpec,
    *,
    input_shape: tuple[int, int, int] = (256, 256, 3),
    num_classes: int,
    bn_momentum: float = 0.99,
    dropout_rate: float = 0.0,
    classifier_activation: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Builds the RetinaNet detector of a `SpineNetDetectorSpec` (its backbone and its head).

    The same network as `build_spinenet(spec.backbone, detection_head=spec.head,
    num_classes=num_classes)`: outputs `{"class_outputs": (batch, total_anchors,
    num_classes), "box_outputs": (batch, total_anchors, 4)}`.

    Args:
        spec: The detector.
        input_shape: Height, width, channels of one image; height and width must
            be multiples of `2 ** spec.backbone.max_block_level`.
        num_classes: Detector classes, > 0 (a detector spec has no backbone-only form).
        bn_momentum: BatchNorm momentum.
        dropout_rate: Must be 0 (no classifier).
        classifier_activation: Must be None (no classifier).
        name: Model name (default: "edgenas_" + the first 12 hex digits of the detector spec's digest).

    Returns:
        An uncompiled `keras.Model` with dict outputs.

    Raises:
        SpecError: On num_classes < 1, an input shape the backbone cannot take, or
            classifier options.
    """
    if not isinstance(spec, SpineNetDetectorSpec):
        raise SpecError(f"build_spinenet_detector needs a SpineNetDetectorSpec, got {type(spec).__name__}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise SpecError(
            f"a SpineNetDetectorSpec builds a detector: num_classes must be an int > 0, got {num_classes!r} "
            "(build the backbone spec with num_classes=0 for feature maps)"
        )
    return build_spinenet(
        spec.backbone,
        input_shape=input_shape,
        num_classes=num_classes,
        bn_momentum=bn_momentum,
        dropout_rate=dropout_rate,
        classifier_activation=classifier_activation,
        name=name or f"edgenas_{spec.digest()[:12]}",
        detection_head=spec.head,
    )

