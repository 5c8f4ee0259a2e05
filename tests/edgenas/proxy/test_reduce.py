"""`proxy_spec`: the reduced copy keeps the searched choices, scales width, removes late strides."""

import pytest

import edgenas
from edgenas.proxy import ProxyConfigError, ProxyTask, StrideRemoval, proxy_spec, reduce_spec
from edgenas.specs import ArchSpec, BlockSpec


def _mobilenet_v2():
    return edgenas.spaces.get("mnasnet").reference("mobilenet_v2")


def test_default_proxy_of_mobilenet_v2():
    spec = _mobilenet_v2()
    proxy = proxy_spec(spec, ProxyTask())
    # The first two stride-2 stages stride 1: total stride 8, a 4x4 map of a 32x32 image.
    assert [b.strides for b in spec.blocks] == [1, 2, 2, 2, 1, 2, 1]
    assert [b.strides for b in proxy.blocks] == [1, 1, 1, 2, 1, 2, 1]
    assert proxy.total_stride == 8
    assert [b.output_filters for b in proxy.blocks] == [8, 12, 16, 32, 48, 80, 160]
    assert (proxy.stem_filters, proxy.head_filters) == (16, 640)
    for name in ("block_fn", "num_repeats", "kernel_size", "expand_ratio", "se_ratio"):
        assert [getattr(b, name) for b in proxy.blocks] == [getattr(b, name) for b in spec.blocks]
    assert proxy.activation is spec.activation


def test_feature_map_size_follows_the_image_size():
    spec = _mobilenet_v2()
    assert proxy_spec(spec, ProxyTask(image_size=64)).total_stride == 16
    assert proxy_spec(spec, ProxyTask(image_size=128)).total_stride == 32
    assert proxy_spec(spec, ProxyTask(image_size=32, min_feature_map_px=8)).total_stride == 4
    assert proxy_spec(spec, ProxyTask(image_size=224, width_multiplier=1.0)) == spec


def test_late_stride_removal_keeps_the_early_stages_as_they_are():
    spec = _mobilenet_v2()
    proxy = proxy_spec(spec, ProxyTask(stride_removal=StrideRemoval.LATE, min_feature_map_px=2))
    assert [b.strides for b in proxy.blocks] == [1, 2, 2, 2, 1, 1, 1]
    proxy = proxy_spec(spec, ProxyTask(stride_removal="late"))
    assert [b.strides for b in proxy.blocks] == [1, 2, 2, 1, 1, 1, 1]
    proxy = proxy_spec(spec, ProxyTask(stride_removal="early", min_feature_map_px=2))
    assert [b.strides for b in proxy.blocks] == [1, 1, 2, 2, 1, 2, 1]


def test_min_filters_never_widens_past_the_original():
    block = BlockSpec(
        block_fn="conv", num_repeats=1, kernel_size=3, strides=2, expand_ratio=1, se_ratio=0.0, output_filters=4
    )
    spec = ArchSpec(blocks=(block,), stem_filters=40, head_filters=30)
    reduced = reduce_spec(spec, image_size_px=16, width_multiplier=0.1, min_filters=8, min_feature_map_px=4)
    assert (reduced.stem_filters, reduced.blocks[0].output_filters, reduced.head_filters) == (8, 4, 8)
    assert reduced.blocks[0].strides == 2


def test_what_cannot_be_reduced():
    with pytest.raises(ProxyConfigError, match="trains ArchSpec candidates"):
        proxy_spec("relu-stem32-head1280", ProxyTask())
    with pytest.raises(ProxyConfigError, match="cannot keep a 9 px feature map"):
        reduce_spec(_mobilenet_v2(), image_size_px=16, width_multiplier=1.0, min_filters=8, min_feature_map_px=9)
