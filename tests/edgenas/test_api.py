"""The public Python API as the README and issue show it, end to end."""

import subprocess
import sys

import edgenas


def test_import_is_light():
    code = "import sys, edgenas; edgenas.spaces.get('mnasnet').sample(2); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_readme_flow(tmp_path):
    space = edgenas.spaces.get("mnasnet")
    a1 = edgenas.spaces.get("mnasnet", reference="mnasnet_a1").reference("mnasnet_a1")
    assert edgenas.ArchSpec.parse(str(a1)) == a1
    specs = space.sample(n=5, seed=0)
    assert specs == space.sample(n=5, seed=0) and len(set(specs)) == 5
    model = edgenas.build_keras(a1, input_shape=(96, 96, 3), num_classes=10)
    assert model.count_params() == edgenas.estimate_cost(a1, input_shape=(96, 96, 3), num_classes=10).params
    art = edgenas.export_spec(
        a1, formats=("tflite", "onnx"), precision="fp32", out_dir=tmp_path, input_shape=(96, 96, 3), num_classes=10
    )
    res = edgenas.profile(art.tflite_path, runtime="litert", threads=1, runs=10, warmup=2)
    assert res.latency_ms > 0 and res.p90_ms >= res.latency_ms and res.cv >= 0
    assert res.stability_criterion == "robust_cv" and res.robust_cv >= 0 and res.mad_ms >= 0
    assert res.artifact_sha256 == art.get("tflite").sha256
    onnx_res = edgenas.profile(art.onnx_path, threads=1, runs=10, warmup=2, stability_criterion="cv")
    assert onnx_res.runtime == "onnxruntime" and onnx_res.artifact_sha256 == art.get("onnx").sha256
    assert onnx_res.stability_criterion == "cv" and onnx_res.stable == (onnx_res.cv <= onnx_res.cv_threshold)


def test_the_device_side_and_the_farm_client_are_reachable_from_edgenas():
    import devices
    from devices.farm import Farm

    assert edgenas.devices.Farm is Farm
    assert edgenas.devices.LocalDevice is devices.LocalDevice
    code = "import sys, edgenas; edgenas.devices.Farm; print('tensorflow' in sys.modules, 'fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]  # the client needs neither TensorFlow nor the server's stack
