#!/usr/bin/env bash
# The machine packages the tests use for real: a PostgreSQL server (the tests start a
# private throwaway cluster from its binaries), Redis (Rasa's lock store), Debian's
# Chromium + ChromeDriver (pages and the widget in a headless browser) and docker-compose
# (the compose file is validated; no container engine is needed for that). Installed once
# with apt-get when missing; nothing is downloaded from anywhere else.
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null; }
have_chromium() { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }

missing=()
have_postgres || missing+=(postgresql)
have_chromium || missing+=(chromium chromium-driver)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
as_root=(); [ "$(id -u)" -ne 0 ] && as_root=(sudo)
echo "==> Installing ${missing[*]} (apt-get)"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a cluster on install; the tests use their own, so it is not needed.
