"""Small file helpers shared by the model converter, the bridge and the index store."""
from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path


def cache_dir() -> Path:
    """Where derived data (the converted model, the bridge's tables) is kept: RAG_CACHE_DIR or the user cache."""
    base = os.environ.get("RAG_CACHE_DIR")
    if base:
        return Path(base)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("rag-offline"))


def replace_file(target: Path, data: bytes) -> None:
    """Write `target` through a hidden temporary file beside it and one rename, so that a
    write cut short never leaves a partial file under the real name."""
    tmp = target.parent / f".{target.name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, target)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def shown_name(name: str) -> str:
    """A file name as it may be printed: control and format characters (newline, tab, ESC,
    the right-to-left override that turns "invoice\u202efdp.txt" into "invoicetxt.pdf")
    and bytes that were not UTF-8 are written as escapes, so no name can forge a line."""
    out = []
    for ch in name:
        cat = unicodedata.category(ch)
        if cat == "Cs":  # a byte os.walk could not decode, kept as a lone surrogate
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif cat in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)
