"""Streamlit chat over the bundled corpus: UI only; the logic is in rag/ (uploads: rag/uploads.py).

Document text is never rendered as HTML: it goes through md_escape (rag/export.py: markdown
with every markup character escaped) or st.code, and nothing here uses unsafe_allow_html.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import streamlit as st

import rag
from rag import background, seed, uploads
from rag.export import Turn, md_escape, md_inline, to_json, to_markdown
from rag.files import shown_name
from rag.ingest import discover
from rag.pages import PAGED, find_file, highlighted_page
from rag.lang import detect

ROOT = Path(__file__).parent
INDEX = Path(os.environ.get("RAG_INDEX_DIR", ROOT / "index"))
CORPUS = Path(os.environ.get("RAG_CORPUS_DIR", ROOT / "data" / "corpus"))
WINDOW = 300  # characters of the passage shown on each side of a quote before expanding
CONTEXT = 800  # characters of the document shown on each side of the passage when expanded

LABELS = {
    "en": {
        "title": "Ask the documents",
        "placeholder": "Ask in Russian or English",
        "filters": "Search",
        "sources": "Documents to search",
        "sources_all": "All documents",
        "langs": "Languages to search",
        "langs_all": "All languages",
        "k": "Passages",
        "scores": "Show relevance scores",
        "documents": "Indexed documents",
        "doc_line": "chunks: {chunks} · {langs}",
        "uploaded": "uploaded",
        "upload": "Add documents",
        "upload_label": "Files to index",
        "upload_help": "{types}; at most {n} files of {mb} MB each",
        "upload_button": "Index uploaded files",
        "upload_none": "Choose files first.",
        "indexed": "Indexed: {names}",
        "unchanged": "Already indexed, unchanged: {names}",
        "refused": "Not indexed — {name}: {reason}",
        "indexed_with_warning": "Indexed with a warning — {name}: {reason}",
        "remove": "Remove a document",
        "remove_button": "Remove from the index",
        "remove_choose": "Choose a document",
        "remove_help": "An uploaded document's file is deleted; a bundled one stays on disk.",
        "removed": "Removed: {name}",
        "not_found": "**Not in the documents.** The nearest passages:",
        "nearest": "Nearest passages",
        "cross": "cross-lingual: {q} → {d}",
        "page": "p. {n}",
        "chars": "chars {s}–{e}",
        "score": "score {v:.2f}",
        "more": "Surrounding text",
        "cite": "Copy citation",
        "on_page": "Show on the page",
        "page_gone": "The file is no longer where it was indexed from, or has changed since.",
        "page_not_found": "the quote could not be placed on the page",
        "searched": "Searched in: {what}",
        "searched_as": "A follow-up: searched as «{q}»",
        "ask_alone": "Ask it on its own",
        "conversation": "This conversation",
        "export_md": "Download as Markdown",
        "export_json": "Download as JSON",
        "unusable": "The saved index cannot be used: {why}. Rebuilding it indexes the bundled corpus and "
                    "the uploads again; documents added to it in other ways (the `rag` command) are dropped.",
        "rebuild_button": "Rebuild the index",
        "loading": "Loading the index and the model…",
        "read": "Reading files",
        "chunk": "Cleaning and splitting into passages",
        "embed": "Embedding passages and sentences",
        "write": "Writing the index",
        "ocr": "Reading scanned pages (OCR)",
        "filling": "Indexing the documents: {done} of {total} files done. Ask already: answers come from "
                   "the {docs} documents indexed so far.",
        "filling_first": "Indexing the documents; the chat opens as soon as the first one is ready…",
        "partial": "Searched only the documents indexed so far ({docs}); {left} of {total} files are still being "
                   "indexed.",
        "not_found_partial": "**Not in the documents indexed so far.** The nearest passages:",
        "pending_docs": "Not indexed yet: {n} of {total} files (indexing).",
        "forms_wait": "Adding and removing documents opens when indexing finishes.",
        "fill_failed": "Indexing stopped: {why}. The documents indexed before that stay searchable; "
                       "the next start tries the rest again.",
        "fill_skipped": "Files not indexed: {n}",
        "corpus_new": "New or changed files in the documents folder, not indexed yet ({n}): {names}.",
        "corpus_index": "Index them",
    },
    "ru": {
        "title": "Вопросы к документам",
        "placeholder": "Спросите по-русски или по-английски",
        "filters": "Поиск",
        "sources": "Искать в документах",
        "sources_all": "Во всех документах",
        "langs": "Языки поиска",
        "langs_all": "Все языки",
        "k": "Фрагментов",
        "scores": "Показывать оценки релевантности",
        "documents": "Документы в индексе",
        "doc_line": "фрагментов: {chunks} · {langs}",
        "uploaded": "загружен",
        "upload": "Добавить документы",
        "upload_label": "Файлы для индексации",
        "upload_help": "{types}; не больше {n} файлов по {mb} МБ",
        "upload_button": "Проиндексировать файлы",
        "upload_none": "Сначала выберите файлы.",
        "indexed": "Проиндексированы: {names}",
        "unchanged": "Уже в индексе, без изменений: {names}",
        "refused": "Не проиндексирован — {name}: {reason}",
        "indexed_with_warning": "Проиндексирован с предупреждением — {name}: {reason}",
        "remove": "Удалить документ",
        "remove_button": "Удалить из индекса",
        "remove_choose": "Выберите документ",
        "remove_help": "Файл загруженного документа удаляется; файлы корпуса остаются на диске.",
        "removed": "Удалён: {name}",
        "not_found": "**В документах ответа нет.** Ближайшие фрагменты:",
        "nearest": "Ближайшие фрагменты",
        "cross": "межъязыковой: {q} → {d}",
        "page": "с. {n}",
        "chars": "символы {s}–{e}",
        "score": "оценка {v:.2f}",
        "more": "Текст вокруг",
        "cite": "Скопировать цитату",
        "searched": "Поиск в: {what}",
        "on_page": "Показать на странице",
        "page_gone": "Файла больше нет там, откуда он был проиндексирован, или он изменился.",
        "page_not_found": "цитату не удалось найти на странице",
        "searched_as": "Уточняющий вопрос: искали «{q}»",
        "ask_alone": "Спросить отдельно",
        "conversation": "Этот разговор",
        "export_md": "Скачать в Markdown",
        "export_json": "Скачать в JSON",
        "unusable": "Сохранённый индекс нельзя использовать: {why}. При перестройке заново индексируются "
                    "корпус и загруженные файлы; документы, добавленные иначе (командой `rag`), пропадут.",
        "rebuild_button": "Перестроить индекс",
        "loading": "Загрузка индекса и модели…",
        "read": "Чтение файлов",
        "chunk": "Очистка и разбиение на фрагменты",
        "embed": "Векторизация фрагментов и предложений",
        "write": "Запись индекса",
        "ocr": "Распознавание отсканированных страниц (OCR)",
        "filling": "Документы индексируются: готово {done} из {total} файлов. Спрашивать уже можно: ответы "
                   "ищутся в {docs} уже проиндексированных документах.",
        "filling_first": "Документы индексируются; чат откроется, как только будет готов первый…",
        "partial": "Поиск только в уже проиндексированных документах ({docs}); ещё индексируются {left} из {total} "
                   "файлов.",
        "not_found_partial": "**В уже проиндексированных документах ответа нет.** Ближайшие фрагменты:",
        "pending_docs": "Ещё не в индексе: {n} из {total} файлов (индексируются).",
        "forms_wait": "Добавлять и удалять документы можно будет, когда индексация закончится.",
        "fill_failed": "Индексация остановилась: {why}. Уже проиндексированные документы доступны для поиска; "
                       "при следующем запуске остальные будут проиндексированы снова.",
        "fill_skipped": "Не проиндексированы файлы: {n}",
        "corpus_new": "Новые или изменённые файлы в папке документов, ещё не в индексе ({n}): {names}.",
        "corpus_index": "Проиндексировать их",
    },
}


def t(key: str, **kw) -> str:
    """A UI label in the language chosen in the sidebar (English until one is chosen)."""
    return LABELS[st.session_state.get("ui_lang", "en")][key].format(**kw)


# ------------------------------------------------------------------ the index
@st.cache_resource(show_spinner=False)
def load_index(folder: str, _built: rag.Index | None = None) -> rag.Index:
    """One Index per server process, shared by all sessions (it locks its own updates).
    `_built` (not part of the cache key) hands over an index just built, so the model
    is not loaded twice on the first start."""
    return _built if _built is not None else rag.load(folder)


@st.cache_resource(show_spinner=False)
def build_lock() -> threading.Lock:
    return threading.Lock()  # two sessions opened at first start must not both build


def upload_folder() -> Path | None:
    """The uploads folder, or None (uploads off) when it is misconfigured into the corpus."""
    try:
        return uploads.upload_dir(INDEX, CORPUS)
    except uploads.UploadError as e:
        st.sidebar.error(md_escape(str(e)))
        return None


def progress_callback(bar):
    """An Index progress callback that shows the stage in words on a st.progress bar."""
    def report(stage: str, done: int, total: int) -> None:
        label = t(stage) if stage in LABELS["en"] else stage
        bar.progress(min(1.0, done / max(total, 1)), text=f"{label}: {done}/{total}")
    return report


def get_index() -> rag.Index:
    """The saved index. When there is none (or it is unusable), an empty one filled in the
    background (rag/background.py): the chat answers from the documents done while the
    rest are read. A fill cut short by a stopped server is taken up again here."""
    try:
        with st.spinner(t("loading")):
            idx = load_index(str(INDEX))
    except rag.IndexFormatError as e:
        why = e
    else:
        if background.running(INDEX) is None and (paths := background.pending(INDEX)):
            background.fill(idx, paths)  # the files done are unchanged and skipped by their hash
        return idx
    with build_lock():
        try:
            return load_index(str(INDEX))  # built meanwhile by another session
        except rag.IndexFormatError:
            pass
        first = not (INDEX / "manifest.json").exists()
        saved = upload_folder()
        has_uploads = bool(saved and uploads.list_uploads(saved))
        if first and not has_uploads and CORPUS.resolve() == seed.CORPUS and seed.why_stale() is None:
            # the shipped index of the bundled corpus, proven current (rag/seed.py): seconds, not minutes
            seed.install(seed.SEED, INDEX)
            return load_index(str(INDEX))
        if not first:
            # An index exists (rag.load already retried past other processes' commits): rebuilding
            # it from the corpus and uploads would drop documents added with the CLI, so only on request.
            st.error(t("unusable", why=md_escape(str(why))))
            if not st.button(t("rebuild_button"), key="rebuild"):
                st.stop()
        with st.spinner(t("loading")):
            idx = rag.Index.create(INDEX)
        paths = [CORPUS] + ([saved] if has_uploads else [])  # uploads survive a rebuild
        background.fill(idx, paths, replace_all=True)
        return load_index(str(INDEX), _built=idx)


@st.fragment(run_every=1.0)
def fill_status() -> None:
    """Progress of the background fill, redrawn every second; the whole page is rerun when a
    part is committed or the fill ends, so the document list, filters and chat catch up."""
    s = background.last(INDEX).state()  # called only once a fill exists; it stays the last one
    now = (s.documents, s.finished)
    if st.session_state.setdefault("fill_seen", now) != now:
        st.session_state.fill_seen = now
        st.rerun(scope="app")
    if s.finished:
        return
    total = max(s.files_total, 1)
    st.progress(s.files_done / total,
                text=t("filling", done=s.files_done, total=s.files_total, docs=s.documents) if s.documents
                else t("filling_first"))
    if s.stage in LABELS["en"]:
        st.caption(f"{t(s.stage)}: {s.done}/{s.total}")


def fill_outcome() -> None:
    """What the last fill of this server left to say: an error, or files it could not index."""
    f = background.last(INDEX)
    s = f.state() if f else None
    if s is None or not s.finished:
        return
    if s.error:
        st.error(t("fill_failed", why=md_escape(s.error)))
    elif s.report and s.report.skipped:
        with st.expander(t("fill_skipped", n=len(s.report.skipped))):
            for name, why in s.report.skipped:
                st.caption(md_escape(f"{shown_name(name)}: {why}"))


def partial() -> dict | None:
    """While a fill runs: how much of the corpus the index holds so far (said with each answer)."""
    f = background.running(INDEX)
    if f is None:
        return None
    s = f.state()
    return {"docs": s.documents, "left": max(s.files_total - s.files_done, 0), "total": s.files_total}


# ------------------------------------------------------------------ answers
def where(h: rag.Hit) -> str:
    page = f" · {t('page', n=h.page)}" if h.page is not None else ""
    return f"{shown_name(h.source)}{page} · {t('chars', s=h.start, e=h.end)}"


def meta_line(q: rag.Hit, query_lang: str, show_scores: bool) -> str:
    """Source, page, span, language tag, cross-lingual badge and (optionally) the score."""
    lang = detect(q.text)
    parts = [md_escape(where(q)), f":gray-badge[{lang.upper()}]"]
    if query_lang in ("ru", "en") and lang in ("ru", "en") and lang != query_lang:
        parts.append(f":violet-badge[{t('cross', q=query_lang, d=lang)}]")
    if show_scores:
        parts.append(t("score", v=q.score))
    return " · ".join(parts)


def clip_words(text: str, n: int, from_end: bool) -> str:
    """At most `n` characters of `text` (its end or its start), cut between words."""
    if len(text) <= n:
        return text
    if from_end:
        return "… " + text[-n:].split(None, 1)[-1]
    return text[:n].rsplit(None, 1)[0] + " …"


def highlighted(before: str, quote: str, after: str) -> str:
    """Markdown of a quote highlighted between escaped text: nothing in it is markup."""
    return f"{md_escape(before)} :orange-background[{md_inline(quote)}] {md_escape(after)}".strip()


def quote_in_passage(q: rag.Hit, passage: rag.Hit | None) -> tuple[str, str]:
    """The passage text before and after the quote ("", "" when it cannot be placed)."""
    i = passage.text.find(q.text) if passage is not None else -1
    if i < 0:
        return "", ""
    return passage.text[:i], passage.text[i + len(q.text):]


def citation(q: rag.Hit) -> str:
    return f"«{' '.join(q.text.split())}» — {where(q)}"


@st.cache_data(max_entries=64, show_spinner=False)
def page_png(path: str, page: int, quote: str, sha256: str) -> tuple[bytes, bool]:
    """The quote's page as PNG, highlighted (sha256: a changed file is a new cache entry)."""
    import io

    image, found = highlighted_page(path, page, quote)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue(), found


def stamps(source: str, folders: tuple[str, ...]) -> tuple:
    """Size and modification time of each candidate file: a new stamp means hash it again."""
    out = []
    for f in folders:
        try:
            st_ = (Path(f) / source).stat()
            out.append((st_.st_size, st_.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


@st.cache_data(max_entries=256, show_spinner=False)
def located(source: str, folders: tuple[str, ...], sha256: str, version: tuple) -> str | None:
    """find_file, hashed once per file version (`version`: stamps(), part of the cache key only)
    rather than on every rerun of the chat."""
    path = find_file(source, [Path(f) for f in folders], sha256)
    return str(path) if path else None


def show_on_page(index: rag.Index, q: rag.Hit, key: str) -> None:
    """A toggle under a quote from a PDF or image: its page, the quote highlighted."""
    meta = index.payload.manifest.files.get(q.source, {})
    if q.page is None or Path(q.source).suffix.lower() not in PAGED:
        return
    if not st.toggle(t("on_page"), key=f"page_{key}"):
        return
    folder = upload_folder()
    folders = tuple(str(f) for f in (CORPUS, folder) if f)
    path = located(q.source, folders, meta.get("sha256", ""), stamps(q.source, folders))
    if path is None:
        st.caption(t("page_gone"))
        return
    png, found = page_png(str(path), q.page, q.text, meta["sha256"])
    st.image(png, caption=t("page", n=q.page) + ("" if found else " · " + t("page_not_found")))


def show_quote(index: rag.Index, q: rag.Hit, passage: rag.Hit | None, query_lang: str,
               show_scores: bool, key: str = "") -> None:
    before, after = quote_in_passage(q, passage)
    with st.container(border=True):
        st.caption(meta_line(q, query_lang, show_scores))
        st.markdown(highlighted(clip_words(before, WINDOW, True), q.text, clip_words(after, WINDOW, False)))
        if passage is not None:
            with st.expander(t("more")):
                doc_before, doc_after = index.context(passage, chars=CONTEXT)
                if doc_before:
                    st.caption(md_escape("… " + doc_before))
                st.markdown(highlighted(before, q.text, after) if before or after else md_escape(passage.text))
                if doc_after:
                    st.caption(md_escape(doc_after + " …"))
        with st.expander(t("cite")):
            st.code(citation(q), language=None, wrap_lines=True)
        show_on_page(index, q, key)


def show_answer(index: rag.Index, ans: rag.Answer, show_scores: bool, key: str = "", part: bool = False) -> None:
    if not ans.found:
        st.markdown(t("not_found_partial") if part else t("not_found"))
        with st.expander(t("nearest"), expanded=False):
            for h in ans.hits[:3]:
                st.caption(md_escape(where(h)) + (f" · {t('score', v=h.score)}" if show_scores else ""))
                st.markdown(md_escape(h.text))
        return
    by_id = {h.chunk_id: h for h in ans.hits}
    for j, q in enumerate(ans.quotes):
        show_quote(index, q, by_id.get(q.chunk_id), ans.query_lang, show_scores, key=f"{key}_{j}")


# ------------------------------------------------------------------ sidebar
def language_switch() -> None:
    st.radio("Language / Язык", ["en", "ru"], key="ui_lang", horizontal=True,
             format_func={"en": "English", "ru": "Русский"}.get)


def search_filters(index: rag.Index) -> dict:
    """Documents, languages, number of passages, scores: the options of index.ask."""
    docs = index.documents()
    sources = [d.source for d in docs]
    langs = sorted({lang for d in docs for lang in d.langs})
    # a document removed since it was selected must leave the selection, or the widget fails
    for key, options in (("f_sources", sources), ("f_langs", langs)):
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] if v in options]
    st.subheader(t("filters"))
    chosen = st.multiselect(t("sources"), sources, key="f_sources", placeholder=t("sources_all"))
    chosen_langs = st.multiselect(t("langs"), langs, key="f_langs", placeholder=t("langs_all"),
                                  format_func=str.upper)
    k = st.slider(t("k"), 1, 10, 5, key="k")
    scores = st.toggle(t("scores"), key="scores")
    return {"sources": chosen or None, "langs": chosen_langs or None, "k": k, "scores": scores}


def document_list(index: rag.Index, uploaded: list[str]) -> None:
    st.subheader(t("documents"))
    for d in index.documents():
        tag = f" · :blue-badge[{t('uploaded')}]" if d.source in uploaded else ""
        st.caption(f"{md_escape(shown_name(d.source))} — {t('doc_line', chunks=d.chunks, langs=', '.join(d.langs))}{tag}")
    if p := partial():
        st.caption(t("pending_docs", n=p["left"], total=p["total"]))


def corpus_stamp() -> tuple:
    """Name, size and modification time of every file of the documents folder: a new stamp
    means look again (hashing every file on every rerun would cost seconds on a large folder)."""
    return tuple((source, stamps(source, (str(CORPUS),))) for _, source in discover([CORPUS])[0])


@st.cache_data(max_entries=4, show_spinner=False)
def outdated(_index: rag.Index, generation: int, stamp: tuple) -> tuple[str, ...]:
    """index.outdated of the documents folder, once per index generation and folder stamp."""
    return _index.outdated([CORPUS])


def corpus_changes(index: rag.Index) -> None:
    """Files dropped into (or changed in) the documents folder after it was indexed: said, and
    indexed in the background on request (files the last fill could not index are not nagged about)."""
    last = background.last(INDEX)
    refused = {name for name, _ in last.state().report.skipped} if last and last.state().report else set()
    new = [s for s in outdated(index, index.payload.manifest.generation, corpus_stamp()) if s not in refused]
    if not new:
        return
    names = ", ".join(md_escape(shown_name(n)) for n in new[:5]) + (", …" if len(new) > 5 else "")
    st.info(t("corpus_new", n=len(new), names=names))
    if st.button(t("corpus_index"), key="index_corpus"):
        background.fill(index, [CORPUS])  # new and changed files; the unchanged are skipped by their hash
        st.rerun()


def upload_form(index: rag.Index, folder: Path, uploaded: list[str]) -> None:
    st.subheader(t("upload"))
    n = st.session_state.setdefault("uploader_n", 0)  # a new key empties the uploader after indexing
    files = st.file_uploader(
        t("upload_label"), type=list(uploads.UPLOAD_TYPES), accept_multiple_files=True, key=f"uploader_{n}",
        max_upload_size=uploads.MAX_UPLOAD_MB,
    )
    st.caption(t("upload_help", types=", ".join(uploads.UPLOAD_TYPES), n=uploads.MAX_UPLOAD_FILES,
                 mb=uploads.MAX_UPLOAD_MB))
    if not st.button(t("upload_button"), key="index_uploads"):
        return
    if not files:
        st.warning(t("upload_none"))
        return
    protected = uploads.protected_names([d.source for d in index.documents()], uploaded,
                                        uploads.bundled_names(CORPUS))
    bar = st.progress(0.0, text=t("read"))
    check, report = uploads.add_uploads(index, folder, [(f.name, f.getvalue()) for f in files], protected,
                                        progress=progress_callback(bar))
    bar.empty()
    notes = [("error", t("refused", name=shown_name(name), reason=why)) for name, why in check.refused]
    if report is not None:
        notes += [("error", t("refused", name=shown_name(name), reason=why)) for name, why in report.skipped]
        notes += [("warning", t("indexed_with_warning", name=name, reason=why)) for name, why in report.warnings]
        if report.indexed:
            notes.append(("success", t("indexed", names=", ".join(map(shown_name, report.indexed)))))
        if report.unchanged:
            notes.append(("info", t("unchanged", names=", ".join(map(shown_name, report.unchanged)))))
    st.session_state.notes = notes
    st.session_state.uploader_n = n + 1
    st.rerun()  # the document list and the filters now include the new files


def remove_form(index: rag.Index, folder: Path) -> None:
    st.subheader(t("remove"))
    sources = [d.source for d in index.documents()]
    source = st.selectbox(t("remove"), sources, index=None, key="remove_source",
                          label_visibility="collapsed", placeholder=t("remove_choose"))
    if st.button(t("remove_button"), key="remove", disabled=source is None, help=t("remove_help")):
        uploads.remove_document(index, folder, source)
        st.session_state.notes = [("success", t("removed", name=source))]
        del st.session_state["remove_source"]
        st.rerun()


def show_notes() -> None:
    """Messages of the last upload or removal, kept across the rerun that refreshes the lists."""
    for kind, text in st.session_state.pop("notes", []):
        {"error": st.error, "warning": st.warning, "success": st.success, "info": st.info}[kind](md_escape(text))


# ------------------------------------------------------------------ chat
def ask(index: rag.Index, question: str, opts: dict, alone: bool = False) -> None:
    """Answer one question in the chat and keep it in this session's history. The earlier
    questions go with it (a follow-up such as "А в 1923 году?" is searched with the one
    before it) unless `alone`."""
    earlier = [] if alone else [m["text"] for m in st.session_state.messages if m["role"] == "user"]
    st.session_state.messages.append({"role": "user", "text": question})
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"):
        try:
            ans = index.ask(question, k=opts["k"], sources=opts["sources"], langs=opts["langs"], history=earlier)
        except rag.QueryError as e:  # e.g. an empty question: said in the chat, kept in its history
            st.session_state.messages.append({"role": "assistant", "error": str(e)})
            st.warning(md_escape(str(e)))
            return
        m = {"role": "assistant", "answer": ans, "scope": searched_in(opts), "question": question,
             "partial": partial()}
        st.session_state.messages.append(m)
        show_message(index, m, len(st.session_state.messages) - 1, opts["scores"])


def searched_in(opts: dict) -> str:
    what = [md_escape(s) for s in opts["sources"] or []] + [lang.upper() for lang in opts["langs"] or []]
    return t("searched", what=", ".join(what)) if what else ""


def rewritten(m: dict) -> bool:
    """The question was searched with what it carried over from the one before."""
    return " ".join(m["answer"].searched_as.split()) != " ".join(m["question"].split())


def show_message(index: rag.Index, m: dict, i: int, show_scores: bool) -> None:
    if m.get("scope"):
        st.caption(m["scope"])
    if m.get("partial"):
        st.caption(t("partial", **m["partial"]))
    if rewritten(m):
        st.caption(md_escape(t("searched_as", q=m["answer"].searched_as)))
        if st.button(t("ask_alone"), key=f"alone_{i}"):
            st.session_state.ask_alone = m["question"]
    show_answer(index, m["answer"], show_scores, key=str(i), part=bool(m.get("partial")))


def history(index: rag.Index, show_scores: bool) -> None:
    for i, m in enumerate(st.session_state.messages):
        with st.chat_message(m["role"]):
            if m["role"] == "user":
                st.markdown(md_escape(m["text"]))
            elif "error" in m:
                st.warning(md_escape(m["error"]))
            else:
                show_message(index, m, i, show_scores)


def turns() -> list[Turn]:
    """The conversation as exported: each question with its answer or its error."""
    out, ms = [], st.session_state.messages
    for i, m in enumerate(ms):
        if m["role"] == "user":
            reply = ms[i + 1] if i + 1 < len(ms) and ms[i + 1]["role"] == "assistant" else {}
            out.append(Turn(m["text"], reply.get("answer"), reply.get("error", "")))
    return out


def export_buttons() -> None:
    if not st.session_state.get("messages"):
        return
    st.subheader(t("conversation"))
    done = turns()
    st.download_button(t("export_md"), to_markdown(done), file_name="conversation.md", mime="text/markdown",
                       key="export_md")
    st.download_button(t("export_json"), to_json(done), file_name="conversation.json", mime="application/json",
                       key="export_json")


def main() -> None:
    st.set_page_config(page_title="Ask the documents", page_icon="📚")
    with st.sidebar:
        language_switch()
    st.title(t("title"))
    index = get_index()
    filling = background.running(INDEX) is not None
    if filling:
        fill_status()
    fill_outcome()
    folder = upload_folder()
    saved = uploads.list_uploads(folder) if folder else []
    with st.sidebar:
        for note in index.notices:  # e.g. the cross-lingual bridge is off: no dictionary installed
            st.info(md_escape(note))
        opts = search_filters(index)
        document_list(index, saved)
        if not filling:
            corpus_changes(index)
        if folder and filling:
            st.caption(t("forms_wait"))
        elif folder:
            upload_form(index, folder, saved)
            remove_form(index, folder)
    show_notes()
    st.session_state.setdefault("messages", [])
    history(index, opts["scores"])
    if alone := st.session_state.pop("ask_alone", None):  # "Ask it on its own" was pressed
        ask(index, alone, opts, alone=True)
    if question := st.chat_input(t("placeholder"), disabled=not index.documents()):
        ask(index, question, opts)
    with st.sidebar:
        export_buttons()


main()
