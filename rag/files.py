"""Small file helpers shared by the model converter, the bridge and the index store."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """Where derived data (the converted model, the bridge's tables) is kept: RAG_CACHE_DIR or the user cache."""
    base = os.environ.get("RAG_CACHE_DIR")
    if base:
        return Path(base)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("rag-offline"))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
