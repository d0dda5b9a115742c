#!/usr/bin/env bash
# Chat with the bot in the terminal, through the same REST channel an SMS gateway or
# the web widget uses (numbered menus included). Starts the bot if it is not running.
set -euo pipefail
cd "$(dirname "$0")/.."
BOT_VENV=${BOT_VENV:-.venv/bot}
RASA_PORT=${RASA_PORT:-5005}
started=""
if ! curl -fsS -o /dev/null "http://127.0.0.1:$RASA_PORT/webhooks/rest/" 2>/dev/null; then
  scripts/run.sh --background
  started=yes
fi
cleanup() {
  if [ -n "$started" ]; then
    for pid in var/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
    rm -f var/*.pid
  fi
}
trap cleanup EXIT INT TERM
"$BOT_VENV/bin/python" -m devtools.cli --url "http://127.0.0.1:$RASA_PORT"
