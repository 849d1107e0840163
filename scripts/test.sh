#!/usr/bin/env bash
# Run the whole test suite, slow (real model) tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
. .venv/bin/activate
python -m pytest "$@"
