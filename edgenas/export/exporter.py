"""`export`: spec -> content-addressed .tflite / .onnx files, with a cache."""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from edgenas._native_chatter import native_chatter_filtered
from edgenas.errors import ExportError, SpecError
from edgenas.export.memory import check_fits_in_memory
from edgenas.export.settings import ExportSettings, ModelFormat, ModelWriter, Precision
from edgenas.export.store import Artifact, ArtifactStore, artifact_key
from edgenas.errors import UnknownNameError
from edgenas.families import Family, family_of, spec_types
from edgenas.specs.enums import coerce_enum

__all__ = ["ExportResult", "ExportableSpec", "check_spec_and_input", "export", "prepare_model"]

# Two images give every BatchNorm channel of a chain thousands of samples at the stem and
# ~100 at 7x7, and cost a third of eight (the build is on the export's critical path).
_BN_CALIBRATION_IMAGES = 2

ExportableSpec = Any
"""A spec of any registered family (`edgenas.families.spec_types()`)."""


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
    spec: ExportableSpec,
    *,
    out_dir: str | os.PathLike[str],
    formats: str | Iterable[str] = ("tflite",),
    precision: str | Iterable[str] = "fp32",
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    seed: int = 0,
    calibration_samples: int = 8,
    timing_only: bool = False,
    on_artifact: Callable[[Artifact], None] | None = None,
) -> ExportResult:
    """Exports a spec's network (seeded random weights, calibrated BatchNorm) to model files.

    Each (format, precision) pair gets a file named by its content address in
    `out_dir`; a pair exported before is returned from there without building anything.

    An `ArchSpec` exports as a classifier with one output, `(1, num_classes)` logits.
    A `SpineNetSpec` exports as its RetinaNet detector with its default head
    (`default_detection_head`: a mobile backbone's head is as wide as its
    endpoints), a `SpineNetDetectorSpec` with its own head; both
    have two outputs, class logits `(1, total_anchors, num_classes)` and box deltas
    `(1, total_anchors, 4)` (`edgenas.models.anchors.num_anchors_total`). Both
    the .tflite and the .onnx file name their outputs `class_outputs` and
    `box_outputs` and list them in that order (TFLite: tensor names in
    `get_output_details()`, no SignatureDef; int8 TFLite outputs are int8 with
    their own scale and zero point each). A segmenter (a space's `task="segmentation"` form)
    has one output, `segmentation_logits` `(1, height / 8, width / 8, num_classes + 1)`,
    so named in both files; its files always come from the converter (no direct writer).
    The input is named `image`.

    Args:
        spec: The architecture: an `ArchSpec`, `SpineNetSpec` or `SpineNetDetectorSpec`.
        out_dir: The artifact folder (created if missing).
        formats: "tflite", "onnx", or several.
        precision: "fp32", "int8", or several.
        input_shape: Height, width, channels of one image (batch 1); default: the
            family's `deployment` (224x224x3 for a classifier, 256x256x3 for a SpineNet). For a SpineNet,
            height and width must be multiples of `2 ** max_block_level` (128 for
            the published backbones); checked before anything is built.
        num_classes: Classifier outputs, or detector classes (> 0) for a SpineNet;
            default: the family's (1,000 for a classifier, 91 for a detector).
        seed: Seed of the weights and the calibration images.
        calibration_samples: Images in the representative dataset (int8).
        timing_only: The files are only timed, never deployed: a .tflite or .onnx file of a
            family with a direct writer for that format (`Family.timing_graph_formats`: the
            chain classifiers' writer makes both, the SpineNet and chain detectors' .tflite only) is written
            from the spec without TensorFlow (`edgenas.export.direct`: the converters' graph,
            seeded random weights, in milliseconds) and keyed apart from converted files; any
            other file comes from the converter, with a one-line notice on stderr the first time
            a family (or a family's format) has no direct writer in this process.
        on_artifact: Called with each artifact as soon as it is ready (progress).

    Returns:
        The artifacts, in the order (format, precision) were asked for.

    Raises:
        SpecError: On an invalid spec, format, precision or input shape.
        ModelTooLargeError: If the network cannot fit in this machine's memory
            (`edgenas.export.memory.check_fits_in_memory`); checked before building.
        ExportError: If the folder is not writable or a conversion fails; no
            partial file is left in the folder, and the folders this call
            created are removed when they hold nothing.
    """
    if input_shape is None or num_classes is None:
        defaults = _family(spec).deployment
        input_shape = defaults.input_shape if input_shape is None else input_shape
        num_classes = defaults.num_classes if num_classes is None else num_classes
    input_shape = check_spec_and_input(spec, input_shape=input_shape, num_classes=num_classes)
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
            writer=_writer(_family(spec), fmt) if timing_only else ModelWriter.CONVERTER,
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
        try:
            if any(settings.writer is ModelWriter.CONVERTER for _, _, settings in missing):
                check_fits_in_memory(spec, input_shape=input_shape, num_classes=num_classes)
            for index, artifact in _export_missing(spec, store, missing, settings_list[0], on_artifact):
                results[index] = artifact
        except BaseException:
            store.remove_created_folders()
            raise
    return ExportResult(artifacts=tuple(results[i] for i in range(len(settings_list))))


_NOTICED: set[tuple[str, ModelFormat | None]] = set()


def _writer(family: Family, model_format: ModelFormat) -> ModelWriter:
    """The direct writer where it covers the family and format; else the converter, said once per process."""
    if family.has_timing_graph and model_format in family.timing_graph_formats:
        return ModelWriter.DIRECT
    noticed = (family.name, model_format if family.has_timing_graph else None)
    if noticed not in _NOTICED:
        _NOTICED.add(noticed)
        what = "family" if not family.has_timing_graph else f"family's {model_format.value} files"
        print(f"edgenas: no direct writer for the {family.name} {what}: its timing models come from the converter",
              file=sys.stderr)  # fmt: skip
    return ModelWriter.CONVERTER


def check_spec_and_input(
    spec: object, *, input_shape: tuple[int, int, int], num_classes: int
) -> tuple[int, int, int]:
    """Rejects a spec no family owns, and an input or class count its family refuses (`Family.check_input`).

    Runs before anything is built or written, so a wrong request costs nothing.

    Returns:
        The input shape, as three ints.

    Raises:
        SpecError: On a spec type no family owns, an input shape the network
            cannot take, or a class count its family refuses (a detector's < 1).
    """
    return _family(spec).check_input(spec, input_shape=input_shape, num_classes=num_classes)


def _family(spec: object) -> Family:
    """The spec's family, or a `SpecError` listing the spec types export takes."""
    try:
        return family_of(spec)
    except UnknownNameError:
        names = ", ".join(t.__name__ for t in spec_types())
        raise SpecError(f"export needs a spec of a registered family ({names}), got {type(spec).__name__}") from None


def prepare_model(spec: ExportableSpec, settings: ExportSettings) -> tuple[Any, Any]:
    """Builds the exact model an export of `spec` with `settings` converts.

    Seeded weights, adjusted by the family (`Family.initialise_for_export`: a
    SpineNet detector's head is redrawn so that its outputs are not constants),
    then BatchNorm statistics set from seeded calibration images, as many as the
    family asks (`Family.export_calibration_images`). Latency does not depend on the values.

    Returns:
        The Keras model and the calibration images (N, H, W, C) float32.
    """
    # Heavy imports only once something must really be built.
    import keras  # noqa: PLC0415

    from edgenas.export.calibration import calibrate_batchnorm, calibration_images  # noqa: PLC0415
    from edgenas.models import build_keras  # noqa: PLC0415

    family = family_of(spec)
    keras.utils.set_random_seed(settings.seed)
    model = build_keras(spec, input_shape=settings.input_shape, num_classes=settings.num_classes)
    family.initialise_for_export(model, seed=settings.seed)
    images = calibration_images(
        input_shape=settings.input_shape, count=settings.calibration_samples, seed=settings.seed
    )
    count = family.export_calibration_images(spec, input_shape=settings.input_shape, default=_BN_CALIBRATION_IMAGES)
    bn_images = images[:count] if count <= len(images) else calibration_images(
        input_shape=settings.input_shape, count=count, seed=settings.seed)
    calibrate_batchnorm(model, bn_images)
    return model, images


def _export_missing(
    spec: ExportableSpec,
    store: ArtifactStore,
    missing: list[tuple[int, str, ExportSettings]],
    first: ExportSettings,
    on_artifact: Callable[[Artifact], None] | None,
) -> list[tuple[int, Artifact]]:
    converted = [item for item in missing if item[2].writer is ModelWriter.CONVERTER]
    start = time.perf_counter()
    model = images = None
    if converted:
        with native_chatter_filtered():
            model, images = prepare_model(spec, first)
    build_s = time.perf_counter() - start
    done = []
    # ONNX int8 last: it quantises the ONNX fp32 file when that one is (or was) exported.
    ordered = sorted(missing, key=lambda item: _is_onnx_int8(item[2]))
    for index, key, settings in ordered:
        began = time.perf_counter()
        if settings.writer is ModelWriter.DIRECT:
            produce, share = _direct_producer(spec, settings), 0.0
        else:
            produce = _producer(model, settings, images, float_onnx=_float_onnx_path(store, str(spec), settings))
            # Each converted artifact carries its own conversion time plus an equal share of the build.
            share = build_s / len(converted)
        with native_chatter_filtered():
            artifact = store.write(
                key, str(spec), settings, produce, elapsed_s=lambda b=began: time.perf_counter() - b + share
            )
        done.append((index, artifact))
        if on_artifact:
            on_artifact(artifact)
    return done


def _is_onnx_int8(settings: ExportSettings) -> bool:
    return settings.format is ModelFormat.ONNX and settings.precision is Precision.INT8


def _float_onnx_path(store: ArtifactStore, spec_text: str, settings: ExportSettings) -> Path | None:
    """For an ONNX int8 export: the finished ONNX fp32 artifact of the same request, if the store has it."""
    if not _is_onnx_int8(settings):
        return None
    float_settings = dataclasses.replace(settings, precision=Precision.FP32)
    found = store.lookup(artifact_key(spec_text, float_settings), float_settings)
    return None if found is None else found.path


def _direct_producer(spec: ExportableSpec, settings: ExportSettings) -> Callable[[Path], None]:
    from edgenas.export.direct import timing_onnx, timing_tflite  # noqa: PLC0415

    write = timing_tflite if settings.format is ModelFormat.TFLITE else timing_onnx

    def produce(path: Path) -> None:
        path.write_bytes(write(spec, precision=settings.precision, input_shape=settings.input_shape,
                               num_classes=settings.num_classes, seed=settings.seed))  # fmt: skip

    return produce


def _producer(
    model: object, settings: ExportSettings, images: object, *, float_onnx: Path | None = None
) -> Callable[[Path], None]:
    if settings.format is ModelFormat.TFLITE:
        from edgenas.export.tflite import convert_to_tflite  # noqa: PLC0415

        return lambda path: convert_to_tflite(model, path, precision=settings.precision, calibration=images)
    if settings.format is ModelFormat.ONNX:
        from edgenas.export.onnx import convert_to_onnx  # noqa: PLC0415

        return lambda path: convert_to_onnx(
            model,
            path,
            precision=settings.precision,
            calibration=images,
            opset=settings.onnx_opset,
            float_model=float_onnx,
        )
    raise ExportError(f"no converter for format {settings.format!r}")
