"""Running a farm: `serve` (the ``edgenas farm serve`` command) and `FarmServer` (in a thread).

Both serve `service.create_app` with uvicorn (see `farm_token` for the token).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from .service import FarmService, create_app

__all__ = ["FarmServer", "serve"]

_BACKLOG = 2048  # uvicorn's default


def _config(service: FarmService, token: str, *, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(service, token=token), log_level=log_level, access_log=False, timeout_graceful_shutdown=5
    )


def serve(
    service: FarmService,
    *,
    token: str,
    host: str = "127.0.0.1",
    port: int = 8470,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serves the farm in this thread until SIGINT/SIGTERM (jobs in the queue survive a restart).

    The port is bound (and listening) before `on_listening` is told, so a
    farm never announces an address it does not hold.

    Args:
        service: The farm (its state folder locked, its queue open); started and stopped with serving.
        token: Its bearer token.
        host: Interface to listen on.
        port: TCP port.
        on_listening: Called with ``http://host:port`` once the port is bound.

    Raises:
        OSError: The port cannot be bound ("cannot listen on HOST:PORT: ..."); the farm was not started.
    """
    sock = _listen(host, port)
    try:
        if on_listening is not None:
            on_listening(_url(sock))
        uvicorn.Server(_config(service, token, log_level="info")).run(sockets=[sock])
    finally:
        sock.close()


def _listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound and listening, whose connections send at once (``TCP_NODELAY``).

    Without it a small JSON answer waits ~40 ms for the client's delayed ACK
    (Nagle), which would be most of the farm's overhead per job on loopback.
    It listens at once, so that a client that connects before uvicorn runs
    waits in the backlog instead of being refused.

    Raises:
        OSError: ``cannot listen on HOST:PORT: <reason>`` (port taken, unknown host...).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets on Linux
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError as e:
        sock.close()
        reason = e.strerror or str(e)
        raise OSError(f"cannot listen on {host}:{port}: {reason[:1].lower()}{reason[1:]}") from e
    return sock


def _url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class FarmServer:
    """A farm served on 127.0.0.1 by uvicorn in a background thread (for tests, benchmarks, notebooks).

    ``with FarmServer(service, token=t) as server: Farm(server.url, ...)``.

    Args:
        service: The farm (started and stopped with the server).
        token: Its bearer token.
        host: Interface to listen on.
        port: TCP port; 0 picks a free one.
    """

    def __init__(self, service: FarmService, *, token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.service = service
        self._server = uvicorn.Server(_config(service, token, log_level="warning"))
        self._socket = _listen(host, port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the farm."""
        return _url(self._socket)

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Starts serving; returns once the farm accepts requests."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="farm-http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the farm's HTTP server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stops serving and stops the farm."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(60)
        self._socket.close()

    def __enter__(self) -> FarmServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
