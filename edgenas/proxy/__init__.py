"""Proxy-task accuracy: a short training on a small image set, scored on held-out images."""

from edgenas.proxy.dataset import ProxyDataset, load_dataset
from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError, ProxyError, ProxyTrainingError
from edgenas.proxy.shapes import SHAPE_CLASSES, generate_shapes
from edgenas.proxy.task import ProxyTask
from edgenas.proxy.train import ProxyResult, proxy_spec, train_and_evaluate

Task = ProxyTask
"""Short alias: `edgenas.proxy.Task(...)`."""

__all__ = [
    "SHAPE_CLASSES",
    "ProxyConfigError",
    "ProxyDataset",
    "ProxyDatasetError",
    "ProxyError",
    "ProxyResult",
    "ProxyTask",
    "ProxyTrainingError",
    "Task",
    "generate_shapes",
    "load_dataset",
    "proxy_spec",
    "train_and_evaluate",
]
