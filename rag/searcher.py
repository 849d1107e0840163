"""The read path over one generation: the retrievers wired, search and ask.

A Searcher never changes once made. rag/index.py makes a new one after every
write and swaps it in by one assignment, so a query running while an add or
remove rewires the index sees the old generation or the new one, never a mix
(new chunks with the old search structures gave IndexError or wrong passages).
"""
from __future__ import annotations

import functools

import numpy as np

from .answer import (Candidate, as_quote, context, decide, distinct, found_by, lead, make_answer, quote_rows, sentence_shifts,
                     source_span, widen)
from .dictionary import DictionaryError
from .evidence import Words, candidate_features, common_word, found_features, held, idf_of, kind_of, translator
from .embed import Embedder
from .followup import resolve
from .generation import Generation
from .ingest import page_at
from .lang import parts as lang_parts
from .limits import MAX_QUERY_CHARS, check_history, check_k, clean_query
from .question import Question, analyse, asks_nothing
from .retrieve import DenseRetriever, HybridRetriever, Query, Retriever
from .retrieve.base import cosines
from .retrieve.bridge import BridgeRetriever, load_lexicon
from .retrieve.hybrid import LexicalFusion, SentenceScorer
from .retrieve.reader import ReaderRerank
from .settings import Settings
from .span import point
from .tokens import index_head, question_encoder, token_column
from .translate import english, word_translator
from .types import Answer, Hit, QueryError, Span

RETRIEVERS = ("hybrid", "hybrid+reader", "dense", "bm25", "bridge", "bm25+bridge")


def check_retriever(retriever) -> None:
    if retriever is not None and retriever not in RETRIEVERS:
        raise QueryError(f"unknown retriever {retriever!r}: one of {', '.join(RETRIEVERS)}")


def bridge_of(lexical, s: Settings, langs) -> tuple[BridgeRetriever | None, tuple[str, ...]]:
    """The cross-lingual bridge over `lexical`, or None and a notice saying why it is off."""
    if lexical is None or not s.bridge_weight or not s.dictionary:
        return None, ()
    try:
        lexicon = load_lexicon(s.dictionary)
    except DictionaryError as e:
        return None, (f"cross-lingual lexical bridge off: {e}; install Debian's mueller7-dict "
                      f"(scripts/setup.sh) or set the dictionary setting",)
    return BridgeRetriever(lexical, lexicon, langs, functools.partial(english, langs=s.translate_langs)), ()


def cross_vector(q: Query, lexicon, settings: Settings) -> np.ndarray:
    """The question's vector for passages in other languages (Query.cross): its English
    translation's (Settings.translate_langs, rag/translate.py) or, in a language of
    Settings.gloss_langs, its English gloss's (rag/retrieve/bridge.py Lexicon.gloss) mixed in by
    Settings.gloss_weight; else the question's own."""
    w = settings.gloss_weight
    gloss = english(q, settings.translate_langs) if w else None
    if gloss is None and w and q.lang in settings.gloss_langs and lexicon is not None:
        gloss = lexicon.gloss(q.text, q.lang)
    if gloss is None:
        return q.vector
    own, other = (v / max(float(np.linalg.norm(v)), 1e-12) for v in (q.vector, q.embed(gloss)))
    v = (1 - w) * own + w * other
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(q.vector.dtype)


def stale_notices(p) -> tuple[str, ...]:
    """What an index built by older code lacks, for the user to know."""
    if any(c.shifts is None for c in p.chunks):  # written before chunk records kept them
        return ("answers' character offsets inside a quote are approximate in this index "
                "(built before 2026-12-04); build it again for exact ones",)
    return ()


def row_mask(rows_by_source: dict[str, np.ndarray], chunk_langs: np.ndarray, known_langs, sources,
             langs) -> np.ndarray | None:
    """The chunk rows a query may search (None: all): those of `sources` and in `langs`; a
    source or language the index lacks is a QueryError (an empty reply would read as "nothing
    relevant")."""
    if sources is None and langs is None:
        return None
    mask = np.ones(len(chunk_langs), bool)
    if sources is not None:
        sources = [sources] if isinstance(sources, str) else list(sources)
        unknown = [s for s in sources if s not in rows_by_source]
        if unknown:
            raise QueryError(f"not in the index: {', '.join(unknown)}")
        m = np.zeros(len(chunk_langs), bool)
        for s in sources:
            m[rows_by_source[s]] = True
        mask &= m
    if langs is not None:
        langs = [langs] if isinstance(langs, str) else list(langs)
        unknown = [str(x) for x in langs if x not in known_langs]
        if unknown:
            raise QueryError(f"no passages in language {', '.join(unknown)}; "
                             f"the index has {', '.join(sorted(known_langs)) or 'none'}")
        mask &= np.isin(chunk_langs, langs)
    return mask


class Searcher:
    def __init__(self, generation: Generation, settings: Settings, embedder: Embedder):
        self.generation, self.settings, self.embedder = generation, settings, embedder
        self.payload = p = generation.payload
        parts, s = generation.parts, settings
        by_source: dict[str, list[int]] = {}
        for i, c in enumerate(p.chunks):
            by_source.setdefault(c.source, []).append(i)
        self.rows_by_source = {k: np.asarray(v) for k, v in by_source.items()}
        self.langs = np.asarray([c.lang for c in p.chunks])
        self.known_langs = frozenset(str(x) for x in self.langs)
        self.dense = DenseRetriever(parts["faiss"], parts["rows"], p.chunk_vectors, list(self.langs),
                                    balance=s.balance, pool_correction=s.pool_correction,
                                    hub_correction=s.hub_correction, hub_k=s.hub_k)
        self.lexical = parts.get("words")
        self.names = parts.get("names")
        sent_lang = [""] * len(p.sent_vectors)
        for c in p.chunks:  # a sentence has its passage's language unless written in another script
            for sent, lang in zip(c.sents, lang_parts(c.text, c.lang, [(x.text_start, x.text_end) for x in c.sents])):
                sent_lang[sent.row] = lang
        self.chunk_sents = [np.asarray([sent.row for sent in c.sents], dtype=np.int64) for c in p.chunks]
        self.sent_scorer = (SentenceScorer(p.sent_vectors, sent_lang, s.pool_correction, s.hub_correction, s.hub_k)
                            if len(p.sent_vectors) else None)
        self.bridge, self.notices = bridge_of(self.lexical, s, self.langs)
        self.head, unread = index_head(p.manifest.model, p.sent_codes, len(p.sent_vectors))  # the quote's token head, if it can read
        self.notices += stale_notices(p) + ((unread,) if unread else ())
        self.lexical_bridge = LexicalFusion([(r, 1.0) for r in (self.lexical, self.bridge) if r is not None], s.depth)
        self.hybrid = HybridRetriever(self.dense, self.lexical, self.sent_scorer, self.chunk_sents,
                                      lex_weight=s.lex_weight, sent_weight=s.sent_weight, depth=s.depth,
                                      reserve=s.reserve, names=self.names, name_weight=s.name_weight,
                                      bridge=self.bridge, bridge_weight=s.bridge_weight, lex_by_lang=s.lex_weights())

    # ----- what a query is and where it may look
    def query(self, text: str) -> Query:
        cache: dict = {}  # its token states land here (rag/tokens.py); clean_query: the same refusals on every way in
        return Query(clean_query(text), embed=question_encoder(self.embedder, cache), cache=cache,
                     cross=functools.partial(cross_vector, lexicon=self.lexicon, settings=self.settings))

    def mask(self, sources, langs) -> np.ndarray | None:
        return row_mask(self.rows_by_source, self.langs, self.known_langs, sources, langs)

    def hit(self, row: int, score: float) -> Hit:
        c = self.payload.chunks[row]
        return Hit(text=c.text, source=c.source, start=c.start, end=c.end, page=c.page, lang=c.lang,
                   score=float(score), chunk_id=c.id)

    @functools.cached_property
    def reader(self) -> ReaderRerank:
        """The hybrid re-ordered by the reader (rag/read.py); its model loads on first use."""
        from .read import reads_with, shared_reader

        if not reads_with(self.embedder):
            raise QueryError(f"the reader reads with multilingual-e5-small's vectors; this index was built "
                             f"with {self.embedder.name}")
        return self.rerank_by(shared_reader().score)

    def rerank_by(self, score, sentences: int | None = None) -> ReaderRerank:
        """The hybrid re-ordered by `score(question, sentences, cosines)` over the settings'
        reader depth and `sentences` (default: the settings' reader_sentences)."""
        p, s = self.payload, self.settings
        return ReaderRerank(self.hybrid, score, p.sent_vectors, [c.sents for c in p.chunks], [c.text for c in p.chunks],
                            self.langs, s.reader_depth, s.reader_sentences if sentences is None else sentences)

    def default(self) -> Retriever:
        """What search and ask use: the hybrid, re-ordered by the reader when Settings.reader is on."""
        return self.reader if self.settings.reader else self.hybrid

    # ----- search, ask, read around
    def search(self, query: str, k: int = 10, sources=None, langs=None, retriever: str | None = None) -> list[Hit]:
        """`retriever`: one of RETRIEVERS; None, the default (Settings.reader decides on the reader)."""
        check_retriever(retriever)
        k = check_k(k)
        q = self.query(query)
        if k <= 0 or not self.payload.chunks:
            return []
        r = self.pick(retriever)
        if r is None or not q.has_words:  # punctuation or emoji alone asks nothing
            return []
        return [self.hit(s.row, s.score) for s in r.search(q, k, self.mask(sources, langs))]

    def pick(self, retriever: str | None) -> Retriever | None:
        """The retriever of that name (None: the default); None when that one is off (no bridge)."""
        if retriever is None:
            return self.default()
        if retriever == "hybrid+reader":
            return self.reader
        return {"hybrid": self.hybrid, "dense": self.dense, "bm25": self.lexical, "bridge": self.bridge,
                "bm25+bridge": self.lexical_bridge}[retriever]

    def ask(self, query: str, k: int = 5, sources=None, langs=None, history=None,
            retriever: str | None = None) -> Answer:
        """`history`: earlier questions of the conversation; an elliptic question ("А в 1923
        году?") is searched with the previous one's content (rag/followup.py). `retriever`:
        as for search (None: the default)."""
        check_retriever(retriever)
        k, history = check_k(k), check_history(history)
        q = self.query(query)
        junk = asks_nothing(q.text)  # "xxxxxxxx", one word over and over: declined, nearest passages shown
        if history:
            q = self.query(resolve(q.text, history)[:MAX_QUERY_CHARS])  # with what it carries over
        mask = self.mask(sources, langs)
        # a question of punctuation or emoji alone asks nothing the documents could answer
        r = self.pick(retriever) if self.payload.chunks and q.has_words else None
        scored = r.search(q, k, mask) if r is not None else []
        hits = [self.hit(s.row, s.score) for s in scored]
        cands = self.candidates(q, scored, hits)
        question = analyse(q.text, q.lang)
        st = self.settings
        feats, scores = self.quote_scores(q, question, cands)
        rows = quote_rows(cands, scores, st.max_quotes, st.quote_margin)
        span, missing, close = None, (), False
        if rows:
            rows, missing = lead(question, rows, lambda i: tuple(self.missing(question, q.lang, cands[i])),
                                 st.lead_missing)
            span = self.point(question, q.lang, cands[rows[0]])
            close = found_by(st.found_weights, found_features(cands, feats, scores))
        quotes = distinct([as_quote(self.widen(cands, scores, i, scored), scores[i]) for i in rows])  # as read
        declined = junk or any(kind_of(question, m) in st.decline_missing for m in missing)
        return make_answer(hits, quotes, decide(cands), q.lang, q.text, span, missing, declined, close)

    def quote_scores(self, q: Query, question: Question, cands: list[Candidate]) -> tuple[np.ndarray, np.ndarray]:
        """The candidates' features (the token head's column last where it reads this index) and
        their weighted scores: the quote's order, and what the found rule weighs
        (eval/calibrate.py fits it on these)."""
        st = self.settings
        tokens = token_column(self.head, q.cache.get(("tokens", q.text)), self.payload.sent_codes, [c.row for c in cands])
        feats = candidate_features(question, q.lang, cands, self.idf, self.lexicon, tokens)
        return feats, feats @ np.asarray(st.token_quote_weights if tokens is not None else st.quote_weights)

    def candidates(self, q: Query, scored, hits: list[Hit]) -> list[Candidate]:
        """The sentences of the top max_quotes passages, each with its similarity and the
        calibrated threshold of its own language pair with the question."""
        out: list[Candidate] = []
        if not scored or self.sent_scorer is None:
            return out
        st, langs = self.settings, self.sent_scorer.norm.langs
        same_t, cross_t = st.thresholds(q.lang)
        for rank, (hit, s) in enumerate(zip(hits, scored[: st.max_quotes])):
            c, rows = self.payload.chunks[s.row], self.chunk_sents[s.row]
            if not len(rows):
                continue
            z = self.sent_scorer.scores(q.vector_for, rows)
            cos = cosines(self.payload.sent_vectors, rows, q.vector)
            pages = self.payload.manifest.files.get(c.source, {}).get("page_starts")
            for sent, zz, cc in zip(c.sents, z, cos):
                lang = str(langs[sent.row])
                # across languages e5's cosines run ~0.04 lower (eval/calibrate.py)
                cross = q.lang != "und" and lang != q.lang
                out.append(Candidate(hit, rank, sent.row, c.text[sent.text_start : sent.text_end], sent.start,
                                     sent.end, page_at(pages, sent.start), lang, float(zz), float(cc),
                                     cross_t if cross else same_t, sentence_shifts(c, sent)))
        return out

    def widen(self, cands: list[Candidate], scores: np.ndarray, i: int, scored) -> Candidate:
        """Candidate i as quoted: with its passage's neighbours within the quote margin of the
        best score, and the sentence a first one points back to (rag/answer.py widen)."""
        c = cands[i]
        chunk = self.payload.chunks[scored[c.rank].row]  # its passage: the hit of its rank (candidates())
        floor = float(np.max(scores)) - self.settings.quote_margin
        near = {x.row for x, s in zip(cands, scores) if x.passage.chunk_id == c.passage.chunk_id and s >= floor}
        return widen(c, chunk, near, self.payload.manifest.files.get(chunk.source, {}).get("page_starts"))

    def missing(self, question: Question, q_lang: str, quote: Candidate) -> list[str]:
        """The question's constraints not found near the quote: in the document text
        Settings.near_chars either side of it, its names Settings.near_names (rag/evidence.py held)."""
        st = self.settings
        wide, narrow = (self.context(quote.hit, n) for n in (st.near_chars, st.near_names))
        tr = translator(self.lexicon, q_lang, quote.lang)
        if tr is None and quote.lang == "en" and q_lang in st.translate_langs:
            tr = word_translator(question, q_lang)  # its names and counted words, each by Apertium
        return held(question, Words.of(f"{wide[0]} {quote.text} {wide[1]}", quote.lang), tr, self.lexicon,
                    names_in=Words.of(f"{narrow[0]} {quote.text} {narrow[1]}", quote.lang))

    def point(self, question: Question, q_lang: str, quote: Candidate) -> Span | None:
        """The typed answer inside the quote, in source offsets, or None when unsure."""
        p = point(quote.text, question, self.settings.span_margin, common_word(self.lexicon, quote.lang),
                  translator(self.lexicon, q_lang, quote.lang))
        if p is None:
            return None
        start, end = source_span(quote, p.start, p.end)
        return Span(p.text, quote.passage.source, start, end, question.kind)

    @functools.cached_property
    def idf(self):
        return idf_of(self.lexical)

    @functools.cached_property
    def lexicon(self):
        """The bridge's dictionary tables, for word overlap across Russian and English; None when off."""
        return self.bridge.lexicon if self.bridge is not None else None

    def context(self, hit: Hit, chars: int = 800) -> tuple[str, str]:
        # its own file's chunks near it, not the whole index's (a book has hundreds); the window is
        # wide in source offsets, where cleaning's dropped junk and joined hyphens take room too
        lo, hi, chunks = hit.start - 4 * chars - 4000, hit.end + 4 * chars + 4000, self.payload.chunks
        near = [chunks[i] for i in self.rows_by_source.get(hit.source, ()) if chunks[i].end >= lo and chunks[i].start <= hi]
        return context(near, hit, chars)
