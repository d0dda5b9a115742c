#!/usr/bin/env bash
# Creates (or refreshes) the bot's virtual environment on Python 3.10 and prepares
# what the Rasa pipeline needs at run time. Re-running is cheap: the install is
# skipped while requirements/bot.lock is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

BOT_VENV=${BOT_VENV:-.venv/bot}
lock=requirements/bot.lock
stamp="$BOT_VENV/.lock.sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ ! -x "$BOT_VENV/bin/python" ]; then
  py=$(scripts/find_python310.sh)
  echo "==> Creating the bot environment in $BOT_VENV with $py"
  "$py" -m venv "$BOT_VENV"
fi

if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "==> Installing the bot's pinned packages (Rasa, spaCy, ...): the first time takes a few minutes"
  "$BOT_VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q --upgrade "pip==24.0"
  "$BOT_VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r "$lock"
  "$BOT_VENV/bin/python" -m pip check
  echo "$want" > "$stamp"
else
  echo "==> Bot environment up to date ($BOT_VENV)"
fi

echo "==> Compiling translation catalogs"
"$BOT_VENV/bin/python" -m bot.i18n.compile
echo "==> Building the blank spaCy pipeline used for tokenization"
"$BOT_VENV/bin/python" -m bot.nlu.blank_model
