"""Experiments kept with their figures: run from a checkout (`python -m research.X`), never shipped.

research/README.md indexes each one: what it tried, what it measured, its date and its verdict.
research/recipes/ holds the scripts that made files the product ships (rag/models/).
"""
