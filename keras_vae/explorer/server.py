"""Runs the explorer's app on a local port with Uvicorn."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from keras_vae.explorer.app import create_app
from keras_vae.explorer.latent_space import LatentSpace


def reserve_port(host: str, port: int = 0) -> int:
    """Returns `port` if it is free on `host`, or a free port when `port` is 0.

    Raises:
        OSError: the port is in use (or the host cannot be bound), with a message that says so.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            what = f"port {port} on {host} is in use" if port else f"cannot listen on {host}"
            raise OSError(
                f"{what} ({error.strerror}); pick another --port, or leave it out for a free one."
            ) from None
        return probe.getsockname()[1]


class ExplorerServer:
    """The explorer served by Uvicorn on `host`:`port`, in this thread (`run`) or in a
    background one (`start`, `stop`: for tests and notebooks)."""

    def __init__(self, space: LatentSpace, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = reserve_port(host, port)
        config = uvicorn.Config(
            create_app(space), host=host, port=self.port, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        """Serves until interrupted (Ctrl-C)."""
        self._server.run()

    def start(self, timeout: float = 30.0) -> ExplorerServer:
        """Serves from a background thread; returns once the port answers."""
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        for _ in range(int(timeout / 0.05)):
            if self._server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError(f"The explorer did not start on {self.url} within {timeout:g} s.")

    def stop(self) -> None:
        """Stops a server that `start` began."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
