"""Open-loop load through the signed Twilio webhook, beside a plain `rasa init` bot in the
same run. Run after `make train`, with the api's environment: make benchmark-load.

The project runs as a district runs it (devtools/replicas.py): a throwaway PostgreSQL
cluster (the api's database and Rasa's SQL tracker store), a private redis-server (the
shared Redis lock store), one action server, --replicas Rasa servers, the Twilio stand-in
(late replies go there by REST) and --api-workers api processes (uvicorn), all on
loopback. Plain Rasa is `rasa init`'s own bot (trained once, cached) on its REST channel
with its defaults, sent the same messages.

At each rate, messages arrive at fixed times (open loop: a slow server does not slow the
arrivals); each goes to a parent whose previous message has been answered, or to a new
parent, so every conversation is a journey in order. Latency is counted from the
message's planned time. Printed per rate: achieved replies a second, p50/p95/p99, errors
(no answer, or an HTTP error), deferred replies (the webhook answered empty after the
budget and the reply went by REST) and each process's memory (RSS, and its peak)."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
from cryptography.fernet import Fernet
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script
from devtools.devstack import BIN, free_port, stop_process, wait_until_up  # noqa: E402
from devtools.postgres import fresh_database  # noqa: E402
from devtools.replicas import Replicas  # noqa: E402
from devtools.sms_console import inbound_form, parse_twiml  # noqa: E402

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "load-benchmark-auth-token-0123456789"
FROM_NUMBER = "+15005550006"
PUBLIC_BASE_URL = "https://families.example.org"
WEBHOOK = "/webhooks/twilio/sms"
REQUEST_TIMEOUT = 30.0
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "family-guide-assistant"

# A parent's journey by SMS, typed as parents type: a greeting, the language, numbered and
# free-text answers, the plan, next steps, a question out of the journey.
JOURNEY = [
    "hi", "1", "my son keeps missing school", "1", "3rd grade", "1 3", "breed street elementary",
    "more questions", "next steps", "1", "the meeting is next tuesday at 3", "invite other parents",
    "show my plan", "help", "asdkjh qwe",
]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# --- processes and their memory ----------------------------------------------------------

def tree_pids(pid: int) -> list[int]:
    """The process and its descendants (uvicorn workers, Sanic's), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS now, peak RSS) in MB, summed over the process tree."""
    now = peak = 0.0
    for member in tree_pids(pid):
        with contextlib.suppress(OSError):
            fields = dict(line.split(":", 1) for line in (Path("/proc") / str(member) / "status").read_text()
                          .splitlines() if ":" in line)
            now += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
            peak += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
    return now, peak


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process tree so far, the children that ended
    included: each live member's own time and that of the children it waited for
    (cutime, cstime), so a PostgreSQL backend that exits moves its time to the
    postmaster's count instead of taking it out of the total."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in tree_pids(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (Path("/proc") / str(member) / "stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
    return total


def postmaster_pid(port: int) -> int | None:
    """The PostgreSQL server started with `-p port` (its backends are its children)."""
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
            if argv and argv[0].endswith(b"/postgres") and b"-p" in argv and str(port).encode() in argv:
                return int(entry.name)
    return None


@dataclass
class Target:
    """Something to load: where to send a parent's message, and the processes behind it."""

    name: str
    processes: dict[str, int]
    send: object = None  # async (client, sender, text) -> (ok, deferred)
    # For tests of what the load did: Rasa's tracker store, the api's contact secret, the stand-in.
    details: dict[str, str] = field(default_factory=dict)

    def memory(self) -> str:
        parts = []
        for label, pid in self.processes.items():
            now, peak = memory_mb(pid)
            parts.append(f"{label} {now:.0f} MB (peak {peak:.0f})")
        return ", ".join(parts)

    def cpu(self) -> dict[str, float]:
        return {label: cpu_seconds(pid) for label, pid in self.processes.items()}


# --- plain `rasa init` ---------------------------------------------------------------------

def plain_rasa_model() -> Path:
    """`rasa init`'s bot, trained once and cached (its project folder)."""
    project = CACHE / "baseline-rasa-init"
    if not list((project / "models").glob("*.tar.gz")):
        project.mkdir(parents=True, exist_ok=True)
        print(f"Training plain `rasa init` once (cached in {project}) ...", flush=True)
        subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)], check=True,
                       capture_output=True, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    return project


@contextlib.contextmanager
def plain_rasa(tmp: Path) -> Iterator[Target]:
    project = plain_rasa_model()
    port = free_port()
    log = tmp / "plain-rasa.log"
    process = subprocess.Popen([str(BIN / "rasa"), "run", "--interface", "127.0.0.1", "--port", str(port)],
                               cwd=project, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                               env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    try:
        wait_until_up(f"http://127.0.0.1:{port}/webhooks/rest/", process, log, 300)
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"

        async def send(client: httpx.AsyncClient, sender: str, text: str) -> tuple[bool, bool]:
            response = await client.post(url, json={"sender": sender, "message": text})
            return response.status_code == 200, False  # [] is an answer: the bot chose to say nothing

        yield Target("plain rasa init (REST)", {"rasa": process.pid}, send)
    finally:
        stop_process(process)


# --- this project, through the signed webhook ----------------------------------------------

@contextlib.contextmanager
def project_stack(tmp: Path, replicas: int, api_workers: int) -> Iterator[Target]:
    with Replicas.running(tmp, count=replicas) as stack:
        server_url = f"postgresql+psycopg://fga@127.0.0.1:{stack.postgres_port}/postgres"
        database_url = fresh_database(server_url)
        api_bin = Path(sys.executable).parent
        standin_port, api_port = free_port(), free_port()
        env = {
            **os.environ, "ENVIRONMENT": "local", "DATABASE_URL": database_url, "RASA_URL": ",".join(stack.urls),
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{standin_port}",
            # Given, not generated: several api workers must share them.
            "PHONE_ENCRYPTION_KEY": Fernet.generate_key().decode(), "CONTACT_ID_SECRET": secrets.token_hex(32),
            "RASA_TRACKER_STORE_URL": stack.tracker_store_url.replace("postgresql://", "postgresql+psycopg://"),
        }
        processes: list[subprocess.Popen] = []
        try:
            log = tmp / "standin.log"
            processes.append(subprocess.Popen(
                [str(api_bin / "python"), "-m", "devtools.twilio_standin", "--port", str(standin_port),
                 "--no-callbacks"], cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT))
            wait_until_up(f"{env['TWILIO_API_BASE_URL']}/_standin/messages", processes[-1], log, 30)
            subprocess.run([str(api_bin / "python"), "-m", "api.prestart"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            log = tmp / "api.log"
            processes.append(subprocess.Popen(
                [str(api_bin / "uvicorn"), "--factory", "api.main:create_app", "--host", "127.0.0.1", "--port",
                 str(api_port), "--workers", str(api_workers), "--no-access-log"],
                cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT))
            wait_until_up(f"http://127.0.0.1:{api_port}/healthz", processes[-1], log, 60)
            validator = RequestValidator(AUTH_TOKEN)
            url = f"http://127.0.0.1:{api_port}{WEBHOOK}"

            async def send(client: httpx.AsyncClient, sender: str, text: str) -> tuple[bool, bool]:
                form = inbound_form(text, sender, FROM_NUMBER, ACCOUNT_SID)
                response = await client.post(url, content=urlencode(form).encode(), headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": validator.compute_signature(PUBLIC_BASE_URL + WEBHOOK, form)})
                if response.status_code != 200:
                    return False, False
                answered = bool(parse_twiml(response.text))
                return True, not answered  # answered empty: the reply comes late, by REST

            rasa = {f"rasa-{index + 1}": process.pid for index, process in enumerate(stack.processes) if process}
            assert stack.actions is not None
            postgres = postmaster_pid(stack.postgres_port)
            yield Target(f"this project, signed SMS webhook ({replicas} Rasa, {api_workers} api)",
                         {**rasa, "actions": stack.actions.pid, "api": processes[-1].pid,
                          **({"postgres": postgres} if postgres else {})}, send,
                         {"tracker_store_url": env["RASA_TRACKER_STORE_URL"],
                          "contact_id_secret": env["CONTACT_ID_SECRET"], "standin_url": env["TWILIO_API_BASE_URL"]})
        finally:
            for process in reversed(processes):
                stop_process(process)


# --- the open-loop generator ---------------------------------------------------------------

@dataclass
class Result:
    rate: float
    planned: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    deferred: int = 0
    seconds: float = 0.0
    answered: dict[str, list[str]] = field(default_factory=dict)  # parent -> messages answered, in order
    deferred_to: dict[str, int] = field(default_factory=dict)  # parent -> replies that came by REST

    def line(self) -> str:
        done = len(self.latencies)
        return (f"{self.rate:5.0f}/s  sent {self.planned:5d}  answered {done / self.seconds:5.1f}/s  "
                f"p50 {percentile(self.latencies, .5) * 1000:7.0f}  p95 {percentile(self.latencies, .95) * 1000:7.0f}  "
                f"p99 {percentile(self.latencies, .99) * 1000:7.0f} ms  errors {self.errors:4d}  "
                f"deferred {self.deferred:4d}")


async def open_loop(target: Target, rate: float, seconds: float, prefix: str) -> Result:
    """Messages at fixed times for `seconds`; waits (bounded) for the last answers."""
    result = Result(rate)
    idle: list[tuple[str, int]] = []  # (parent, next message) ready to send
    numbers = (f"+1213{prefix}{n:05d}" for n in itertools.count())
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:

        async def one(parent: str, step: int, planned_at: float) -> None:
            try:
                ok, deferred = await target.send(client, parent, JOURNEY[step])  # type: ignore[operator]
            except (httpx.HTTPError, ValueError):
                ok, deferred = False, False
            if not ok:
                result.errors += 1
                return
            result.latencies.append(time.perf_counter() - planned_at)
            result.answered.setdefault(parent, []).append(JOURNEY[step])
            if deferred:
                result.deferred += 1
                result.deferred_to[parent] = result.deferred_to.get(parent, 0) + 1
            if step + 1 < len(JOURNEY):
                idle.append((parent, step + 1))

        start = time.perf_counter()
        tasks = []
        total = int(rate * seconds)
        for index in range(total):
            planned_at = start + index / rate
            await asyncio.sleep(max(0.0, planned_at - time.perf_counter()))
            parent, step = idle.pop(0) if idle else (next(numbers), 0)
            tasks.append(asyncio.create_task(one(parent, step, planned_at)))
        result.planned = total
        _, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
        result.errors += len(pending)
        result.seconds = time.perf_counter() - start
    return result


def run(target: Target, rates: list[float], seconds: float) -> None:
    print(f"\n{target.name}", flush=True)
    asyncio.run(open_loop(target, 2, 5, "99"))  # warm-up: every process has loaded what it lazily loads
    for number, rate in enumerate(rates):
        before, generator = target.cpu(), time.process_time()
        result = asyncio.run(open_loop(target, rate, seconds, f"{number:02d}"))
        spent = {label: seconds - before[label] for label, seconds in target.cpu().items()}
        spent["load generator"] = time.process_time() - generator
        answered = max(1, len(result.latencies))
        print(f"  {result.line()}", flush=True)
        print("         CPU a message: " + ", ".join(f"{label} {1000 * used / answered:.1f} ms"
                                                   for label, used in spent.items()), flush=True)
        print(f"         memory: {target.memory()}", flush=True)
        time.sleep(2)  # let late replies drain before the next rate


def main() -> None:
    # Stopped with a signal, the servers it started are stopped too (the context managers run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="2,10,20,30,40,60", help="messages a second, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each rate sends")
    parser.add_argument("--replicas", type=int, default=1, help="Rasa servers")
    parser.add_argument("--api-workers", type=int, default=1, help="api processes (uvicorn workers)")
    parser.add_argument("--no-baseline", action="store_true", help="skip plain rasa init")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    print(f"Open-loop load, {args.seconds:.0f} s a rate, journeys of {len(JOURNEY)} messages; "
          f"{os.cpu_count()} cores. Latency from each message's planned time.")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_baseline:
            with plain_rasa(Path(tmp)) as target:
                run(target, rates, args.seconds)
        with project_stack(Path(tmp), args.replicas, args.api_workers) as target:
            run(target, rates, args.seconds)


if __name__ == "__main__":
    main()
