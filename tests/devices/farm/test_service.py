"""Tests of the farm's HTTP API (devices/farm/service.py, server.py, client.py) on loopback, with real devices.

Every farm here serves real `LocalDevice`s that run the real profiler on real
ONNX files; requests go over TCP through uvicorn.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import httpx
import pytest

from devices import DeviceUnavailableError, ProfileSettings
from devices.farm.client import Farm
from devices.farm.errors import FarmAuthError, FarmRequestError, FarmUnreachableError

FAST = ProfileSettings(runs=5, warmup=1, max_attempts=1)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_model_is_measured_on_the_farm_and_never_twice(run_farm, local_device, tiny_onnx_models) -> None:
    (model,) = tiny_onnx_models(1)
    with run_farm([local_device("cpu-1")]) as (server, farm):
        farm.check_health()
        result = farm.measure(model, FAST)
        assert result.artifact_sha256 == _sha256(model)
        assert result.runtime == "onnxruntime" and result.runs == 5 and result.latency_ms > 0
        assert result.model_path == str(model.resolve())  # the caller's file, not the farm's copy
        again = farm.measure(model, FAST)
        assert again.latency_ms == result.latency_ms and again.measured_at == result.measured_at
        status = farm.status()
        assert status["jobs"]["done"] == 2
        assert status["devices"][0]["jobs_done"] == 1  # the second answer came from the cache
        assert len(list((server.service.state_dir / "models").iterdir())) == 1


def test_devices_with_one_tag_serve_one_queue_in_parallel(run_farm, local_device, tiny_onnx_models, token) -> None:
    models = tiny_onnx_models(6)
    devices = [local_device("cpu-1"), local_device("cpu-2", ("cpu", "big"))]
    with run_farm(devices) as (server, farm):
        jobs = [farm.submit(m, FAST) for m in models]
        results = [farm.wait(j.id, timeout_s=120).result for j in jobs]
        assert [r.artifact_sha256 for r in results] == [_sha256(m) for m in models]
        done = {d["name"]: d["jobs_done"] for d in farm.status()["devices"]}
        assert sum(done.values()) == 6 and min(done.values()) >= 1, done
        # The tag only cpu-2 serves.
        with Farm(server.url, tag="big", token=token) as big:
            assert big.measure(models[0], ProfileSettings(runs=6, warmup=1)).artifact_sha256 == _sha256(models[0])
        assert {d["name"]: d["jobs_done"] for d in farm.status()["devices"]}["cpu-2"] == done["cpu-2"] + 1


def test_a_wrong_or_missing_token_is_refused_with_401(run_farm, local_device) -> None:
    with run_farm([local_device("cpu-1")]) as (server, _):
        bad = Farm(server.url, tag="cpu", token="not-the-token")
        with pytest.raises(FarmAuthError, match="refused the token") as raised:
            bad.check_health()
        assert isinstance(raised.value, DeviceUnavailableError)  # a search refuses it before any trial
        for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "Basic dGVzdA=="}):
            response = httpx.get(f"{server.url}/v1/status", headers=headers)
            assert response.status_code == 401
            assert response.json() == {"detail": "missing or wrong farm token"}


def test_an_oversized_upload_is_refused_with_413_and_leaves_nothing(run_farm, local_device, tiny_onnx_models, token):
    (model,) = tiny_onnx_models(1)
    size = model.stat().st_size
    with run_farm([local_device("cpu-1")], max_model_bytes=size - 1) as (server, farm):
        with pytest.raises(FarmRequestError, match=f"up to {size - 1} bytes") as raised:
            farm.measure(model, FAST)
        assert raised.value.status_code == 413
        url = f"{server.url}/v1/models/{_sha256(model)}"
        auth = {"Authorization": f"Bearer {token}"}
        # The server checks too: a declared length, and a chunked stream with no length.
        declared = httpx.put(url, content=model.read_bytes(), headers=auth)
        assert declared.status_code == 413 and "larger than the farm's limit" in declared.json()["detail"]
        chunks = iter([model.read_bytes()[:100], model.read_bytes()[100:]])
        streamed = httpx.put(url, content=chunks, headers=auth)
        assert streamed.status_code == 413 and "larger than the farm's limit" in streamed.json()["detail"]
        assert list((server.service.state_dir / "models").iterdir()) == []


def test_an_upload_that_is_not_a_model_is_refused_with_422(run_farm, local_device, tmp_path, token) -> None:
    text = tmp_path / "model.tflite"
    text.write_text("this is a text file, not a model\n" * 20)
    with run_farm([local_device("cpu-1")]) as (server, farm):
        with pytest.raises(FarmRequestError, match="not a model") as raised:
            farm.measure(text, FAST)
        assert raised.value.status_code == 422
        assert isinstance(raised.value, ValueError)
        # Bytes that do not hash to the announced SHA-256.
        response = httpx.put(
            f"{server.url}/v1/models/{'0' * 64}", content=b"\x00" * 64, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 422 and "hash mismatch" in response.json()["detail"]
        assert list((server.service.state_dir / "models").iterdir()) == []
        assert farm.status()["jobs"] == {"queued": 0, "running": 0, "done": 0, "failed": 0}


def test_bad_job_requests_get_a_clear_4xx(run_farm, local_device, tiny_onnx_models, token) -> None:
    (model,) = tiny_onnx_models(1)
    with run_farm([local_device("cpu-1")]) as (server, farm):
        sha256 = farm.upload(model)
        auth = {"Authorization": f"Bearer {token}"}
        cases = [
            ({"model_sha256": sha256, "tag": "gpu", "settings": {}}, 422, "no device serves tag 'gpu'; tags: cpu"),
            ({"model_sha256": sha256, "tag": "cpu", "settings": {"runs": 1}}, 422, "runs must be an integer >= 2"),
            ({"model_sha256": sha256, "tag": "cpu", "settings": {"speed": 1}}, 422, "unknown profile settings"),
            ({"model_sha256": "f" * 64, "tag": "cpu", "settings": {}}, 404, "upload it first"),
            ({"model_sha256": "xyz", "tag": "cpu"}, 422, "64 lowercase hex digits"),
            ({"model_sha256": sha256, "tag": "cpu", "priority": 1}, 422, "unknown job field(s) priority"),
            ({"model_sha256": sha256, "tag": "cpu", "max_attempts": 0}, 422, "max_attempts must be an integer >= 1"),
        ]
        for body, status_code, detail in cases:
            response = httpx.post(f"{server.url}/v1/jobs", json=body, headers=auth)
            assert (response.status_code, detail in response.json()["detail"]) == (status_code, True), response.text
        assert httpx.get(f"{server.url}/v1/jobs/12345", headers=auth).status_code == 404
        assert httpx.get(f"{server.url}/v1/jobs/1?wait_s=3600", headers=auth).status_code == 422
        assert farm.status()["jobs"]["queued"] == 0


def test_a_waiting_client_is_answered_as_soon_as_the_job_finishes(
    run_farm, local_device, make_python, tiny_onnx_models, tmp_path
) -> None:
    (model,) = tiny_onnx_models(1)
    gate = tmp_path / "go"
    slow = make_python("slow-python", on_measure=f'while [ ! -e "{gate}" ]; do sleep 0.05; done')
    with run_farm([local_device("cpu-1", python=slow)]) as (_, farm):
        job = farm.submit(model, FAST)
        answered: list[object] = []
        waiter = threading.Thread(target=lambda: answered.append(farm.wait(job.id, timeout_s=60)))
        waiter.start()
        waiter.join(1.0)
        assert waiter.is_alive() and not answered  # the job is held at the gate
        gate.touch()
        waiter.join(30)
        assert answered and answered[0].state.value == "done"


def test_a_farm_that_is_not_there_is_unavailable(tiny_onnx_models) -> None:
    farm = Farm("farm://127.0.0.1:9/cpu", token="t", reconnect_s=0.2)
    with pytest.raises(FarmUnreachableError, match="does not answer"):
        farm.check_health()
    with pytest.raises(DeviceUnavailableError):
        farm.measure(tiny_onnx_models(1)[0], FAST)


def test_a_tag_with_no_usable_device_fails_the_health_check(run_farm, local_device, make_python, token) -> None:
    broken = make_python("broken-python", on_check="  echo 'error: no runtime here' >&2; exit 2")
    with run_farm([local_device("cpu-1", python=broken)], health_interval_s=60) as (server, farm):
        with pytest.raises(DeviceUnavailableError, match="every device with tag 'cpu' .* is quarantined"):
            for _ in range(100):  # until the startup health check has run
                farm.check_health()
                threading.Event().wait(0.05)
        with Farm(server.url, tag="gpu", token=token) as gpu:
            with pytest.raises(DeviceUnavailableError, match="no device with tag 'gpu'; its tags: cpu"):
                gpu.check_health()


def test_settings_a_job_leaves_out_come_from_the_inventory(run_farm, local_device, tiny_onnx_models, token) -> None:
    (model,) = tiny_onnx_models(1)
    with run_farm([local_device("cpu-1")], settings=ProfileSettings(runs=7)) as (server, farm):
        sha256 = farm.upload(model)
        response = httpx.post(
            f"{server.url}/v1/jobs",
            json={"model_sha256": sha256, "tag": "cpu", "settings": {"warmup": 2}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201
        job = farm.wait(response.json()["id"], timeout_s=60)
        assert (job.settings.runs, job.settings.warmup) == (7, 2)
        assert (job.result.runs, job.result.warmup_runs) == (7, 2)
