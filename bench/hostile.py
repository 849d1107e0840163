"""Hostile documents (issue 15): each indexed beside a good file, in its own child process.

    python -m bench.hostile [--out results/hostile.json]

The documents the issue reproduced, made here: a name that is not UTF-8; a .docx of
200 MB of empty paragraphs (zipped to a few hundred KB); HTML of 1 MB of unclosed `<a `
tags; 5 MB of text without whitespace; 5 MB of words without punctuation; a small
.docx whose repetitive text expands to 2.7 MB; a 256 KB .md holding a base64 image.
For each: wall seconds and peak memory (VmHWM) of a child that builds an index of it
and one good file with the FakeEmbedder (the encoder is not what hung), whether the good
file was indexed, and the hostile file's skip reason or its passages + sentences.
Target: a skip reason within 10 s and 500 MB, or indexed within the per-file limits.
Also timed alone, on 1 MB each: the two steps the issue found quadratic (cleaning a text
without whitespace, reading HTML of unclosed `<a ` tags).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .children import PEAK_RSS, run_child

CHILD = PEAK_RSS + r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from helpers.fakes import FakeEmbedder
import rag
idx = rag.build([sys.argv[2]], sys.argv[3], model=FakeEmbedder())
r = idx.last_report
items = {d.source: d.chunks for d in idx.documents()}
print(json.dumps({"seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb(),
                  "skipped": [[s, w] for s, w in r.skipped], "documents": items,
                  "items": len(idx.payload.chunks) + len(idx.payload.sent_vectors)}))
"""

GOOD = "Выборы в советы 1924 года прошли при низкой явке. The turnout in 1924 was low in the villages."


def docx_bytes(body_xml: str) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                   'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                   '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
                   'document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   f'wordprocessingml/2006/main"><w:body>{body_xml}</w:body></w:document>')
    return buf.getvalue()


def documents() -> dict[str, tuple[bytes, bytes]]:
    """case -> (file name as bytes, content)."""
    words = " ".join(f"слово{i % 997}" for i in range(700_000))[: 5 << 20]
    para = "<w:p><w:r><w:t>The committee reported on the grain procurement campaign. " * 1 + "</w:t></w:r></w:p>"
    return {
        "name not UTF-8 (cp1251 отчет.txt)": ("отчет.txt".encode("cp1251"), "Отчёт о выборах.".encode("cp1251")),
        ".docx: 200 MB of empty paragraphs": (b"bomb.docx", docx_bytes("<w:p/>" * (200_000_000 // 6))),
        "HTML: 1 MB of unclosed <a": (b"broken.html", ("<p>Выборы 1924.</p>" + "<a " * 350_000).encode()),
        "5 MB of text without whitespace": (b"nospace.txt", ("а" * (5 << 20)).encode()),
        "5 MB of words without punctuation": (b"nopunct.txt", words.encode()),
        ".docx whose text expands to 2.7 MB": (b"expands.docx", docx_bytes(para * 45_000)),
        ".md with a 256 KB base64 image": (b"image.md", (b"# Report\n\nText before.\n\n![x](data:image/png;base64,"
                                                         + b"iVBORw0KGgo" * 24_000 + b")\n\nText after.\n")),
    }


def parsers() -> dict[str, float]:
    """Seconds for the cleaner and the HTML reader on 1 MB of the input that made each quadratic."""
    from rag.clean import clean
    from rag.ingest import html_to_text

    out = {}
    for name, fn, arg in (("clean: 1 MiB without whitespace", clean, "а" * (1 << 20)),
                          ("html_to_text: 1 MB of unclosed <a", html_to_text, "<p>x</p>" + "<a " * 350_000)):
        t = time.perf_counter()
        fn(arg)
        out[name] = round(time.perf_counter() - t, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.hostile")
    ap.add_argument("--out", default="results/hostile.json")
    a = ap.parse_args(argv)
    tests = Path(__file__).resolve().parents[1] / "tests"
    res = {}
    for case, (name, data) in documents().items():
        with tempfile.TemporaryDirectory() as tmp:
            docs = Path(tmp) / "docs"
            docs.mkdir()
            (docs / "good.txt").write_text(GOOD, encoding="utf-8")
            with open(os.path.join(os.fsencode(docs), name), "wb") as f:
                f.write(data)
            r = run_child(CHILD, [str(tests), str(docs), str(Path(tmp) / "idx")], timeout=600)
            hostile = [w for s, w in r["skipped"]]
            row = {"file bytes": len(data), "seconds": round(r["seconds"], 2), "peak_rss_mb": r["peak_rss_mb"],
                   "good file indexed": "good.txt" in r["documents"],
                   "outcome": f"skipped: {hostile[0]}" if hostile else
                   f"indexed: {sum(v for k, v in r['documents'].items() if k != 'good.txt')} passages"}
            row["within target"] = row["good file indexed"] and (
                (bool(hostile) and row["seconds"] <= 10 and row["peak_rss_mb"] <= 500) or not hostile)
            res[case] = row
            print(f"{case}: {json.dumps(row, ensure_ascii=False)}", flush=True)
    res["seconds, timed alone"] = parsers()
    print(json.dumps(res["seconds, timed alone"], ensure_ascii=False), flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
