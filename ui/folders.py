"""The folders the chat works on, read from the environment by app.py's main() on every run
and passed down, so importing ui/ reads nothing and a test sets them per run."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Folders:
    index: Path  # $RAG_INDEX_DIR, else index/ in the checkout
    corpus: Path  # $RAG_CORPUS_DIR, else data/corpus/ in the checkout
    upload_setting: str = ""  # $RAG_UPLOAD_DIR as set ("" when not): rag/uploads.py decides the folder

    @classmethod
    def from_env(cls, env: Mapping[str, str], root: Path) -> Folders:
        return cls(index=Path(env.get("RAG_INDEX_DIR", root / "index")),
                   corpus=Path(env.get("RAG_CORPUS_DIR", root / "data" / "corpus")),
                   upload_setting=env.get("RAG_UPLOAD_DIR", ""))

    def upload_env(self) -> dict[str, str]:
        """The environment rag.uploads.upload_dir reads, as it was when this run started."""
        return {"RAG_UPLOAD_DIR": self.upload_setting} if self.upload_setting else {}
