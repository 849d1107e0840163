"""Writes rag/models/places.json: the names of countries and of cities in several languages, from
the Unicode CLDR as Babel ships it, so that a place named in one language is known in another
("Варшаве" / "Warsaw", "Польше" / "Poland"): a bilingual dictionary lacks proper names.

    pip install babel==2.17.0   # not a dependency of the product: the table is made once
    python -m research.recipes.places [--out rag/models/places.json]

Per place (a CLDR territory code, "PL", or a time zone's city, "Europe/Warsaw"): its name in
each language of LANGS, as CLDR writes it (a city CLDR does not translate keeps the English name
the time zone's id gives, as Babel's get_timezone_location does). Regions (numeric codes),
"Unknown" cities and Etc zones are left out. CLDR's data are under the Unicode License
(https://www.unicode.org/license.txt), which allows copying with its notice: kept in the file.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

# The languages questions are asked in (XQuAD's, Ukrainian and Kazakh) but those written without
# spaces, whose names the analyzer cuts into n-grams (rag/analyze.py NGRAMS).
LANGS = ("en", "ru", "uk", "kk", "de", "es", "el", "ar", "hi", "tr", "ro", "vi", "fr", "it", "pl", "pt")
NOTICE = ("Names from the Unicode CLDR (via Babel 2.17.0). Copyright (c) 1991-2025 Unicode, Inc. "
          "Distributed under the Unicode License: https://www.unicode.org/license.txt")


def places() -> dict[str, dict[str, str]]:
    from babel import Locale
    from babel.dates import get_timezone_location
    from babel.localedata import load

    out: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        for code, name in Locale(lang).territories.items():
            if code.isalpha() and code not in ("ZZ", "EU", "EZ", "UN", "QO"):
                out.setdefault(code, {})[lang] = name
    zones = [z for z, v in load("en")["time_zones"].items()] + list(load("ru")["time_zones"])
    for zone in dict.fromkeys(zones):
        if zone.startswith("Etc/") or "/" not in zone:
            continue
        for lang in LANGS:
            city = get_timezone_location(zone, locale=lang, return_city=True)
            if city and "Unknown" not in zone:
                out.setdefault(zone, {})[lang] = city
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m research.recipes.places")
    p.add_argument("--out", default="rag/models/places.json")
    a = p.parse_args(argv)
    table = places()
    Path(a.out).write_text(json.dumps({"notice": NOTICE, "langs": list(LANGS), "places": table},
                                      ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    print(f"{len(table)} places, {sum(len(v) for v in table.values())} names -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
