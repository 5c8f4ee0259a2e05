"""`ProxyTask`: defaults, typed dataset sources, and validation of every setting."""

import pickle
from pathlib import Path

import pytest

from edgenas.proxy import (
    SCENES,
    SHAPES,
    SHAPES_TASK,
    FolderSource,
    GeneratedSource,
    ProxyConfigError,
    ProxyOptimizer,
    ProxyTask,
    StrideRemoval,
    Task,
)


def test_defaults_are_the_scenes_task_the_proxy_check_chose():
    task = ProxyTask()
    assert task.dataset == SCENES and task.is_generated
    assert (task.image_size, task.batch_size, task.bn_momentum, task.width_multiplier) == (32, 64, 0.9, 0.5)
    assert (task.steps, task.learning_rate, task.images_to_generate) == (300, 2e-3, 5000)
    assert task.optimizer is ProxyOptimizer.ADAM
    assert Task is ProxyTask


def test_the_shapes_task_is_the_default_before_the_scenes_set():
    assert SHAPES_TASK.dataset == SHAPES and SHAPES_TASK.images_to_generate == 5000
    assert (SHAPES_TASK.steps, SHAPES_TASK.learning_rate, SHAPES_TASK.width_multiplier) == (100, 5e-3, 0.5)


def test_dataset_setting_becomes_a_typed_source(tmp_path):
    assert ProxyTask(dataset="shapes").dataset == SHAPES
    assert ProxyTask(dataset="scenes").dataset == SCENES == GeneratedSource("scenes")
    assert ProxyTask(dataset=GeneratedSource()).dataset == SHAPES
    from_string = ProxyTask(dataset=str(tmp_path))
    assert from_string.dataset == FolderSource(tmp_path) and not from_string.is_generated
    assert ProxyTask(dataset=Path("shapes")).dataset == FolderSource(Path("shapes"))
    assert ProxyTask(dataset="./scenes").dataset == FolderSource(Path("scenes"))
    assert str(ProxyTask(dataset=tmp_path).dataset) == str(tmp_path)


def test_an_unknown_generated_set_is_refused_with_the_known_names():
    with pytest.raises(ProxyConfigError, match="no generated dataset 'clouds'; known: scenes, shapes"):
        GeneratedSource("clouds")


def test_choices_by_name():
    assert ProxyTask(optimizer="sgd").optimizer is ProxyOptimizer.SGD
    assert ProxyTask(stride_removal="early").stride_removal is StrideRemoval.EARLY
    with pytest.raises(ProxyConfigError, match="unknown optimizer 'lamb'; known: adam, sgd, rmsprop"):
        ProxyTask(optimizer="lamb")
    with pytest.raises(ProxyConfigError, match="unknown stride_removal 'middle'; known: early, late"):
        ProxyTask(stride_removal="middle")


def test_tasks_are_hashable_and_pickle(tmp_path):
    task = ProxyTask(dataset=str(tmp_path), steps=7, optimizer="rmsprop")
    assert pickle.loads(pickle.dumps(task)) == task
    assert len({task, ProxyTask(dataset=str(tmp_path), steps=7, optimizer="rmsprop")}) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": 0}, "steps must be at least 1"),
        ({"steps": 2.5}, "steps must be an integer"),
        ({"batch_size": True}, "batch_size must be an integer"),
        ({"image_size": 4}, "image_size must be at least 8"),
        ({"image_size": 1024}, "image_size must be at most 512"),
        ({"num_images": 5}, "num_images must be at least 20"),
        ({"validation_fraction": 1.0}, r"validation_fraction must be in \(0, 1\)"),
        ({"validation_fraction": 0}, r"validation_fraction must be in \(0, 1\)"),
        ({"learning_rate": 0.0}, "learning_rate must be in"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"bn_momentum": 1.0}, r"bn_momentum must be in \[0, 1\)"),
        ({"width_multiplier": -1.0}, "width_multiplier must be in"),
        ({"dropout_rate": 1.0}, "dropout_rate must be in"),
        ({"min_filters": 0}, "min_filters must be at least 1"),
        ({"seed": -1}, "seed must be at least 0"),
        ({"dataset": ""}, r"dataset must be a generated set \('shapes', 'scenes'\) or an image folder path"),
        ({"dataset": 3}, r"dataset must be a generated set \('shapes', 'scenes'\) or an image folder path"),
        ({"image_size": 8, "min_feature_map_px": 5}, "cannot be reached at image_size 8"),
    ],
)
def test_invalid_settings_are_rejected(options, message):
    with pytest.raises(ProxyConfigError, match=message):
        ProxyTask(**options)


def test_num_images_is_for_the_generated_set_only(tmp_path):
    with pytest.raises(ProxyConfigError, match="a folder dataset .* uses all its images"):
        ProxyTask(dataset=str(tmp_path), num_images=100)
