"""Section 5: peak RSS of a child that builds the index and of one that loads it and answers.

Both children are the ones sections 1 and 2 already run (the build child,
the cold-start child), measured by their own VmHWM, not this process's,
which holds torch and the LangChain peer. The baseline is each child's
peak right after `import rag`, so the ratios say what the model, the data
and the work add on top of the libraries.
"""
from __future__ import annotations

from pathlib import Path

from .stats import ratio


def folder_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 2**20, 2)


def memory_section(build: dict, cold: dict, folder: Path) -> dict:
    return {
        "build": build, "load_and_ask": {"peak_rss_mb": cold["peak_rss_mb"], "after_load_mb": cold["rss_load_mb"],
                                         "rss_import_mb": cold["rss_import_mb"], "seconds_cold": cold["wall_s"]},
        "index_on_disk_mb": folder_mb(folder),
        "ratios": {"build_over_import": ratio(build["peak_rss_mb"], build["rss_import_mb"], 2),
                   "load_and_ask_over_import": ratio(cold["peak_rss_mb"], cold["rss_import_mb"], 2),
                   "build_over_encoder_alone": ratio(build["peak_rss_mb"], build.get("encoder_alone_peak_rss_mb"), 2)},
    }
