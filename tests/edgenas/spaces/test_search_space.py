"""SearchSpace: streamed sampling and the spec grammar a space reads."""

import itertools
import tracemalloc

import pytest

from edgenas import spaces
from edgenas.errors import SpecError
from edgenas.specs import ArchSpec, SpineNetDetectorSpec, SpineNetSpec, spinenet_reference
from edgenas.specs.detection_head import DetectionHeadSpec


@pytest.mark.parametrize("name", ["mnasnet", "spinenet_mbconv"])
def test_iter_samples_streams_what_sample_lists(name):
    space = spaces.get(name)
    assert list(itertools.islice(space.iter_samples(seed=7), 4)) == space.sample(4, seed=7)
    assert space.sample(0, seed=7) == []


def test_iter_samples_holds_no_list_of_what_it_drew():
    stream = spaces.get("mnasnet").iter_samples(seed=1)
    next(stream)  # warm up caches before measuring
    tracemalloc.start()
    try:
        for spec in itertools.islice(stream, 2000):
            del spec
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # 2000 specs kept would take several MB


def test_spec_type_and_the_grammar_a_space_reads():
    mnasnet, spinenet = spaces.get("mnasnet"), spaces.get("spinenet_mbconv")
    assert (mnasnet.spec_type, spinenet.spec_type) == (ArchSpec, SpineNetSpec)
    chain = mnasnet.sample(1, seed=0)[0]
    assert mnasnet.parse_spec(str(chain)) == chain
    backbone = spinenet_reference("spinenet_mobile49")
    detector = SpineNetDetectorSpec(backbone=backbone, head=DetectionHeadSpec(head_num_filters=8))
    assert spinenet.parse_spec(str(backbone)) == backbone
    assert spinenet.parse_spec(str(detector)) == detector  # a SpineNet space also reads detectors on its points
    with pytest.raises(SpecError) as raised:
        mnasnet.parse_spec(str(backbone))
    assert str(raised.value) == f"malformed spec {str(backbone)!r}: expected 'stem<filters>', got 'swish'"
