"""Proxy-task accuracy: a short training of a reduced candidate, scored on held-out images.

    from edgenas.proxy import ProxyTask, train_and_evaluate
    result = train_and_evaluate(spec, ProxyTask())   # 100 steps at 32x32: ~35-40 s on 2 CPU cores
    result.accuracy

Importing this package does not import TensorFlow; `train_and_evaluate` does.
"""

from edgenas.proxy.dataset import LabelledImages, ProxyDataset, split_dataset
from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError, ProxyError, ProxyTrainingError
from edgenas.proxy.folder import IMAGE_SUFFIXES, list_image_folder, read_image_folder
from edgenas.proxy.loading import clear_dataset_cache, load_dataset
from edgenas.proxy.reduce import proxy_spec, reduce_spec
from edgenas.proxy.result import ProxyResult
from edgenas.proxy.shapes import SHAPE_CLASSES, generate_shapes
from edgenas.proxy.source import SHAPES, DatasetSource, FolderSource, ShapesSource, dataset_source
from edgenas.proxy.task import DEFAULT_SHAPES_IMAGES, ProxyOptimizer, ProxyTask, StrideRemoval
from edgenas.proxy.train import train_and_evaluate

Task = ProxyTask
"""Short alias: `edgenas.proxy.Task(...)`."""

__all__ = [
    "DEFAULT_SHAPES_IMAGES",
    "IMAGE_SUFFIXES",
    "SHAPES",
    "SHAPE_CLASSES",
    "DatasetSource",
    "FolderSource",
    "LabelledImages",
    "ProxyConfigError",
    "ProxyDataset",
    "ProxyDatasetError",
    "ProxyError",
    "ProxyOptimizer",
    "ProxyResult",
    "ProxyTask",
    "ProxyTrainingError",
    "ShapesSource",
    "StrideRemoval",
    "Task",
    "clear_dataset_cache",
    "dataset_source",
    "generate_shapes",
    "list_image_folder",
    "load_dataset",
    "proxy_spec",
    "read_image_folder",
    "reduce_spec",
    "split_dataset",
    "train_and_evaluate",
]
