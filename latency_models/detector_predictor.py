"""`DetectorLatencyPredictor`: a detector's latency on one device, predicted from its spec.

Detector graphs (SpineNet backbones; FPN and NAS-FPN decoders on chain
backbones) are not chains, so the per-layer table of `LatencyPredictor` does
not describe them. This predictor works on the whole detector, from
`DETECTOR_FEATURES` (compute, parameters, activation traffic and op counts of
backbone and head, all counted from the spec). A regressor predicts the
latency per million MACs from each feature per million MACs, plus the MACs and
their inverse (`model_inputs`); the prediction is that times the MACs. A
latency that is a sum of per-MAC, per-byte and per-op costs plus a fixed
overhead is then exactly linear in the inputs, and, as with the chain
predictor's ratio target, tree models stay in range on detectors larger than
any they were trained on.

The file also keeps the model's **worst cross-validated relative error**
(`error_bound`): a detector predicted at `p` ms is taken to run in at least
`p / (1 + error_bound)` ms. `edgenas scale` prunes a scaling point only when
even that lower bound misses the budget.

A predictor file is plain JSON (`DETECTOR_FILE_FORMAT`, `DETECTOR_FILE_VERSION`;
version 1 files, from before chain-backbone detectors, are SpineNet ones).
Its domain names the kinds of detector it was trained on (`DETECTOR_KINDS`:
`spinenet_detector`, `chain_detector`, `nasfpn_detector`), and for each the
variety it saw (SpineNet families, chain backbones' block types). Asking about
another kind, family or block type, another class count, or an input size
outside the trained range raises `OutOfDomainError`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgenas.specs.spinenet_detector import SpineNetDetectorSpec

from ._json_file import read_json_file, write_json_file
from .detector_features import DETECTOR_FEATURES, DETECTOR_KINDS, DetectorSpec, detector_features, detector_kind
from .errors import OutOfDomainError, PredictorFileError
from .regressors import Regressor, regressor_from_json

__all__ = [
    "DETECTOR_INPUTS",
    "DETECTOR_FILE_FORMAT",
    "DETECTOR_FILE_VERSION",
    "DETECTOR_TARGET",
    "DetectorDomain",
    "DetectorLatencyPredictor",
    "DetectorPredictorInfo",
    "domain_variety",
    "model_inputs",
]

DETECTOR_FILE_FORMAT = "edgenas-detector-latency-predictor"
DETECTOR_FILE_VERSION = 2
"""2: the domain names its kinds and block types (version 1 files are read as SpineNet predictors)."""
_READABLE_VERSIONS = (1, DETECTOR_FILE_VERSION)
_SPINENET = DETECTOR_KINDS[SpineNetDetectorSpec]
DETECTOR_TARGET = "latency_ms_per_total_macs_m"
"""What the regressor predicts: the latency divided by `DETECTOR_FEATURES[0]` (total MACs in millions)."""

DETECTOR_INPUTS = (
    DETECTOR_FEATURES[0], "inverse_total_macs_per_m", *(f"{name}_per_total_macs_m" for name in DETECTOR_FEATURES[1:])
)
"""Names of the regressor's inputs (`model_inputs`)."""


def model_inputs(features: np.ndarray) -> np.ndarray:
    """The regressor's inputs (`DETECTOR_INPUTS`) from rows of `DETECTOR_FEATURES`, shape (n, len(DETECTOR_FEATURES))."""
    features = np.asarray(features, dtype=float)
    macs = features[:, :1]
    return np.hstack([macs, 1.0 / macs, features[:, 1:] / macs])


_SCHEMA = {"features": list(DETECTOR_FEATURES), "inputs": list(DETECTOR_INPUTS), "target": DETECTOR_TARGET}


def domain_variety(detector: DetectorSpec) -> tuple[str, ...]:
    """What a domain records of a detector besides its kind: a SpineNet's family, a chain backbone's block types.

    SpineNet: `("mobile",)` or `("resnet",)`. Chain backbones: the block
    functions of its stages, e.g. `("conv", "mbconv")`.

    Raises:
        OutOfDomainError: `detector` is not of a `DETECTOR_KINDS` type.
    """
    if detector_kind(detector) == _SPINENET:
        return (detector.family.value,)
    return tuple(sorted({block.block_fn.value for block in detector.backbone.blocks}))


@dataclasses.dataclass(frozen=True)
class DetectorDomain:
    """The detectors a predictor was trained on.

    Attributes:
        kinds: Kinds of detector (`DETECTOR_KINDS` names: "spinenet_detector", "chain_detector", "nasfpn_detector").
        families: SpineNet families ("mobile", "resnet"); empty without SpineNet detectors.
        num_classes: Class counts.
        min_image_size: Smallest input height or width.
        max_image_size: Largest input height or width.
        block_fns: Block functions of the chain backbones ("conv", "mbconv", "fused_mbconv"); empty without them.
    """

    kinds: tuple[str, ...]
    families: tuple[str, ...]
    num_classes: tuple[int, ...]
    min_image_size: int
    max_image_size: int
    block_fns: tuple[str, ...] = ()

    @classmethod
    def spanning(
        cls, detectors: Sequence[DetectorSpec], *, num_classes: Sequence[int], image_sizes: Sequence[int]
    ) -> DetectorDomain:
        """The domain of a training set: its detectors' kinds and varieties, its class counts and input sides.

        Raises:
            ValueError: No detectors, class counts or sizes.
            OutOfDomainError: A detector is not of a `DETECTOR_KINDS` type.
        """
        if not detectors or not num_classes or not image_sizes:
            raise ValueError("a domain needs detectors, class counts and input sizes")
        families, block_fns = set(), set()
        for detector in detectors:
            (families if detector_kind(detector) == _SPINENET else block_fns).update(domain_variety(detector))
        return cls(
            kinds=tuple(sorted({detector_kind(d) for d in detectors})),
            families=tuple(sorted(families)),
            num_classes=tuple(sorted({int(c) for c in num_classes})),
            min_image_size=int(min(image_sizes)),
            max_image_size=int(max(image_sizes)),
            block_fns=tuple(sorted(block_fns)),
        )

    def check(self, detector: DetectorSpec, *, input_shape: Sequence[int], num_classes: int) -> None:
        """Raises `OutOfDomainError` naming what is outside the domain."""
        kind = detector_kind(detector)
        if kind not in self.kinds:
            raise OutOfDomainError(f"the predictor was trained on {'/'.join(self.kinds)} networks, not {kind}")
        variety = domain_variety(detector)
        if kind == _SPINENET:
            family = variety[0]
            if family not in self.families:
                raise OutOfDomainError(
                    f"the predictor was trained on {'/'.join(self.families)} SpineNets, not {family}"
                )
        else:
            unseen = [fn for fn in variety if fn not in self.block_fns]
            if unseen:
                raise OutOfDomainError(
                    f"the predictor was trained on chain backbones of {'/'.join(self.block_fns)} blocks, "
                    f"not {'/'.join(unseen)}"
                )
        if num_classes not in self.num_classes:
            raise OutOfDomainError(f"the predictor was trained with num_classes {list(self.num_classes)}, not {num_classes}")
        for size in (int(input_shape[0]), int(input_shape[1])):
            if not self.min_image_size <= size <= self.max_image_size:
                raise OutOfDomainError(
                    f"the predictor was trained on inputs of {self.min_image_size}..{self.max_image_size} pixels, "
                    f"not {size}"
                )


@dataclasses.dataclass(frozen=True)
class DetectorPredictorInfo:
    """What a detector predictor describes.

    Attributes:
        device: The device's name.
        runtime: What ran the models ("litert").
        runtime_version: Its version when measured.
        precision: "fp32" or "int8".
        threads: Interpreter threads.
        spaces: The spaces its training detectors came from.
        created_at: ISO 8601 time of training.
        training: Free-form facts of training (counts, family scores, errors).
    """

    device: str
    runtime: str
    runtime_version: str
    precision: str
    threads: int
    spaces: tuple[str, ...]
    created_at: str
    training: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)


class DetectorLatencyPredictor:
    """Predicts a detector's latency (see the module docstring).

    Args:
        info: What it describes.
        domain: The detectors it may be asked about.
        model: Regressor of latency per million MACs from `DETECTOR_FEATURES`.
        error_bound: Worst cross-validated relative error of a prediction (0.1: 10 %), >= 0.

    Raises:
        ValueError: The model reads another number of features, or the error bound is negative.
    """

    def __init__(
        self, *, info: DetectorPredictorInfo, domain: DetectorDomain, model: Regressor, error_bound: float
    ) -> None:
        if model.num_features != len(DETECTOR_INPUTS):
            raise ValueError(f"model reads {model.num_features} features, expected {len(DETECTOR_INPUTS)}")
        if not error_bound >= 0:
            raise ValueError(f"error_bound must be >= 0, got {error_bound!r}")
        self.info = info
        self.domain = domain
        self.model = model
        self.error_bound = float(error_bound)

    def predict_many(
        self, detectors: Sequence[DetectorSpec], *, input_shapes: Sequence[Sequence[int]], num_classes: int
    ) -> np.ndarray:
        """Predicted latencies in ms, one per detector (each at its input shape).

        Raises:
            OutOfDomainError: A detector is outside the domain (the message names what).
            ValueError: `input_shapes` is not one shape per detector.
        """
        if len(input_shapes) != len(detectors):
            raise ValueError(f"{len(detectors)} detectors but {len(input_shapes)} input shapes")
        if not detectors:
            return np.zeros(0)
        for detector, shape in zip(detectors, input_shapes, strict=True):
            self.domain.check(detector, input_shape=shape, num_classes=num_classes)
        rows = np.array([
            detector_features(d, input_shape=s, num_classes=num_classes)
            for d, s in zip(detectors, input_shapes, strict=True)
        ])  # fmt: skip
        return rows[:, 0] * np.maximum(self.model.predict(model_inputs(rows)), 0.0)

    def predict(self, detector: DetectorSpec, *, input_shape: Sequence[int], num_classes: int) -> float:
        """The predicted latency of one detector, in ms (see `predict_many`)."""
        return float(self.predict_many([detector], input_shapes=[input_shape], num_classes=num_classes)[0])

    def lower_bound_ms(self, predicted_ms: float | np.ndarray) -> float | np.ndarray:
        """The least latency a prediction allows: `predicted / (1 + error_bound)`."""
        return predicted_ms / (1.0 + self.error_bound)

    # -- files ------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        info, domain = self.info, self.domain
        return {
            "format": DETECTOR_FILE_FORMAT,
            "version": DETECTOR_FILE_VERSION,
            "device": info.device,
            "runtime": info.runtime,
            "runtime_version": info.runtime_version,
            "precision": info.precision,
            "threads": info.threads,
            "spaces": list(info.spaces),
            "created_at": info.created_at,
            "training": info.training,
            "feature_schema": _SCHEMA,
            "domain": {"kinds": list(domain.kinds), "families": list(domain.families),
                       "num_classes": list(domain.num_classes), "min_image_size": domain.min_image_size,
                       "max_image_size": domain.max_image_size, "block_fns": list(domain.block_fns)},  # fmt: skip
            "error_bound": self.error_bound,
            "model": self.model.to_json(),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the predictor file (JSON, folder created when missing)."""
        return write_json_file(path, self.to_json())

    @classmethod
    def from_json(cls, data: Any, *, source: str = "<predictor>") -> DetectorLatencyPredictor:
        """A predictor from a file's decoded content.

        Raises:
            PredictorFileError: Not a detector predictor file, another version or feature schema, or malformed.
        """
        if not isinstance(data, dict) or data.get("format") != DETECTOR_FILE_FORMAT:
            raise PredictorFileError(f"{source}: not an edgenas detector latency predictor file "
                                     f"(no format {DETECTOR_FILE_FORMAT!r})")  # fmt: skip
        if data.get("version") not in _READABLE_VERSIONS:
            readable = " and ".join(str(v) for v in _READABLE_VERSIONS)
            raise PredictorFileError(f"{source}: detector predictor file version {data.get('version')!r}; "
                                     f"this edgenas reads versions {readable}")  # fmt: skip
        if data.get("feature_schema") != _SCHEMA:
            raise PredictorFileError(f"{source}: the file's feature schema differs from this edgenas version's")
        try:
            info = DetectorPredictorInfo(
                device=str(data["device"]),
                runtime=str(data["runtime"]),
                runtime_version=str(data["runtime_version"]),
                precision=str(data["precision"]),
                threads=int(data["threads"]),
                spaces=tuple(str(s) for s in data["spaces"]),
                created_at=str(data["created_at"]),
                training=dict(data.get("training", {})),
            )
            d = data["domain"]
            version_1 = data["version"] == 1  # SpineNet detectors only, no block types recorded
            kinds = (_SPINENET,) if version_1 else tuple(str(k) for k in d["kinds"])
            unknown = sorted(set(kinds) - set(DETECTOR_KINDS.values()))
            if unknown:
                raise ValueError(f"unknown detector kinds {unknown}; this edgenas knows "
                                 f"{sorted(DETECTOR_KINDS.values())}")  # fmt: skip
            domain = DetectorDomain(
                kinds=kinds,
                families=tuple(str(f) for f in d["families"]),
                num_classes=tuple(int(c) for c in d["num_classes"]),
                min_image_size=int(d["min_image_size"]),
                max_image_size=int(d["max_image_size"]),
                block_fns=() if version_1 else tuple(str(f) for f in d["block_fns"]),
            )
            return cls(info=info, domain=domain, model=regressor_from_json(data["model"]),
                       error_bound=float(data["error_bound"]))  # fmt: skip
        except (LookupError, TypeError, ValueError) as e:  # LookupError: KeyError, IndexError, an unknown family
            raise PredictorFileError(f"{source}: malformed detector predictor file: {e!r}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DetectorLatencyPredictor:
        """Reads a predictor file.

        Raises:
            FileNotFoundError: No such file.
            PredictorFileError: Not JSON, or not a valid detector predictor file (the message names the file).
        """
        return cls.from_json(read_json_file(path), source=os.fspath(path))
