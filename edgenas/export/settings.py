"""Typed export settings: which file, which numeric precision, which input."""

from __future__ import annotations

import dataclasses
import enum

from edgenas.errors import SpecError
from edgenas.specs.enums import coerce_enum

__all__ = ["ExportSettings", "ModelFormat", "ModelWriter", "Precision"]


class ModelFormat(enum.StrEnum):
    """A model file format a device runtime reads."""

    TFLITE = "tflite"
    ONNX = "onnx"


class Precision(enum.StrEnum):
    """Numeric precision of an exported model."""

    FP32 = "fp32"
    """Float weights and activations."""
    INT8 = "int8"
    """Full-integer: int8 weights and activations, int8 input and output (TFLite);
    QDQ int8 with onnxruntime's static quantisation (ONNX)."""


class ModelWriter(enum.StrEnum):
    """What writes the file."""

    CONVERTER = "converter"
    """The Keras model, BatchNorm-calibrated, through the TFLite converter or tf2onnx: the deployed model."""
    DIRECT = "direct"
    """`edgenas.export.direct`: the converter's graph written from the spec, without TensorFlow, for timing only."""


@dataclasses.dataclass(frozen=True)
class ExportSettings:
    """Everything besides the spec that decides the bytes of an exported file.

    Attributes:
        format: The file format.
        precision: fp32 or int8.
        input_shape: Height, width, channels of one image (the batch is 1).
        num_classes: Classifier outputs.
        seed: Seed of the random weights and of the calibration data.
        calibration_samples: Images in the int8 representative dataset.
        onnx_opset: ONNX opset of ONNX files.
        writer: What writes the file.
    """

    format: ModelFormat
    precision: Precision = Precision.FP32
    input_shape: tuple[int, int, int] = (224, 224, 3)
    num_classes: int = 1000
    seed: int = 0
    calibration_samples: int = 8
    onnx_opset: int = 17
    writer: ModelWriter = ModelWriter.CONVERTER

    def __post_init__(self) -> None:
        object.__setattr__(self, "format", coerce_enum(ModelFormat, self.format, field="format"))
        object.__setattr__(
            self, "precision", coerce_enum(Precision, self.precision, field="precision")
        )
        object.__setattr__(self, "writer", coerce_enum(ModelWriter, self.writer, field="writer"))
        shape = tuple(self.input_shape)
        if len(shape) != 3 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape):
            raise SpecError(f"input_shape must be three positive integers, got {self.input_shape!r}")
        object.__setattr__(self, "input_shape", shape)
        if self.num_classes < 1:
            raise SpecError(f"num_classes must be positive, got {self.num_classes}")
        if self.calibration_samples < 1:
            raise SpecError(f"calibration_samples must be positive, got {self.calibration_samples}")

    def to_json(self) -> dict[str, object]:
        """The settings as JSON-ready data (part of the artifact key)."""
        data: dict[str, object] = {
            "format": self.format.value,
            "precision": self.precision.value,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "seed": self.seed,
        }
        if self.precision is Precision.INT8:
            data["calibration_samples"] = self.calibration_samples
        if self.format is ModelFormat.ONNX:
            data["onnx_opset"] = self.onnx_opset
        if self.writer is not ModelWriter.CONVERTER:  # absent for the converter, so that its keys stay
            from edgenas.export.direct import DIRECT_WRITER_VERSION  # noqa: PLC0415

            data["writer"] = f"{self.writer.value}/{DIRECT_WRITER_VERSION}"
        return data
