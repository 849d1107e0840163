"""All tunable settings in one frozen record, stored in the manifest."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Settings:
    # Chunking; sizes in characters. Chosen by eval/tune.py on the corpus set.
    chunk_size: int = 600
    chunk_overlap: int = 120
    # Fusion (see rag/retrieve/hybrid.py); chosen by eval/tune.py.
    lex_weight: float = 2.0
    sent_weight: float = 0.5
    depth: int = 50
    balance: bool = True
    reserve: int = 2  # places in the top k kept for each other language
    # Abstention: "not in the documents" when the cosine of the question to
    # the best sentence of the top passages is below this. Calibrated by
    # eval/calibrate.py on the corpus eval set (answer >= 95 % of answerable).
    abstain_below: float = 0.80
    max_quotes: int = 3

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def replace(self, **kw) -> "Settings":
        return Settings(**{**asdict(self), **kw})
