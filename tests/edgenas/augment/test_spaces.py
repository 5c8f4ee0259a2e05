"""The four augmentation spaces: names, sizes, the RandAugment grid, seeded samples; architecture spaces kept apart."""

import pytest

from edgenas import spaces
from edgenas.augment import (
    AutoAugmentPolicy,
    PolicyError,
    RandAugmentPolicy,
    augment_space_names,
    get_augment_space,
    is_augment_space,
)
from edgenas.errors import UnknownNameError


def test_the_four_spaces():
    assert augment_space_names() == ("autoaugment_detection", "autoaugment_segmentation", "randaugment_detection",
                                     "randaugment_segmentation")  # fmt: skip
    assert all(get_augment_space(name).name == name for name in augment_space_names())


def test_randaugment_is_a_grid_of_20_policies():
    grid = get_augment_space("randaugment_detection").grid()
    assert len(grid) == len(set(grid)) == get_augment_space("randaugment_detection").size == 20
    assert {(p.num_ops, p.magnitude) for p in grid} == {(n, m) for n in (1, 2) for m in range(1, 11)}
    assert all(isinstance(p, RandAugmentPolicy) and p.space == "randaugment_detection" for p in grid)


def test_autoaugment_sizes_and_no_grid():
    assert get_augment_space("autoaugment_detection").size == (21 * 11 * 11) ** 10
    assert get_augment_space("autoaugment_segmentation").size == (13 * 11 * 11) ** 10
    with pytest.raises(PolicyError, match="no grid"):
        get_augment_space("autoaugment_detection").grid()


def test_samples_are_seeded_valid_and_varied():
    space = get_augment_space("autoaugment_segmentation")
    assert space.sample(seed=4) == space.sample(seed=4)
    samples = [space.sample(seed=s) for s in range(50)]
    assert all(isinstance(p, AutoAugmentPolicy) and p.space == space.name for p in samples)
    assert len(set(samples)) == 50
    used = {s.op_index for p in samples for sub in p.sub_policies for s in sub}
    assert used == set(range(13))  # every op of the bank is reachable


def test_architecture_and_augmentation_spaces_refuse_each_other_by_name():
    assert is_augment_space("randaugment_detection") and not is_augment_space("mnasnet")
    with pytest.raises(UnknownNameError, match="'randaugment_detection' is an augmentation space"):
        spaces.get("randaugment_detection")
    with pytest.raises(UnknownNameError, match="'autoaugment_segmentation' is an augmentation space"):
        spaces.factory("autoaugment_segmentation")
    with pytest.raises(UnknownNameError, match="'mnasnet' is an architecture space: search it with `edgenas search"):
        get_augment_space("mnasnet")
    with pytest.raises(UnknownNameError, match="unknown augmentation space 'nope'"):
        get_augment_space("nope")
