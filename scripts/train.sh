#!/usr/bin/env bash
# Trains the Rasa model when the config, domain or data changed since the last model
# in $MODELS_DIR (Rasa compares fingerprints and says "Nothing changed" otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
BOT_VENV=${BOT_VENV:-.venv/bot}
MODELS_DIR=${MODELS_DIR:-models}
mkdir -p "$MODELS_DIR"
echo "==> Training the model if the data changed (a few minutes the first time; output in $MODELS_DIR)"
# Progress bars redraw with carriage returns: in CI (no terminal) keep one line per step.
noise="^\s*$|tensorflow|TF-TRT|cpu_feature_guard|rebuild TensorFlow|oneDNN"
[ -n "${CI:-}" ] && noise="$noise|Epochs:|Processed "
set +o pipefail
"$BOT_VENV/bin/rasa" train --out "$MODELS_DIR" --fixed-model-name family-guide 2>&1 \
  | grep --line-buffered -v -E "$noise"
status=${PIPESTATUS[0]}
set -o pipefail
[ "$status" -eq 0 ] || { echo "training failed (rasa exit code $status)" >&2; exit "$status"; }
