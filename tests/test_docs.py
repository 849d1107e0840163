"""The documentation stays true to the repository: the README's and docs/results.md's
headline figures are exactly eval/expected.json's (rendered by eval.report.headline_table),
and every relative link in every Markdown file of the checkout points at a file that exists."""
from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from eval.report import headline_table

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "eval" / "expected.json"
HEADLINE_PAGES = ("README.md", "docs/results.md")
BLOCK = re.compile(r"<!-- headline:[^>]*-->\n(.*?)\n<!-- /headline -->", re.S)
# a quality figure as the pages print them; any such figure outside the block could disagree
FIGURE = re.compile(r"(?<![\d.])[01]\.\d{3}(?!\d)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*(?:<([^>\n]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)")
REF_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)


def _expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", HEADLINE_PAGES)
def test_headline_table_is_expected_json(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    want = headline_table(_expected())
    assert len(blocks) == 1, f"{page}: one <!-- headline --> block expected, found {len(blocks)}"
    assert blocks[0] == want, f"{page}'s headline differs from eval/expected.json; paste:\n{want}"


def test_adoption_page_carries_the_rules_last_verdict():
    # docs/adoption.md's summary is eval.adopt's rendering of docs/results/adopt.json, never retyped
    from eval.adopt import pooled_table

    saved = json.loads((ROOT / "docs" / "results" / "adopt.json").read_text(encoding="utf-8"))
    text = (ROOT / "docs" / "adoption.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- adopt -->\n(.*?)\n<!-- /adopt -->", text, re.S)
    assert block and block.group(1) == pooled_table(saved), f"paste into docs/adoption.md:\n{pooled_table(saved)}"


def test_readme_has_no_other_quality_figure():
    # figures outside the rendered block are retyped, and retyped figures drift (issue 28)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    outside = BLOCK.sub("", text)
    assert FIGURE.findall(outside) == []


def test_readme_is_a_landing_page():
    # everything past the landing page belongs in a topic page under docs/ (issue 28)
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


def test_headline_table_renders_every_pinned_figure():
    exp = copy.deepcopy(_expected())
    exp["hybrid"]["paraphrase"]["mrr@10"] = 0.123
    exp["quotes"]["quote@1"] = 0.456
    exp["abstention"]["recall"] = 0.789
    exp["answers"]["span_shown"] = 0.654
    table = headline_table(exp)
    rows = {r.split("|")[1].strip(): r for r in table.splitlines() if r.startswith("| ")}
    assert "0.123 |" in rows["paraphrased"]
    assert "top quote is the evidence sentence: 0.456;" in table
    assert "near misses declined: 0.789;" in table and "typed answers pointed out: 0.654," in table
    for key in ("all", "cross", "same"):
        for metric in ("r@1", "r@5", "r@10", "mrr@10"):
            assert f"{exp['hybrid'][key][metric]:.3f}" in table


def markdown_files() -> list[Path]:
    """Tracked and new (not ignored) .md files that exist in the working tree."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return sorted({ROOT / p for p in out.splitlines() if (ROOT / p).is_file()})


def relative_links(text: str) -> list[str]:
    """Link targets outside code, without #fragments; web, mail and same-page links left out."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = [a or b for a, b in INLINE_LINK.findall(text)] + REF_LINK.findall(text)
    out = []
    for t in targets:
        if re.match(r"^(https?:|mailto:|#)", t):
            continue
        path = unquote(t.split("#", 1)[0])
        if path:
            out.append(path)
    return out


def test_relative_links_parsed():
    text = ("[a](docs/a.md#x) ![b](img.png \"title\") [c](https://x.org/y) [d](#top) "
            "`[e](not/a/link.md)`\n```\n[f](nor/this.md)\n```\n[g]: ../up.md\n[h](<sp ace.md>)")
    assert relative_links(text) == ["docs/a.md", "img.png", "sp ace.md", "../up.md"]


def test_every_relative_link_resolves():
    broken = []
    for md in markdown_files():
        for target in relative_links(md.read_text(encoding="utf-8")):
            base = ROOT if target.startswith("/") else md.parent
            if not (base / target.lstrip("/")).exists():
                broken.append(f"{md.relative_to(ROOT)} -> {target}")
    assert broken == []
