"""`ResampleTally`: merge inputs and bare moves, counted by direction."""

from latency_models.resample_tally import ResampleTally


def test_inputs_and_moves_are_counted_by_direction():
    tally = ResampleTally()
    tally.add_input(levels_moved=2, delivered_values=100)  # up-sampled two levels
    tally.add_input(levels_moved=-1, delivered_values=40)  # down-sampled one level
    tally.add_input(levels_moved=0, delivered_values=7)  # same level: delivered, not moved
    tally.add_move(-1)  # a pooled pyramid level: moved, delivered to no merge
    assert (tally.merge_values, tally.upsampled_values, tally.level_steps) == (147, 100, 4)
    assert (tally.num_upsampled, tally.num_downsampled) == (1, 2)
