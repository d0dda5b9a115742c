#!/usr/bin/env bash
# Creates (or refreshes) the bot's virtual environment on Python 3.10 and prepares
# what the Rasa pipeline needs at run time. Re-running is cheap: the install is
# skipped while requirements/bot.lock is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/install_lock.sh
BOT_VENV=${BOT_VENV:-.venv/bot}

if [ ! -x "$BOT_VENV/bin/python" ]; then
  py=$(scripts/find_python310.sh)
  echo "==> Creating the bot environment in $BOT_VENV with $py"
  "$py" -m venv "$BOT_VENV"
fi

install_lock "$BOT_VENV" requirements/bot.lock "bot (Rasa, spaCy)"

echo "==> Compiling translation catalogs"
"$BOT_VENV/bin/python" -m bot.i18n.compile
echo "==> Building the blank spaCy pipeline used for tokenization"
"$BOT_VENV/bin/python" -m bot.nlu.blank_model
