"""The detection proxy of detectors on chain backbones: what the reduction keeps, and one real short training."""

import pytest

import edgenas.spaces as spaces
from edgenas.families import family_of
from edgenas.proxy import DetectionProxyTask
from edgenas.proxy.chain_detection_train import chain_detection_proxy_spec, train_and_evaluate_chain_detection
from edgenas.proxy.errors import ProxyConfigError


def _detector():
    return spaces.get("mnasnet", task="detection").reference("mobilenet_v2")


def test_the_proxy_keeps_the_searched_stages_and_shrinks_widths_decoder_and_head():
    detector = _detector()
    task = DetectionProxyTask()
    reduced = chain_detection_proxy_spec(detector, task)
    for original, small in zip(detector.backbone.blocks, reduced.backbone.blocks, strict=True):
        kept = ("block_fn", "num_repeats", "kernel_size", "strides", "expand_ratio", "se_ratio", "activation")
        assert [getattr(small, f) for f in kept] == [getattr(original, f) for f in kept]
        assert small.output_filters == max(task.min_filters, round(original.output_filters * task.width_multiplier))
    assert reduced.decoder.num_filters == task.head_num_filters
    assert reduced.decoder.use_separable_conv == detector.decoder.use_separable_conv
    assert (reduced.head.head_num_convs, reduced.head.head_num_filters) == (task.head_num_convs, task.head_num_filters)
    assert reduced.head.use_separable_conv == detector.head.use_separable_conv


def test_what_is_not_a_chain_detector_is_refused():
    with pytest.raises(ProxyConfigError, match="detectors on chain backbones, got a SpineNetSpec"):
        chain_detection_proxy_spec(spaces.get("spinenet_mbconv").sample(1)[0], DetectionProxyTask())
    with pytest.raises(ProxyConfigError, match="needs a DetectionProxyTask"):
        train_and_evaluate_chain_detection(_detector(), task=object())


@pytest.mark.slow
@pytest.mark.long
def test_a_short_training_learns_and_reports_ap():
    task = DetectionProxyTask(steps=12, num_train=64, num_val=16, batch_size=8)
    result = train_and_evaluate_chain_detection(_detector(), task)
    assert 0.0 <= result.accuracy <= 1.0
    assert result.train_loss < result.initial_loss  # 12 steps of Adam at 1e-2 lower RetinaNet's loss
    assert result.proxy_spec == chain_detection_proxy_spec(_detector(), task)
    assert result.steps == 12 and result.num_validation == 16
    cost = family_of(result.proxy_spec).cost(result.proxy_spec, input_shape=(128, 128, 3), num_classes=3)
    assert result.params == cost.params < 2_266_711 / 4  # the reduced detector, not the full one
