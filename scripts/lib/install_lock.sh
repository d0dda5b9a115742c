# Sourced by the setup scripts. install_lock VENV LOCKFILE LABEL: installs the pinned
# packages into VENV when LOCKFILE, or a lock it includes with `-r` (a dev lock includes
# the runtime one), changed since the last install (a stamp in the venv).

# LOCKFILE and the files it includes with `-r` (paths relative to the including file).
lock_files() {
  local lock=$1 included
  echo "$lock"
  while read -r included; do
    lock_files "$(dirname "$lock")/$included"
  done < <(sed -n -E 's/^-r[[:space:]]+([^[:space:]#]+).*/\1/p' "$lock")
}

install_lock() {
  local venv=$1 lock=$2 label=$3
  local stamp="$venv/.lock.sha256" want
  want=$(lock_files "$lock" | xargs cat | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
    echo "==> $label environment up to date ($venv)"
    return 0
  fi
  echo "==> Installing the $label pinned packages from $lock (a few minutes the first time)"
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q --upgrade "pip==24.0"
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r "$lock"
  "$venv/bin/python" -m pip check
  echo "$want" > "$stamp"
}
