"""`connectors worker` in a process of its own, pointed at the tests' database and Redis.

On SQLite it opens the same file, on PostgreSQL the same database; Redis is the embedded one
the tests started (its unix socket) or the one CONNECTORS_REDIS_URL names. The worker loads
tests/workers/hooks.py (see there) through CONNECTORS_WORKER_TEST_HOOK.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from models.settings import Settings
from workers.main import TEST_HOOK_ENV
from workers.runtime import resolve_redis

ROOT = Path(__file__).resolve().parents[2]
CONNECTORS = Path(sys.executable).parent / "connectors"
STOP_SECONDS = 10


def worker_env(settings: Settings) -> dict[str, str]:
    redis_url, _ = resolve_redis(settings)  # the embedded one is already up: just its URL
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTORS_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CONNECTORS_DATA_DIR=str(settings.data_dir),
        CONNECTORS_DATABASE_URL=settings.resolved_database_url,
        CONNECTORS_REDIS_URL=redis_url,
        CONNECTORS_JWT_SECRET=settings.resolved_jwt_secret,
        CONNECTORS_ENCRYPTION_KEYS=",".join(settings.encryption_key_list),
        CONNECTORS_PUBLIC_URL=settings.public_url,
        CONNECTORS_ALLOW_PRIVATE_HOSTS="true",
        CONNECTORS_LOG_FORMAT="console",
        **{TEST_HOOK_ENV: "tests.workers.hooks"},
    )
    for key, overrides in settings.connectors.items():
        for name, value in overrides.model_dump(exclude_none=True).items():
            env[f"CONNECTORS_CONNECTORS__{key}__{name.upper()}"] = str(value)
    return env


class WorkerProcess:
    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(CONNECTORS), "worker"],
            cwd=ROOT,
            env=worker_env(settings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a node dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_worker(settings: Settings, log_path: Path) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(settings, log_path)
    try:
        yield worker
    finally:
        worker.stop()
