#!/usr/bin/env bash
# Set up, build the index of the bundled corpus if missing, start the chat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
. .venv/bin/activate
exec streamlit run app.py --server.headless true "$@"
