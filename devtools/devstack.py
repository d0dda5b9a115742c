"""Runs the real action server and Rasa server (trained model, custom NLG, REST
channel with numbered menus) on free local ports: used by the integration tests and
the latency benchmark. Development tooling; the bot never imports it."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The bot's environment: this one, unless BOT_VENV says where (the api's tests run the
# real Rasa from the api's own environment).
BIN = Path(os.environ["BOT_VENV"]).resolve() / "bin" if os.environ.get("BOT_VENV") else Path(sys.executable).parent
MODEL = Path(os.environ.get("MODELS_DIR", ROOT / "models")) / "family-guide.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {seconds}s:\n{log.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen | None) -> None:
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


class Stack:
    @classmethod
    @contextlib.contextmanager
    def running(cls, tmp: Path, env: dict[str, str] | None = None) -> Iterator[Stack]:
        """The action server and Rasa, started and stopped around a block (test sessions)."""
        if not MODEL.exists():
            raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
        stack = cls(tmp, env)
        try:
            stack.start_actions()
            stack.start_rasa()
            yield stack
        finally:
            stack.stop()

    def __init__(self, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.tmp = tmp
        self.rasa_port, self.actions_port = free_port(), free_port()
        self.env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                    **(env or {})}
        self.actions: subprocess.Popen | None = None
        self.rasa: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def _spawn(self, name: str, command: list[str], health_url: str, seconds: float) -> subprocess.Popen:
        """Starts a program of the bot's environment (bin/<command>) with its output in
        <tmp>/<name>.log and waits until it answers."""
        log = self.tmp / f"{name}.log"
        process = subprocess.Popen(
            [str(BIN / command[0]), *command[1:]], cwd=ROOT, env=self.env, stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until_up(health_url, process, log, seconds)
        return process

    def start_actions(self) -> None:
        self.actions = self._spawn(
            # On 127.0.0.1 only (the launcher's default): the action server has no authentication.
            "actions",
            ["python", "-m", "bot.rasa.action_server", "--actions", "actions", "--interface", "127.0.0.1",
             "--port", str(self.actions_port)],
            f"http://127.0.0.1:{self.actions_port}/health", 120,
        )

    def stop_actions(self) -> None:
        stop_process(self.actions)

    def start_rasa(self) -> None:
        endpoints = self.tmp / "endpoints.yml"
        endpoints.write_text(
            (ROOT / "endpoints.yml").read_text()
            .replace("127.0.0.1:5055", f"127.0.0.1:{self.actions_port}")
            .replace("db: var/tracker.db", f"db: {self.tmp / 'tracker.db'}")
        )
        self.rasa = self._spawn(
            "rasa",
            ["rasa", "run", "--model", str(MODEL), "--interface", "127.0.0.1", "--port", str(self.rasa_port),
             "--credentials", "credentials.yml", "--endpoints", str(endpoints)],
            f"{self.url}/webhooks/rest/", 300,
        )

    def restart_rasa(self) -> None:
        """Stops and starts the Rasa server; conversations live in the tracker store."""
        stop_process(self.rasa)
        self.start_rasa()

    def stop(self) -> None:
        stop_process(self.rasa)
        stop_process(self.actions)

    def post(self, body: Any, raw: bytes | None = None) -> tuple:
        data = raw if raw is not None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read().decode("utf-8") or "null")

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        status, messages = self.post({"sender": sender, "message": text})
        assert status == 200, messages
        return messages


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def buttons(messages: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons") or []]
