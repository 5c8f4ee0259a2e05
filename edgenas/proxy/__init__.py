"""Proxy-task accuracy: a short training of a reduced candidate, scored on held-out images.

    from edgenas.proxy import ProxyTask, train_and_evaluate
    result = train_and_evaluate(spec, ProxyTask())   # 300 steps on the scenes set at 32x32: ~35-40 s on 2 CPU cores
    result.accuracy

A SpineNet candidate is scored as a detector instead (AP at IoU 0.5 on generated boxes):

    from edgenas.proxy import DetectionProxyTask, train_and_evaluate_detection
    result = train_and_evaluate_detection(spinenet_spec, DetectionProxyTask())
    result.accuracy   # AP@0.5

Generated segmentation data (shapes with per-pixel classes, ignore label 255) and its mean IoU:

    from edgenas.proxy import SegmentationDataSpec, generate_segmentation_data, mean_iou
    data = generate_segmentation_data(SegmentationDataSpec(num_classes=3))
    mean_iou(data.val.masks, predicted_masks, num_classes=data.spec.num_labels).mean_iou

A segmenter (a space's `task="segmentation"` form) is scored by mean IoU:

    from edgenas.proxy import SegmentationProxyTask, train_and_evaluate_segmentation
    train_and_evaluate_segmentation(segmenter_spec, SegmentationProxyTask()).accuracy   # mIoU

Importing this package does not import TensorFlow; `train_and_evaluate`,
`train_and_evaluate_detection` and `train_and_evaluate_segmentation` do.
"""

from edgenas.proxy.box_coding import assign_anchors, assign_anchors_batch, decode_boxes, encode_boxes, iou_matrix
from edgenas.proxy.detection_data import (
    DetectionData,
    DetectionDataSpec,
    DetectionSplit,
    generate_detection_data,
    load_detection_data,
    save_detection_data,
)
from edgenas.proxy.detection_metrics import Detections, MeanAP, mean_average_precision, non_max_suppression, postprocess
from edgenas.proxy.detection_reduce import detection_proxy_head, detection_proxy_spec
from edgenas.proxy.detection_task import DetectionProxyTask
from edgenas.proxy.detection_train import DetectionProxyResult, train_and_evaluate_detection
from edgenas.proxy.dataset import LabelledImages, ProxyDataset, split_dataset
from edgenas.proxy.errors import ProxyConfigError, ProxyDatasetError, ProxyError, ProxyTrainingError
from edgenas.proxy.folder import IMAGE_SUFFIXES, list_image_folder, read_image_folder
from edgenas.proxy.loading import clear_dataset_cache, load_dataset
from edgenas.proxy.reduce import proxy_spec, reduce_spec
from edgenas.proxy.result import ProxyResult
from edgenas.proxy.generated import GENERATED_SETS, GeneratedSet, generated_set
from edgenas.proxy.segmentation_data import (
    SegmentationData,
    SegmentationDataSpec,
    SegmentationSplit,
    generate_segmentation_data,
    load_segmentation_data,
    save_segmentation_data,
)
from edgenas.proxy.segmentation_metrics import MeanIoU, confusion_matrix, iou_from_confusion, mean_iou
from edgenas.proxy.segmentation_reduce import segmentation_proxy_spec
from edgenas.proxy.segmentation_task import SegmentationProxyTask
from edgenas.proxy.segmentation_train import SegmentationProxyResult, train_and_evaluate_segmentation
from edgenas.proxy.scenes import SCENE_CLASSES, generate_scenes
from edgenas.proxy.shapes import SHAPE_CLASSES, generate_shapes
from edgenas.proxy.source import SCENES, SHAPES, DatasetSource, FolderSource, GeneratedSource, dataset_source
from edgenas.proxy.task import DEFAULT_SHAPES_IMAGES, SHAPES_TASK, ProxyOptimizer, ProxyTask, StrideRemoval
from edgenas.proxy.train import train_and_evaluate

Task = ProxyTask
"""Short alias: `edgenas.proxy.Task(...)`."""

__all__ = [
    "DEFAULT_SHAPES_IMAGES",
    "SHAPES_TASK",
    "DetectionData",
    "DetectionDataSpec",
    "DetectionProxyResult",
    "DetectionProxyTask",
    "DetectionSplit",
    "Detections",
    "MeanAP",
    "assign_anchors",
    "assign_anchors_batch",
    "decode_boxes",
    "detection_proxy_head",
    "detection_proxy_spec",
    "encode_boxes",
    "generate_detection_data",
    "iou_matrix",
    "load_detection_data",
    "mean_average_precision",
    "non_max_suppression",
    "postprocess",
    "save_detection_data",
    "train_and_evaluate_detection",
    "MeanIoU",
    "SegmentationData",
    "SegmentationDataSpec",
    "SegmentationProxyResult",
    "SegmentationProxyTask",
    "SegmentationSplit",
    "confusion_matrix",
    "generate_segmentation_data",
    "iou_from_confusion",
    "load_segmentation_data",
    "mean_iou",
    "save_segmentation_data",
    "segmentation_proxy_spec",
    "train_and_evaluate_segmentation",
    "IMAGE_SUFFIXES",
    "GENERATED_SETS",
    "SCENES",
    "SCENE_CLASSES",
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
    "GeneratedSet",
    "GeneratedSource",
    "StrideRemoval",
    "Task",
    "clear_dataset_cache",
    "dataset_source",
    "generate_scenes",
    "generate_shapes",
    "generated_set",
    "list_image_folder",
    "load_dataset",
    "proxy_spec",
    "read_image_folder",
    "reduce_spec",
    "split_dataset",
    "train_and_evaluate",
]
