#!/usr/bin/env bash
# Dialogue tests: the test stories in tests/stories run through the trained model
# (NLU + policies) and must predict every intent and action (--fail-on-prediction-errors).
set -euo pipefail
cd "$(dirname "$0")/.."
BOT_VENV=${BOT_VENV:-.venv/bot}
MODELS_DIR=${MODELS_DIR:-models}
echo "==> rasa test: test stories with --fail-on-prediction-errors"
rm -rf results/stories
set +e
"$BOT_VENV/bin/rasa" test core --model "$MODELS_DIR/family-guide.tar.gz" --stories tests/stories \
  --fail-on-prediction-errors --out results/stories --no-plot > results.log 2>&1
status=$?
set -e
mkdir -p results && mv results.log results/stories.log
grep -E "Finished collecting predictions|Evaluation Results on CONVERSATION level|Correct:|F1-Score|Accuracy:" results/stories.log || true
if [ $status -ne 0 ]; then
  echo "Dialogue tests failed. Failed stories:" >&2
  cat results/stories/failed_test_stories.yml >&2 2>/dev/null || tail -40 results/stories.log >&2
  exit $status
fi
