#!/usr/bin/env bash
# Create .venv and install the project (idempotent; offline apart from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  python -m pip install -q --upgrade pip
  # torch first, pinned: this machine's CPU build (a bare 'torch' pulls CUDA)
  python -m pip install -q torch==2.13.0
  python -m pip install -q -e ".[app,eval,test,ray]"
  touch "$stamp"
fi
