"""Stage 4, structure: the outline of a document as a tree of provisions.

Guarantees of :func:`parse_structure`:

* Headings are recognised by their marker at the start of a line: 第X章, 第X节, 第X条,
  一、, （一）, 1. and （1）. Which kind sits under which is decided by the order in
  which kinds first appear in the document, so a plan may go 一、 → （一） → 1. or
  straight from 一、 to 1..
* A marker only counts when its number continues the sequence (the next number of
  its kind at that level, or 1 under a new parent, or — for items numbered across
  sections, as in the free-trade-zone plan — the next number in the document);
  otherwise the line is text. This keeps ``第三条`` inside a sentence, or a stray
  ``2.``, from opening a heading.
* Each provision has a path unique in the document, in Akoma Ntoso style:
  ``sec_2__subsec_1__item_5``; articles are ``art_N`` whatever chapter holds them,
  and their paragraphs ``art_N__para_K``.
* In plans, every leaf provision's text is cut into sentences; each sentence is a
  *measure* (``…__meas_K``). A trailing parenthesis such as ``（责任单位：…）`` stays
  with the provision's text but is not a measure. In other documents a leaf's lines
  are its paragraphs.
* A short first sentence, or a marker line of its own, is the provision's heading,
  not a measure: ``（一）市场准入。系统提升…`` has the heading 市场准入.
* Text before the first heading is the ``preamble``; text of a provision before its
  first child is its ``intro``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Provision
from .patterns import END_MATTER, cn_to_int, match_marker

PLAN_TYPES = {"action-plan", "implementation-plan", "plan"}
#: documents whose numbered provisions are measures: plans, and opinions (意见 — national opinions number
#: their measures （一）（二）… the way plans do)
MEASURE_TYPES = PLAN_TYPES | {"opinion"}
#: kinds of provision that group articles: the article path is prefixed with theirs (chp_2__sec_1__art_15)
_ARTICLE_GROUPS = {"book", "chapter", "division"}
#: the fixed order of a regulation's groups and articles (smaller holds larger)
_GROUP_RANK = {"book": 0, "chapter": 1, "division": 2, "article": 3}

_TOKEN = {
    "book": "book",
    "chapter": "chp",
    "division": "sec",
    "article": "art",
    "part": "sec",
    "section": "subsec",
    "item": "item",
    "subitem": "subitem",
}
_OPEN = "“《（〈‘「『【"
_CLOSE = "”》）〉’」』】"


@dataclass
class _Node:
    kind: str
    num: int = 0
    printed: str | None = None
    start: int = 0
    first_line_whole: bool = False  # the marker line is a whole normalised line
    lines: list[tuple[str, int]] = field(default_factory=list)  # (text, offset) without the marker
    children: list["_Node"] = field(default_factory=list)
    end: int = 0


def split_sentences(chars: list[tuple[str, int]]) -> tuple[list[list[tuple[str, int]]], list[tuple[str, int]]]:
    """Cut text (characters with offsets) after 。！？ outside brackets and quotes.

    Returns the sentences and a trailing tail (a parenthesis after the last sentence,
    such as a list of responsible units), which is not a sentence.
    """
    text = "".join(c for c, _ in chars)
    depth = 0
    cuts = []
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in "。！？" and depth == 0:
            j = i + 1
            while j < len(text) and text[j] in "”’）》":
                j += 1  # a closing quote after the full stop stays with the sentence
            k = _closing_note(text, chars, j)
            cuts.append(k if k is not None and k < len(text) else j)
    if depth > 0 and not cuts:
        # unbalanced quotes (extraction debris): fall back to plain full stops
        cuts = [i + 1 for i, ch in enumerate(text) if ch in "。！？"]
    pieces = []
    prev = 0
    for c in sorted(set(cuts)):
        if c > prev:
            pieces.append(chars[prev:c])
            prev = c
    rest = chars[prev:]
    tail: list[tuple[str, int]] = []
    rest_text = "".join(c for c, _ in rest).strip()
    if rest_text:
        if rest_text.startswith("（") and rest_text.endswith("）"):
            tail = rest
        else:
            pieces.append(rest)
    return [p for p in pieces if "".join(c for c, _ in p).strip()], tail


#: the inside of a parenthesis that assigns the sentences before it: （A、B负责）, （A牵头，B参与）, （A指导）,
#: （牵头单位：A；配合单位：B）
_DUTY_NOTE_LIKE = re.compile(r"(?:负责|牵头|参与|配合|指导|负责落实|不再列出|下同)$|^(?:牵头|主责|责任|配合|协办|参与)(?:单位|部门)[：:]")


def _closing_note(text: str, chars: list[tuple[str, int]], j: int) -> int | None:
    """The end of a parenthesis that starts at ``j`` and closes its printed line (…。（A牵头，B参与）⏎):
    a note on the sentences before it, which stays with them rather than opening the next sentence; in the
    middle of a line only a duty note does."""
    if j >= len(text) or text[j] != "（":
        return None
    depth = 0
    for k in range(j, min(len(text), j + 300)):
        if text[k] == "（":
            depth += 1
        elif text[k] == "）":
            depth -= 1
            if depth == 0:
                end = k + 1
                if end == len(text) or chars[end][1] != chars[k][1] + 1:  # end of text, or a line break
                    return end
                # mid-line: only a duty note (（A、B负责）, （A牵头，B参与）, （责任单位：…）) closes what precedes
                return end if _DUTY_NOTE_LIKE.search(text[j + 1:k]) else None
    return None


def _text(chars: list[tuple[str, int]]) -> str:
    return "".join([c for c, _ in chars]).strip()


def _span(chars: list[tuple[str, int]]) -> tuple[int, int]:
    return chars[0][1], chars[-1][1] + 1


def _as_chars(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Lines of one provision as one run of characters (line breaks dropped: they are PDF debris)."""
    out: list[tuple[str, int]] = []
    for text, off in lines:
        out.extend(zip(text, range(off, off + len(text))))
    return out


_PAREN_ONLY = re.compile(r"^（(?:[^（）]|（[^（）]*）)*）$")


def _heading(node: _Node, has_more: bool) -> tuple[str | None, list[tuple[str, int]]]:
    """Split the provision's own text into (heading, remaining lines)."""
    lines = [(t, o) for t, o in node.lines if t.strip()]
    if not lines:
        return None, []
    first, off = lines[0]
    if node.kind == "article":
        # 第一条（目的和依据） / 第一条 为了…
        if first.startswith("（") and "）" in first:
            close = first.index("）")
            heading = first[1:close]
            rest = first[close + 1:]
            out = ([(rest, off + close + 1)] if rest.strip() else []) + lines[1:]
            return heading, out
        return None, lines
    more_after_first = len(lines) > 1 or has_more
    if (
        node.first_line_whole
        and more_after_first
        and len(first) <= 60
        and "。" not in first
    ):
        return first.rstrip("：:"), lines[1:]
    # 市场准入。系统提升…: a short first sentence without commas is a heading
    cut = first.find("。")
    if 0 < cut <= 24:
        head = first[:cut]
        rest = first[cut + 1:]
        # what follows must be more than a trailing list like （责任单位：…）: 完善X。（责任单位：Y） is a measure
        more = bool(_PAREN_ONLY.sub("", rest.strip()))
        if not any(p in head for p in "，；：") and (more or len(lines) > 1 or has_more):
            out = ([(rest, off + cut + 1)] if rest.strip() else []) + lines[1:]
            return head, out
    return None, lines


_GLUED_ARTICLE = re.compile(r"(?<=[。；：！？”])第(?P<num>[一二三四五六七八九十百零〇两千\d]{1,7})条(?!规定|的|第|、|至|和|或|中|之)")


def _unglue(lines: list[tuple[str, int, bool]]) -> list[tuple[str, int, bool]]:
    """An article heading glued to the end of the paragraph before it (``…。第十八条 …``) starts a line of
    its own — only when its number is the next article's, so a citation (…。第十八条规定的…) stays text."""
    out: list[tuple[str, int, bool]] = []
    last = 0
    for text, off, whole in lines:
        m = match_marker(text)
        if m and m[0] == "article" and m[1] == last + 1:
            last = m[1]
        pos = 0
        for g in _GLUED_ARTICLE.finditer(text):
            if cn_to_int(g["num"]) == last + 1 and last > 0:
                out.append((text[pos:g.start()], off + pos, False))
                pos = g.start()
                last += 1
        out.append((text[pos:], off + pos, whole and pos == 0))
    return out


def _build(normal_lines: list[tuple[str, int, bool]], headings: set[int] = frozenset()) -> _Node:
    root = _Node(kind="root")
    stack = [root]
    last_num: dict[str, int] = {}
    for text, off, whole in _unglue(normal_lines):
        m = match_marker(text)
        accepted = False
        if m:
            kind, num, printed, match = m
            idx = next((k for k in range(len(stack) - 1, 0, -1) if stack[k].kind == kind), None)
            if idx is not None:
                ok = num == stack[idx].num + 1
            else:
                ok = num == 1 or num == last_num.get(kind, 0) + 1
            # a line its format marks as a heading (markdown ##) is one, even after a gap in the numbering
            ok = ok or (off in headings and kind in _GROUP_RANK and kind != "article")
            if ok:
                if idx is not None:
                    del stack[idx:]
                elif kind in _GROUP_RANK:
                    # a chapter never sits inside an article (第一条 before 第一章) or a section inside a chapter's
                    # article: close what ranks below it
                    while len(stack) > 1 and _GROUP_RANK.get(stack[-1].kind, 9) >= _GROUP_RANK[kind]:
                        stack.pop()
                node = _Node(kind=kind, num=num, printed=printed, start=off, first_line_whole=whole)
                rest = text[match.end():]
                stripped = rest.lstrip()
                node.lines.append((stripped, off + match.end() + (len(rest) - len(stripped))))
                stack[-1].children.append(node)
                stack.append(node)
                last_num[kind] = num
                accepted = True
        if not accepted:
            stack[-1].lines.append((text, off))
    return root


def _end(node: _Node) -> int:
    ends = [o + len(t) for t, o in node.lines if t]
    ends += [_end(c) for c in node.children]
    return max(ends) if ends else node.start


def _convert(node: _Node, parent_path: str, in_article: bool, plan: bool, parent_kind: str = "root") -> Provision:
    token = "point" if in_article and node.kind != "article" else _TOKEN[node.kind]
    if node.kind == "article":
        # articles are numbered through the document; chapters and sections that hold them prefix their path
        path = f"{parent_path}__art_{node.num}" if parent_kind in _ARTICLE_GROUPS else f"art_{node.num}"
    else:
        path = f"{parent_path}__{token}_{node.num}" if parent_path else f"{token}_{node.num}"
    heading, lines = _heading(node, bool(node.children))
    prov = Provision(
        kind="point" if token == "point" else node.kind,
        path=path,
        start=node.start,
        end=_end(node),
        number=node.printed,
        ordinal=node.num,
        heading=heading,
    )
    inside_article = in_article or node.kind == "article"
    if node.children:
        if lines:
            chars = _as_chars(lines)
            s, e = _span(chars)
            prov.children.append(Provision(kind="intro", path=f"{path}__intro", start=s, end=e, text=_text(chars)))
        for child in node.children:
            prov.children.append(_convert(child, path, inside_article, plan, node.kind))
        if node.kind == "article":
            prov.text = "\n".join(t for t, _ in lines)  # own text; the points carry theirs
        return prov
    # a leaf
    if not lines:
        return prov
    chars = _as_chars(lines)
    prov.text = _text(chars)
    if plan and not inside_article:
        sentences, _tail = split_sentences(chars)
        for k, sent in enumerate(sentences, start=1):
            # leading spaces are not part of the measure
            while sent and sent[0][0].isspace():
                sent = sent[1:]
            s, e = _span(sent)
            prov.children.append(
                Provision(kind="measure", path=f"{path}__meas_{k}", start=s, end=e, ordinal=k, text=_text(sent))
            )
    elif len(lines) > 1:
        if node.kind == "article":
            prov.text = "\n".join(t.strip() for t, _ in lines)
        for k, (t, o) in enumerate(lines, start=1):
            prov.children.append(
                Provision(kind="paragraph", path=f"{path}__para_{k}", start=o, end=o + len(t), ordinal=k, text=t.strip())
            )
    return prov


def parse_structure(lines: list[tuple[str, int, bool]], doc_type: str,
                    headings: set[int] = frozenset()) -> list[Provision]:
    """Provisions of a document body.

    ``lines`` are (text, offset in the normalised text, whether the line is a whole
    normalised line) for the body of one document, in order; ``headings`` the offsets of lines
    the format itself marks as headings.
    """
    body: list[tuple[str, int, bool]] = []
    for text, off, whole in lines:
        if END_MATTER.match(text):
            break  # attachments and distribution lists are not provisions
        body.append((text, off, whole))
    root = _build(body, headings)
    plan = doc_type in MEASURE_TYPES
    provisions: list[Provision] = []
    own = [(t, o) for t, o in root.lines if t.strip()]
    if own:
        chars = _as_chars(own)
        s, e = _span(chars)
        if not root.children and plan:
            # a plan without headings: its sentences are its measures
            sentences, _ = split_sentences(chars)
            for k, sent in enumerate(sentences, start=1):
                s2, e2 = _span(sent)
                provisions.append(Provision(kind="measure", path=f"meas_{k}", start=s2, end=e2, ordinal=k, text=_text(sent)))
        else:
            provisions.append(Provision(kind="preamble", path="preamble", start=s, end=e, text=_text(chars)))
    for child in root.children:
        provisions.append(_convert(child, "", False, plan))
    return provisions
