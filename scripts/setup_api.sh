#!/usr/bin/env bash
# Creates (or refreshes) the api's virtual environment (FastAPI edge) on Python 3.11+.
# It is separate from the bot's Python 3.10/Rasa environment: FastAPI needs pydantic 2 and
# SQLAlchemy 2, which Rasa 3.6 cannot share. A developer's environment: the runtime pins
# (requirements/api.lock, all the image gets) plus the test and lint tools
# (requirements/api-dev.lock). Re-running is cheap: the install is skipped while the locks
# are unchanged (their sha256 is stamped inside the venv).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/install_lock.sh
API_VENV=${API_VENV:-.venv/api}
API_PYTHON=${API_PYTHON:-python3}

# Asks for an answer on stdout, so that a non-Python that exits 0 is not taken for one.
is_311_plus() { [ "$("$1" -c 'import sys; print(sys.version_info[:2] >= (3, 11))' 2>/dev/null)" = "True" ]; }

need_python() {
  cat >&2 <<MSG
The api needs Python 3.11 or newer, and $1.
Install one, then run the command again:
  - Debian/Ubuntu:  sudo apt-get install python3 python3-venv   (3.11+ on Debian 12 / Ubuntu 24.04)
  - pyenv:          pyenv install 3.11
  - uv:             uv python install 3.11
Or point API_PYTHON at an existing interpreter: API_PYTHON=/path/to/python3.11 make run
MSG
  exit 1
}

# An environment left by an older interpreter is rebuilt rather than trusted.
if [ -x "$API_VENV/bin/python" ] && ! is_311_plus "$API_VENV/bin/python"; then
  echo "==> $API_VENV was made with Python older than 3.11: rebuilding it"
  rm -rf "$API_VENV"
fi

if [ ! -x "$API_VENV/bin/python" ]; then
  command -v "$API_PYTHON" >/dev/null 2>&1 || need_python "'$API_PYTHON' was not found"
  if ! is_311_plus "$API_PYTHON"; then
    have=$("$API_PYTHON" -c 'import platform; print(platform.python_version())' 2>/dev/null || true)
    need_python "'$API_PYTHON' is ${have:-not a working Python}"
  fi
  echo "==> Creating the api environment in $API_VENV with $(command -v "$API_PYTHON")"
  "$API_PYTHON" -m venv "$API_VENV"
  [ -x "$API_VENV/bin/python" ] || need_python "'$API_PYTHON' could not create a virtual environment (python3-venv missing?)"
fi

install_lock "$API_VENV" requirements/api-dev.lock "api (FastAPI, SQLAlchemy, twilio, ...; test and lint tools)"
