"""Fixtures of the fault tests (what they are: tests/faults/servers.py): the suite's own
PostgreSQL cluster, a fresh database per test, the scripted Rasa peer, the Twilio
stand-in, and api processes that are stopped at the end of their test, whatever happens."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.postgres import Cluster, fresh_database, running_cluster, server_binary
from tests.api.conftest import RasaPeer, running_peer
from tests.faults.servers import ANSWER, Apis, Standin, running_standin


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """The suite's own cluster: the tests stop, restart and lock it."""
    if not server_binary("initdb") or not server_binary("pg_ctl"):
        pytest.fail("PostgreSQL server binaries not found: run `make setup-test-system` (it installs postgresql)")
    with running_cluster() as running:
        yield running


@pytest.fixture
def database_url(cluster) -> str:
    """A new database on the suite's cluster (migrated by the api's prestart: servers.migrate)."""
    return fresh_database(cluster.url)


@pytest.fixture
def rasa_peer() -> Iterator[RasaPeer]:
    with running_peer() as peer:
        peer.default_reply = [{"text": ANSWER, "metadata": {"language": "en"}}]
        yield peer


@pytest.fixture
def standin() -> Iterator[Standin]:
    with running_standin() as running:
        yield running


@pytest.fixture
def apis(tmp_path) -> Iterator[Apis]:
    """Starts api processes (apis.start(env)); stops every one of them at the end."""
    started = Apis(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
