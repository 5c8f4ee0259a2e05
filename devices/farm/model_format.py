"""Recognise a model file by its bytes: a TFLite flatbuffer or an ONNX protobuf.

The farm checks every upload before it stores it, so that a file that is not a
model is rejected at once (HTTP 422) instead of failing on, and being blamed
on, a device. The check reads structure only; it does not load the model.

* TFLite: the flatbuffer file identifier ``TFL3`` at bytes 4..8, and a
  ``Model`` root table (offset at bytes 0..4, little endian) whose vtable,
  vectors (operator codes, subgraphs with their tensors and operators,
  buffers with their data, metadata, signatures) and description all lie
  inside the file, with at least one subgraph; so a truncated file is caught.
* ONNX: a ``ModelProto`` whose top-level protobuf fields parse to the end of the
  file, each known field with its declared wire type, with ``ir_version`` and
  ``graph`` present, and ``opset_import`` too from IR version 3 on.
"""

from __future__ import annotations

import enum

__all__ = ["ModelFormat", "detect_model_format"]

_TFLITE_IDENTIFIER = b"TFL3"

# ModelProto (onnx.proto): field number -> wire type (0 varint, 2 length-delimited).
_ONNX_MODEL_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2}
_ONNX_LAST_KNOWN_FIELD = 26
_ONNX_IR_VERSION, _ONNX_GRAPH, _ONNX_OPSET_IMPORT = 1, 7, 8
_ONNX_IR_VERSION_WITH_OPSETS = 3  # IR version 3 on: opset_import is required
_MAX_ONNX_IR_VERSION = 1000

# TFLite schema.fbs: field indices of the tables walked.
_MODEL_OPERATOR_CODES, _MODEL_SUBGRAPHS, _MODEL_DESCRIPTION, _MODEL_BUFFERS = 1, 2, 3, 4
_MODEL_METADATA_BUFFER, _MODEL_METADATA, _MODEL_SIGNATURE_DEFS = 5, 6, 7
_SUBGRAPH_TENSORS, _SUBGRAPH_INPUTS, _SUBGRAPH_OUTPUTS, _SUBGRAPH_OPERATORS, _SUBGRAPH_NAME = 0, 1, 2, 3, 4
_BUFFER_DATA, _BUFFER_OFFSET, _BUFFER_SIZE = 0, 1, 2


class ModelFormat(enum.Enum):
    """A model file format the on-device profiler runs."""

    TFLITE = "tflite"
    ONNX = "onnx"

    @property
    def extension(self) -> str:
        """The file extension the profiler infers the runtime from."""
        return "." + self.value


class _NotOnnx(ValueError):
    pass


class _NotTflite(ValueError):
    pass


def detect_model_format(data: bytes | bytearray | memoryview) -> ModelFormat:
    """Tells which model format `data` is.

    Args:
        data: The whole file (any buffer: bytes, memoryview, mmap).

    Returns:
        The format.

    Raises:
        ValueError: Neither format fits; the message says why for each.
    """
    view = memoryview(data).cast("B")
    try:
        return _detect(view)
    finally:
        view.release()


def _detect(view: memoryview) -> ModelFormat:
    size = len(view)
    if size == 0:
        raise ValueError("the file is empty")
    if size >= 8 and bytes(view[4:8]) == _TFLITE_IDENTIFIER:
        try:
            _check_tflite(view)
        except _NotTflite as e:
            raise ValueError(f"TFLite identifier present but {e}") from None
        return ModelFormat.TFLITE
    try:
        _check_onnx(view)
    except _NotOnnx as e:
        raise ValueError(f"not a TFLite flatbuffer (no 'TFL3' at bytes 4..8) and not an ONNX model ({e})") from None
    return ModelFormat.ONNX


def _read_varint(view: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(view):
            raise _NotOnnx("truncated varint")
        byte = view[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise _NotOnnx("varint longer than 10 bytes")


def _check_onnx(view: memoryview) -> None:
    """Walks the top-level fields of a ModelProto; raises `_NotOnnx` at the first misfit."""
    pos, size = 0, len(view)
    seen: set[int] = set()
    ir_version = None
    while pos < size:
        at = pos
        key, pos = _read_varint(view, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _NotOnnx(f"field number 0 at byte {at}")
        expected = _ONNX_MODEL_FIELDS.get(number)
        if expected is None and number <= _ONNX_LAST_KNOWN_FIELD:
            raise _NotOnnx(f"field {number} at byte {at} is not a ModelProto field")
        if expected is not None and wire != expected:
            raise _NotOnnx(f"field {number} at byte {at} has wire type {wire}, expected {expected}")
        if wire == 0:
            value, pos = _read_varint(view, pos)
            if number == _ONNX_IR_VERSION:
                ir_version = value
        elif wire == 2:
            length, pos = _read_varint(view, pos)
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise _NotOnnx(f"invalid wire type {wire} at byte {at}")
        if pos > size:
            raise _NotOnnx(f"field {number} at byte {at} runs past the end of the {size}-byte file")
        seen.add(number)
    if ir_version is None:
        raise _NotOnnx("no ir_version field")
    if not 1 <= ir_version <= _MAX_ONNX_IR_VERSION:
        raise _NotOnnx(f"implausible ir_version {ir_version}")
    if _ONNX_GRAPH not in seen:
        raise _NotOnnx("no graph field")
    if ir_version >= _ONNX_IR_VERSION_WITH_OPSETS and _ONNX_OPSET_IMPORT not in seen:
        raise _NotOnnx(f"no opset_import field (required from IR version {_ONNX_IR_VERSION_WITH_OPSETS})")


def _uint(view: memoryview, pos: int, width: int, what: str) -> int:
    """The little-endian unsigned `width`-byte integer at `pos`; raises `_NotTflite` past the end."""
    if pos < 0 or pos + width > len(view):
        raise _NotTflite(f"the {what} at byte {pos} lies outside the {len(view)}-byte file (truncated?)")
    return int.from_bytes(view[pos : pos + width], "little")


def _table(view: memoryview, pos: int, what: str) -> list[int]:
    """Checks the flatbuffer table at `pos` and its vtable; returns each field's position (0: absent)."""
    soffset = _uint(view, pos, 4, what)
    vtable = pos - (soffset - (1 << 32) if soffset >= 1 << 31 else soffset)
    vtable_size = _uint(view, vtable, 2, f"vtable of the {what}")
    table_size = _uint(view, vtable + 2, 2, f"vtable of the {what}")
    if vtable_size < 4 or vtable_size % 2 or table_size < 4:
        raise _NotTflite(f"the vtable of the {what} at byte {pos} is malformed")
    _uint(view, vtable + vtable_size - 2, 2, f"vtable of the {what}")
    _uint(view, pos + table_size - 1, 1, what)
    fields = []
    for index in range((vtable_size - 4) // 2):
        offset = int.from_bytes(view[vtable + 4 + 2 * index : vtable + 6 + 2 * index], "little")
        if offset >= table_size:
            raise _NotTflite(f"field {index} of the {what} at byte {pos} lies outside the table")
        fields.append(pos + offset if offset else 0)
    return fields


def _field(fields: list[int], index: int) -> int:
    return fields[index] if index < len(fields) else 0


def _vector(view: memoryview, field: int, element_size: int, what: str) -> tuple[int, int]:
    """Checks the vector a table field at `field` points to; returns (first element's position, length)."""
    start = field + _uint(view, field, 4, f"offset of the {what}")
    count = _uint(view, start, 4, f"length of the {what}")
    if count:
        _uint(view, start + 4 + count * element_size - 1, 1, f"{what} of {count} element(s)")
    return start + 4, count


def _tables(view: memoryview, field: int, what: str) -> list[list[int]]:
    """Checks a vector of tables and each table; returns their fields."""
    if not field:
        return []
    start, count = _vector(view, field, 4, f"{what} vector")
    tables = []
    for index in range(count):
        element = start + 4 * index
        tables.append(_table(view, element + _uint(view, element, 4, what), f"{what}[{index}]"))
    return tables


def _check_tflite(view: memoryview) -> None:
    """Walks the Model table of a TFLite flatbuffer; raises `_NotTflite` at the first part outside the file."""
    size = len(view)
    root = _uint(view, 0, 4, "root table offset")
    if not 8 <= root < size:
        raise _NotTflite(f"the root table offset {root} is outside the {size}-byte file")
    model = _table(view, root, "model table")
    _tables(view, _field(model, _MODEL_OPERATOR_CODES), "operator code")
    subgraphs = _tables(view, _field(model, _MODEL_SUBGRAPHS), "subgraph")
    if not subgraphs:
        raise _NotTflite("the model has no subgraph")
    for index, subgraph in enumerate(subgraphs):
        _tables(view, _field(subgraph, _SUBGRAPH_TENSORS), f"subgraph[{index}] tensor")
        _tables(view, _field(subgraph, _SUBGRAPH_OPERATORS), f"subgraph[{index}] operator")
        for number, name in ((_SUBGRAPH_INPUTS, "inputs"), (_SUBGRAPH_OUTPUTS, "outputs")):
            if _field(subgraph, number):
                _vector(view, _field(subgraph, number), 4, f"subgraph[{index}] {name}")
        if _field(subgraph, _SUBGRAPH_NAME):
            _vector(view, _field(subgraph, _SUBGRAPH_NAME), 1, f"subgraph[{index}] name")
    if _field(model, _MODEL_DESCRIPTION):
        _vector(view, _field(model, _MODEL_DESCRIPTION), 1, "description")
    for index, buffer in enumerate(_tables(view, _field(model, _MODEL_BUFFERS), "buffer")):
        if _field(buffer, _BUFFER_DATA):
            _vector(view, _field(buffer, _BUFFER_DATA), 1, f"buffer[{index}] data")
        if _field(buffer, _BUFFER_OFFSET) and _field(buffer, _BUFFER_SIZE):
            # Models over 2 GB keep their weights after the flatbuffer, at an offset from the file's start.
            offset = _uint(view, _field(buffer, _BUFFER_OFFSET), 8, f"buffer[{index}] offset")
            length = _uint(view, _field(buffer, _BUFFER_SIZE), 8, f"buffer[{index}] size")
            if offset > 1 and offset + length > size:
                raise _NotTflite(
                    f"buffer[{index}] data (bytes {offset}..{offset + length}) lies outside the {size}-byte file"
                    " (truncated?)"
                )
    if _field(model, _MODEL_METADATA_BUFFER):
        _vector(view, _field(model, _MODEL_METADATA_BUFFER), 4, "metadata_buffer")
    _tables(view, _field(model, _MODEL_METADATA), "metadata")
    _tables(view, _field(model, _MODEL_SIGNATURE_DEFS), "signature def")
