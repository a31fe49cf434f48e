"""Stage 2, normalise: undo PDF-extraction debris, keep a map back to the raw text.

Guarantees of :func:`normalise`:

* digits, Latin letters and ``+ - % = /`` written full-width become ASCII;
* punctuation takes its Chinese full-width form (，。：；（）！？), because the corpus
  mixes ASCII ``,.:()`` (a PDF font artefact) with full-width marks and every later
  stage — sentence splitting, title matching, district-to-city matching — needs one;
  «» and ‹› become 《》 and 〈〉; a dash between digits becomes ``-``;
* private-use glyphs (the PDF's stand-in for ``……``) become ``…``;
* spaces next to a Chinese character or mark are dropped (``上 海 市`` → ``上海市``),
  other runs of spaces become one space; markdown ``**`` debris is dropped;
* page-number lines (``—２—``, ``—０３—``, ``- 3 -``, ``第3页``), running heads repeated on
  several pages (``上海市人民政府公报``, ``2024年第3期``) and blank lines are dropped;
* a line broken mid-sentence is joined to the next one, unless the next line is a
  heading, is indented, or either line stands alone (a date, a document number, a
  release marking, a header, a signature);
* ``offsets[i]`` gives, for every normalised character, its index in the raw text.
"""
from __future__ import annotations

import re
import unicodedata

from .model import NormalText
from collections import Counter

from .patterns import CJK, PAGE_LINE, RUNNING_HEAD, TITLE_QUALIFIER, TITLE_SERIAL, is_standalone, starts_with_marker

_FULLWIDTH_ASCII = {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}  # ０-９
_FULLWIDTH_ASCII |= {chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)}  # Ａ-Ｚ
_FULLWIDTH_ASCII |= {chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)}  # ａ-ｚ
_FULLWIDTH_ASCII |= {
    "＋": "+", "－": "-", "％": "%", "＝": "=", "／": "/", "＠": "@", "＃": "#", "＆": "&",
    "＊": "*", "＿": "_", "＜": "<", "＞": ">", "．": ".", "＇": "'", "＂": '"', "｜": "|",
}
_BRACKETS = {"«": "《", "»": "》", "‹": "〈", "›": "〉", "〔": "〔", "〕": "〕", "［": "[", "］": "]"}
_TO_CHINESE = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_SPACES = " \t\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff"
_SPACE_SET = frozenset(_SPACES)
_DASHES = "—–－~〜-"

_CJK_RE = re.compile(rf"[{CJK}]")
#: Characters next to which a space carries no meaning: Chinese characters and marks.
_CJKISH_RE = re.compile(rf"[{CJK}\u3000-\u303f\uff00-\uffef“”‘’《》〈〉…—·]")
_FILE_EXTENSIONS = {"doc", "docx", "xls", "xlsx", "pdf", "wps", "ofd", "zip", "rar", "txt", "csv", "et", "ppt", "pptx",
                    "jpg", "png"}
_ITEM_PREFIX = re.compile(r"^\s*\d{1,3}$")


#: one table for both maps, applied in their order (the fast path of :func:`_chars_of_line`)
_TABLE = str.maketrans({k: _BRACKETS.get(v, v) for k, v in _FULLWIDTH_ASCII.items()}
                       | {k: v for k, v in _BRACKETS.items() if k not in _FULLWIDTH_ASCII})
#: format characters (Unicode category Cf, as of Unicode 14: tests/test_normalise_fast.py checks the list against
#: ``unicodedata``), private-use characters and markdown bold ``**``: a line holding none takes the fast path
_CF = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
       "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
       "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_SPECIAL = re.compile(f"[{_CF}\ue000-\uf8ff\U000f0000-\U0010ffff]|\\*\\*")


def _is_pua(ch: str) -> bool:
    cp = ord(ch)
    return 0xE000 <= cp <= 0xF8FF or cp >= 0xF0000


def _cjkish(ch: str | None) -> bool:
    return ch is not None and bool(_CJKISH_RE.match(ch))


def _chars_of_line(raw: str, start: int, end: int, mask: bytearray | None = None) -> tuple[list[str], list[int], bool]:
    """Normalise one physical line; return its characters, their raw offsets, and indentation.

    Characters whose ``mask`` byte is set are markup, not text (see :mod:`.markdown`)."""
    chars: list[str] = []
    offs: list[int] = []
    if mask is not None:
        while start < end and mask[start]:
            start += 1
    i = start
    # indentation: two or more leading spaces, or any ideographic space
    lead = 0
    while start + lead < end and raw[start + lead] in _SPACES:
        lead += 1
    indented = lead >= 2 and mask is None
    if mask is None and not _SPECIAL.search(raw, start, end):  # nothing to drop or replace: one translation
        return list(raw[start:end].translate(_TABLE)), list(range(start, end)), indented
    while i < end:
        if mask is not None and mask[i]:
            i += 1
            continue
        ch = raw[i]
        if _is_pua(ch):
            ch = "…"
        elif ch == "*" and i + 1 < end and raw[i + 1] == "*":
            i += 2  # markdown bold debris
            continue
        else:
            ch = _FULLWIDTH_ASCII.get(ch, ch)
            ch = _BRACKETS.get(ch, ch)
            if unicodedata.category(ch) == "Cf":  # zero-width marks
                i += 1
                continue
        chars.append(ch)
        offs.append(i)
        i += 1
    return chars, offs, indented


def _punctuate(chars: list[str]) -> None:
    """Give ASCII punctuation its Chinese form, in place, where it is not part of a number or URL."""
    n = len(chars)

    def neighbour(i: int, step: int) -> str | None:
        j = i + step
        while 0 <= j < n and chars[j] in _SPACES:
            j += step
        return chars[j] if 0 <= j < n else None

    for i, ch in enumerate(chars):
        if ch not in ".,:;()?!" and ch not in _DASHES:
            continue
        prev, nxt = neighbour(i, -1), neighbour(i, 1)
        ascii_around = (prev is not None and prev.isascii() and prev.isalnum()) and (
            nxt is not None and nxt.isascii() and nxt.isalnum()
        )
        if ch == ".":
            if _ITEM_PREFIX.match("".join(chars[:i])):
                continue  # list marker "12."
            if ascii_around:
                continue  # 2.5, v1.2, www.gov.cn
            j = i + 1
            while j < n and chars[j].isascii() and chars[j].isalpha():
                j += 1
            if "".join(chars[i + 1:j]).lower() in _FILE_EXTENSIONS:
                continue  # an attachment's file name: 申请表（个人）.docx
            chars[i] = "。"
        elif ch in ",:":
            if ascii_around and (ch == "," and prev.isdigit() or ch == ":"):
                continue  # 1,000 or 10:30
            if ch == ":" and nxt == "/":
                continue  # http://
            chars[i] = _TO_CHINESE[ch]
        elif ch in ";()?!":
            if ch in "?!" and not (_cjkish(prev) or _cjkish(nxt)):
                continue
            chars[i] = _TO_CHINESE[ch]
        elif ch in _DASHES:
            if prev is not None and nxt is not None and prev.isdigit() and nxt.isdigit():
                chars[i] = "-"  # 2024－2026, 65－69周岁


def _squeeze_spaces(chars: list[str], offs: list[int]) -> tuple[list[str], list[int]]:
    """Drop spaces next to Chinese text, collapse other runs, trim the line; a run holding a tab between two
    cells is one tab."""
    if _SPACE_SET.isdisjoint(chars):  # most lines: nothing to do
        return list(chars), list(offs)
    out_c: list[str] = []
    out_o: list[int] = []
    n = len(chars)
    i = 0
    while i < n:
        if chars[i] in _SPACES:
            j = i
            while j < n and chars[j] in _SPACES:
                j += 1
            prev = out_c[-1] if out_c else None
            nxt = chars[j] if j < n else None
            if prev is not None and nxt is not None and "\t" in chars[i:j]:
                out_c.append("\t")  # a table's cell boundary (HTML and DOCX rows are read tab-separated)
                out_o.append(offs[i + chars[i:j].index("\t")])
            elif prev is not None and nxt is not None and not (_cjkish(prev) or _cjkish(nxt)):
                out_c.append(" ")
                out_o.append(offs[i])
            i = j
            continue
        out_c.append(chars[i])
        out_o.append(offs[i])
        i += 1
    return out_c, out_o


def _line_width(lines: list[str]) -> float:
    """Typical length of a full line: the 75th percentile of lines of 8 characters or more."""
    lengths = sorted(len(s) for s in lines if len(s) >= 8)
    if not lengths:
        return 0.0
    return float(lengths[int(0.75 * (len(lengths) - 1))])


_TERMINATORS = "。！？；：…"
_TITLE_LINE_END = re.compile(
    rf"(?:的通知|的决定|的意见|的批复|政策解读|的解读|行动方案|实施方案|工作方案|行动计划|管理规定|管理办法|实施细则|条例|规划|纲要|年）|年版）|{TITLE_QUALIFIER})(?:{TITLE_SERIAL})?$"
)


def _should_join(a: str, b: str, b_indented: bool, width: float) -> bool:
    if not a or not b:
        return False
    if a[-1] in _TERMINATORS:
        return False
    if b_indented or starts_with_marker(b):
        return False
    if is_standalone(a) or is_standalone(b):
        return False
    if a.count("《") > a.count("》") and b.startswith("》"):
        return True  # a cited title cut before its closing bracket (often by a page break): 《…规定（2020年修订）/》已经…
    if _TITLE_LINE_END.search(a) and not any(p in a for p in "，。；：、"):
        return False  # a complete title (…方案, …规定, …通知) never runs on into the next paragraph
    short = 0.6 * width
    if starts_with_marker(a) and len(a) < 0.8 * width and not any(p in a for p in "，；"):
        return False  # a short heading line: 一、总体要求 / （二）对申请和审定程序进行修订
    a_full = len(a) >= short
    if a_full:
        return True
    # Two short unterminated lines: a title broken over lines.
    return len(b) < short and not any(p in a + b for p in "，。；：")


def normalise(raw: str, rejoin: bool = True, drop: list[tuple[int, int]] | None = None) -> NormalText:
    """Normalise ``raw`` (see the module docstring for what is guaranteed).

    ``rejoin=False`` keeps every line break: for HTML, DOCX and markdown, whose lines are
    paragraphs, not the lines of a PDF page. ``drop``: sorted raw ranges that are markup
    (markdown syntax, comments, a web page's furniture), skipped as if absent.
    """
    mask = None
    if drop:
        mask = bytearray(len(raw))
        for s, e in drop:
            mask[s:e] = b"\x01" * (e - s)
    # physical lines with raw offsets
    phys: list[tuple[int, int]] = []
    pos = 0
    for m in re.finditer(r"\r\n|\r|\n|\u2028|\u2029", raw):
        phys.append((pos, m.start()))
        pos = m.end()
    phys.append((pos, len(raw)))

    lines: list[tuple[list[str], list[int], bool, int]] = []  # chars, offsets, indented, raw line end
    for s, e in phys:
        chars, offs, indented = _chars_of_line(raw, s, e, mask)
        _punctuate(chars)
        chars, offs = _squeeze_spaces(chars, offs)
        text = "".join(chars)
        if not text or PAGE_LINE.match(text):
            continue
        lines.append((chars, offs, indented, e))

    texts = ["".join(c) for c, _, _, _ in lines]
    repeated = Counter(texts)
    keep = [not (RUNNING_HEAD.match(t) and repeated[t] >= 2) for t in texts]
    lines = [l for l, k in zip(lines, keep) if k]
    texts = [t for t, k in zip(texts, keep) if k]
    width = _line_width(texts)

    out_chars: list[str] = []
    out_offs: list[int] = []
    spans: list[tuple[int, int]] = []
    indents: list[bool] = []
    cur_start = 0
    for idx, (chars, offs, indented, raw_end) in enumerate(lines):
        if idx == 0:
            indents.append(indented)
        else:
            # judged on the last physical line, not on what was already joined
            if rejoin and _should_join(texts[idx - 1], texts[idx], indented, width):
                pass  # continue the same line
            else:
                spans.append((cur_start, len(out_chars)))
                out_chars.append("\n")
                out_offs.append(lines[idx - 1][3])  # the raw line break
                cur_start = len(out_chars)
                indents.append(indented)
        out_chars.extend(chars)
        out_offs.extend(offs)
    if lines:
        spans.append((cur_start, len(out_chars)))
    return NormalText(
        text="".join(out_chars), offsets=out_offs, lines=spans, indented=indents, raw_length=len(raw)
    )
