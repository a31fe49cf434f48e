"""General rules for Chinese agency names: expand abbreviations, compare names.

Two names of one agency are often written differently: 市发展改革委 and 市发展和改革委员会,
区住房城乡建设局 and 区住房和城乡建设局. This module expands such names by

1. the word table ``ontology/agency_abbreviations.tsv`` (package data; words no rule
   derives, e.g. 发展改革 → 发展和改革, 市场监管 → 市场监督管理), matched longest first,
   left to right, so an entry that maps a word to itself protects it from a shorter one;
2. two rules at the end of the name: 委 → 委员会, 办 → 办公室 (局, 厅, 部 stay).

>>> expand("市发展改革委")
'市发展和改革委员会'
>>> agency_key("区住房城乡建设局") == agency_key("区住房和城乡建设局")
True

Place prefixes are left as written: relating 市 to a city is :mod:`policykg.places`' job.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    """The word table: abbreviated word → full word, as shipped in the package data."""
    text = resources.files("policykg.ontology").joinpath("agency_abbreviations.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return {short: full for short, full, *_rest in rows[1:]}


@functools.lru_cache(maxsize=1)
def _longest() -> int:
    return max(map(len, abbreviations()), default=0)


def normalise(name: str) -> str:
    """NFKC-normalised ``name`` without whitespace (full-width brackets become ASCII)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


def _continues_in_full(text: str, end: int, short: str) -> bool:
    """True when a word ending in 办 or 委 is already the start of 办公… or 委员会 (政府办公厅)."""
    following = text[end : end + 1]
    return (short.endswith("办") and following == "公") or (short.endswith("委") and following == "员")


def expand(name: str) -> str:
    """The full form of an agency name: 市发展改革委 → 市发展和改革委员会.

    Guarantees: table words are replaced longest first from the left, each character is
    rewritten at most once (an expansion is never expanded again), a word already written
    in full is left alone (区政府办公室, 市人民政府办公厅), and so a name in full form comes
    back unchanged apart from :func:`normalise`.
    """
    text = normalise(name)
    table, longest = abbreviations(), _longest()
    out: list[str] = []
    i = 0
    while i < len(text):
        for length in range(min(longest, len(text) - i), 0, -1):
            short = text[i : i + length]
            full = table.get(short)
            if full is None or _continues_in_full(text, i + length, short):
                continue
            if text.startswith(full, i):  # already written in full (区政府办公室)
                short = full
            out.append(full)
            i += len(short)
            break
        else:
            out.append(text[i])
            i += 1
    result = "".join(out)
    if result.endswith("委") and not result.endswith("委员会"):
        result += "员会"
    elif result.endswith("办"):
        result += "公室"
    return result


def agency_key(name: str) -> str:
    """A comparison key: two spellings of one agency name get the same key.

    ``agency_key('市发展改革委') == agency_key('市发展和改革委员会')``, while
    ``agency_key('市教育局') != agency_key('市教育委员会')`` (different bodies). The key is
    :func:`expand` without the connective 和, so 文化旅游局 and 文化和旅游局 also agree;
    it is for comparing, not for display.
    """
    return expand(name).replace("和", "")
