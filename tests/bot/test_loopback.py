"""Nothing internal listens on every interface: the action server (no authentication)
binds 127.0.0.1 unless told otherwise, and in docker-compose only the entry in front of the api is published
while Rasa, the action server and the database sit on an internal network."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest
import yaml

from bot.rasa import action_server
from devtools.devstack import Stack

ROOT = Path(__file__).resolve().parents[2]


def listening_addresses(port: int) -> list[str]:
    """Local addresses of the sockets listening on `port` (Linux's /proc/net/tcp*)."""
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(socket.inet_ntop(family, raw))
    return found


def test_the_test_stacks_action_server_listens_on_loopback_only(tmp_path):
    stack = Stack(tmp_path)
    try:
        stack.start_actions()
        addresses = listening_addresses(stack.actions_port)
    finally:
        stack.stop()
    assert addresses
    assert all(ipaddress.ip_address(address).is_loopback for address in addresses), addresses


@pytest.mark.parametrize("environ, host", [({}, "127.0.0.1"), ({"ACTIONS_HOST": ""}, "127.0.0.1"),
                                           ({"ACTIONS_HOST": "0.0.0.0"}, "0.0.0.0")])
def test_the_launchers_interface_comes_from_actions_host(environ, host):
    assert action_server.default_host(environ) == host


def test_nothing_starts_the_action_server_on_every_interface():
    """`rasa run actions` has no interface option (it listens on $SANIC_HOST, every
    interface by default): the launcher is used."""
    starters = [path.relative_to(ROOT).as_posix() for folder in ("scripts", "devtools", "docker", ".ci")
                for path in (ROOT / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    starters += ["Makefile", "docker-compose.yml"]
    assert "scripts/run.sh" in starters and "devtools/devstack.py" in starters
    for path in starters:
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
        assert "run actions" not in code and '"run", "actions"' not in code, path


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_publishes_only_the_entry(compose):
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"entry"}
    assert not any(service.get("network_mode") == "host" for service in compose["services"].values())


def test_compose_keeps_everything_but_the_entry_off_the_public_network(compose):
    internal = {name for name, network in compose["networks"].items() if (network or {}).get("internal")}
    assert internal
    for name in ("rasa-1", "rasa-2", "actions", "db", "redis"):
        networks = set(compose["services"][name].get("networks") or ())
        assert networks and networks <= internal, (name, networks)
    for name in ("api-1", "api-2"):
        networks = set(compose["services"][name]["networks"])
        assert "public" not in networks, "only the entry is public"
        assert networks - internal, "the api must reach Twilio"
        assert networks & internal, "the api must reach Rasa"


def test_two_rasa_and_two_api_replicas_share_their_stores(compose):
    services = compose["services"]
    assert services["rasa-1"] == services["rasa-2"] and services["api-1"] == services["api-2"]
    assert services["api-1"]["environment"]["RASA_URL"] == "http://rasa-1:5005,http://rasa-2:5005"
    endpoints = yaml.safe_load((ROOT / "endpoints.docker.yml").read_text(encoding="utf-8"))
    assert endpoints["lock_store"]["type"] == "bot.rasa.lock_store.SharedRedisLockStore"
    assert endpoints["tracker_store"]["type"] == "bot.rasa.tracker_store.TurnEndSQLTrackerStore"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    nginx = (ROOT / "docker" / "entry" / "nginx.conf").read_text(encoding="utf-8")
    assert "server api-1:8000" in nginx and "server api-2:8000" in nginx and "access_log off" in nginx


def test_the_api_trusts_forwarded_headers_only_from_the_entrys_network(compose):
    dockerfile = (ROOT / "docker" / "api.Dockerfile").read_text(encoding="utf-8")
    assert "forwarded-allow-ips" not in dockerfile
    trusted = compose["services"]["api-1"]["environment"]["FORWARDED_ALLOW_IPS"]
    assert "*" not in trusted
    assert trusted == compose["networks"]["front"]["ipam"]["config"][0]["subnet"]
