#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8-3.10 only).
# Looks at $PYTHON310, python3.10 on PATH, pyenv's versions, then uv's managed Pythons.
set -euo pipefail

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for d in "$root"/versions/3.10*; do [ -x "$d/bin/python" ] && candidates+=("$d/bin/python"); done
fi
for d in "$HOME"/.pyenv/versions/3.10*; do [ -x "$d/bin/python" ] && candidates+=("$d/bin/python"); done
if command -v uv >/dev/null 2>&1; then
  found=$(uv python find 3.10 2>/dev/null || true)
  [ -n "$found" ] && candidates+=("$found")
fi

for c in "${candidates[@]}"; do
  if is_310 "$c"; then echo "$c"; exit 0; fi
done

cat >&2 <<'MSG'
Python 3.10 was not found, and Rasa 3.6 needs it (3.8-3.10).
Install one of these, then run the command again:
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv   (where packaged)
  - pyenv:          pyenv install 3.10
  - uv:             uv python install 3.10
Or point PYTHON310 at an existing interpreter: PYTHON310=/path/to/python3.10 make run
MSG
exit 1
