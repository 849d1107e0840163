"""Language of a text by its script.

The product covers Russian and English documents, for which the script
decides reliably even for one-word queries (where statistical detectors guess).
Other scripts are reported as "und" (undetermined) rather than guessed.
"""
from __future__ import annotations

import re

_CYR = re.compile(r"[\u0400-\u04FF]")
_LAT = re.compile(r"[A-Za-z\u00C0-\u024F]")


def detect(text: str) -> str:
    cyr = len(_CYR.findall(text))
    lat = len(_LAT.findall(text))
    if cyr == 0 and lat == 0:
        return "und"
    return "ru" if cyr >= lat else "en"
