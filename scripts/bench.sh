#!/usr/bin/env bash
# Set up, then run the benchmark suite (writes results/bench/bench.{json,md} by default).
#   bash scripts/bench.sh [--out DIR] [--quick]
# The scale study is separate and long (1M vectors): python -m bench.scale
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
python -m bench.run "$@"
