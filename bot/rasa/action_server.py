"""Starts the action server on one interface: 127.0.0.1 unless ACTIONS_HOST (or
--interface) names another.

The action server has no authentication: whoever reaches its port can run the actions
with a tracker they made up. rasa-sdk 3.6's `rasa run actions` has no interface option
and listens on every interface (its host comes from SANIC_HOST, default 0.0.0.0), so
everything that starts the action server starts it through this module instead:
`python -m bot.rasa.action_server --actions actions --port 5055`. The other options are
rasa-sdk's own (`--help`).
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser

DEFAULT_HOST = "127.0.0.1"


def default_host(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get("ACTIONS_HOST") or DEFAULT_HOST


def main(argv: list[str] | None = None) -> None:
    parser = create_argument_parser()
    parser.add_argument("--interface", default=default_host(), help="interface to listen on (ACTIONS_HOST)")
    parser.set_defaults(actions="actions")
    args = parser.parse_args(argv)
    # rasa_sdk.endpoint.run reads the host it listens on from SANIC_HOST.
    os.environ["SANIC_HOST"] = args.interface
    main_from_args(args)


if __name__ == "__main__":
    main()
