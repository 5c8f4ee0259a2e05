"""The segmenter families: a backbone's levels 3-5 fused by a light decoder into per-pixel logits at stride 8.

Importing this module does not import TensorFlow.
"""

from __future__ import annotations

__all__ = ["SEGMENTATION_LOGITS"]

SEGMENTATION_LOGITS = "segmentation_logits"
"""The one output of a segmenter: `(1, height / 8, width / 8, num_classes + 1)` logits, background first."""
