"""The documents tests index, as text or bytes, and the small settings they are chunked with."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import rag

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "corpus"

# ------------------------------------------------- the small_corpus fixture's three files
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

# ------------------------------------------------- three documents in two languages and two encodings
# Small chunks, so that each document gives several.
SMALL = rag.Settings(chunk_size=200, chunk_overlap=60)

DOC_A = (
    "Избирательная кампания 1924 г. стала важным этапом формирования советской электораль-\n"
    "ной системы. Инструкторы ВЦИК объезжали волости и проверяли ход выборов.\n"
    "\n"
    "В отчетах инструкторов отмечались многочисленные нарушения. Кассация выборов проводилась "
    "в тех волостях, где явка была ниже трети избирателей.\n"
    "\n"
    "Выборы в сельсоветы прошли в декабре 1924 г. при низкой явке избирателей. Избирательные "
    "комиссии не справлялись с подсчетом голосов.\n"
)
DOC_B = (
    "The first five-year plan began in 1928 and ended in 1932. Peasants were pressed to join "
    "collective farms across the Kuznetsk district.\n"
    "\n"
    "Grain procurement caused famine in several regions of the country. Livestock was slaughtered "
    "rather than handed over to the collective farms.\n"
)
DOC_C = (
    "Кузнецкий округ был создан в 1925 году. Коллективизация в округе шла медленно, крестьяне "
    "не хотели отдавать скот и инвентарь в колхозы.\n"
    "\n"
    "Партийные работники жаловались на нехватку агрономов и тракторов. Многие колхозы распались "
    "весной 1930 г. после статьи о головокружении от успехов.\n"
)

QUERIES = ["выборы в сельсоветы 1924", "collective farms famine", "колхозы Кузнецкий округ",
           "инструкторы ВЦИК нарушения", "five-year plan 1928"]


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """`text` saved as folder/name in `encoding` (the folder made if need be)."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(text.encode(encoding))
    return p


GOOD = {"a.txt", "b.md", "c.txt"}  # DOC_A, DOC_B, DOC_C as tests/bad_inputs/conftest.py writes them

# Texts for folder sync: mixes of them are added, edited, renamed and deleted.
TEXTS = [RU_TEXT, EN_MD, "Коллективизация в Кузнецком округе шла медленно. Крестьяне не хотели отдавать скот.",
         "The Politburo met in 1925. It discussed the grain procurement plan at length.",
         "Выборы 1926 года прошли спокойнее. Явка выросла почти вдвое по сравнению с 1924 годом."]

# ------------------------------------------------- for the real model
# The tokenizer's hard cases: scripts, combining marks, soft hyphens, emoji, control characters.
SAMPLE = [
    "query: Когда состоялись выборы 1924 года?",
    "passage: The Politburo decided in 1923 to create the nomenklatura.",
    "Grüße aus München, Straße ÄÖÜ ß",
    "北京是中国的首都。东京是日本的首都。",
    "emoji 😀👍🏽 🇷🇺 ok",
    "café naïve résumé crème brûlée",
    "e\u0301 combining a\u0308 decomposed accents",
    "электо\u00adральной soft\u00adhyphen",
    "ﬁ ligature ① ² Ⅻ ｆｕｌｌｗｉｄｔｈ",
    "  many   spaces\t tab\nnewline  ",
    "северо-западный 1920-е гг. «т. е.» — тире",
    "NBSP\u00a0here and zero\u200bwidth",
    "Ελληνικά και العربية و हिन्दी",
    "\x01ctrl\x7f chars",
]

# A Russian and an English document for questions across languages.
RU_DOC = """Избирательная кампания 1924 года прошла при низкой явке. Президиум ЦИК СССР постановил отменить результаты выборов там, где проголосовали менее 35 % избирателей.

Коллективизация в Кузнецком округе сопровождалась перегибами в отношении середняков. Крестьяне жаловались на нехватку сельскохозяйственной техники."""
EN_DOC = """The Mayor of the city opened a new bridge over the river in spring. Thousands of residents walked across it on the first day.

The chess tournament was won by a young player from Leningrad, who defeated the reigning champion in the final round."""


# ------------------------------------------------- binary formats
def make_pdf_lines(lines: list[tuple[int, int, str]]) -> bytes:
    """A one-page PDF of (font size, y, text) lines, each where y puts it: gaps as a layout has them."""
    stream = " ".join(f"BT /F1 {size} Tf 72 {y} Td ({text}) Tj ET" for size, y, text in lines)
    return make_pdf([stream], raw=True)


def make_pdf(pages: list[str], raw: bool = False) -> bytes:
    """A minimal valid PDF with a Helvetica text layer, one content stream per page (`raw`: the
    pages are content streams already, not a line of text each)."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, text in enumerate(pages):
        stream = (text if raw else f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET").encode("latin-1")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for k, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def corrupt_docx() -> bytes:
    """A zip named like a .docx whose parts are not XML."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", b"<<< not xml")
        z.writestr("word/document.xml", b"\x00\x01garbage")
    return buf.getvalue()
