"""`export`: spec -> content-addressed .tflite / .onnx files, with a cache."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from edgenas.errors import ExportError, SpecError
from edgenas.export.settings import ExportSettings, ModelFormat, Precision
from edgenas.export.store import Artifact, ArtifactStore, artifact_key
from edgenas.specs import ArchSpec
from edgenas.specs.enums import coerce_enum

__all__ = ["ExportResult", "export", "prepare_model"]

_BN_CALIBRATION_IMAGES = 2


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """The files one `export` call produced or found.

    Attributes:
        artifacts: One artifact per (format, precision) asked for, in request order.
    """

    artifacts: tuple[Artifact, ...]

    def get(self, model_format: ModelFormat | str, precision: Precision | str | None = None) -> Artifact:
        """The artifact of a format (and precision, needed when several were exported).

        Raises:
            LookupError: If none or several artifacts match.
        """
        fmt = coerce_enum(ModelFormat, model_format, field="format")
        prec = None if precision is None else coerce_enum(Precision, precision, field="precision")
        found = [a for a in self.artifacts if a.format is fmt and (prec is None or a.precision is prec)]
        if len(found) != 1:
            what = f"{fmt.value}" + (f" {prec.value}" if prec else "")
            have = ", ".join(f"{a.format.value} {a.precision.value}" for a in self.artifacts)
            problem = "no" if not found else "more than one"
            raise LookupError(f"{problem} {what} artifact in this export (have: {have}); pass a precision")
        return found[0]

    @property
    def tflite_path(self) -> Path:
        """Path of the single .tflite artifact."""
        return self.get(ModelFormat.TFLITE).path

    @property
    def onnx_path(self) -> Path:
        """Path of the single .onnx artifact."""
        return self.get(ModelFormat.ONNX).path

    @property
    def all_cached(self) -> bool:
        """Whether every artifact came from the cache."""
        return all(a.cached for a in self.artifacts)


def _as_tuple(value: str | Iterable[str], kind: type, field: str) -> tuple:
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        raise SpecError(f"at least one {field} is needed")
    members = [coerce_enum(kind, item, field=field) for item in items]
    return tuple(dict.fromkeys(members))


def export(
    spec: ArchSpec,
    *,
    out_dir: str | os.PathLike[str],
    formats: str | Iterable[str] = ("tflite",),
    precision: str | Iterable[str] = "fp32",
    input_shape: tuple[int, int, int] = (224, 224, 3),
    num_classes: int = 1000,
    seed: int = 0,
    calibration_samples: int = 8,
    on_artifact: Callable[[Artifact], None] | None = None,
) -> ExportResult:
    """Exports a spec's network (seeded random weights, calibrated BatchNorm) to model files.

    Each (format, precision) pair gets a file named by its content address in
    `out_dir`; a pair exported before is returned from there without building anything.

    Args:
        spec: The architecture.
        out_dir: The artifact folder (created if missing).
        formats: "tflite", "onnx", or several.
        precision: "fp32", "int8", or several.
        input_shape: Height, width, channels of one image (batch 1).
        num_classes: Classifier outputs.
        seed: Seed of the weights and the calibration images.
        calibration_samples: Images in the representative dataset (int8).
        on_artifact: Called with each artifact as soon as it is ready (progress).

    Returns:
        The artifacts, in the order (format, precision) were asked for.

    Raises:
        SpecError: On an invalid spec, format, precision or input shape.
        ExportError: If the folder is not writable or a conversion fails; no
            partial file is left in the folder.
    """
    if not isinstance(spec, ArchSpec):
        raise SpecError(f"export needs an ArchSpec, got {type(spec).__name__}")
    model_formats = _as_tuple(formats, ModelFormat, "format")
    precisions = _as_tuple(precision, Precision, "precision")
    settings_list = [
        ExportSettings(
            format=fmt,
            precision=prec,
            input_shape=tuple(input_shape),
            num_classes=num_classes,
            seed=seed,
            calibration_samples=calibration_samples,
        )
        for fmt in model_formats
        for prec in precisions
    ]
    store = ArtifactStore(out_dir)
    spec_text = str(spec)
    results: dict[int, Artifact] = {}
    missing: list[tuple[int, str, ExportSettings]] = []
    for index, settings in enumerate(settings_list):
        key = artifact_key(spec_text, settings)
        found = store.lookup(key, settings)
        if found is None:
            missing.append((index, key, settings))
        else:
            results[index] = found
            if on_artifact:
                on_artifact(found)
    if missing:
        for index, artifact in _export_missing(spec, store, missing, settings_list[0], on_artifact):
            results[index] = artifact
    return ExportResult(artifacts=tuple(results[i] for i in range(len(settings_list))))


def prepare_model(spec: ArchSpec, settings: ExportSettings) -> tuple[Any, Any]:
    """Builds the exact model an export of `spec` with `settings` converts.

    Seeded weights, BatchNorm statistics set from the seeded calibration images.

    Returns:
        The Keras model and the calibration images (N, H, W, C) float32.
    """
    # Heavy imports only once something must really be built.
    import keras  # noqa: PLC0415

    from edgenas.export.calibration import calibrate_batchnorm, calibration_images  # noqa: PLC0415
    from edgenas.models import build_keras  # noqa: PLC0415

    keras.utils.set_random_seed(settings.seed)
    model = build_keras(spec, input_shape=settings.input_shape, num_classes=settings.num_classes)
    images = calibration_images(
        input_shape=settings.input_shape, count=settings.calibration_samples, seed=settings.seed
    )
    # Two images give every BatchNorm channel thousands of samples at the stem and
    # ~100 at 7x7, and cost a third of eight (the build is on the export's critical path).
    calibrate_batchnorm(model, images[:_BN_CALIBRATION_IMAGES])
    return model, images


def _export_missing(
    spec: ArchSpec,
    store: ArtifactStore,
    missing: list[tuple[int, str, ExportSettings]],
    first: ExportSettings,
    on_artifact: Callable[[Artifact], None] | None,
) -> list[tuple[int, Artifact]]:
    start = time.perf_counter()
    model, images = prepare_model(spec, first)
    build_s = time.perf_counter() - start
    done = []
    for index, key, settings in missing:
        began = time.perf_counter()
        produce = _producer(model, settings, images)
        # Each artifact carries its own conversion time plus an equal share of the build.
        share = build_s / len(missing)
        artifact = store.write(
            key, str(spec), settings, produce, elapsed_s=lambda b=began: time.perf_counter() - b + share
        )
        done.append((index, artifact))
        if on_artifact:
            on_artifact(artifact)
    return done


def _producer(model: object, settings: ExportSettings, images: object) -> Callable[[Path], None]:
    if settings.format is ModelFormat.TFLITE:
        from edgenas.export.tflite import convert_to_tflite  # noqa: PLC0415

        return lambda path: convert_to_tflite(model, path, precision=settings.precision, calibration=images)
    if settings.format is ModelFormat.ONNX:
        from edgenas.export.onnx import convert_to_onnx  # noqa: PLC0415

        return lambda path: convert_to_onnx(
            model, path, precision=settings.precision, calibration=images, opset=settings.onnx_opset
        )
    raise ExportError(f"no converter for format {settings.format!r}")
