"""Worker task of the long graph test (module level, so that a spawned worker can import it)."""

from __future__ import annotations

import os


def convert_all(
    texts: list[str],
    out_dir: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    formats: tuple[str, ...] = ("tflite", "onnx"),
) -> list:
    """Each spec's converter files, {"tflite fp32": path, ...}; None where it failed.

    .tflite in fp32 and int8 (one Keras build), .onnx in fp32 only when "onnx" is in `formats` (a second build:
    the test does not compare ONNX int8 files, and quantising them cost more than building again).
    """
    import keras

    from edgenas.export import export
    from edgenas.families import parse_spec

    found: list = []
    for text in texts:
        try:
            spec = parse_spec(text)
            wanted = [(fmt, ("fp32", "int8") if fmt == "tflite" else ("fp32",)) for fmt in formats]
            files = {}
            for fmt, precisions in wanted:
                result = export(spec, out_dir=out_dir, formats=fmt, precision=precisions, input_shape=input_shape,
                                num_classes=num_classes)  # fmt: skip
                files.update({f"{a.format.value} {a.precision.value}": os.fspath(a.path) for a in result.artifacts})
                keras.backend.clear_session()
            found.append(files)
        except Exception:  # noqa: BLE001 - the test names the spec
            found.append(None)
        finally:
            keras.backend.clear_session()
    return found
