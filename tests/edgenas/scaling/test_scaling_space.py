"""ScalingSpace: the registered grids, their points, family checks and the registry."""

import dataclasses

import pytest

from edgenas.errors import DuplicateNameError, SpecError, UnknownNameError
from edgenas.scaling import (
    POINT_FIELDS,
    SPINENET_MOBILE_SCALING,
    SPINENET_SCALING,
    ScaledDetector,
    ScalingPoint,
    ScalingSpace,
    get_scaling_space,
    register_scaling_space,
    scaling_space_names,
    unregister_scaling_space,
)
from edgenas.specs import SpineNetFamily, spinenet_reference
from edgenas.specs.detection_head import DetectionHeadSpec

# Published SpineNet-Mobile RetinaNet detectors: (backbone, input size, head filters). Model Garden's
# coco_spinenet49{xs,s,}_mobile_tpu.yaml: 4 separable head convs as wide as the endpoints, 9 anchors.
_PUBLISHED_MOBILE = [
    ("spinenet_mobile49xs", 256, 24),
    ("spinenet_mobile49s", 384, 40),
    ("spinenet_mobile49", 384, 48),
]


def _space(**fields):
    base = dict(
        name="tiny_scaling",
        family=SpineNetFamily.MOBILE,
        image_size=(256,),
        endpoints_num_filters=(24, 32),
        filter_size_scale=(0.5,),
        block_repeats=(1,),
        head_num_convs=(3,),
        head_num_filters=(24,),
    )
    return ScalingSpace(**{**base, **fields})


def test_registered_names():
    assert scaling_space_names() == ("spinenet_mobile_scaling", "spinenet_scaling")
    assert get_scaling_space("spinenet_scaling") is SPINENET_SCALING
    assert get_scaling_space("spinenet_mobile_scaling") is SPINENET_MOBILE_SCALING


def test_spinenet_scaling_has_exactly_the_documented_432_distinct_points():
    space = get_scaling_space("spinenet_scaling")
    assert space.family is SpineNetFamily.RESNET
    assert {field: getattr(space, field) for field in POINT_FIELDS} == {
        "image_size": (512, 640),
        "endpoints_num_filters": (192, 256),
        "filter_size_scale": (0.8, 1.0, 1.2),
        "resample_alpha": (0.75, 1.0, 1.25),
        "block_repeats": (2, 3, 4),
        "head_num_convs": (4, 5),
        "head_num_filters": (192, 256),
    }
    points = space.points()
    assert len(space) == len(points) == len(set(points)) == 432
    assert all(space.contains(point) for point in points)


def test_points_order_is_fixed():
    points = SPINENET_SCALING.points()
    assert points == SPINENET_SCALING.points() == tuple(SPINENET_SCALING)
    assert str(points[0]) == "scaling-size512-endpoints192-scale0.8-alpha0.75-repeats2-head4x192"
    assert str(points[1]) == "scaling-size512-endpoints192-scale0.8-alpha0.75-repeats2-head4x256"
    assert str(points[-1]) == "scaling-size640-endpoints256-scale1.2-alpha1.25-repeats4-head5x256"


def test_every_spinenet_scaling_point_sizes_spinenet49():
    topology = spinenet_reference("spinenet49")
    detectors = SPINENET_SCALING.detectors(topology)
    assert len(detectors) == 432
    assert all(d.spec.blocks == topology.blocks for d in detectors)
    assert [ScalingPoint.from_detector(d) for d in detectors] == list(SPINENET_SCALING.points())


def test_mobile_space_values_and_size():
    space = get_scaling_space("spinenet_mobile_scaling")
    assert space.family is SpineNetFamily.MOBILE
    assert space.resample_alpha == (None,)
    assert space.image_size == (256, 384)
    points = space.points()
    assert len(space) == len(points) == len(set(points)) == 512


def test_every_mobile_point_sizes_spinenet_mobile49():
    topology = spinenet_reference("spinenet_mobile49")
    detectors = SPINENET_MOBILE_SCALING.detectors(topology)
    assert len(detectors) == 512
    assert all(d.head.use_separable_conv and d.head.num_anchors == 9 for d in detectors)


@pytest.mark.parametrize(("name", "size", "head_filters"), _PUBLISHED_MOBILE)
def test_published_mobile_detectors_are_points_of_the_mobile_space(name, size, head_filters):
    published = ScaledDetector(
        spec=spinenet_reference(name),
        head=DetectionHeadSpec(head_num_convs=4, head_num_filters=head_filters, num_anchors=9, use_separable_conv=True),
        input_shape=(size, size, 3),
    )
    topology = spinenet_reference("spinenet_mobile49xs" if name != "spinenet_mobile49xs" else "spinenet_mobile49")
    matches = [point for point in SPINENET_MOBILE_SCALING.points() if point.apply(topology) == published]
    assert len(matches) == 1
    assert matches[0] == ScalingPoint.from_detector(published)
    assert matches[0] in SPINENET_MOBILE_SCALING


def test_contains():
    inside = SPINENET_SCALING.points()[7]
    assert SPINENET_SCALING.contains(inside)
    assert inside in SPINENET_SCALING
    assert not SPINENET_SCALING.contains(dataclasses.replace(inside, image_size=768))
    assert not SPINENET_SCALING.contains(dataclasses.replace(inside, resample_alpha=0.5))
    assert not SPINENET_MOBILE_SCALING.contains(inside)
    with pytest.raises(TypeError, match="ScalingPoint"):
        SPINENET_SCALING.contains(str(inside))


def test_a_space_sizes_only_its_family():
    resnet_only = r"'spinenet_scaling' sizes resnet SpineNets, got a mobile spec.*: spinenet_mobile_scaling"
    with pytest.raises(SpecError, match=resnet_only):
        SPINENET_SCALING.check_family(spinenet_reference("spinenet_mobile49"))
    with pytest.raises(SpecError, match=r"'spinenet_mobile_scaling' sizes mobile SpineNets.*: spinenet_scaling"):
        SPINENET_MOBILE_SCALING.detectors(spinenet_reference("spinenet49"))
    SPINENET_SCALING.check_family(spinenet_reference("spinenet49s"))
    SPINENET_MOBILE_SCALING.check_family(spinenet_reference("spinenet_mobile49xs"))
    with pytest.raises(SpecError, match="SpineNetSpec"):
        SPINENET_SCALING.check_family("spinenet49")


def test_unknown_name_lists_the_names():
    with pytest.raises(UnknownNameError, match=r"'spinenet_scalling'.*spinenet_mobile_scaling, spinenet_scaling"):
        get_scaling_space("spinenet_scalling")
    with pytest.raises(UnknownNameError, match="known scaling spaces"):
        unregister_scaling_space("nope")


def test_registration_and_duplicates():
    with pytest.raises(DuplicateNameError, match="spinenet_scaling"):
        register_scaling_space(dataclasses.replace(SPINENET_SCALING, image_size=(256,)))
    assert get_scaling_space("spinenet_scaling") is SPINENET_SCALING
    tiny = _space()
    register_scaling_space(tiny)
    try:
        assert get_scaling_space("tiny_scaling") is tiny
        with pytest.raises(DuplicateNameError):
            register_scaling_space(tiny)
        bigger = _space(image_size=(256, 384))
        register_scaling_space(bigger, replace=True)
        assert len(get_scaling_space("tiny_scaling")) == 4
    finally:
        unregister_scaling_space("tiny_scaling")
    assert "tiny_scaling" not in scaling_space_names()
    with pytest.raises(TypeError, match="ScalingSpace"):
        register_scaling_space("tiny_scaling")


def test_space_is_frozen_hashable_and_stores_tuples():
    space = _space(endpoints_num_filters=[24, 32], filter_size_scale=[1])
    assert space.endpoints_num_filters == (24, 32)
    assert space.filter_size_scale == (1.0,)
    assert hash(space) == hash(_space(filter_size_scale=(1.0,)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        space.image_size = (512,)
    with pytest.raises(TypeError):
        ScalingSpace("x")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "non-empty word"),
        ({"image_size": ()}, "image_size needs a non-empty tuple"),
        ({"head_num_filters": 24}, "head_num_filters needs a non-empty tuple"),
        ({"endpoints_num_filters": (24, 24)}, "endpoints_num_filters repeats 24"),
        ({"filter_size_scale": (0.5, 0.0)}, r"ScalingPoint\.filter_size_scale must be a positive finite .*got 0\.0"),
        ({"block_repeats": (1, 0)}, r"ScalingPoint\.block_repeats must be >= 1, got 0"),
        ({"resample_alpha": (0.5,)}, r"mobile SpineNets.*resample_alpha must be \(None,\)"),
        ({"family": SpineNetFamily.RESNET}, r"ResNet-style SpineNets.*got None"),
        ({"family": "vit"}, "unknown family 'vit'"),
    ],
)
def test_bad_space_fails(fields, message):
    with pytest.raises(SpecError, match=message):
        _space(**fields)


@pytest.mark.slow  # builds a Keras detector: about 5 s on 2 cores
def test_smallest_mobile_detector_builds_with_the_estimated_params():
    from edgenas.models.spinenet import build_spinenet
    from edgenas.models.spinenet_head import BOX_OUTPUT, CLASS_OUTPUT
    from edgenas.specs import estimate_spinenet_cost

    smallest = SPINENET_MOBILE_SCALING.points()[0]
    values = {field: getattr(SPINENET_MOBILE_SCALING, field) for field in POINT_FIELDS}
    assert smallest == ScalingPoint(**{field: None if v == (None,) else min(v) for field, v in values.items()})
    detector = smallest.apply(spinenet_reference("spinenet_mobile49"))
    num_classes = 3
    model = build_spinenet(
        detector.spec, input_shape=detector.input_shape, num_classes=num_classes, detection_head=detector.head
    )
    # spinenet_costs covers the backbone only: compare it layer by layer, and the head with its own arithmetic.
    head_layers = [layer for layer in model.layers if layer.name.startswith((CLASS_OUTPUT, BOX_OUTPUT))]
    backbone_params = model.count_params() - sum(layer.count_params() for layer in head_layers)
    assert backbone_params == estimate_spinenet_cost(detector.spec, input_shape=detector.input_shape).params
    head, filters, levels = detector.head, detector.head.head_num_filters, 5

    def separable(cin, cout):  # depthwise 3x3 + pointwise 1x1 + bias
        return 9 * cin + cin * cout + cout

    def subnet(outputs_per_anchor):
        cins = [detector.spec.endpoints_num_filters] + [filters] * (head.head_num_convs - 1)
        towers = sum(separable(cin, filters) for cin in cins) + head.head_num_convs * levels * 4 * filters
        return towers + separable(filters, head.num_anchors * outputs_per_anchor)

    assert model.count_params() - backbone_params == subnet(num_classes) + subnet(4)
