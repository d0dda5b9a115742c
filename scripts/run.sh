#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST channel with numbered menus,
# custom NLG) on this machine, waits until both answer, and says where to talk.
# `scripts/run.sh --background` starts them and returns (used by make shell / tests).
set -euo pipefail
cd "$(dirname "$0")/.."
BOT_VENV=${BOT_VENV:-.venv/bot}
MODELS_DIR=${MODELS_DIR:-models}
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
LOG_DIR=${LOG_DIR:-var/log}
mkdir -p "$LOG_DIR" var

wait_for() {  # url, name, seconds
  local deadline=$((SECONDS + $3))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then echo "$2 did not start; see $LOG_DIR" >&2; return 1; fi
    sleep 1
  done
}

echo "==> Starting the action server on port $ACTIONS_PORT (log: $LOG_DIR/actions.log)"
"$BOT_VENV/bin/rasa" run actions --actions actions --port "$ACTIONS_PORT" >"$LOG_DIR/actions.log" 2>&1 &
echo $! > var/actions.pid
echo "==> Starting Rasa on 127.0.0.1:$RASA_PORT (log: $LOG_DIR/rasa.log); loading the model takes ~30 s"
"$BOT_VENV/bin/rasa" run --model "$MODELS_DIR/family-guide.tar.gz" --interface 127.0.0.1 --port "$RASA_PORT" \
  --credentials credentials.yml --endpoints endpoints.yml >"$LOG_DIR/rasa.log" 2>&1 &
echo $! > var/rasa.pid

stop() { kill "$(cat var/rasa.pid)" "$(cat var/actions.pid)" 2>/dev/null || true; rm -f var/*.pid; }
if [ "${1:-}" != "--background" ]; then trap stop EXIT INT TERM; fi

wait_for "http://127.0.0.1:$ACTIONS_PORT/health" "The action server" 120
wait_for "http://127.0.0.1:$RASA_PORT/webhooks/rest/" "Rasa" 300

cat <<MSG

The Family Guide Assistant is running.
  Chat in the terminal:    make shell          (in another terminal)
  Or over the REST API:    curl -s localhost:$RASA_PORT/webhooks/rest/webhook \\
                             -d '{"sender": "demo-1", "message": "hi"}'
  Staff events (handoffs, safety flags, workshops): var/staff_events.jsonl
MSG
if [ "${1:-}" = "--background" ]; then exit 0; fi
echo "Press Ctrl-C to stop."
wait
