"""What `edgenas spaces` lists: read from the choice tables, equal to the built spaces, without PyGlove."""

import dataclasses
import subprocess
import sys

import pyglove as pg
import pytest

from edgenas import spaces
from edgenas.errors import UnknownNameError
from edgenas.families import Task
from edgenas.scaling import get_scaling_space
from edgenas.spaces import SpaceInfo
from edgenas.specs import ArchSpec, BlockSpec, SpineNetSpec

_VARIANTS = [(name, options) for name in spaces.names() for options in spaces.variants(name)]


@pytest.mark.parametrize(
    ("name", "options"), _VARIANTS, ids=[f"{n}-{o.get('reference', 'default')}" for n, o in _VARIANTS]
)
def test_the_listed_numbers_are_those_of_the_built_space(name, options):
    """The proof: what the tables give (size, decisions, references, description, spec type) is the built space's."""
    listed = spaces.describe(name, **options)
    built = spaces.get(name, **options)
    assert listed == SpaceInfo.of(built, name=name, options=options)
    assert (listed.size, listed.num_decisions) == (built.size, built.num_decisions)


def test_every_builtin_space_and_reference_is_listed_with_its_task():
    listed = {(info.name, info.command_line): info for info in spaces.describe_all()}
    assert list(listed) == [
        ("efficientnet_v2", "--reference efficientnetv2_b0"),
        ("efficientnet_v2", "--reference efficientnetv2_b0 --task detection"),
        ("efficientnet_v2", "--reference efficientnetv2_b0 --task segmentation"),
        ("mnasnet", "--reference mobilenet_v2"),
        ("mnasnet", "--reference mobilenet_v2 --task detection"),
        ("mnasnet", "--reference mobilenet_v2 --task segmentation"),
        ("mnasnet", "--reference mnasnet_a1"),
        ("mnasnet", "--reference mnasnet_a1 --task detection"),
        ("mnasnet", "--reference mnasnet_a1 --task segmentation"),
        ("nasfpn", ""),
        ("spinenet", "--reference spinenet49s"),
        ("spinenet", "--reference spinenet49s --task segmentation"),
        ("spinenet", "--reference spinenet49"),
        ("spinenet", "--reference spinenet49 --task segmentation"),
        ("spinenet_mbconv", "--reference spinenet_mobile49xs"),
        ("spinenet_mbconv", "--reference spinenet_mobile49xs --task segmentation"),
        ("spinenet_mbconv", "--reference spinenet_mobile49s"),
        ("spinenet_mbconv", "--reference spinenet_mobile49s --task segmentation"),
        ("spinenet_mbconv", "--reference spinenet_mobile49"),
        ("spinenet_mbconv", "--reference spinenet_mobile49 --task segmentation"),
        ("spinenet_v2", "--reference spinenet49s"),
        ("spinenet_v2", "--reference spinenet49s --task segmentation"),
        ("spinenet_v2", "--reference spinenet49"),
        ("spinenet_v2", "--reference spinenet49 --task segmentation"),
    ]
    assert listed["mnasnet", "--reference mnasnet_a1"] == SpaceInfo(
        name="mnasnet",
        options=(("reference", "mnasnet_a1"),),
        spec_type=ArchSpec,
        size=9_749_755_840_167_936,
        num_decisions=42,
        references=("mnasnet_a1",),
        description="MnasNet backbone, 7 stages around mnasnet_a1",
    )
    assert listed["efficientnet_v2", "--reference efficientnetv2_b0"] == SpaceInfo(
        name="efficientnet_v2",
        options=(("reference", "efficientnetv2_b0"),),
        spec_type=ArchSpec,
        size=24_346_898_290_704_384,
        num_decisions=42,
        references=("efficientnetv2_b0",),
        description="EfficientNetV2 backbone, 6 blocks around efficientnetv2_b0",
    )
    mobile = listed["spinenet_mbconv", "--reference spinenet_mobile49xs"]
    assert (mobile.spec_type, mobile.task, mobile.family.name) == (SpineNetSpec, Task.DETECTION, "spinenet_detector")
    assert (mobile.num_decisions, mobile.references) == (33, ("spinenet_mobile49xs",))
    assert listed["mnasnet", "--reference mobilenet_v2"].task is Task.CLASSIFICATION
    segmenter = listed["spinenet_mbconv", "--reference spinenet_mobile49xs --task segmentation"]
    assert (segmenter.task, segmenter.family.name, segmenter.num_decisions) == (
        Task.SEGMENTATION, "spinenet_segmenter", 33)  # fmt: skip
    assert listed["efficientnet_v2", "--reference efficientnetv2_b0"].family.name == "chain_classifier"
    assert listed["spinenet", "--reference spinenet49"].references == ()  # SpineNet-49 is no point of it


def test_listing_imports_neither_pyglove_nor_tensorflow():
    code = (
        "import sys, edgenas; from edgenas.cli import main; edgenas.spaces.describe_all(); main(['spaces']); "
        "print(*[m in sys.modules for m in ('pyglove', 'tensorflow', 'keras')], file=sys.stderr)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr.split() == ["False", "False", "False"]
    code = "import sys, edgenas; edgenas.spaces.get('mnasnet'); print('pyglove' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "True\n"


def test_describe_checks_options_as_get_does():
    with pytest.raises(UnknownNameError, match="unknown mnasnet reference 'resnet50'; known: mnasnet_a1, mobilenet_v2"):
        spaces.describe("mnasnet", reference="resnet50")
    known = "known: spinenet_mobile49xs, spinenet_mobile49s, spinenet_mobile49"
    with pytest.raises(UnknownNameError, match=f"unknown spinenet_mbconv reference 'spinenet49'; {known}"):
        spaces.describe("spinenet_mbconv", reference="spinenet49")
    known = "known spaces: efficientnet_v2, mnasnet, nasfpn, spinenet"
    with pytest.raises(UnknownNameError, match=f"unknown space 'resnet'; {known}"):
        spaces.describe("resnet")
    default = spaces.describe("spinenet_mbconv")  # records the options given: none
    assert default == dataclasses.replace(spaces.describe("spinenet_mbconv", reference="spinenet_mobile49"), options=())
    assert default.command_line == "" and default.references == ("spinenet_mobile49",)


def _tiny_space(name):
    hyper = pg.Dict(kernel=pg.oneof([3, 5]), filters=pg.oneof([8, 16, 24]))

    def to_spec(value):
        block = BlockSpec(block_fn="mbconv", num_repeats=1, kernel_size=value["kernel"], strides=2,
                          expand_ratio=3, se_ratio=0.0, output_filters=value["filters"])  # fmt: skip
        return ArchSpec(blocks=(block,), stem_filters=8, head_filters=32)

    return spaces.SearchSpace(name, hyper, to_spec, description="tiny")


def test_a_space_registered_without_describe_is_built_and_read():
    spaces.register("test_listed_tiny", _tiny_space("tiny_inside"))
    try:
        assert spaces.variants("test_listed_tiny") == ({},)
        assert spaces.describe("test_listed_tiny") == SpaceInfo(
            name="test_listed_tiny", spec_type=ArchSpec, size=6, num_decisions=2, description="tiny"
        )
        assert spaces.describe("test_listed_tiny") in spaces.describe_all()
    finally:
        spaces.unregister("test_listed_tiny")


def test_a_registration_may_describe_its_space():
    info = SpaceInfo(name="whatever", spec_type=ArchSpec, size=6, num_decisions=2, description="described")
    spaces.register("test_described", lambda **_: _tiny_space("x"), describe=lambda **_: info)
    try:
        assert spaces.describe("test_described") == dataclasses.replace(info, name="test_described")
    finally:
        spaces.unregister("test_described")
    with pytest.raises(TypeError, match="describe must be callable, got int"):
        spaces.register("test_described", _tiny_space("x"), describe=42)
    assert "test_described" not in spaces.names()


def test_space_info_is_validated():
    with pytest.raises(ValueError, match="non-empty name"):
        SpaceInfo(name="", spec_type=ArchSpec, size=1, num_decisions=0)
    with pytest.raises(ValueError, match="size 0 and decisions 0 are impossible"):
        SpaceInfo(name="x", spec_type=ArchSpec, size=0, num_decisions=0)
    with pytest.raises(ValueError, match="options must be \\(option, value\\) string pairs"):
        SpaceInfo(name="x", options=(("reference",),), spec_type=ArchSpec, size=1, num_decisions=0)
    info = SpaceInfo(name="x", options=[["input_size", "224"]], spec_type=ArchSpec, size=1, num_decisions=0)
    assert info.options == (("input_size", "224"),) and info.command_line == "--input-size 224"


def test_the_scaling_grids_describe_themselves():
    mobile = get_scaling_space("spinenet_mobile_scaling")
    assert (len(mobile), mobile.num_decisions, mobile.task) == (512, 6, Task.DETECTION)  # resample_alpha is fixed
    assert mobile.references == ("spinenet_mobile49xs", "spinenet_mobile49s", "spinenet_mobile49")
    assert mobile.description == "SpineNet-Mobile detectors at 256-384 px"
    resnet = get_scaling_space("spinenet_scaling")
    assert (len(resnet), resnet.num_decisions, resnet.task) == (432, 7, Task.DETECTION)
    assert resnet.references == ("spinenet49s", "spinenet49", "spinenet96", "spinenet143", "spinenet190")
    assert resnet.description == "ResNet-style SpineNet detectors at 512-640 px"
