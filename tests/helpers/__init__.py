"""What tests share and that is not a fixture: fakes, documents, checks, the app's drivers.

Test modules never import each other or conftest.py; they import from here
(`from helpers.fakes import FakeEmbedder`): tests/ is on pytest's pythonpath (pyproject.toml).
"""
