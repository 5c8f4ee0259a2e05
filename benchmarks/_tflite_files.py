"""What LiteRT makes of a .tflite file, for the benchmark scripts."""

from __future__ import annotations

__all__ = ["xnnpack_partitions"]


def xnnpack_partitions(path: object) -> int:
    """How many XNNPACK delegate nodes LiteRT made of the file (1: it took the whole graph)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    return sum(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details())  # noqa: SLF001
