"""CLI exit codes and messages for paths that fail before any model is loaded."""
from __future__ import annotations

import json

import pytest
from conftest import FakeEmbedder

import rag
from rag.cli import EXIT_INDEX, EXIT_QUERY, main


def test_info_on_missing_index_exits_3(tmp_path, capsys):
    assert EXIT_INDEX == 3
    code = main(["info", "--index", str(tmp_path / "none")])
    assert code == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: no index at ")
    assert str(tmp_path / "none") in err and "rag index" in err


@pytest.mark.parametrize("cmd", ["ask", "search"])
def test_query_on_missing_index_exits_with_error(tmp_path, capsys, cmd):
    code = main([cmd, "", "--index", str(tmp_path / "none")])
    assert code in (EXIT_INDEX, EXIT_QUERY)
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    if code == EXIT_INDEX:
        assert "rag index" in err
    else:
        assert "query" in err


@pytest.mark.parametrize("bad", ["{ not json", json.dumps({"format_version": 99})])
def test_info_on_broken_manifest_exits_3(tmp_path, capsys, bad):
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "manifest.json").write_text(bad, encoding="utf-8")
    assert main(["info", "--index", str(folder)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "rebuild" in err


def test_model_mismatch_exits_3_without_loading_a_model(tmp_path, capsys):
    folder = tmp_path / "idx"
    doc = tmp_path / "a.txt"
    doc.write_text("Выборы в сельсоветы прошли в декабре 1924 г. при низкой явке.", encoding="utf-8")
    rag.build([doc], folder, model=FakeEmbedder())
    # the manifest names "fake-hash"; asking for another model name fails before loading it
    assert main(["info", "--index", str(folder), "--model", "some-other-model"]) == 3
    err = capsys.readouterr().err
    assert "fake-hash" in err and "some-other-model" in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["frobnicate"])
    assert e.value.code == 2
    assert "usage" in capsys.readouterr().err
