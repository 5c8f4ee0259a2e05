"""The NAS-FPN detector family: RetinaNet detectors with a NAS-FPN decoder on chain backbones (`NasFpnDetectorSpec`).

Everything but the decoder is the chain detector family's (`ChainDetectorFamily`):
the backbone's level 3-5 features, the RetinaNet head on levels 3-7, two
named outputs, the detection proxy task. What differs is the legal inputs
(multiples of 128: the cells resample between levels 3-7 by whole factors of 2)
and so the default one, 384x384, the mobile size nearest the plain FPN's 320
that levels 3-7 divide. Its timing models come from the converter: the
chain detector family's direct writer knows the plain FPN only.

Paper: Ghiasi, Lin and Le, "NAS-FPN", CVPR 2019, https://arxiv.org/abs/1904.07392.
"""

from __future__ import annotations

from typing import Any

from edgenas.families.chain_detector import ChainDetectorFamily
from edgenas.families.family import DeploymentDefaults
from edgenas.specs.nasfpn_detector import NasFpnDetectorSpec

__all__ = ["NASFPN_DETECTOR_DEFAULTS", "NasFpnDetectorFamily"]

NASFPN_DETECTOR_DEFAULTS = DeploymentDefaults((384, 384, 3), 91)
"""384x384 (320, the plain FPN's, is not a multiple of 128) and COCO's 91 class ids."""


class NasFpnDetectorFamily(ChainDetectorFamily):
    """RetinaNet detectors with a NAS-FPN decoder on chain backbones."""

    name = "nasfpn_detector"
    spec_types = (NasFpnDetectorSpec,)
    deployment = NASFPN_DETECTOR_DEFAULTS
    noun = "NAS-FPN detector"

    has_timing_graph = False
    timing_graph_formats = ()

    def timing_graph(
        self, spec: NasFpnDetectorSpec, *, input_shape: tuple[int, int, int], num_classes: int, seed: int
    ) -> Any:
        """None: no direct writer (the NAS-FPN decoder's graph is not written from the spec yet)."""
        del spec, input_shape, num_classes, seed
        return None
