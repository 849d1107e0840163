"""python -m eval [QUESTIONS] [--index index] [--config SETTINGS] [--out results]: see eval/run.py."""
import sys

from eval.run import main

sys.exit(main())
