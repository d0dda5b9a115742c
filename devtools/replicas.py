"""Several real Rasa processes sharing conversations, as a district runs them: a
throwaway PostgreSQL cluster for Rasa's SQL tracker store, a private redis-server for the
Redis lock store, one action server, and N Rasa servers on free loopback ports, all with
the trained model. For the replica and fault tests (tests/replicas) and benchmarks.
Development tooling; nothing that ships imports it."""
from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devtools.devstack import MODEL, ROOT, Stack, free_port, stop_process
from devtools.postgres import server_binary, throwaway_cluster


@contextlib.contextmanager
def redis_server(tmp: Path) -> Iterator[tuple[int, str]]:
    """A private redis-server (Debian's) on a free loopback port: (port, password)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: run `make setup-test-system` (Debian's redis-server)")
    port, password = free_port(), secrets.token_hex(16)
    log = tmp / "redis.log"
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--requirepass", password,
                                "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                               stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield port, password
    finally:
        stop_process(process)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited early:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"port {port} did not open in {seconds}s")


class Replicas(Stack):
    """One action server and `count` Rasa servers on one tracker store and one lock store."""

    @classmethod
    @contextlib.contextmanager
    def running(cls, tmp: Path, env: dict[str, str] | None = None, count: int = 2) -> Iterator[Replicas]:
        if not MODEL.exists():
            raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
        with throwaway_cluster() as server_url, redis_server(tmp) as (redis_port, redis_password):
            port = int(server_url.rsplit(":", 1)[1].split("/")[0])
            subprocess.run([server_binary("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "fga",
                            "rasa"], check=True, capture_output=True)
            stack = cls(tmp, env, count, port, redis_port, redis_password)
            try:
                stack.start_actions()
                for index in range(count):
                    stack.start_replica(index)
                yield stack
            finally:
                stack.stop()

    def __init__(self, tmp: Path, env: dict[str, str] | None, count: int, postgres_port: int, redis_port: int,
                 redis_password: str) -> None:
        super().__init__(tmp, env)
        self.postgres_port, self.redis_port, self.redis_password = postgres_port, redis_port, redis_password
        self.ports = [free_port() for _ in range(count)]
        self.processes: list[subprocess.Popen | None] = [None] * count

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @property
    def tracker_store_url(self) -> str:
        return f"postgresql://fga@127.0.0.1:{self.postgres_port}/rasa"

    def endpoints(self) -> Path:
        path = self.tmp / "endpoints.replicas.yml"
        path.write_text(json.dumps({
            "action_endpoint": {"url": f"http://127.0.0.1:{self.actions_port}/webhook"},
            "nlg": {"type": "bot.rasa.nlg.CatalogNLG"},
            "tracker_store": {"type": "bot.rasa.tracker_store.TurnEndSQLTrackerStore", "dialect": "postgresql",
                              "url": "127.0.0.1", "port": self.postgres_port, "db": "rasa", "username": "fga"},
            "lock_store": {"type": "bot.rasa.lock_store.SharedRedisLockStore", "url": "127.0.0.1",
                           "port": self.redis_port,
                           "password": self.redis_password, "db": 1},
        }))  # JSON is YAML
        return path

    def start_replica(self, index: int) -> None:
        url = self.urls[index]
        self.processes[index] = self._spawn(
            f"rasa-{index}",
            ["rasa", "run", "--model", str(MODEL), "--interface", "127.0.0.1", "--port", str(self.ports[index]),
             "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(self.endpoints())],
            f"{url}/webhooks/rest/", 300,
        )

    def kill_replica(self, index: int) -> None:
        """Stops a replica the hard way (SIGKILL), as a crashed process or node would."""
        process = self.processes[index]
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(30)

    def stop(self) -> None:
        for process in self.processes:
            stop_process(process)
        super().stop()

    def say_to(self, index: int, sender: str, text: str) -> list[dict[str, Any]]:
        request = urllib.request.Request(f"{self.urls[index]}/webhooks/rest/webhook",
                                         data=json.dumps({"sender": sender, "message": text}).encode("utf-8"),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read().decode("utf-8"))

