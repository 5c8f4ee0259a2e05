"""`build_chain_detector`: the Keras RetinaNet detector of a `ChainDetectorSpec` or `NasFpnDetectorSpec` (TensorFlow).

The chain's stem and stages (`chain_stages`, the layers `build_chain` makes),
their level 3-5 features (`feature_taps`), the decoder (`fpn_decoder`, `nasfpn_decoder`) and the
RetinaNet head (`retinanet_head`) on levels 3-7. The decoder and the head use
the backbone's activation.
"""

from __future__ import annotations

import keras

from edgenas.errors import SpecError
from edgenas.models.chain import chain_stages
from edgenas.models.fpn import fpn_decoder
from edgenas.models.nasfpn import nasfpn_decoder
from edgenas.models.layers import BatchNormConfig
from edgenas.models.spinenet_head import BOX_OUTPUT, CLASS_OUTPUT, retinanet_head
from edgenas.specs.chain_detector import ChainDetectorSpec
from edgenas.specs.fpn import FpnSpec
from edgenas.specs.nasfpn_detector import NasFpnDetectorSpec
from edgenas.specs.chain_levels import feature_taps

__all__ = ["build_chain_detector"]


def build_chain_detector(
    spec: ChainDetectorSpec | NasFpnDetectorSpec,
    *,
    input_shape: tuple[int, int, int] = (320, 320, 3),
    num_classes: int,
    bn_momentum: float = 0.99,
    dropout_rate: float = 0.0,
    classifier_activation: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Builds the detector of `spec` with fresh random weights.

    Outputs `{"class_outputs": (batch, total_anchors, num_classes),
    "box_outputs": (batch, total_anchors, 4)}`, levels 3 to 7 in turn.

    Args:
        spec: The detector.
        input_shape: Height, width, channels of one image; height and width must be
            legal sides (`spec.check_input_shape`: multiples of 32 from 128 with an FPN, of 128 with NAS-FPN).
        num_classes: Detector classes, > 0 (logits, no background class).
        bn_momentum: BatchNorm momentum.
        dropout_rate: Must be 0 (no classifier).
        classifier_activation: Must be None (no classifier).
        name: Model name (default: "edgenas_" + the first 12 hex digits of the spec's digest).

    Returns:
        An uncompiled `keras.Model` with dict outputs; its input is named "image".

    Raises:
        SpecError: On a spec that is not a `ChainDetectorSpec`, num_classes < 1, an
            input shape the detector cannot take, or classifier options.
    """
    if not isinstance(spec, (ChainDetectorSpec, NasFpnDetectorSpec)):
        raise SpecError(
            f"build_chain_detector needs a ChainDetectorSpec or a NasFpnDetectorSpec, got {type(spec).__name__}"
        )
    height, width, channels = spec.check_input_shape(input_shape)
    if dropout_rate != 0.0 or classifier_activation is not None:
        raise SpecError(
            f"a {type(spec).__name__} builds a RetinaNet detector, which has no classifier: "
            "pass no dropout_rate or classifier_activation"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise SpecError(
            f"a {type(spec).__name__} builds a detector: num_classes must be an int > 0, got {num_classes!r}"
        )
    bn = BatchNormConfig(momentum=bn_momentum)
    act = spec.backbone.activation
    inputs = keras.Input(shape=(height, width, channels), name="image")
    stages = chain_stages(inputs, spec=spec.backbone, bn=bn)
    taps = {tap.level: stages[tap.stage_index] for tap in feature_taps(spec.backbone)}
    decoder = fpn_decoder if isinstance(spec.decoder, FpnSpec) else nasfpn_decoder
    levels = decoder(taps, spec=spec.decoder, activation=act, bn=bn)
    classes, boxes = retinanet_head(levels, head=spec.head, num_classes=num_classes, activation=act, bn=bn)
    return keras.Model(inputs, {CLASS_OUTPUT: classes, BOX_OUTPUT: boxes}, name=name or f"edgenas_{spec.digest()[:12]}")
