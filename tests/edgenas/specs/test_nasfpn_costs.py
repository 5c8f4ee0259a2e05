"""Analytic NAS-FPN decoder costs: Model Garden's parameter counts, MACs by hand, legal input sizes.

What is verified where:
- Here (no model built): the parameter counts of TF Model Garden's NASFPN decoder
  (tf-models-no-deps 2.19.0, run on MobileNetV2's level 3/4/5 features of 32/96/320
  channels) for the published cells, and MACs against a hand count.
- tests/edgenas/models/test_nasfpn.py: the same counts from `keras.Model.count_params()`
  of the built decoder, and parameters, MACs and the largest activation equal
  to a walk over the built model's layers on random points of the space.
"""

import pytest

from edgenas.errors import SpecError
from edgenas.specs.nasfpn import NasFpnCell, NasFpnSpec, published_nasfpn
from edgenas.specs.nasfpn_costs import nasfpn_cost

_MOBILENET_V2 = {3: 32, 4: 96, 5: 320}

# Model Garden's NASFPN(num_filters, num_repeats, use_separable_conv) on MobileNetV2 features,
# `count_params()`: filters, repeats, separable -> parameters (and our MACs at 640x640, pinned). At 128
# filters Model Garden merges at 256 channels and ours at 128 (see tests/edgenas/models/test_nasfpn.py):
# its 2,450,112 and 4,043,712 less the 1x1 merge convolutions' 2,008,704 and 3,347,840.
_MODEL_GARDEN = [
    (256, 3, False, 12_531_712, 20_873_209_600),
    (128, 3, True, 2_450_112 - 2_008_704, 680_390_400),
    (256, 5, False, 20_807_168, 34_705_670_400),
    (128, 5, True, 4_043_712 - 3_347_840, 1_092_153_600),
]


@pytest.mark.parametrize(("filters", "repeats", "separable", "params", "macs"), _MODEL_GARDEN)
def test_counts_of_model_gardens_decoder_are_reproduced(filters, repeats, separable, params, macs):
    spec = published_nasfpn(num_filters=filters, num_repeats=repeats, use_separable_conv=separable)
    cost = nasfpn_cost(spec, input_filters=_MOBILENET_V2, input_shape=(640, 640, 3))
    assert (cost.params, cost.macs) == (params, macs)
    # The largest map: a level-3 input of a cell, 80x80 at the decoder's width.
    assert cost.largest_activation == 80 * 80 * filters


def test_256_filter_counts_by_hand():
    # Per cell: a 3x3 conv 256 -> 256 with bias and its BatchNorm; 21 cells; the input 1x1 convs + BatchNorm.
    cell = 9 * 256 * 256 + 256 + 4 * 256
    inputs = sum(c * 256 + 256 + 4 * 256 for c in _MOBILENET_V2.values())
    assert (cell, inputs) == (591_104, 118_528)
    cost = nasfpn_cost(published_nasfpn(), input_filters=_MOBILENET_V2, input_shape=(128, 128, 3))
    assert cost.params == 21 * cell + inputs
    pixels = {level: (128 >> level) ** 2 for level in range(3, 8)}
    projections = sum(pixels[level] * channels * 256 for level, channels in _MOBILENET_V2.items())
    cell_levels = [4, 4, 3, 4, 5, 7, 6]
    attention_levels = [4, 5, 7, 6]  # one multiply per gated value
    per_repeat = sum(pixels[level] * 9 * 256 * 256 for level in cell_levels)
    per_repeat += sum(pixels[level] * 256 for level in attention_levels)
    assert cost.macs == projections + 3 * per_repeat == 834_928_384


def test_narrow_decoders_merge_at_their_own_width():
    # At 128 separable filters a cell is its 3x3 separable conv 128 -> 128 and BatchNorm; no input is projected.
    # Model Garden's decoder adds, per repeat, 16 separable 1x1 convs 128 -> 256 + BatchNorm (14 cell inputs, 2
    # unconsumed nodes) and reads 256 channels in each 3x3: the 2,008,704 parameters the Model Garden pin removes.
    cell = 9 * 128 + 128 * 128 + 128 + 4 * 128
    inputs = sum(c + c * 128 + 128 + 4 * 128 for c in _MOBILENET_V2.values())
    spec = published_nasfpn(num_filters=128, use_separable_conv=True)
    assert nasfpn_cost(spec, input_filters=_MOBILENET_V2, input_shape=(128, 128, 3)).params == inputs + 3 * 7 * cell
    model_garden_merge = 16 * (128 + 128 * 256 + 256 + 4 * 256) + 7 * (9 * 256 + 256 * 128 - 9 * 128 - 128 * 128)
    assert 3 * model_garden_merge == 2_008_704


def test_parameters_do_not_depend_on_the_input_size_but_macs_do():
    spec = published_nasfpn(num_filters=64, use_separable_conv=True)
    small = nasfpn_cost(spec, input_filters=_MOBILENET_V2, input_shape=(256, 256, 3))
    large = nasfpn_cost(spec, input_filters=_MOBILENET_V2, input_shape=(512, 512, 3))
    assert small.params == large.params
    assert large.macs == 4 * small.macs  # every MAC is per pixel
    assert large.largest_activation == 4 * small.largest_activation


def test_backbone_features_as_wide_as_the_decoder_are_not_projected():
    spec = published_nasfpn()
    cost = nasfpn_cost(spec, input_filters={3: 256, 4: 256, 5: 256}, input_shape=(256, 256, 3))
    assert cost.params == 21 * 591_104
    five = nasfpn_cost(spec, input_filters={3: 256, 4: 256, 5: 256, 6: 256, 7: 256}, input_shape=(256, 256, 3))
    assert five == cost  # levels 6 and 7 pooled or given: no parameters, no MACs either way


def test_unconsumed_nodes_are_added_without_parameters():
    # Output cell 2 adds nodes 2, 5 and 6 (level 5, read by no cell before it). They are already at the decoder's
    # width, so adding them costs no parameter (the values added are checked in tests/edgenas/models/test_nasfpn.py).
    cells = (
        NasFpnCell(5, "sum", (3, 4), False),
        NasFpnCell(5, "sum", (3, 4), False),
        NasFpnCell(5, "sum", (0, 1), True),
        NasFpnCell(3, "sum", (0, 7), True),
        NasFpnCell(4, "sum", (1, 8), True),
        NasFpnCell(6, "sum", (2, 9), True),
        NasFpnCell(7, "sum", (9, 10), True),
    )
    spec = NasFpnSpec(cells, num_filters=64, num_repeats=1)
    assert spec.unconsumed_inputs()[2] == (2, 5, 6)
    cell = 9 * 64 * 64 + 64 + 4 * 64
    cost = nasfpn_cost(spec, input_filters={3: 64, 4: 64, 5: 64}, input_shape=(128, 128, 3))
    assert cost.params == 7 * cell


def test_other_specs_and_shapes_are_refused():
    with pytest.raises(SpecError, match="nasfpn_cost needs a NasFpnSpec, got str"):
        nasfpn_cost("nasfpn_f256_r3", input_filters=_MOBILENET_V2, input_shape=(256, 256, 3))  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"input_shape must be \(height, width, channels\)"):
        nasfpn_cost(published_nasfpn(), input_filters=_MOBILENET_V2, input_shape=(256, 256))
