"""Numbers and years as Chinese plans print them, read where they stand.

The target reader (:func:`policykg.loaders.knowledge.quantified_targets`) matches numerals *in place* — Arabic
(90, 1.5), Chinese (五千, 一百二十, 三十五点五, 二〇二五), percentages (百分之九十, 三成) — and converts only the
matched characters, so a reading's offsets are those of the numeral as printed: no converted copy of the
sentence, hence no offset map to keep in step. Chinese numerals are a small grammar (digits, the positional
units 十 百 千 and the group units 万 亿, 点 for decimals, digit-by-digit years); :func:`cn_number` reads it
without a dependency (cn2an was considered: it converts whole sentences, which would need the map, and pulls
in a further package for what is forty lines here).

Years: :func:`year_expressions` finds the forms plans use to date a target — 到2025年, 到二〇二五年, 至2027年,
2025年底前, 在2026年前, a leading 2025年， and the five-year plan periods (“十四五”末 → 2025, from the data file
``ontology/plan_periods.tsv``).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2, "○": 0}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_GROUP = {"万": 10_000, "亿": 100_000_000}

#: characters of a Chinese numeral (without the group units, which a reading may leave to the unit: 两万个)
CN_CHARS = "〇○零一二两三四五六七八九十百千"
CN_ALL = CN_CHARS + "万亿点"


def _integer(text: str) -> int | None:
    """一百二十 → 120, 两万五千 → 25000, 十 → 10, 二〇二五 → 2025 (all digits: read digit by digit)."""
    if not text:
        return None
    if all(c in _DIGIT for c in text):
        if len(text) == 1:
            return _DIGIT[text]
        if text[0] in "两":
            return None
        return int("".join(str(_DIGIT[c]) for c in text))
    total = section = digit = 0
    seen_digit = False
    for c in text:
        if c in _DIGIT:
            digit, seen_digit = _DIGIT[c], True
        elif c in _SMALL:
            section += (digit if seen_digit else 1) * _SMALL[c]
            digit, seen_digit = 0, False
        elif c in _GROUP:
            section += digit
            if section == 0:
                return None
            total = (total + section) * _GROUP[c] if _GROUP[c] > 10_000 else total + section * _GROUP[c]
            section = digit = 0
            seen_digit = False
        else:
            return None
    return total + section + digit


def cn_number(text: str) -> float | None:
    """Value of a numeral as printed: '90' → 90, '1.5' → 1.5, '五千' → 5000, '三十五点五' → 35.5,
    '一百二十' → 120, '两万' → 20000, '百' → 100. None for anything else."""
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text == "百":
        return 100.0
    whole, point, frac = text.partition("点")
    if point and not frac:
        return None
    n = _integer(whole)
    if n is None:
        return None
    if frac:
        if not all(c in _DIGIT for c in frac):
            return None
        return float(f"{n}.{''.join(str(_DIGIT[c]) for c in frac)}")
    return float(n)


@lru_cache(maxsize=1)
def plan_periods() -> dict[str, tuple[int, int]]:
    """{'十四五': (2021, 2025), …} from ``ontology/plan_periods.tsv``."""
    text = resources.files("policykg.ontology").joinpath("plan_periods.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return {name: (int(first), int(last)) for name, first, last in rows[1:]}


_Y = r"(?P<y>(?:19|20)\d{2}|[二][〇○零][〇○零一二三四五六七八九]{2})"
_YEAR_FORMS = re.compile(
    # 到2025年(底) / 至2027年 / 到二〇二五年 — optionally 确保/力争 before, 底/末/前 after
    rf"(?P<to>到|至|在|于)?{_Y}年(?P<end>年底|底|末)?(?P<before>前|以前)?"
    # not a date (2024年3月), a year-count (2024年度) or a span start (2019年…至2020年… is read per form)
    r"(?![\d一二三四五六七八九十]{1,2}月|度)"
)
_PERIOD = re.compile(r"[“\"]?(?P<p>十[一二三四五六七八九]五)[”\"]?(?P<when>末|期末|期间|时期)")
_SENTENCE_END = "。；！？"


def _year(text: str) -> int:
    return int(text) if text.isdigit() else int(cn_number(text))


def year_expressions(text: str) -> list[tuple[int, int, int, bool]]:
    """(start, end, year, leading) of each year expression that dates what follows it: 到2025年, 至2027年,
    2025年底前, 在2026年前, “十四五”末; a bare 2025年 only when it leads a sentence and a comma follows
    (2025年，…). ``leading``: the expression opens its sentence (after optional 确保/力争/争取)."""
    out = []
    for m in _YEAR_FORMS.finditer(text):
        rest = text[m.end():m.end() + 1]
        dated = m.group("to") in ("到", "至") or m.group("before") or (m.group("to") and m.group("end"))
        if not dated and rest not in ("，", ","):
            continue
        if m.group("to") == "至" and re.search(r"(?:19|20)\d{2}年[\d一二三四五六七八九十]{1,2}月[^。；]{0,12}$", text[:m.start()]):
            continue  # 2019年1月1日至2020年12月31日: a span of dates
        out.append((m.start(), m.end(), _year(m.group("y")), _leads(text, m.start())))
    periods = plan_periods()
    for m in _PERIOD.finditer(text):
        if m.group("p") in periods:
            out.append((m.start(), m.end(), periods[m.group("p")][1], _leads(text, m.start())))
    return sorted(out)


def _leads(text: str, pos: int) -> bool:
    before = text[:pos]
    before = re.sub(r"(确保|力争|争取|计划)$", "", before)
    return not before or before[-1] in _SENTENCE_END


def year_of(text: str, pos: int, found: list[tuple[int, int, int, bool]] | None = None) -> int | None:
    """The year dating a value at ``pos`` of a paragraph: the nearest year expression before it in the same
    sentence; otherwise the last one that leads an earlier sentence of the paragraph; otherwise None."""
    found = year_expressions(text) if found is None else found
    sentence_start = max((text.rfind(c, 0, pos) for c in _SENTENCE_END), default=-1) + 1
    inside = [y for s, e, y, _ in found if sentence_start <= s and e <= pos]
    if inside:
        return inside[-1]
    leading = [y for s, e, y, lead in found if lead and e <= sentence_start]
    return leading[-1] if leading else None
