"""Tests of the farm's HTTP API (devices/farm/service.py, server.py, client.py) on loopback, with real devices.

Every farm here serves real `LocalDevice`s that run the real profiler on real
ONNX files; requests go over TCP through uvicorn.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path

import httpx
import pytest

from devices import DeviceUnavailableError, ProfileSettings
from devices.farm.client import Farm
from devices.farm.errors import FarmAuthError, FarmRequestError, FarmUnreachableError
from devices.farm.service import FarmService

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
            ({"model_sha256": sha256, "tag": "cpu", "settings": {"runs": 1}}, 422, "settings.runs must be an integer from 2 to 100000, got 1"),
            ({"model_sha256": sha256, "tag": "cpu", "settings": {"speed": 1}}, 422, "unknown profile settings"),
            ({"model_sha256": "f" * 64, "tag": "cpu", "settings": {}}, 404, "upload it first"),
            ({"model_sha256": "xyz", "tag": "cpu"}, 422, "64 lowercase hex digits"),
            ({"model_sha256": sha256, "tag": "cpu", "priority": 1}, 422, "unknown job field(s) priority"),
            ({"model_sha256": sha256, "tag": "cpu", "max_attempts": 0}, 422, "max_attempts must be an integer from 1 to 100"),
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
            json={"model_sha256": sha256, "tag": "cpu", "settings": {"warmup": 2, "stability_criterion": "cv"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201
        job = farm.wait(response.json()["id"], timeout_s=60)
        assert (job.settings.runs, job.settings.warmup, job.settings.stability_criterion) == (7, 2, "cv")
        assert (job.result.runs, job.result.warmup_runs, job.result.stability_criterion) == (7, 2, "cv")


def _malformed_jobs(sha256: str) -> list[tuple[str, dict[str, object]]]:
    """``(field, body)``: jobs with one field of a wrong type, out of bounds or absurdly long."""
    good: dict[str, object] = {"model_sha256": sha256, "tag": "cpu", "settings": {"runs": 5}}
    huge = "x" * 1_000_000
    cases: list[tuple[str, dict[str, object]]] = []
    for value in (["cpu"], {"a": 1}, 1, None, True, "", huge):
        cases.append(("tag", {**good, "tag": value}))
    for value in ([sha256], {"a": sha256}, 5, None, False, "f" * 1_000_000):
        cases.append(("model_sha256", {**good, "model_sha256": value}))
    for value in ([], [1, 2], "fast", 1, True, None):
        cases.append(("settings", {**good, "settings": value}))
    for value in ("5", 5.5, True, None, [5], {"n": 5}, 10**12, 10**30):
        cases.append(("settings.runs", {**good, "settings": {"runs": value}}))
    for field, value in (
        ("threads", 10**12), ("threads", "4"), ("warmup", 10**12), ("warmup", -1), ("seed", "0"), ("seed", 10**30),
        ("max_attempts", 10**12), ("cv_threshold", "0.05"), ("cv_threshold", False), ("cv_threshold", [0.1]),
        ("runtime", ["onnxruntime"]), ("runtime", 7), ("runtime", huge),
        ("stability_criterion", "mad"), ("stability_criterion", None), ("stability_criterion", 0.05),
        ("stability_criterion", ["cv"]), ("stability_criterion", huge),
    ):  # fmt: skip
        cases.append((f"settings.{field}", {**good, "settings": {field: value}}))
    for value in ("3", 2.5, True, None, [3], 10**12, 10**30):
        cases.append(("max_attempts", {**good, "max_attempts": value}))
    return cases


def test_a_malformed_job_is_a_422_that_names_the_field_and_echoes_little(
    run_farm, local_device, tiny_onnx_models, token
) -> None:
    (model,) = tiny_onnx_models(1)
    with run_farm([local_device("cpu-1")]) as (server, farm):
        sha256 = farm.upload(model)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=auth, timeout=30) as http:
            for field, body in _malformed_jobs(sha256):
                response = http.post("/v1/jobs", json=body)
                case = f"{field}={str(body.get(field.split('.')[0]))[:60]}"
                assert response.status_code == 422, (case, response.status_code, response.text[:300])
                detail = response.json()["detail"]
                assert isinstance(detail, str) and detail.startswith(f"{field} "), (case, detail)
                assert len(detail) <= 300, (case, len(detail))
            huge = http.post("/v1/jobs", json={"model_sha256": sha256, "tag": "x" * 1_000_000}).json()["detail"]
            assert huge.startswith("tag ") and "1000000" in huge and "…" in huge and len(huge) <= 300, huge
            # Bodies that are not a job at all.
            nested = "[" * 100_000 + "]" * 100_000
            for content in (b"[]", b'"job"', b"null", b"{", b"\xff\xfe", nested.encode(), b"1" * 5000):
                response = http.post("/v1/jobs", content=content, headers={"Content-Type": "application/json"})
                assert response.status_code == 422, (content[:20], response.text[:300])
                assert response.json()["detail"].startswith("the job must be a JSON object"), response.text[:300]
            too_big = http.post("/v1/jobs", content=b" " * (3 << 20), headers={"Content-Type": "application/json"})
            assert too_big.status_code == 413 and len(too_big.json()["detail"]) <= 300, too_big.text[:300]
            # Query and path parameters: one line naming the parameter, never a 500.
            for path, status_code, start in (
                ("/v1/jobs/1?wait_s=soon", 422, "wait_s "),
                (f"/v1/jobs/1?wait_s={'9' * 5000}", 422, "wait_s "),
                ("/v1/jobs/first", 422, "job_id "),
                (f"/v1/jobs/{10**30}", 404, "no farm job"),
            ):
                response = http.get(path)
                detail = response.json()["detail"]
                assert (response.status_code, isinstance(detail, str)) == (status_code, True), (path, response.text)
                assert detail.startswith(start) and len(detail) <= 300, (path, detail)
            assert http.get("/v1/status").json()["jobs"] == {"queued": 0, "running": 0, "done": 0, "failed": 0}
        # The farm still works.
        assert farm.measure(model, FAST).artifact_sha256 == sha256


def test_a_second_farm_on_a_served_state_folder_is_refused_and_changes_nothing(
    run_farm, local_device, make_python, tiny_onnx_models, tmp_path, wait_for, token
) -> None:
    (model,) = tiny_onnx_models(1)
    go = tmp_path / "go"
    gated = make_python("gated-python", on_measure=f'while [ ! -e "{go}" ]; do sleep 0.05; done')
    with run_farm([local_device("cpu-1", python=gated)]) as (server, farm):
        service = server.service
        try:
            job = farm.submit(model, FAST)
            wait_for(lambda: farm.status()["jobs"]["running"] == 1, what="the job to run")
            in_use = f"farm state in {service.state_dir} is in use by PID {os.getpid()}"
            with pytest.raises(OSError, match=f"^{re.escape(in_use)}$"):
                FarmService(service.inventory, state_dir=service.state_dir, devices=[local_device("cpu-2")])
            row = httpx.get(f"{server.url}/v1/jobs/{job.id}", headers={"Authorization": f"Bearer {token}"}).json()
            assert (row["state"], row["device"], row["attempts"]) == ("running", "cpu-1", 1)
        finally:
            go.touch()  # never leave the farm's worker held at the gate
        done = farm.wait(job.id, timeout_s=60)
        assert (done.state.value, done.attempts, done.errors) == ("done", 1, ())
    # Stopping the farm frees its state folder.
    again = FarmService(service.inventory, state_dir=service.state_dir, devices=[local_device("cpu-2")])
    try:
        assert again.jobs.counts()["done"] == 1 and again.jobs.recovered == 0
    finally:
        again.stop()
