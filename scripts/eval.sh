#!/usr/bin/env bash
# Set up .venv, then evaluate retrieval on eval/questions over the bundled corpus
# (builds index/ first if it is missing) and XQuAD when ../shared/xquad exists.
# Writes results/corpus_eval.{json,md}, results/recall_at_k.png, results/xquad.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
python -m eval.xquad --out results
python -m eval --index index --out results "$@"
