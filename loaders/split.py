"""Stage 3, split: find where each document in a file begins and ends.

A file may hold several documents (an issue of a government gazette holds a
decree, the regulation it issues, notices, the plans they issue and
interpretations). A new document begins at:

* a header line (``上海市人民政府办公厅文件``, ``上海市人民政府令``);
* a title: ``…关于…的通知`` (and 决定, 意见, 批复 …), ``关于《…》的政策解读``;
* the title of a document that an earlier document in the file says it issues
  (``关于印发《X》的通知`` and ``《X》已经…通过，现予公布`` announce X);
* the start of the file;
* failing an exact title, the first title-like line after a covering notice's
  date or release marking, when that notice announced a document not yet found.

A portal page's metadata block (``发文字号：…``, ``成文日期：…``) is not content.

A title may be broken over several lines; :func:`merge_title` joins them. A title
that follows a header and a document number belongs to the same document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import NormalText
from .patterns import (
    BOOK_TITLE,
    DATE_LINE,
    DECREE_BODY,
    FIELD_LINE,
    HEADER_LINE,
    HISTORY_LINE,
    INTERPRETATION_TITLE,
    ISSUING_SUBJECT,
    NOTICE_TITLE,
    RELEASE_LINE,
    TITLE_QUALIFIER,
    TITLE_SERIAL,
    is_standalone,
    starts_with_marker,
    title_key,
)

_TITLE_END = re.compile(
    rf"(?:通知|决定|意见|批复|通报|公告|通告|解读|方案|预案|规定|条例|办法|细则|规划|计划|纲要|措施|规则|守则|准则|指引|指南|清单|年）|年版）|{TITLE_QUALIFIER})(?:{TITLE_SERIAL})?$"
)
_APPROVED_TEXT = re.compile(r"^同意(?:建立|设立|印发|实施)?(?P<t>[^，。；]{4,60}?(?:制度|方案|规划|章程|规则|办法|纲要))$")
_FIRST_PROVISION = re.compile(r"^(?:第一条|第一章|一、)")
_YEAR_RANGE_LINE = re.compile(r"^（(?:19|20)\d{2}(?:-(?:19|20)\d{2})?年?版?）$")


@dataclass
class DocSpan:
    start_line: int  # first line of the document
    end_line: int  # one past its last line
    title: str | None = None
    title_lines: tuple[int, int] | None = None  # [first, last+1) lines of the title
    header: str | None = None  # issuer named by a header line
    header_kind: str | None = None  # 文件 | 令
    issued_titles: list[str] = field(default_factory=list)


def merge_title(normal: NormalText, i: int, limit: int = 150) -> tuple[str, int]:
    """Join the title starting at line ``i`` with its continuation lines; return (title, next line)."""
    title = normal.line(i)
    j = i + 1
    n = len(normal.lines)
    while j < n and len(title) < limit:
        if _TITLE_END.search(title) and title.count("《") == title.count("》"):
            # complete; only a year range like （2024-2026年） may still follow
            if not _YEAR_RANGE_LINE.match(normal.line(j)):
                break
        nxt = normal.line(j)
        if (
            normal.indented[j]
            or is_standalone(nxt)
            or starts_with_marker(nxt)
            or any(p in nxt for p in "，。；：")
            or (nxt.startswith("（") and not _YEAR_RANGE_LINE.match(nxt))
            or HEADER_LINE.match(nxt)
            or HISTORY_LINE.match(nxt)  # 1993年9月16日…会议通过 under the title is its history, not its end
            or len(title) + len(nxt) > limit
        ):
            break
        title += nxt
        j += 1
    return title, j


def _looks_like_title(text: str) -> bool:
    return 4 <= len(text) <= 150 and not any(p in text for p in "，。；：")


def title_kind(title: str) -> str | None:
    """'notice' for 关于…的通知-style titles, 'interpretation' for 解读 titles, else None."""
    if not _looks_like_title(title):
        return None
    if title.endswith("解读") and INTERPRETATION_TITLE.match(title):
        return "interpretation"
    if NOTICE_TITLE.match(title):
        return "notice"
    return None


def issued_titles_of_notice(title: str) -> list[str]:
    """Titles a covering notice says it issues: 关于印发《A》《B》的通知 → [A, B]."""
    m = NOTICE_TITLE.match(title)
    if not m:
        return []
    subject = m.group("subject")
    s = ISSUING_SUBJECT.match(subject)
    if not s and m.group("kind") in ("批复", "函"):
        # 关于同意建立X制度的批复: a reply that approves a text attached to it (the 制度, 方案, 章程 …)
        a = _APPROVED_TEXT.match(subject)
        return [a.group("t")] if a else []
    if not s:
        return []
    titles = [b.group("t") for b in BOOK_TITLE.finditer(s.group("titles"))]
    if not titles and "《" not in s.group("titles"):
        titles = [s.group("titles")]  # 关于印发上海市X方案的通知 (no brackets)
    return titles


def split(normal: NormalText) -> list[DocSpan]:
    """Split the normalised text of one file into document spans (see module docstring)."""
    n = len(normal.lines)
    spans: list[DocSpan] = []
    pending: list[str] = []  # keys of titles announced by earlier documents
    cur: DocSpan | None = None
    has_content = False  # current document has a line beyond header/number/title
    closed = False  # current document has passed its date line or release marking
    closed_at = -1  # the line where it did
    cur_pending: list[str] = []  # titles the current document announced and that were not found yet
    i = 0
    while i < n:
        line = normal.line(i)
        header = HEADER_LINE.match(line)
        start_kind = None
        title = None
        nxt = i + 1
        if header:
            start_kind = "header"
        elif not starts_with_marker(line) and not is_standalone(line) and (
            (_looks_like_title(line) and not normal.indented[i])
            # an indented (centred) line is a title when it is a notice's or is one a notice announced
            or (normal.indented[i] and (title_kind(line) or (_looks_like_title(line) and title_key(line) in pending)))
        ):
            title, nxt = merge_title(normal, i)
            kind = title_kind(title)
            key = title_key(title)
            announced = next(
                (p for p in pending if key and (key == p or key.startswith(p) or (len(key) >= 8 and p.startswith(key)))),
                None,
            )
            if not (kind or announced) and closed and cur_pending and _TITLE_END.search(title) and _looks_like_title(title):
                announced = cur_pending[0]  # the issued document, under a title that differs from the citation
            if kind or announced:
                start_kind = kind or "issued"
                if announced:
                    pending.remove(announced)
                    if announced in cur_pending:
                        cur_pending.remove(announced)
            else:
                title = None
                nxt = i + 1
        if cur is None or (start_kind and has_content):
            if cur is not None:
                cur.end_line = i
                spans.append(cur)
            cur = DocSpan(start_line=i, end_line=n)
            has_content = False
            closed = False
            cur_pending = []
            if start_kind is None and title is None and _looks_like_title(line) and not is_standalone(line):
                # start of file: the first title-like block is the title
                title, nxt = merge_title(normal, i)
        if header and cur.header is None and not has_content:
            cur.header = header.group("issuer")
            cur.header_kind = header.group("kind")
            i += 1
            continue
        if title is not None and cur.title is None:
            cur.title = title
            cur.title_lines = (i, nxt)
            issued = issued_titles_of_notice(title)
            cur.issued_titles.extend(issued)
            pending.extend(title_key(t) for t in issued if title_key(t))
            cur_pending.extend(title_key(t) for t in issued if title_key(t))
            i = nxt
            continue
        if DATE_LINE.match(line) or RELEASE_LINE.match(line):
            closed = True
            closed_at = i
        if FIELD_LINE.match(line):
            i += 1
            continue
        if closed and closed_at == i - 1 and cur_pending and cur.title and _FIRST_PROVISION.match(line):
            # the issued text printed without a heading of its own, right after the notice's signature: it starts at
            # its first provision and takes the title the notice gives it
            key = cur_pending[0]
            issued = next((t for t in cur.issued_titles if title_key(t) == key), None)
            pending.remove(key)
            cur.end_line = i
            spans.append(cur)
            cur = DocSpan(start_line=i, end_line=n, title=issued)
            has_content = closed = False
            cur_pending = []
        if not is_standalone(line):
            has_content = True
            if cur.header_kind == "令" or cur.title is None:
                d = DECREE_BODY.search(line)
                if d:
                    t = d.group("t") or d.group("t2") or d.group("t3")
                    cur.issued_titles.append(t)
                    pending.append(title_key(t))
                    cur_pending.append(title_key(t))
        i += 1
    if cur is not None:
        cur.end_line = n
        spans.append(cur)
    return spans
