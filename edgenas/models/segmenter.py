"""`build_segmenter`: the Keras model of a `ChainSegmenterSpec` or `SpineNetSegmenterSpec` (TensorFlow).

The backbone's level 3-5 features (a chain's stages, `chain_stages` and
`feature_taps`; a SpineNet's endpoints, `build_spinenet`) feed the decoder
(`segmentation_head`). The model's only output is `segmentation_logits`; a
SpineNet's level 6 and 7 endpoints, and every block only they need, are not in
the model (Keras keeps the layers the output depends on).
"""

from __future__ import annotations

import keras

from edgenas.errors import SpecError
from edgenas.families.segmenter import SEGMENTATION_LOGITS
from edgenas.models.chain import chain_stages
from edgenas.models.layers import BatchNormConfig
from edgenas.models.segmentation_head import segmentation_head
from edgenas.models.spinenet import build_spinenet, output_name
from edgenas.specs.chain_levels import feature_taps
from edgenas.specs.segmentation_head import SEGMENTATION_LEVELS
from edgenas.specs.segmenter import ChainSegmenterSpec, SpineNetSegmenterSpec

__all__ = ["build_segmenter"]


def build_segmenter(
    spec: ChainSegmenterSpec | SpineNetSegmenterSpec,
    *,
    input_shape: tuple[int, int, int] = (256, 256, 3),
    num_classes: int,
    bn_momentum: float = 0.99,
    dropout_rate: float = 0.0,
    classifier_activation: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Builds the segmenter of `spec` with fresh random weights.

    Outputs `{"segmentation_logits": (batch, height / 8, width / 8, num_classes + 1)}`: per-pixel logits at
    stride 8, background first, no softmax.

    Args:
        spec: The segmenter.
        input_shape: Height, width, channels of one image (`spec.check_input_shape`: multiples of 32 for a chain,
            of the coarsest level's stride for a SpineNet).
        num_classes: Object classes, > 0 (the logits add the background).
        bn_momentum: BatchNorm momentum.
        dropout_rate: Must be 0 (no classifier).
        classifier_activation: Must be None (logits).
        name: Model name (default: "edgenas_" + the first 12 hex digits of the spec's digest).

    Returns:
        An uncompiled `keras.Model` with a one-key dict output; its input is named "image".

    Raises:
        SpecError: On a spec that is not a segmenter, num_classes < 1, an input shape it cannot take, or
            classifier options.
    """
    if not isinstance(spec, (ChainSegmenterSpec, SpineNetSegmenterSpec)):
        raise SpecError(
            f"build_segmenter needs a ChainSegmenterSpec or a SpineNetSegmenterSpec, got {type(spec).__name__}"
        )
    height, width, channels = spec.check_input_shape(input_shape)
    if dropout_rate != 0.0 or classifier_activation is not None:
        raise SpecError(
            f"a {type(spec).__name__} builds a segmenter, whose output is logits: pass no dropout_rate or "
            "classifier_activation"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise SpecError(
            f"a {type(spec).__name__} builds a segmenter: num_classes must be an int > 0 (object classes; the "
            f"logits add the background), got {num_classes!r}"
        )
    bn = BatchNormConfig(momentum=bn_momentum)
    if isinstance(spec, ChainSegmenterSpec):
        inputs = keras.Input(shape=(height, width, channels), name="image")
        stages = chain_stages(inputs, spec=spec.backbone, bn=bn)
        features = {tap.level: stages[tap.stage_index] for tap in feature_taps(spec.backbone)}
        activation = spec.backbone.activation
    else:
        backbone = build_spinenet(spec.backbone, input_shape=(height, width, channels), bn_momentum=bn_momentum)
        inputs = backbone.input
        features = {level: backbone.output[output_name(level)] for level in SEGMENTATION_LEVELS}
        activation = spec.backbone.activation
    logits = segmentation_head(
        features, head=spec.head, num_classes=num_classes, activation=activation, bn=bn, name=SEGMENTATION_LOGITS
    )
    return keras.Model(inputs, {SEGMENTATION_LOGITS: logits}, name=name or f"edgenas_{spec.digest()[:12]}")
