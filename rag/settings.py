"""All tunable settings in one frozen record, stored in the manifest.

Two kinds, in two sections:
  - index-time: they decide what is written (the chunks, which files are taken, the
    shards), so a change applies to documents indexed after it; to apply it to the whole
    index, rebuild (`rag index`), or for `shards` reshard (`rag reshard`, Index.reshard;
    Index.reconfigure refuses it). `docs`, the document encoder, is stored as asked (RAG_DOCS,
    when set, overrides it); the model's fingerprint records the encoder used, which is fp32
    for models without an int8 encoder.
  - query-time: read when a Searcher is made, so Index.reconfigure changes them in memory
    on a loaded index and the next write stores them; nothing is re-embedded.
All fields are stored in the manifest's "settings" (by name: the JSON keys are sorted, so
the order here is free), and the seed index (rag/seed.py) is used only while every one of
them is at its default.
"""
from __future__ import annotations

import re

from dataclasses import asdict, dataclass, fields


# the fields that decide what a build writes; the rest are read at query time
INDEX_TIME = ("chunk_size", "chunk_overlap", "max_file_chars", "max_file_items", "shards", "docs")


# the default model's document encoders (Settings.docs), the default first
DOCS = ("student", "int8", "fp32")


@dataclass(frozen=True)
class Settings:
    # ---------------------------------------------------------------- index-time
    # Chunking; sizes in characters. Chosen by eval/tune.py on the corpus set.
    # (measured r@5 on the corpus set: 300 -> .68, 600 -> .76, 900 -> .79,
    # 1500 -> .84; 1500 characters of Russian is ~450 tokens, under e5's 512)
    chunk_size: int = 1500
    chunk_overlap: int = 300
    # Bounded work per file: a file whose extracted text, or whose passages + sentences to
    # embed, exceed these is skipped with the reason (a small file can expand enormously:
    # a 48 KB .docx gave 2.7 MB of text). 5M characters is about 2,000 book pages; the
    # bundled corpus's largest file has 0.6M characters and 3,100 items.
    max_file_chars: int = 5_000_000
    max_file_items: int = 40_000
    # Shards by document (rag/store.py): each has its own files, FAISS and BM25;
    # a query fans out to all and merges to exactly the one-shard result.
    shards: int = 1
    # The document encoder of the default model (rag/embed.py load_embedder), one of DOCS:
    # "student" (e5's 10-layer student, rag/student.py, in int8), "int8" (e5 in int8: per-token
    # + SmoothQuant, rag/quantize.py) or "fp32". Questions are e5 fp32 either way. int8 and
    # then the student were adopted by the paired rule of docs/adoption.md (no significant loss
    # on 3,000+ questions; docs/results/adopt.md, docs/results/distill10-int8/adopt.md); other
    # models always use fp32.
    docs: str = "student"

    # ---------------------------------------------------------------- query-time
    # Fusion (see rag/retrieve/hybrid.py); sentence and name weights chosen by eval/tune.py,
    # the two BM25 weights (same-language and translated, equal) by `python -m eval.bridge`
    # over lex_weight 1-8 x bridge_weight 0-12 on the corpus set: 1/0 (no bridge) r@5 .868,
    # MRR@10 .765; 8/8 r@5 .934, MRR@10 .815, no same-language slice lower.
    lex_weight: float = 8.0
    # ... but for a question in one of these languages over passages in its own language,
    # "lang:weight": where e5 reads a language less well, BM25 deserves more. Each the weight of
    # 8 / 12 / 16 / 24 with the best r@1 of its questions over its own XQuAD paragraphs, training
    # articles 0-23 (`python -m research.lex_by_lang`); Russian and English stay with the corpus
    # set's choice (12 for all costs it 3 first hits and 2 declined near misses, `eval.adopt`).
    lex_by_lang: tuple[str, ...] = ("es:12", "zh:24", "ar:24", "el:24", "hi:16", "ro:24", "th:24", "tr:12", "vi:16")
    sent_weight: float = 2.0
    name_weight: float = 2.0  # names matched across scripts (rag/translit.py)
    # Cross-lingual lexical bridge (retrieve/bridge.py): the question's words translated
    # through a dictd English-Russian dictionary at `dictionary` (path without .index);
    # "" or a missing dictionary turns it off (Index.notices says so).
    bridge_weight: float = 8.0
    dictionary: str = "/usr/share/dictd/mueller7"
    depth: int = 50
    balance: bool = True
    pool_correction: float = 0.6  # share of the expected max z per language pool (retrieve/dense.py)
    reserve: int = 2  # places in the top k kept for each other language
    # Hubness correction across languages (retrieve/dense.py: hubness): this share of
    # a row's mean cosine to its hub_k nearest other-language rows is subtracted.
    hub_correction: float = 0.5
    hub_k: int = 10
    # Abstention: "not in the documents" when the cosine of the question to
    # the best sentence of the top passages is below this; a separate value
    # when that sentence is in another language than the question. Calibrated
    # by eval/calibrate.py on the corpus eval set (answer >= 97 % of the
    # answerable questions of each set); across languages then lowered from
    # 0.7975 to what answers 97 % of XQuAD's Russian questions over English
    # paragraphs (`python -m eval.calibrate --langs ru,en`: ru 0.7650, en over
    # Russian 0.7750), which 0.7975 answered 70 % of (docs/answers.md section 3).
    abstain_below: float = 0.8075
    abstain_below_cross: float = 0.7650
    # Per question language, "lang:same:cross", where e5's cosines run lower still (`python -m
    # eval.calibrate --langs all`: 97 % of XQuAD's calibration questions in that language answered,
    # never above the pair above; since the pair's cross-language value came down to 0.7650 only
    # Vietnamese runs lower). A language not listed uses the pair above.
    abstain_by_lang: tuple[str, ...] = ("vi:0.8075:0.7625",)
    # Opt-in: found or not by weighed evidence (rag/answer.py found_by), these weights over
    # evidence.FOUND (the best margin over its pair's threshold above, the quote's weighted
    # score, its z, overlap, constraints held, type fit) and a bias last; found when the sum
    # clears 0. Empty (the default): the margin alone. `python -m eval.calibrate --found` fits
    # them on XQuAD's training articles, questions on topic against the same questions with
    # their article masked out. It declines about half of such off-topic questions, and about
    # 3 % of answerable ones: refused as the default by the paired rule (docs/answers.md).
    found_weights: tuple[float, ...] = ()
    max_quotes: int = 3
    # The reader (rag/read.py, issue 13), opt-in: search and ask re-order the hybrid's top
    # `reader_depth` passages in the question's language by a cross-encoder that reads their
    # `reader_sentences` sentences closest to the question (rag/retrieve/reader.py). Off by
    # default: it fails issue 13's adoption rule on the corpus set (one slice drops), for
    # about 0.18 s a question (rag/models/README.md has the figures). 10 sentences: the most
    # that keeps search within its 250 ms budget on 2 cores.
    reader: bool = False
    reader_depth: int = 10
    reader_sentences: int = 10
    # The quote (rag/evidence.py, issue 27): each candidate sentence of the top max_quotes
    # passages is scored by these weights over evidence.FEATURES (z, margin to its own
    # threshold, idf-weighted word overlap, the question's constraints held, answer-type
    # fit, passage rank, the previous sentence's overlap); fitted by `python -m eval.quotes fit`
    # on XQuAD's training articles and eval/questions. Further quotes: within quote_margin of the
    # best, one a passage; a neighbour of a quoted sentence within it joins that quote (rag/answer.py widen).
    quote_weights: tuple[float, ...] = (1.01, 0.079, 1.641, 0.139, 0.961, 1.859, 0.644)
    # ... and these where the index keeps its sentences' token codes (rag/tokens.py): the same
    # features and the token head's score last, fitted together by `python -m eval.quotes fit`
    # on the head's out-of-fold scores (research/recipes/quote_head.py writes them)
    token_quote_weights: tuple[float, ...] = (0.539, 0.058, 0.852, 0.112, 0.933, 1.58, 0.679, 1.556)
    quote_margin: float = 1.0
    # The answer pointed out (rag/span.py): the typed candidate the question's words pull
    # hardest is shown only this much ahead of the next one (or alone in its sentence);
    # chosen on XQuAD's training articles by `python -m research.span_choice`.
    span_margin: float = 0.2
    # "Not in the documents" also when the first quote's passage lacks one of the question's
    # constraints of these kinds ("year", "number", "date", "counted", "name"; rag/evidence.py held),
    # chosen by `python -m eval.quotes fit` on near-miss questions (a date with its month: by the
    # paired rule, with lead_missing, docs/answers.md section 4); the others only mark the
    # answer a partial match.
    decline_missing: tuple[str, ...] = ("year", "number", "date")
    # ... but first, when the first quote lacks one of these kinds and a later quote's
    # neighbourhood holds it, that quote leads (rag/answer.py lead)
    lead_missing: tuple[str, ...] = ("date",)
    near_chars: int = 1500  # "near the quote": this much document text either side of it
    # ... but a name of the question only this near: it is who or what the question is about,
    # and a quote about someone else a page away from their name is not about them (a year or
    # a date holds a whole section). Measured on eval/questions' near misses (docs/answers.md):
    # 300 before the quote's token head (rag/tokens.py), which picks sentences that name them by
    # a pronoun or spelt out a little farther ("Paul T. Stallsworth, president of the Taskforce of
    # United Methodists…" for "TUMAS", 350-400 characters; research/near_names.py): 400 by the
    # paired rule.
    near_names: int = 400
    # A question in one of these languages reads passages in other languages with its English
    # gloss (its words' first translations in the bridge's dictionaries, rag/retrieve/bridge.py
    # Lexicon.gloss) mixed into its vector by this weight (rag/searcher.py cross_vector); its own
    # language's passages, and found or not, with its own vector. Chosen on XQuAD's training
    # articles by `python -m research.gloss`: the languages whose r@1 into English and into
    # English + Russian gains on average (zh +0.026, de +0.012, el +0.012, ar +0.007, tr +0.006;
    # Hindi -0.001 is left out; a Russian gloss through Mueller's dictionary lost, ru->en
    # 0.912 -> 0.904, `--variant mueller`; Spanish's dictionary is not installed). A weight of 0.5 did
    # no better on average (`--weights 0.5`: el up, de down).
    gloss_weight: float = 0.3
    gloss_langs: tuple[str, ...] = ("zh", "de", "el", "ar", "tr")
    # A question in one of these languages is machine-translated into English by Apertium where
    # Debian's pair is installed (rag/translate.py; scripts/setup.sh installs apertium-eng-spa):
    # the bridge's BM25 reads the translation's words in passages of other languages, and its
    # vector, not a word-for-word gloss, is mixed in by gloss_weight. Measured on XQuAD by
    # `python -m research.apertium` (docs/retrieval.md); Spanish is the one XQuAD language with a
    # pair into English.
    translate_langs: tuple[str, ...] = ("es",)
    # (new query-time settings go here)

    def __post_init__(self):
        for f in fields(self):  # JSON and to_dict() give lists; the record keeps tuples (hashable, comparable)
            if isinstance(getattr(self, f.name), list):
                object.__setattr__(self, f.name, tuple(getattr(self, f.name)))
        if self.docs not in DOCS:
            raise ValueError(f"docs must be one of {', '.join(repr(d) for d in DOCS)}, not {self.docs!r}")
        for entry in self.abstain_by_lang:
            if not re.fullmatch(r"[a-z]{2,3}:0?\.\d+:0?\.\d+", str(entry)):
                raise ValueError(f"abstain_by_lang entries are 'lang:same:cross' (e.g. 'vi:0.80:0.77'), not {entry!r}")
        for entry in self.lex_by_lang:
            if not re.fullmatch(r"[a-z]{2,3}:\d+(?:\.\d+)?", str(entry)):
                raise ValueError(f"lex_by_lang entries are 'lang:weight' (e.g. 'el:24'), not {entry!r}")
        if self.found_weights and len(self.found_weights) != 7:
            raise ValueError(f"found_weights are 6 weights and a bias (rag/evidence.py FOUND), or none; "
                             f"not {len(self.found_weights)} values")
        for name, n in (("quote_weights", 7), ("token_quote_weights", 8)):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} are {n} weights (rag/evidence.py FEATURES; token_quote_weights "
                                 f"the token head's last), not {len(getattr(self, name))}")
        if not isinstance(self.shards, int) or isinstance(self.shards, bool) or self.shards < 1:
            raise ValueError(f"shards must be a whole number >= 1, not {self.shards!r}")

    def thresholds(self, lang: str) -> tuple[float, float]:
        """(same-language, cross-language) abstention thresholds for a question in `lang`."""
        for entry in self.abstain_by_lang:
            code, same, cross = entry.split(":")
            if code == lang:
                return float(same), float(cross)
        return self.abstain_below, self.abstain_below_cross

    def lex_weights(self) -> dict[str, float]:
        """Question language -> its own lex_weight (the rest use lex_weight)."""
        return {code: float(w) for code, w in (e.split(":") for e in self.lex_by_lang)}

    def to_dict(self) -> dict:
        """As stored in the manifest: JSON's types (a tuple is a list), so that a record and
        one read back from disk compare equal."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> Settings:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def replace(self, **kw) -> Settings:
        return Settings(**{**asdict(self), **kw})
