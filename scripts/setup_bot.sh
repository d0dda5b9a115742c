#!/usr/bin/env bash
# Creates (or refreshes) the bot's virtual environment on Python 3.10 and prepares
# what the Rasa pipeline needs at run time. A developer's environment: the runtime pins
# (requirements/bot.lock, all the image gets) plus the test and lint tools
# (requirements/bot-dev.lock). Re-running is cheap: the install is skipped while the
# locks are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/install_lock.sh
BOT_VENV=${BOT_VENV:-.venv/bot}

if [ ! -x "$BOT_VENV/bin/python" ]; then
  py=$(scripts/find_python310.sh)
  echo "==> Creating the bot environment in $BOT_VENV with $py"
  "$py" -m venv "$BOT_VENV"
fi

install_lock "$BOT_VENV" requirements/bot-dev.lock "bot (Rasa, spaCy; test and lint tools)"

echo "==> Compiling translation catalogs"
"$BOT_VENV/bin/python" -m bot.i18n.compile
echo "==> Building the blank spaCy pipeline used for tokenization"
"$BOT_VENV/bin/python" -m bot.nlu.blank_model
