"""Tests of latency_models/detector_features.py: head counts against the built heads' pinned counts, features."""

from __future__ import annotations

import dataclasses

import pytest

from edgenas.errors import SpecError
from edgenas.specs import estimate_spinenet_cost, spinenet_reference
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_detector import SpineNetDetectorSpec
from latency_models.detector_features import DETECTOR_FEATURES, detector_features, head_cost

F = {name: i for i, name in enumerate(DETECTOR_FEATURES)}
LEVELS = (3, 4, 5, 6, 7)


def test_head_parameters_equal_the_built_heads() -> None:
    # Trainable parameters of the built heads, pinned in tests/edgenas/models/test_spinenet_detector.py
    # (separable 48-filter head on 48 endpoint filters; plain 256-filter head on 256).
    sep = DetectionHeadSpec(head_num_filters=48, use_separable_conv=True)
    assert head_cost(sep, levels=LEVELS, input_shape=(128, 128, 3), filters_in=48, num_classes=91)[0] == 68_871
    plain = DetectionHeadSpec()
    assert head_cost(plain, levels=LEVELS, input_shape=(640, 640, 3), filters_in=256, num_classes=91)[0] == 6_711_895


def test_head_macs_follow_the_pixels_of_each_level() -> None:
    head = DetectionHeadSpec(head_num_convs=1, head_num_filters=8, num_anchors=1, use_separable_conv=False)
    _, macs = head_cost(head, levels=(3,), input_shape=(128, 128, 3), filters_in=4, num_classes=2)
    pixels = 16 * 16
    # Class tower 4->8, class output 8->2; box tower 4->8, box output 8->4; all 3x3.
    assert macs == pixels * 9 * (4 * 8 + 8 * 2 + 4 * 8 + 8 * 4)


def test_features_of_a_published_detector() -> None:
    backbone = spinenet_reference("spinenet_mobile49")
    detector = SpineNetDetectorSpec(backbone=backbone, head=DetectionHeadSpec(head_num_filters=48, use_separable_conv=True))
    x = detector_features(detector, input_shape=(384, 384, 3), num_classes=91)
    assert len(x) == len(DETECTOR_FEATURES)
    cost = estimate_spinenet_cost(backbone, input_shape=(384, 384, 3))
    assert x[F["backbone_macs_m"]] == pytest.approx(cost.macs / 1e6)
    assert x[F["total_macs_m"]] == pytest.approx(x[F["backbone_macs_m"]] + x[F["head_macs_m"]])
    assert x[F["head_params_k"]] == pytest.approx(68.871)
    anchors = 9 * sum((384 >> level) ** 2 for level in LEVELS)
    assert x[F["output_values_k"]] == pytest.approx(anchors * 95 / 1e3)
    # Twice the block repeats: twice the blocks and their activation, more MACs.
    doubled = dataclasses.replace(detector, backbone=dataclasses.replace(backbone, block_repeats=2))
    y = detector_features(doubled, input_shape=(384, 384, 3), num_classes=91)
    assert y[F["num_blocks"]] == 2 * x[F["num_blocks"]]
    assert y[F["block_activation_k"]] == pytest.approx(2 * x[F["block_activation_k"]])
    assert y[F["backbone_macs_m"]] > x[F["backbone_macs_m"]]


def test_an_input_the_backbone_cannot_take_is_a_spec_error() -> None:
    detector = SpineNetDetectorSpec(backbone=spinenet_reference("spinenet_mobile49xs"),
                                    head=DetectionHeadSpec(head_num_filters=24, use_separable_conv=True))  # fmt: skip
    with pytest.raises(SpecError, match="not a multiple of 128"):
        detector_features(detector, input_shape=(200, 200, 3), num_classes=91)


def test_cross_scale_counts_match_the_built_backbone() -> None:
    """The resampling counts equal the layers the builder makes: one `_up` output per up-sampled input, one
    depthwise stride-2 step (`_down<k>_dw`) per level an input moves down."""
    import re

    from edgenas import build_keras

    backbone = spinenet_reference("spinenet_mobile49xs")
    detector = SpineNetDetectorSpec(backbone=backbone, head=DetectionHeadSpec(head_num_filters=24, use_separable_conv=True))
    x = detector_features(detector, input_shape=(128, 128, 3), num_classes=91)
    names = [layer.name for layer in build_keras(backbone, input_shape=(128, 128, 3), num_classes=0).layers]
    ups = [n for n in names if re.fullmatch(r"block\d+_in\d_up", n)]
    down_steps = [n for n in names if re.fullmatch(r"block\d+_in\d_down\d+_dw", n)]
    down_inputs = {n.rsplit("_down", 1)[0] for n in down_steps}
    assert x[F["num_upsampled_inputs"]] == len(ups) > 0
    assert x[F["num_downsampled_inputs"]] == len(down_inputs) > 0
    def moved_up(name: str) -> int:  # "block<index>_in<k>_up": input k of the block at absolute index <index>
        index, k = map(int, re.fullmatch(r"block(\d+)_in(\d)_up", name).groups())
        block = backbone.blocks[index - 2]  # indices count the two stem blocks first
        return backbone.levels[block.input_offsets[k]] - block.level

    up_levels = sum(moved_up(n) for n in ups)
    assert x[F["resample_level_steps"]] == len(down_steps) + up_levels
    assert 0 < x[F["upsampled_values_k"]] < x[F["merge_input_values_k"]]


# ----- detectors on chain backbones: MobileNetV2 + FPN, the published NAS-FPN --------------------------------------

# MobileNetV2's stem and stages (`mobilenet_v2` of the mnasnet space): (stride, output filters, repeats).
MOBILENET_V2_STAGES = ((1, 16, 1), (2, 24, 2), (2, 32, 3), (2, 64, 4), (1, 96, 3), (2, 160, 3), (1, 320, 1))


def _mobilenet_v2_written(side: int) -> int:
    """Values MobileNetV2's stem and block outputs write at a square input `side` (each block counted once)."""
    side //= 2
    written = side * side * 32  # the stem
    for stride, filters, repeats in MOBILENET_V2_STAGES:
        side //= stride
        written += repeats * side * side * filters
    return written


def test_the_kinds_are_the_whole_network_families() -> None:
    from edgenas.families import PredictorKind, families, family_of_type
    from latency_models.detector_features import DETECTOR_KINDS

    assert {t: family_of_type(t).name for t in DETECTOR_KINDS} == DETECTOR_KINDS
    whole = {f.name for f in families() if f.predictor_kind is PredictorKind.WHOLE_NETWORK}
    assert whole == set(DETECTOR_KINDS.values()) == {"spinenet_detector", "chain_detector", "nasfpn_detector"}


def test_features_of_mobilenet_v2_fpn_retinanet_by_hand() -> None:
    from edgenas.specs.chain_detector import mobilenet_v2_fpn_retinanet
    from edgenas.specs.chain_detector_costs import estimate_chain_detector_cost

    detector = mobilenet_v2_fpn_retinanet()  # FPN of 128 separable filters, head 4 x 128 separable, 9 anchors
    x = dict(zip(DETECTOR_FEATURES, detector_features(detector, input_shape=(320, 320, 3), num_classes=91)))
    cost = estimate_chain_detector_cost(detector, input_shape=(320, 320, 3), num_classes=91)
    assert x["total_macs_m"] == pytest.approx(cost.macs / 1e6)
    assert x["backbone_macs_m"] + x["head_macs_m"] == pytest.approx(x["total_macs_m"])
    # 2,266,711 Keras parameters (pinned in the family's tests), less the head's BatchNorm moving statistics:
    # 2 (mean, variance) x 128 filters x 4 convs x 5 levels x 2 subnets = 10,240, left out as for SpineNet.
    assert (x["backbone_params_k"] + x["head_params_k"]) * 1e3 == pytest.approx(2_266_711 - 10_240)
    # Levels 3-7 of 320: 40x40, 20x20, 10x10, 5x5, 3x3 ('same' padding rounds levels 6 and 7 up).
    p3, p4, p5, p6, p7 = 1600, 400, 100, 25, 9
    locations = p3 + p4 + p5 + p6 + p7
    assert x["input_pixels_k"] == pytest.approx(102.4)
    assert x["head_activation_k"] * 1e3 == pytest.approx(2 * 4 * 128 * locations)
    assert x["output_values_k"] * 1e3 == pytest.approx(9 * locations * (91 + 4))
    # The FPN writes 3 laterals and 3 3x3 convs on levels 3-5, and levels 6 and 7's stride-2 convs.
    fpn_written = 128 * (2 * (p3 + p4 + p5) + p6 + p7)
    assert x["block_activation_k"] * 1e3 == pytest.approx(_mobilenet_v2_written(320) + fpn_written)
    # The stem, 17 blocks, 8 FPN convs; 2 x 4 head tower convs.
    assert (x["num_blocks"], x["num_head_convs"]) == (1 + 17 + 8, 8)
    # Top-down sums at levels 4 and 3, two inputs each, the one from above up-sampled one level;
    # levels 6 and 7 one level down each (stride-2 convs, no merge).
    assert x["merge_input_values_k"] * 1e3 == pytest.approx(2 * 128 * (p4 + p3))
    assert x["upsampled_values_k"] * 1e3 == pytest.approx(128 * (p4 + p3))
    assert (x["resample_level_steps"], x["num_upsampled_inputs"], x["num_downsampled_inputs"]) == (4, 2, 2)


def test_features_of_the_published_nasfpn_detector_by_hand() -> None:
    from edgenas import spaces
    from edgenas.specs.chain_detector_costs import estimate_chain_detector_cost

    # nasfpn_f128_sep_r3_c4a1.3_c4s1.5_c3s0.6o_c4s6.7o_c5a7.8o_c7a6.9o_c6a9.10o on MobileNetV2:
    # nodes 0-4 are levels 3-7; cells 0-6 are nodes 5-11 at levels 4, 4, 3, 4, 5, 7, 6.
    detector = spaces.get("nasfpn").reference("nasfpn")
    x = dict(zip(DETECTOR_FEATURES, detector_features(detector, input_shape=(384, 384, 3), num_classes=91)))
    cost = estimate_chain_detector_cost(detector, input_shape=(384, 384, 3), num_classes=91)
    assert x["total_macs_m"] == pytest.approx(cost.macs / 1e6)
    assert x["backbone_params_k"] + x["head_params_k"] == pytest.approx((cost.params - 10_240) / 1e3)
    p = {3: 48 * 48, 4: 24 * 24, 5: 12 * 12, 6: 6 * 6, 7: 3 * 3}
    # Per repeat, each cell's inputs (level moved: + from coarser, up-sampled; - from finer, max-pooled):
    #   c0 (l4, attention): node 1 (l4, 0), node 3 (l6, +2)       c1 (l4): node 1 (0), node 5 (0)
    #   c2 (l3): node 0 (0), node 6 (l4, +1)                        c3 (l4): node 6 (0), node 7 (l3, -1)
    #   c4 (l5, attention): node 7 (-2), node 8 (-1), unconsumed node 2 (l5, 0)
    #   c5 (l7, attention): node 6 (-3), node 9 (-2), unconsumed node 4 (l7, 0)
    #   c6 (l6, attention): node 9 (-1), node 10 (l7, +1)
    merged = 2 * p[4] + 2 * p[4] + 2 * p[3] + 2 * p[4] + 3 * p[5] + 3 * p[7] + 2 * p[6]
    upsampled = p[4] + p[3] + p[6]
    assert x["merge_input_values_k"] * 1e3 == pytest.approx(3 * 128 * merged)
    assert x["upsampled_values_k"] * 1e3 == pytest.approx(3 * 128 * upsampled)
    # 3 repeats of 3 up-sampled inputs (4 levels) and 6 down-sampled ones (10 levels), and levels 6 and 7
    # max-pooled from the level below (1 level each).
    assert x["num_upsampled_inputs"] == 3 * 3
    assert x["num_downsampled_inputs"] == 3 * 6 + 2
    assert x["resample_level_steps"] == 3 * (4 + 10) + 2
    # The stem and 17 blocks; 3 projections (32, 96, 320 channels to 128) and 3 x 7 cell convs; 3 x 4 attention gates.
    assert x["num_blocks"] == 1 + 17 + 3 + 21 + 12
    nodes_written = 128 * (p[3] + p[4] + p[5] + p[6] + p[7] + 3 * (p[4] + p[4] + p[3] + p[4] + p[5] + p[7] + p[6]))
    assert x["block_activation_k"] * 1e3 == pytest.approx(_mobilenet_v2_written(384) + nodes_written)
    assert x["output_values_k"] * 1e3 == pytest.approx(9 * sum(p.values()) * 95)


def test_decoder_counts_match_the_built_decoders() -> None:
    """Resampled inputs, convolutions and gates are the layers the builders make (at 128x128, built, not run)."""
    import re

    from edgenas import spaces
    from edgenas.families import family_of
    from edgenas.specs.chain_detector import mobilenet_v2_fpn_retinanet

    nasfpn = spaces.get("nasfpn").sample(n=1, seed=4)[0]
    for detector, prefix in ((nasfpn, "nasfpn_"), (mobilenet_v2_fpn_retinanet(), "fpn_")):
        x = dict(zip(DETECTOR_FEATURES, detector_features(detector, input_shape=(128, 128, 3), num_classes=3)))
        model = family_of(detector).build(detector, input_shape=(128, 128, 3), num_classes=3)
        names = [layer.name for layer in model.layers if layer.name.startswith(prefix)]
        ups = [n for n in names if n.endswith("_up")]
        downs = [n for n in names if n.endswith(("_down", "_pool")) or re.fullmatch(r"fpn_conv[67]", n)]
        convs = [n for n in names if n.endswith("_conv") or re.fullmatch(r"fpn_(lateral|conv)\d", n)]
        gates = [n for n in names if n.endswith("_gated")]
        assert x["num_upsampled_inputs"] == len(ups) > 0
        assert x["num_downsampled_inputs"] == len(downs) > 0
        assert x["num_blocks"] == 1 + detector.backbone.num_layers + len(convs) + len(gates)


def test_a_chain_detector_at_an_illegal_size_or_another_type_is_refused() -> None:
    from edgenas import spaces
    from edgenas.specs.chain_detector import mobilenet_v2_fpn_retinanet
    from latency_models.errors import OutOfDomainError

    with pytest.raises(SpecError, match="not a multiple of 32 \\(the nearest legal sides are 192 and 224\\)"):
        detector_features(mobilenet_v2_fpn_retinanet(), input_shape=(200, 200, 3), num_classes=91)
    with pytest.raises(SpecError, match="not a multiple of 128 \\(the nearest legal sides are 256 and 384\\)"):
        detector_features(spaces.get("nasfpn").reference("nasfpn"), input_shape=(320, 320, 3), num_classes=91)
    with pytest.raises(OutOfDomainError, match="^a detector latency predictor reads SpineNetDetectorSpec, "
                                               "ChainDetectorSpec or NasFpnDetectorSpec, not ArchSpec$"):  # fmt: skip
        detector_features(mobilenet_v2_fpn_retinanet().backbone, input_shape=(320, 320, 3), num_classes=91)
