"""Shared fixtures: a deterministic, model-free embedder and small corpora."""
from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import rag
from rag.dictionary import B64
from rag.embed import Embedder

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"

# A Russian paragraph with a word broken across a line break, as PDF extraction leaves it.
RU_TEXT = (
    "Статья посвящена избирательной кампании 1924 г. как важному этапу формирования советской электораль-\n"
    "ной политики. Выборы в сельсоветы прошли в декабре 1924 г. при низкой явке избирателей.\n"
    "\n"
    "Инструкторы ВЦИК сообщали о многочисленных нарушениях при проведении выборов.\n"
)
EN_MD = (
    "# Collective farms\n"
    "\n"
    "The first five-year plan began in 1928. Peasants were pressed to join collective farms.\n"
    "\n"
    "Grain procurement caused famine in several regions of the country.\n"
)
RU_CP1251 = (
    "Кузнецкий округ был создан в 1925 году. Коллективизация в округе шла медленно.\n"
    "Крестьяне не хотели отдавать скот и инвентарь в колхозы.\n"
)


class FakeEmbedder(Embedder):
    """Hashed character 3-grams: deterministic across processes, no model, fast."""

    name = "fake-hash"
    fingerprint = "fake-hash-v1"
    dim = 256

    def __init__(self) -> None:
        self._bucket: dict[str, int] = {}
        self.calls = 0  # texts embedded so far (lets tests see re-embedding)

    def _slot(self, gram: str) -> int:
        b = self._bucket.get(gram)
        if b is None:
            b = self._bucket[gram] = zlib.crc32(gram.encode("utf-8")) % self.dim
        return b

    def _one(self, text: str) -> np.ndarray:
        t = f" {text.lower()} "
        v = np.zeros(self.dim, dtype=np.float32)
        slots = [self._slot(t[i : i + 3]) for i in range(len(t) - 2)]
        if slots:
            np.add.at(v, slots, 1.0)
        n = float(np.linalg.norm(v))
        if n == 0.0:
            v[0] = 1.0
            return v
        return v / n

    def embed(self, texts: Sequence[str], kind) -> np.ndarray:  # kind is ignored on purpose
        self.calls += len(texts)
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._one(t) for t in texts]).astype(np.float32)


class DyingEmbedder(FakeEmbedder):
    """Kills its own process at its first passage batch (the marker file says it did),
    or at every one without a marker: a worker lost mid-build, as to an OOM kill or a
    lost node."""

    def __init__(self, marker: str | None) -> None:
        super().__init__()
        self.marker = marker

    def embed(self, texts: Sequence[str], kind) -> np.ndarray:
        import os

        if kind == "passage" and self.marker is None:
            os._exit(1)
        if kind == "passage" and not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
            os._exit(1)  # no cleanup, no exception: the process is simply gone
        return super().embed(texts, kind)


# ------------------------------------------------- a small dictd dictionary
# Entries in mueller7's shape: transcription, labels, senses, examples after the translations.
ENTRIES = {
    "election": "election\n   [ɪ↗lɛkʃɜn] _n.\n   1) выборы; general (special) election всеобщие (_ам. дополнительные)\n"
                "   выборы; to hold an election проводить выборы\n   2) избрание\n   3) _рел. предопределение\n",
    "peasant": "peasant\n   [↗pɛzɜnt] _n. крестьянин\n   2. _a. крестьянский, сельский\n",
    "famine": "famine\n   [↗fæmɪn] _n.\n   1) голод; water famine недостаток воды\n   2) голодание\n",
    "party": "party\n   _I  [↗pɑ:tɪ]\n      1. _n. партия; the Communist Party партия\n"
             "   _II [↗pɑ:tɪ] _n.\n         1) отряд, команда; группа, партия\n         3) приём гостей; "
             "званый вечер, вечеринка; to give a party устроить\n         вечеринку\n",
    "grain": "grain\n   [greɪn] _n.\n   1) зерно; хлебные злаки\n   2) крупа\n",
    "famished": "famished\n   [↗fæmɪʃt] = starving\n",
    "starving": "starving\n   [↗stɑ:vɪŋ] _a. голодающий\n",
    "cello": "cello\n   [↗tʃɛlɜʊ] _n. (_pl. -os [oʊz]; _сокр. от violoncello) виолончель\n",
}


def b64(n: int) -> str:
    s = ""
    while True:
        s = B64[n % 64] + s
        n //= 64
        if not n:
            return s


def write_dictd(folder: Path, entries: dict[str, str] | None = None, compressed: bool = True) -> Path:
    """A dictd dictionary (NAME.index + NAME.dict.dz or NAME.dict); returns the path prefix."""
    entries = ENTRIES if entries is None else entries
    folder.mkdir(parents=True, exist_ok=True)
    data, lines = b"", []
    for head in sorted(entries):
        body = entries[head].encode("utf-8")
        lines.append(f"{head}\t{b64(len(data))}\t{b64(len(body))}")
        data += body
    prefix = folder / "test-dict"
    Path(f"{prefix}.index").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if compressed:
        Path(f"{prefix}.dict.dz").write_bytes(gzip.compress(data))
    else:
        Path(f"{prefix}.dict").write_bytes(data)
    return prefix


@pytest.fixture
def dict_prefix(tmp_path, monkeypatch) -> Path:
    """A small English-Russian dictd dictionary (the bridge's tests never need mueller7-dict);
    its translation tables are cached under tmp_path, not in the user's cache."""
    monkeypatch.setattr("rag.retrieve.bridge.cache_dir", lambda: tmp_path / "cache")
    return write_dictd(tmp_path / "dict")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_dir() -> Path:
    assert CORPUS.is_dir(), f"bundled corpus missing at {CORPUS}"
    return CORPUS


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three small files: Russian UTF-8 .txt with a broken word, English .md, Russian cp1251 .txt."""
    d = tmp_path / "docs"
    d.mkdir()
    (d / "ru_elections.txt").write_text(RU_TEXT, encoding="utf-8")
    (d / "en_farms.md").write_text(EN_MD, encoding="utf-8")
    (d / "ru_cp1251.txt").write_bytes(RU_CP1251.encode("cp1251"))
    return d


@pytest.fixture(scope="session")
def real_corpus_index(tmp_path_factory) -> rag.Index:
    """The bundled corpus with the real model (slow tests only; built once per run, ~60 s)."""
    return rag.build([CORPUS], tmp_path_factory.mktemp("real-corpus-index"))


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> rag.Index:
    folder = tmp_path_factory.mktemp("corpus_index")
    return rag.build([CORPUS], folder, model=FakeEmbedder())
