"""`task=`: a space's networks wrapped for another task (chain backbones as FPN + RetinaNet detectors)."""

import pytest

import edgenas.spaces as spaces
from edgenas.errors import SpecError, UnknownNameError
from edgenas.families import Task, family_of
from edgenas.spaces import SpaceInfo
from edgenas.specs.chain_detector import ChainDetectorSpec, default_chain_detector


@pytest.mark.parametrize("name", ["mnasnet", "efficientnet_v2"])
def test_the_detection_form_has_the_same_decisions_and_wraps_every_point(name):
    plain = spaces.get(name)
    detection = spaces.get(name, task="detection")
    assert (detection.size, detection.num_decisions, detection.name) == (plain.size, plain.num_decisions, name)
    assert detection.options == {"task": "detection"} and plain.options == {}
    for backbone, detector in zip(plain.sample(4, seed=7), detection.sample(4, seed=7), strict=True):
        assert isinstance(detector, ChainDetectorSpec)
        assert detector == default_chain_detector(backbone)
        assert family_of(detector).task is Task.DETECTION
        assert detection.dna_of(detector) == plain.dna_of(backbone)
        assert detection.parse_spec(str(detector)) == detector
    assert detection.reference_names() == plain.reference_names()
    for reference in plain.reference_names():
        assert detection.reference(reference) == default_chain_detector(plain.reference(reference))


def test_a_detector_the_form_does_not_make_is_not_a_point():
    detection = spaces.get("mnasnet", task="detection")
    detector = detection.sample(1, seed=0)[0]
    wider = ChainDetectorSpec(
        backbone=detector.backbone,
        decoder=type(detector.decoder)(num_filters=256, use_separable_conv=False),
        head=detector.head,
    )
    assert not detection.contains(wider)
    with pytest.raises(SpecError, match="not the default detector"):
        detection.dna_of(wider)


def test_the_own_task_is_the_space_itself_and_a_missing_form_is_named():
    assert spaces.get("mnasnet", task="classification").options == {}
    with pytest.raises(UnknownNameError, match=r"no 'classification' form.*serve 'detection'"):
        spaces.get("spinenet_mbconv", task="classification")
    with pytest.raises(UnknownNameError, match=r"no 'segmentation' form.*serve 'detection'; spaces with a "
                                                r"'segmentation' form: efficientnet_v2, mnasnet, spinenet, "
                                                r"spinenet_mbconv, spinenet_v2$"):  # fmt: skip
        spaces.get("nasfpn", task="segmentation")
    with pytest.raises(UnknownNameError, match=r"no space serves 'segmentaton' \(tasks: classification, detection, "
                                               r"segmentation\)"):  # fmt: skip
        spaces.describe("mnasnet", task="segmentaton")


def test_the_listing_of_a_form_matches_the_built_form():
    listed = spaces.describe("efficientnet_v2", task="detection")
    built = SpaceInfo.of(spaces.get("efficientnet_v2", task="detection"), name="efficientnet_v2",
                         options={"task": "detection"})  # fmt: skip
    assert (listed.spec_type, listed.size, listed.num_decisions, listed.references, listed.description) == (
        built.spec_type, built.size, built.num_decisions, built.references, built.description
    )  # fmt: skip
    rows = [info for info in spaces.describe_all() if dict(info.options).get("task") == "detection"]
    assert {info.name for info in rows} == {"mnasnet", "efficientnet_v2"}
