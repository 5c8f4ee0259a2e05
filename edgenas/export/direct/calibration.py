"""`calibrate_ranges`: the (min, max) of every activation of a graph on seeded images, through LiteRT.

The graph's fp32 file runs in LiteRT's interpreter with its builtin kernels and
every intermediate tensor kept (`experimental_preserve_all_tensors`), one image
at a time; the ranges are those the converter's calibration would record for
the same weights. Images are the export's: `count` seeded uniform images in
[-1, 1) (`edgenas.export.calibration.calibration_images` draws the same ones).

No TensorFlow: numpy and `ai_edge_litert`.
"""

from __future__ import annotations

import numpy as np

from edgenas.graphs.graph import Graph, TensorRole

__all__ = ["calibrate_ranges", "seeded_images"]


def seeded_images(*, input_shape: tuple[int, ...], count: int, seed: int) -> np.ndarray:
    """`count` seeded images in [-1, 1), float32 (the same draw as the converter path's calibration images)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(count, *input_shape)).astype(np.float32)


def calibrate_ranges(graph: Graph, fp32_file: bytes, images: np.ndarray) -> dict[int, tuple[float, float]]:
    """The (min, max) of each activation tensor of `graph` over `images`, by tensor index.

    Args:
        graph: The graph; `fp32_file` must be its fp32 file (tensor i of the file is tensor i of the graph).
        fp32_file: `graph_to_tflite(graph)`.
        images: (N, H, W, C) float32 images.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: PLC0415 - imports on use

    interpreter = Interpreter(
        model_content=fp32_file,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
        num_threads=1,
    )
    interpreter.allocate_tensors()
    activations = [i for i, t in enumerate(graph.tensors) if t.role is TensorRole.ACTIVATION]
    low = {i: np.inf for i in activations}
    high = {i: -np.inf for i in activations}
    input_index = graph.inputs[0]
    for image in images:
        interpreter.set_tensor(input_index, image[np.newaxis].astype(np.float32))
        interpreter.invoke()
        for i in activations:
            values = interpreter.get_tensor(i)
            low[i] = min(low[i], float(values.min()))
            high[i] = max(high[i], float(values.max()))
    return {i: (low[i], high[i]) for i in activations}
