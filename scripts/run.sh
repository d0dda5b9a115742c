#!/usr/bin/env bash
# Starts the action server, the Rasa server (REST channel with numbered menus, custom NLG)
# and the api (Twilio webhooks, plan pages, reminders) on this machine, waits until they
# answer, and says where to talk. Without Twilio credentials in the environment, a local
# stand-in of Twilio's REST API receives what the api sends (`make sms` shows it).
# `scripts/run.sh --background` starts them and returns (used by make shell / tests).
set -euo pipefail
cd "$(dirname "$0")/.."
BOT_VENV=${BOT_VENV:-.venv/bot}
MODELS_DIR=${MODELS_DIR:-models}
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
API_VENV=${API_VENV:-.venv/api}
API_PORT=${API_PORT:-8000}
STANDIN_PORT=${STANDIN_PORT:-8099}
LOG_DIR=${LOG_DIR:-var/log}
mkdir -p "$LOG_DIR" var

wait_for() {  # url, name, seconds
  local deadline=$((SECONDS + $3))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then echo "$2 did not start; see $LOG_DIR" >&2; return 1; fi
    sleep 1
  done
}

# The action server has no authentication: loopback only (ACTIONS_HOST), through the
# launcher, since rasa-sdk 3.6's `rasa run actions` has no interface option (it listens
# on $SANIC_HOST, every interface by default).
echo "==> Starting the action server on ${ACTIONS_HOST:-127.0.0.1}:$ACTIONS_PORT (log: $LOG_DIR/actions.log)"
"$BOT_VENV/bin/python" -m bot.rasa.action_server --actions actions --interface "${ACTIONS_HOST:-127.0.0.1}" \
  --port "$ACTIONS_PORT" >"$LOG_DIR/actions.log" 2>&1 &
echo $! > var/actions.pid
echo "==> Starting Rasa on 127.0.0.1:$RASA_PORT (log: $LOG_DIR/rasa.log); loading the model takes ~30 s"
"$BOT_VENV/bin/rasa" run --model "$MODELS_DIR/family-guide.tar.gz" --interface 127.0.0.1 --port "$RASA_PORT" \
  --credentials credentials.yml --endpoints endpoints.yml >"$LOG_DIR/rasa.log" 2>&1 &
echo $! > var/rasa.pid

if [ -z "${TWILIO_AUTH_TOKEN:-}" ]; then
  export TWILIO_API_BASE_URL=${TWILIO_API_BASE_URL:-http://127.0.0.1:$STANDIN_PORT}
  echo "==> No Twilio credentials: starting the local Twilio stand-in on port $STANDIN_PORT (log: $LOG_DIR/twilio-standin.log)"
  "$API_VENV/bin/python" -m devtools.twilio_standin --port "$STANDIN_PORT" >"$LOG_DIR/twilio-standin.log" 2>&1 &
  echo $! > var/standin.pid
fi
echo "==> Preparing the api database (alembic upgrade head)"
"$API_VENV/bin/python" -m api.prestart
echo "==> Starting the api on port $API_PORT (log: $LOG_DIR/api.log)"
# X-Forwarded-* headers are believed only from FORWARDED_ALLOW_IPS (uvicorn reads it;
# its default, 127.0.0.1, is a TLS proxy on this machine).
"$API_VENV/bin/uvicorn" --factory api.main:create_app --host "${API_HOST:-127.0.0.1}" --port "$API_PORT" \
  --proxy-headers --no-access-log >"$LOG_DIR/api.log" 2>&1 &
echo $! > var/api.pid

stop() {
  for pid in var/api.pid var/standin.pid var/rasa.pid var/actions.pid; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  rm -f var/*.pid
}
if [ "${1:-}" != "--background" ]; then trap stop EXIT INT TERM; fi

wait_for "http://127.0.0.1:$ACTIONS_PORT/health" "The action server" 120
wait_for "http://127.0.0.1:$RASA_PORT/webhooks/rest/" "Rasa" 300
wait_for "http://127.0.0.1:$API_PORT/healthz" "The api" 60

cat <<MSG

The Family Guide Assistant is running.
  Web chat on a demo school site: http://localhost:$API_PORT/   (Spanish: http://localhost:$API_PORT/?lang=es)
  Chat in the terminal:    make shell          (in another terminal)
  Or over the REST API:    curl -s localhost:$RASA_PORT/webhooks/rest/webhook \\
                             -d '{"sender": "demo-1", "message": "hi"}'
  Text it like a phone:    make sms            (signs and posts like Twilio; shows later messages too)
  Staff dashboard:         http://localhost:$API_PORT/staff   (first: make admin EMAIL=you@example.org NAME="Your Name")

To use a real Twilio number, stop this, then start it with
  ENVIRONMENT=production PUBLIC_BASE_URL=https://<your public host> TWILIO_ACCOUNT_SID=AC... \\
  TWILIO_AUTH_TOKEN=... TWILIO_FROM_NUMBER=+1... PHONE_ENCRYPTION_KEY=... CONTACT_ID_SECRET=... make run
(and TWILIO_WEBHOOK_OVERRIDES='rc=3&rp=5xx') and set the number's "A message comes in" webhook
(HTTP POST) to
  https://<your public host>/webhooks/twilio/sms#rc=3&rp=5xx
PUBLIC_BASE_URL must be exactly the URL Twilio calls: request signatures are checked against it.
The fragment makes Twilio send a message again when the api answers 503 (its database down).
MSG
if [ "${1:-}" = "--background" ]; then exit 0; fi
echo "Press Ctrl-C to stop."
wait
