"""A small dictd dictionary written on the fly, so the bridge's tests never need mueller7-dict."""
from __future__ import annotations

import gzip
from pathlib import Path

from rag.dictionary import B64

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


# Entries in FreeDict's shape (dict-freedict-deu-eng): transcription, grammar tags, domains,
# numbered senses, then examples in quotes and cross-references, which are no translations.
GERMAN = {
    "hungersnot": "Hungersnot /hˈʊŋɜsnˌoːt/ <fem, n, sg>\nfamine <n>, starvation\n"
                  "      \"eine Hungersnot erleiden\"  - suffer a famine\n   Synonym: {Hunger}\n\n see: {Hungersnöte}\n",
    "dorf": "Dorf /dˈɔɾf/ <neut, n, sg>\n [geogr.] village <n>, hamlet (small)\n see: {Dörfer}\n",
    "getreide": "Getreide /ɡətɾˈaɪdə/ <neut, n, sg>\n1. grain <n>\n2. cereals; corn\n",
    "jahrhundert": "Jahrhundert /jɑːɾhˈʊndɜt/ <neut, n, sg>\ncentury <n>c,  /tsˈeː/ cent.\n",
    "in konflikt geraten": "in Konflikt geraten /ɪn kɔnflˈɪkt/ <v>\ncome into conflict with sb. <v>\n",
}


def b64(n: int) -> str:
    s = ""
    while True:
        s = B64[n % 64] + s
        n //= 64
        if not n:
            return s


def write_dictd(folder: Path, entries: dict[str, str] | None = None, compressed: bool = True,
                name: str = "test-dict") -> Path:
    """A dictd dictionary (NAME.index + NAME.dict.dz or NAME.dict); returns the path prefix."""
    entries = ENTRIES if entries is None else entries
    folder.mkdir(parents=True, exist_ok=True)
    data, lines = b"", []
    for head in sorted(entries):
        body = entries[head].encode("utf-8")
        lines.append(f"{head}\t{b64(len(data))}\t{b64(len(body))}")
        data += body
    prefix = folder / name
    Path(f"{prefix}.index").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if compressed:
        Path(f"{prefix}.dict.dz").write_bytes(gzip.compress(data))
    else:
        Path(f"{prefix}.dict").write_bytes(data)
    return prefix
