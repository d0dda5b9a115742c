"""A database whose disk is full: PostgreSQL's own cluster on a small filesystem of its
own (a tmpfs mounted for the test, which takes root), filled to the last byte while the
api runs. Writes that need new space fail ("could not extend file"); the api answers
them 503 with nothing stored and nothing sent to the bot, keeps running, and once space
is freed takes Twilio's retries, each stored once."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.postgres import Cluster, fresh_database, running_cluster
from devtools.sms_console import parse_twiml
from tests.faults.servers import (
    answers_in,
    api_env,
    assert_log_is_private,
    assert_refused_for_a_retry,
    migrate,
    new_delivery,
    post_inbound,
    stored,
)

DISK_BYTES = 160 * 1024 * 1024


@contextlib.contextmanager
def small_filesystem(size: int) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem for PostgreSQL takes root")
    mount_point = Path(tempfile.mkdtemp(prefix="fga-small-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
        shutil.rmtree(mount_point, ignore_errors=True)


@pytest.fixture
def small_cluster() -> Iterator[tuple[Cluster, Path]]:
    with small_filesystem(DISK_BYTES) as disk, running_cluster(under=disk) as cluster:
        yield cluster, disk


def fill(disk: Path) -> Path:
    """Takes every free byte of the filesystem: a block as large as the free space, then
    whatever is left, a kilobyte at a time."""
    filler = disk / "filler"
    subprocess.run(["fallocate", "-l", str(shutil.disk_usage(disk).free), str(filler)], check=True)
    with contextlib.suppress(OSError), open(filler, "ab", buffering=0) as stream:
        while True:
            stream.write(b"\0" * 1024)
    assert shutil.disk_usage(disk).free < 64 * 1024
    return filler


def test_a_full_disk_stores_nothing_acknowledges_nothing_and_recovers(small_cluster, rasa_peer, standin, apis,
                                                                      tmp_path):
    cluster, disk = small_cluster
    database_url = fresh_database(cluster.url)
    env = api_env(tmp_path, database_url, rasa_peer.url, standin.url)
    migrate(env)  # every table empty: a first row needs a new page, a new page needs disk
    api = apis.start(env)

    filler = fill(disk)
    try:
        newcomer = new_delivery("+13105550111", "a new parent while the disk is full")
        for _ in range(2):  # Twilio's retry while still full: refused the same way
            refused = post_inbound(api.url, newcomer.params)
            assert_refused_for_a_retry(refused)
            assert refused.status_code == 503 and refused.headers["retry-after"].isdigit()
        assert rasa_peer.received == []  # nothing went to the bot
        assert httpx.get(f"{api.url}/healthz", timeout=10).status_code == 200
        assert api.running()
    finally:
        filler.unlink()

    assert stored(database_url, newcomer.sid) == 0
    accepted = post_inbound(api.url, newcomer.params)
    assert accepted.status_code == 200 and answers_in(parse_twiml(accepted.text)) == 1
    assert post_inbound(api.url, newcomer.params).status_code == 200  # a late duplicate: no second turn
    assert stored(database_url, newcomer.sid) == 1
    assert [turn["message"] for turn in rasa_peer.received] == [newcomer.body]
    assert "No space left on device" in (cluster.log.read_text() if cluster.log.exists() else "")
    assert_log_is_private(api, [newcomer.number], [newcomer.body])
