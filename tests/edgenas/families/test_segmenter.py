"""The segmenter families: registration, the task forms of the chain and SpineNet spaces, outputs, export facts."""

from __future__ import annotations

import pytest

from edgenas import spaces
from edgenas.errors import SpecError
from edgenas.families import OutputSignature, PredictorKind, Task, family_of, parse_spec
from edgenas.proxy.segmentation_task import SegmentationProxyTask
from edgenas.report.metric import SEGMENTATION
from edgenas.specs import spinenet_reference
from edgenas.specs.segmentation_head import SegmentationHeadSpec
from edgenas.specs.segmenter import (
    ChainSegmenterSpec,
    SpineNetSegmenterSpec,
    default_chain_segmenter,
    default_spinenet_segmenter,
)


@pytest.mark.parametrize(
    ("name", "spec_type", "family_name"),
    [
        ("mnasnet", ChainSegmenterSpec, "chain_segmenter"),
        ("efficientnet_v2", ChainSegmenterSpec, "chain_segmenter"),
        ("spinenet_mbconv", SpineNetSegmenterSpec, "spinenet_segmenter"),
        ("spinenet", SpineNetSegmenterSpec, "spinenet_segmenter"),
    ],
)
def test_the_segmentation_form_wraps_every_point_of_the_space(name, spec_type, family_name):
    plain = spaces.get(name)
    form = spaces.get(name, task="segmentation")
    assert (form.size, form.num_decisions, form.options) == (plain.size, plain.num_decisions, {"task": "segmentation"})
    assert form.spec_type is spec_type
    wrap = default_chain_segmenter if spec_type is ChainSegmenterSpec else default_spinenet_segmenter
    for backbone, segmenter in zip(plain.sample(3, seed=5), form.sample(3, seed=5), strict=True):
        assert segmenter == wrap(backbone)
        assert form.dna_of(segmenter) == plain.dna_of(backbone)
        assert parse_spec(str(segmenter)) == segmenter
        family = family_of(segmenter)
        assert (family.name, family.task, family.metric) == (family_name, Task.SEGMENTATION, SEGMENTATION)
    assert form.reference_names() == plain.reference_names()


def test_a_segmenter_the_form_does_not_make_is_not_a_point():
    form = spaces.get("mnasnet", task="segmentation")
    wider = ChainSegmenterSpec(backbone=form.sample(1, seed=0)[0].backbone, head=SegmentationHeadSpec(64, False))
    assert not form.contains(wider)
    with pytest.raises(SpecError, match="not the default segmenter of a chain backbone"):
        form.dna_of(wider)


def test_the_family_declares_one_named_output_at_stride_8_and_no_direct_writer():
    spec = default_spinenet_segmenter(spinenet_reference("spinenet_mobile49xs"))
    family = family_of(spec)
    assert family.metric.name == "mIoU" and family.metric.axis_label == "mIoU (segmentation proxy)"
    assert family.outputs(spec, input_shape=(128, 256, 3), num_classes=5) == (
        OutputSignature(name="segmentation_logits", shape=(1, 16, 32, 6)),
    )
    assert family.deployment.input_shape == (256, 256, 3) and family.deployment.num_classes == 20
    assert (family.has_timing_graph, family.timing_graph_formats) == (False, ())
    assert family.timing_graph(spec, input_shape=(128, 128, 3), num_classes=2, seed=0) is None
    assert family.predictor_kind is PredictorKind.NONE
    assert family.input_multiple(spec) == 128
    assert family.export_calibration_images(spec, input_shape=(128, 128, 3), default=2) == 64  # 1 cell at level 7
    chain = default_chain_segmenter(spaces.get("mnasnet").reference("mobilenet_v2"))
    assert family_of(chain).input_multiple(chain) == 32
    assert family_of(chain).export_calibration_images(chain, input_shape=(256, 256, 3), default=2) == 2  # 8x8 cells
    assert family.proxy_task_type is SegmentationProxyTask
    assert family.proxy_task(steps=3).steps == 3
    with pytest.raises(SpecError, match="needs num_classes > 0"):
        family.outputs(spec, input_shape=(128, 128, 3), num_classes=0)
    with pytest.raises(SpecError, match="cannot export a ChainSegmenterSpec at input_shape \\(100, 96, 3\\)"):
        family_of(chain).cost(chain, input_shape=(100, 96, 3), num_classes=3)
