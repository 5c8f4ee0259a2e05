"""`Farm`: a device farm's tag as one `DeviceBackend`, over the farm's HTTP API.

``measure`` uploads the model unless the farm already has it (by SHA-256),
submits a job and waits for it; a search therefore runs on a farm exactly as on
a single device (``edgenas.run_search(..., latency=Farm(...))``). `submit` and
`wait` are the same steps apart, for callers that keep many jobs in flight.

While waiting, a farm that stops answering (restarting, say) is retried for
`reconnect_s` seconds: its queue is durable, so the job is still there.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import httpx

from ..backend import DeviceBackend, checked_device_name
from ..errors import DeviceUnavailableError
from ..hashing import sha256_file
from ..latency_result import LatencyResult
from ..settings import ProfileSettings
from .address import FarmAddress
from .errors import (
    FarmAuthError,
    FarmConfigError,
    FarmJobFailedError,
    FarmRequestError,
    FarmServerError,
    FarmTimeoutError,
    FarmUnreachableError,
)
from .job import Job, JobState
from .farm_token import TOKEN_ENV

__all__ = ["Farm"]

_POLL_S = 30.0
_RETRY_PAUSE_S = 0.5


class Farm(DeviceBackend):
    """The devices of one tag on a farm, as a single device.

    Args:
        url: The farm's root (``http://host:port``) or a farm address
            (``farm://host:port/tag``, which also gives the tag).
        tag: The device tag; required unless `url` is a farm address.
        token: The farm's token; None reads ``EDGENAS_FARM_TOKEN``.
        name: This backend's name; defaults to ``farm:<tag>``.
        max_attempts: Attempts per job (each on another device where the tag has several); None: the farm's default.
        reconnect_s: How long a wait tolerates a farm that does not answer.
        request_timeout_s: Limit of one HTTP request (uploads included).

    Raises:
        FarmConfigError: (a `ValueError`) `url` is neither a farm URL nor a farm address, the
            tag is missing or differs from the address's, there is no token, or `max_attempts`
            is not an integer >= 1.
    """

    def __init__(
        self,
        url: str,
        *,
        tag: str | None = None,
        token: str | None = None,
        name: str | None = None,
        max_attempts: int | None = None,
        reconnect_s: float = 60.0,
        request_timeout_s: float = 120.0,
    ) -> None:
        if isinstance(url, str) and url.startswith("farm"):
            address = FarmAddress.parse(url)
            if tag is not None and tag != address.tag:
                raise FarmConfigError(f"tag {tag!r} differs from the tag of {url!r}")
            base_url, tag = address.base_url, address.tag
        else:
            base_url = url
            if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
                raise FarmConfigError(f"a farm URL must be http(s)://host:port or farm://host:port/tag, got {url!r}")
        if not isinstance(tag, str) or not tag:
            raise FarmConfigError("a farm backend needs a device tag (tag=... or farm://host:port/TAG)")
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        if not token:
            raise FarmConfigError(f"no farm token: pass token=... or set {TOKEN_ENV}")
        if max_attempts is not None and (isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1):
            raise FarmConfigError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
        self._base_url = base_url.rstrip("/")
        self._tag = tag
        self._name = checked_device_name(name if name is not None else f"farm:{tag}")
        self._max_attempts = max_attempts
        self._reconnect_s = reconnect_s
        self._timeout_s = request_timeout_s
        try:
            self._http = httpx.Client(
                base_url=self._base_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(request_timeout_s),
            )
        except httpx.InvalidURL as e:  # "http://[::1", "http://h:port"...
            raise FarmConfigError(f"bad farm URL {url!r}: {e}") from None
        self._max_model_bytes: int | None = None

    @property
    def name(self) -> str:
        """``farm:<tag>`` unless named otherwise."""
        return self._name

    @property
    def tag(self) -> str:
        """The device tag jobs go to."""
        return self._tag

    @property
    def url(self) -> str:
        """The farm's HTTP root."""
        return self._base_url

    def close(self) -> None:
        """Closes the HTTP connections."""
        self._http.close()

    def __enter__(self) -> Farm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- DeviceBackend ---------------------------------------------------------------------------

    def measure(
        self, model_path: str | os.PathLike[str], settings: ProfileSettings, *, timeout_s: float = 600.0
    ) -> LatencyResult:
        """Times the model on a device of the tag; see `DeviceBackend.measure`.

        Raises:
            FileNotFoundError: `model_path` does not exist.
            FarmUnreachableError, FarmAuthError, FarmServerError: (`DeviceUnavailableError`s) the farm
                cannot be used.
            FarmRequestError: (a `ValueError`) the farm rejected the model or the request.
            FarmJobFailedError: (a `ProfilerError`) every attempt failed; the message lists them.
            FarmTimeoutError: (a `ProfilerError`) no result within `timeout_s`; the job stays queued.
        """
        path = Path(model_path)
        job = self.submit(path, settings)
        job = self.wait(job.id, timeout_s=timeout_s)
        assert job.result is not None  # wait() returns done jobs only
        return dataclasses.replace(job.result, model_path=os.fspath(path.resolve()))

    def check_health(self, *, timeout_s: float = 30.0) -> None:
        """Checks that the farm answers, knows the token and has a usable device with the tag.

        Raises:
            DeviceUnavailableError: With the reason.
        """
        status = self.status(timeout_s=timeout_s)
        devices = [d for d in status["devices"] if self._tag in d["tags"]]
        if not devices:
            tags = ", ".join(sorted(status["tags"])) or "none"
            raise DeviceUnavailableError(
                f"farm {self._base_url} has no device with tag {self._tag!r}; its tags: {tags}", device=self._name
            )
        if all(d["state"] == "quarantined" for d in devices):
            why = "; ".join(f"{d['name']}: {d['last_error']}" for d in devices)
            raise DeviceUnavailableError(
                f"every device with tag {self._tag!r} on {self._base_url} is quarantined ({why})", device=self._name
            )

    # -- the steps -------------------------------------------------------------------------------

    def status(self, *, timeout_s: float | None = None) -> dict[str, Any]:
        """The farm's ``/v1/status`` document (tags, devices and their states, job counts)."""
        status = self._request("GET", "/v1/status", timeout_s=timeout_s).json()
        self._max_model_bytes = int(status["max_model_bytes"])
        return status

    def upload(self, model_path: str | os.PathLike[str]) -> str:
        """Uploads a model unless the farm has it; returns its SHA-256.

        Raises:
            FileNotFoundError: No such file.
            FarmRequestError: Larger than the farm accepts, or not a model.
        """
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        sha256 = sha256_file(path)
        if self._request("HEAD", f"/v1/models/{sha256}", accept=(200, 404)).status_code == 200:
            return sha256
        if self._max_model_bytes is None:
            self.status()
        size = path.stat().st_size
        if self._max_model_bytes is not None and size > self._max_model_bytes:
            detail = f"{path} is {size} bytes; the farm accepts models up to {self._max_model_bytes} bytes"
            raise FarmRequestError(f"farm {self._base_url} rejected the upload: {detail}", status_code=413, detail=detail)
        with path.open("rb") as f:
            self._request("PUT", f"/v1/models/{sha256}", content=f.read())
        return sha256

    def submit(self, model_path: str | os.PathLike[str], settings: ProfileSettings) -> Job:
        """Uploads the model when needed and queues a job (done at once when the farm has the result)."""
        if not isinstance(settings, ProfileSettings):
            raise ValueError(f"settings must be a ProfileSettings, got {settings!r}")
        sha256 = self.upload(model_path)
        body: dict[str, Any] = {"model_sha256": sha256, "tag": self._tag, "settings": settings.to_json()}
        if self._max_attempts is not None:
            body["max_attempts"] = self._max_attempts
        return Job.from_json(self._request("POST", "/v1/jobs", json=body, accept=(201,)).json())

    def wait(self, job_id: int, *, timeout_s: float = 600.0) -> Job:
        """Waits until the job is done.

        Returns:
            The done job (its `result` set).

        Raises:
            FarmJobFailedError: It failed.
            FarmTimeoutError: Not finished within `timeout_s`.
            FarmUnreachableError: The farm stopped answering for longer than `reconnect_s`.
        """
        deadline = time.monotonic() + timeout_s
        unreachable_since: float | None = None
        while True:
            remaining = deadline - time.monotonic()
            try:
                wait_s = max(0.0, min(_POLL_S, remaining))
                response = self._request(
                    "GET", f"/v1/jobs/{job_id}", params={"wait_s": f"{wait_s:.3f}"}, timeout_s=wait_s + self._timeout_s
                )
            except FarmUnreachableError:
                now = time.monotonic()
                unreachable_since = unreachable_since if unreachable_since is not None else now
                if now - unreachable_since > self._reconnect_s or now > deadline:
                    raise
                time.sleep(_RETRY_PAUSE_S)
                continue
            unreachable_since = None
            job = Job.from_json(response.json())
            if job.state is JobState.DONE:
                return job
            if job.state is JobState.FAILED:
                raise FarmJobFailedError(job)
            if time.monotonic() >= deadline:
                raise FarmTimeoutError(
                    f"farm job {job_id} ({job.state.value}) did not finish within {timeout_s:g} s; "
                    "it stays on the farm", job_id=job_id
                )

    def _request(
        self,
        method: str,
        path: str,
        *,
        accept: tuple[int, ...] = (200, 201),
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        timeout = httpx.Timeout(timeout_s) if timeout_s is not None else httpx.USE_CLIENT_DEFAULT
        try:
            response = self._http.request(method, path, timeout=timeout, **kwargs)
        except httpx.TransportError as e:
            raise FarmUnreachableError(
                f"farm {self._base_url} does not answer ({type(e).__name__}: {e})", device=self._name
            ) from None
        if response.status_code in accept:
            return response
        detail = _detail(response)
        where = f"farm {self._base_url}: {method} {path}"
        if response.status_code == 401:
            raise FarmAuthError(f"{where}: the farm refused the token ({detail})", device=self._name)
        if response.status_code >= 500:
            raise FarmServerError(f"{where}: server error {response.status_code} ({detail})", device=self._name)
        raise FarmRequestError(f"{where}: {detail}", status_code=response.status_code, detail=detail)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    if detail:
        return str(detail)
    return f"HTTP {response.status_code}"
