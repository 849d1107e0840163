"""CLI exit codes and messages for paths that fail before any model is loaded."""
from __future__ import annotations

import json

import pytest
from helpers.fakes import FakeEmbedder

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


def test_rag_eval_points_to_the_evaluation_entry_point(capsys):
    # the product does not carry its evaluation: `rag eval` says where it went, and loads nothing of it
    import sys

    sys.modules.pop("eval.run", None)
    assert main(["eval", "eval/questions", "--index", "index"]) == 2
    assert "python -m eval" in capsys.readouterr().err
    assert "eval.run" not in sys.modules


def test_index_with_shards_then_reshard(small_corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rag.index, "load_embedder", lambda model=None, **kw: FakeEmbedder())
    out = str(tmp_path / "idx")
    assert main(["index", str(small_corpus), "-o", out, "--shards", "2"]) == 0
    assert main(["info", "--index", out]) == 0
    assert "2 shard(s) (flat,flat)" in capsys.readouterr().out
    before = rag.load(out).search("выборы", k=5)
    assert main(["reshard", "1", "--index", out]) == 0
    assert "1 shard(s) (flat), nothing re-embedded" in capsys.readouterr().out
    after = rag.load(out).search("выборы", k=5)
    assert [h.chunk_id for h in after] == [h.chunk_id for h in before]
    assert [h.score for h in after] == pytest.approx([h.score for h in before], abs=1e-4)
    for bad in ("0", "two"):
        with pytest.raises(SystemExit) as e:
            main(["reshard", bad, "--index", out])
        assert e.value.code == 2 and "shards must be" in capsys.readouterr().err


def test_add_and_remove(small_corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rag.index, "load_embedder", lambda model=None, **kw: FakeEmbedder())
    out = str(tmp_path / "idx")
    files = sorted(str(f) for f in small_corpus.iterdir())
    assert main(["index", files[0], "-o", out]) == 0
    capsys.readouterr()
    assert main(["add", *files, "--index", out]) == 0
    assert f"indexed {len(files) - 1} files, 1 unchanged" in capsys.readouterr().out
    assert sorted(d.source for d in rag.load(out).documents()) == sorted(f.rsplit("/", 1)[1] for f in files)
    gone = files[0].rsplit("/", 1)[1]
    assert main(["remove", gone, "--index", out]) == 0
    assert "1 removed" in capsys.readouterr().out
    assert gone not in [d.source for d in rag.load(out).documents()]
    assert main(["remove", "no-such.txt", "--index", out]) == EXIT_QUERY
    assert "not in the index: no-such.txt" in capsys.readouterr().err


@pytest.mark.parametrize("dictionary, notes", [("missing", 1), ("fixture", 0)])
def test_search_says_once_when_the_bridge_is_off(tmp_path, capsys, monkeypatch, dict_prefix, dictionary, notes):
    monkeypatch.setattr("rag.index.load_embedder", lambda model=None, **kw: FakeEmbedder())
    folder, doc = tmp_path / "idx", tmp_path / "a.txt"
    doc.write_text("Выборы в сельсоветы прошли в декабре 1924 г. при низкой явке.", encoding="utf-8")
    path = str(dict_prefix) if dictionary == "fixture" else str(tmp_path / "no-dict")
    rag.build([doc], folder, model=FakeEmbedder(), settings=rag.Settings(dictionary=path))
    assert main(["search", "When were the elections?", "--index", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "a.txt" in out  # the search itself works either way
    assert err.count("note: cross-lingual lexical bridge off") == notes
    if notes:
        assert "mueller7-dict" in err and path in err


def test_names_cannot_forge_lines_or_reverse_on_the_terminal(tmp_path, capsys, monkeypatch):
    """A file named with a newline, an RTL override, ESC or a tab is printed with escapes."""
    monkeypatch.setattr(rag.index, "load_embedder", lambda model=None, **kw: FakeEmbedder())
    docs = tmp_path / "docs"
    docs.mkdir()
    names = ["a\n  fake.txt: 99 chunks, en.txt", "invoice\u202efdp.txt", "esc\x1b[31m.txt", "tab\there.txt"]
    for i, n in enumerate(names):
        (docs / n).write_text(f"Grain procurement in the district of Omsk, {1920 + i}.", encoding="utf-8")
    out = str(tmp_path / "idx")
    assert main(["index", str(docs), "-o", out]) == 0
    assert main(["info", "--index", out]) == 0
    printed = capsys.readouterr().out
    doc_lines = [line for line in printed.splitlines() if line.startswith("  ")]
    assert len(doc_lines) == len(names)  # one line per document, none forged
    assert not any(ch in printed for ch in "\u202e\x1b\t")
    assert "invoice\\u202efdp.txt" in printed and "a\\n  fake.txt" in printed
    assert main(["search", "grain Omsk", "--index", out, "-k", "4"]) == 0
    assert not any(ch in capsys.readouterr().out for ch in "\u202e\x1b\t")


def test_a_file_name_that_is_not_utf8_is_skipped_with_a_reason(tmp_path, capsys, monkeypatch):
    """Bug found here: a cp1251 'отчет.txt' crashed `rag index` in store.shard_of after embedding."""
    import os

    monkeypatch.setattr(rag.index, "load_embedder", lambda model=None, **kw: FakeEmbedder())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("Grain procurement in the district of Omsk, 1928.", encoding="utf-8")
    with open(os.path.join(os.fsencode(docs), "отчет.txt".encode("cp1251")), "wb") as f:
        f.write("Отчёт о хлебозаготовках.".encode("cp1251"))
    out = str(tmp_path / "idx")
    assert main(["index", str(docs), "-o", out]) == 0
    captured = capsys.readouterr()
    assert "indexed 1 files" in captured.out
    assert "skipped \\xee\\xf2\\xf7\\xe5\\xf2.txt: the file name is not valid UTF-8" in captured.err
    assert [d.source for d in rag.load(out).documents()] == ["good.txt"]
