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
    """Each spec's converter files in `formats`, fp32 and int8, {"tflite fp32": path, ...}, from one Keras build;
    None where it failed."""
    import keras

    from edgenas.export import export
    from edgenas.families import parse_spec

    found: list = []
    for text in texts:
        try:
            result = export(parse_spec(text), out_dir=out_dir, formats=formats, precision=("fp32", "int8"),
                            input_shape=input_shape, num_classes=num_classes)  # fmt: skip
            found.append({f"{a.format.value} {a.precision.value}": os.fspath(a.path) for a in result.artifacts})
        except Exception:  # noqa: BLE001 - the test names the spec
            found.append(None)
        finally:
            keras.backend.clear_session()
    return found
