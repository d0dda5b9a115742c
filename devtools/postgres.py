"""A throwaway PostgreSQL cluster from the machine's own server binaries (Debian's
postgresql package, which `make setup-test-system` installs): started on a free port on
loopback, in a temporary directory, gone at the end. For tests and benchmarks."""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def server_binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A running throwaway cluster that its owner may stop, start and restart (the fault
    tests take the database away from a running api)."""

    url: str  # SQLAlchemy URL of its `postgres` database
    data: Path
    options: str
    log: Path
    as_user: list[str]

    def pg_ctl(self, *arguments: str) -> None:
        pg_ctl = server_binary("pg_ctl")
        assert pg_ctl is not None  # checked when the cluster was made
        subprocess.run(self.as_user + [pg_ctl, "-D", str(self.data), *arguments], check=True, capture_output=True)

    def start(self) -> None:
        """Returns once it accepts connections again, on the same port."""
        self.pg_ctl("-o", self.options, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: sessions are cut off and transactions rolled back; `immediate`: a crash."""
        self.pg_ctl("-m", mode, "-w", "stop")


@contextlib.contextmanager
def running_cluster(under: Path | None = None) -> Iterator[Cluster]:
    """A new cluster (user fga, trust) on a free loopback port, in a temporary directory
    (inside `under` if given: a small filesystem, for the full-disk test), gone at the end."""
    initdb, pg_ctl = server_binary("initdb"), server_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL server binaries not found: run `make setup-test-system` (it installs them)")
    base = Path(tempfile.mkdtemp(prefix="fga-pg-", dir=under))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(as_user + [initdb, "-D", str(data), "-U", "fga", "--auth=trust", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True)
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    cluster = Cluster(f"postgresql+psycopg://fga@127.0.0.1:{port}/postgres", data, options, base / "log", as_user)
    try:
        cluster.start()
        yield cluster
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yields the SQLAlchemy URL of the new cluster's `postgres` database (user fga, trust)."""
    with running_cluster() as cluster:
        yield cluster.url


def fresh_database(server_url: str) -> str:
    """A new, empty database on the cluster; its URL."""
    from sqlalchemy import create_engine, text

    name = "t_" + os.urandom(6).hex()
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name
