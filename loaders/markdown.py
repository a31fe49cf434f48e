"""The markdown reader: what of a markdown file is text, what is markup, what is metadata.

Two kinds of markdown reach policykg:

* **text collections** (one document per file, ``# title`` on the first line, ``##``/``###`` headings,
  YAML front matter or HTML-comment markers such as ``<!-- INFO END -->``);
* **web-to-markdown conversions** of portal pages (``Title:`` / ``URL Source:`` / ``Markdown Content:``
  lines, then the whole page: menus as link lists, images, the body, the footer).

:func:`markdown_layout` does not rewrite the text — selectors must point into the file as it is — it
returns the character ranges of the raw text that are markup (front matter, comments, heading marks,
image and link syntax, list bullets, rules) and, for a web page, everything outside its body, plus the
metadata the format itself carries (``标题``, ``发布日期``, ``来源``). The normaliser skips those ranges.
Guarantees: the ranges are sorted, disjoint and within the text; the work is linear in the text's size.
"""
from __future__ import annotations

import re

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.{0,20000}?)\n---[ \t]*(?:\n|\Z)", re.S)
_COMMENT = re.compile(r"<!--.{0,20000}?-->", re.S)
_HEADING_MARK = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.M)
_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,2000}\)")
_LINK = re.compile(r"\[(?P<text>[^\]\n]{0,500})\]\((?P<url>[^)\n]{0,2000})\)")
_BULLET = re.compile(r"^[ \t]*(?:[*+-]|\d{1,2}\.(?=[ \t]))[ \t]+(?=\S)", re.M)
_RULE = re.compile(r"^[ \t]*(?:-{3,}|\*{3,}|_{3,}|={3,})[ \t]*$", re.M)
_EMPHASIS = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\\(?=[_*\[\]()#])")
_WEB_HEADER = re.compile(r"\A(?:Title:[^\n]*\n)(?:[\s\S]{0,4000}?)^Markdown Content:[ \t]*$", re.M)
_WEB_FIELD = re.compile(r"^(?P<key>Title|URL Source|Published Time):[ \t]*(?P<value>[^\n]*)$", re.M)
#: lines that end a portal page's body (the page's own footer and widgets follow)
_PAGE_END = re.compile(
    r"^(?:相关附件|相关新闻|相关链接|相关文件|相关解读|相关阅读|扫一扫|分享到|上一篇|下一篇|【?打印本页|【?关闭窗口|"
    r"网站地图|版权所有|主办单位|网站标识码|ICP备)"
)
#: a site suffix after a page title: 本月起… - 广州市人民政府门户网站
_SITE_SUFFIX = re.compile(r"\s*[-_|—–]+\s*[^-_|—–]{2,30}(?:门户网站|政府网|网站|官网|政务网)\s*[-_]*\s*$")
_DATE = re.compile(r"(?:19|20)\d{2}[-年./]\d{1,2}[-月./]\d{1,2}日?")
#: the page's widgets among the lines of _PAGE_END: between a title and its prose they do not end the body
_WIDGET_END = re.compile(r"^(?:扫一扫|分享到|【?打印本页|【?关闭窗口)")
#: a field line under a title (来源：…, 发布时间：2025-01-01): metadata, never the body's prose
_FIELD = re.compile(r"^(?:来源|发布机构|信息来源|文章来源|(?:发布|发表)?(?:日期|时间))[：:]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def page_title(title: str) -> str:
    """A page title without the site's name: ``X - 广州市人民政府门户网站`` → ``X``."""
    return _SITE_SUFFIX.sub("", title).strip()


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(r for r in ranges if r[1] > r[0]):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def is_markdown(text: str, suffix: str) -> bool:
    """Markdown by name (.md, .markdown) or by a web-to-markdown header."""
    return suffix in (".md", ".markdown") or bool(_WEB_HEADER.match(text[:5000]))


def _syntax(text: str, start: int, end: int, drop: list[tuple[int, int]]) -> None:
    """Markup inside [start, end): comments, heading marks, images, link syntax, bullets, rules."""
    seg = text[start:end]
    for pattern in (_COMMENT, _IMAGE, _RULE):
        for m in pattern.finditer(seg):
            drop.append((start + m.start(), start + m.end()))
    for m in _HEADING_MARK.finditer(seg):
        drop.append((start + m.start(), start + m.end()))
    for m in _BULLET.finditer(seg):
        drop.append((start + m.start(), start + m.end()))
    for m in _LINK.finditer(seg):
        s = start + m.start()
        drop.append((s, s + 1))  # [
        drop.append((start + m.start("text") + len(m["text"]), start + m.end()))  # ](url)
    for m in _EMPHASIS.finditer(seg):
        drop.append((start + m.start(), start + m.start() + 1))


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        spans.append((pos, stop))
        pos = stop + 1
    return spans


def _visible(line: str) -> str:
    """What a reader sees of a markdown line: no images, link text only, no marks."""
    line = _IMAGE.sub("", line)
    line = _LINK.sub(lambda m: m["text"], line)
    line = _HEADING_MARK.sub("", line)
    return re.sub(r"[*_#>|`\\]", "", line).strip()


def _web_body(text: str, start: int, title: str | None, meta: dict[str, str],
              furniture: list[tuple[int, int]] | None = None) -> tuple[int, int]:
    """Body of a converted portal page: from its title heading (else the first run of prose) to the
    first line of page furniture after it. The date and source lines under the title become metadata, and their
    ranges are added to ``furniture`` (they are the page's, not the document's text)."""
    lines = _line_spans(text, start, len(text))
    key = re.sub(r"\s", "", title or "")
    first = None
    if key:
        for i, (s, e) in enumerate(lines):
            if re.sub(r"\s", "", _visible(text[s:e])) == key:
                first = i
                break
    if first is None:
        # the first line of prose: 20+ Chinese characters that are not link text
        for i, (s, e) in enumerate(lines):
            vis = _LINK.sub("", _IMAGE.sub("", text[s:e]))
            if len(_CJK.findall(vis)) >= 20:
                first = i
                break
    if first is None:
        return start, start
    # the body ends at the first line of page furniture after its prose. A widget row (分享到, 扫一扫, 打印, 关闭)
    # between the title and the prose (gz.gov.cn's template) is the page's and does not end it; a related list, a
    # pager or a footer (相关…, 上一篇, 版权所有, 主办单位 …) always does, prose or not.
    def vis_of(i: int) -> str:
        return _visible(text[lines[i][0]:lines[i][1]])

    ends = [i for i in range(first + 1, len(lines)) if _PAGE_END.match(vis_of(i))]
    hard = next((i for i in ends if not _WIDGET_END.match(vis_of(i))), len(lines))
    prose = next((i for i in range(first + 1, hard)
                  if len(_CJK.findall(_LINK.sub("", _IMAGE.sub("", text[lines[i][0]:lines[i][1]])))) >= 20
                  and not _FIELD.match(vis_of(i))), None)
    if prose is not None:
        last = next((i for i in ends if i > prose), len(lines))
    else:
        last = ends[0] if ends else len(lines)
    # page furniture right under the title, before the prose: date and field lines become metadata under their
    # own labels (several fields on one line too, 发表时间：**…**信息来源：**区卫生健康局**浏览量：**-**, read as an
    # HTML page's field line is read); the body below them is never read as fields
    from .html import _parse_field_line

    for s, e in lines[first + 1:min(last, first + 12, prose if prose is not None else len(lines))]:
        vis = _visible(text[s:e])
        found = False
        if _DATE.fullmatch(vis):
            meta.setdefault("发布日期", _DATE.search(vis).group(0))
            found = True
        for label, value in _parse_field_line(_visible(re.sub(r"\*\*|__", " ", text[s:e]))):
            if value and value.strip("-— "):
                meta.setdefault(label, value.strip())
                if label in ("日期", "时间", "公开日期") and _DATE.search(value):  # a bare date label: published
                    meta.setdefault("发布日期", _DATE.search(value).group(0))
                found = True
        if found and furniture is not None:
            furniture.append((s, e))
    return lines[first][0], lines[last - 1][1] if last > first else lines[first][1]


def heading_starts(text: str, drop: list[tuple[int, int]]) -> set[int]:
    """Raw offsets where the text of a ``#`` heading line begins (outside dropped ranges): the writer said
    these lines are headings, so a heading marker there counts even where its numbering has a gap."""
    import bisect

    starts = [s for s, _ in drop]
    out = set()
    for m in _HEADING_MARK.finditer(text):
        pos = m.end()
        k = bisect.bisect_right(starts, pos) - 1
        if k >= 0 and drop[k][0] <= pos < drop[k][1]:
            continue
        out.add(pos)
    return out


def markdown_layout(text: str) -> tuple[list[tuple[int, int]], dict[str, str]]:
    """(raw ranges that are not text, metadata carried by the format) — see the module docstring."""
    drop: list[tuple[int, int]] = []
    meta: dict[str, str] = {}
    start = 0
    web = _WEB_HEADER.match(text)
    if web:
        for m in _WEB_FIELD.finditer(text, 0, web.end()):
            if m["key"] == "Title" and m["value"].strip():
                meta["标题"] = page_title(m["value"])
                site = _SITE_SUFFIX.search(m["value"])
                if site:  # … - 广州市人民政府门户网站: the site that published the page
                    meta["网站名称"] = re.sub(r"^[\s\-_|—–]+|[\s\-_]+$", "", site.group(0))
            elif m["key"] == "Published Time" and _DATE.search(m["value"]):
                meta["发布日期"] = _DATE.search(m["value"]).group(0)
        from .html import _chrome_line

        body_start, body_end = _web_body(text, web.end(), meta.get("标题"), meta, drop)
        drop.append((0, body_start))
        drop.append((body_end, len(text)))
        start, end = body_start, body_end
        # inside the body, lines that are only images or links, and the page's widgets (听全文, 分享到, 打印: the
        # lines an HTML page's reader drops), are page furniture
        for s, e in _line_spans(text, start, end):
            line = text[s:e]
            if line.strip() and (not _CJK.search(_LINK.sub("", _IMAGE.sub("", line))) or _chrome_line(_visible(line))):
                drop.append((s, e))
    else:
        fm = _FRONT_MATTER.match(text)
        if fm:
            drop.append((0, fm.end()))
            t = re.search(r"^title:\s*[\"']?(?P<t>[^\"'\n]+)", fm["body"], re.M)
            if t:
                meta["标题"] = t["t"].strip()
            start = fm.end()
        end = len(text)
    _syntax(text, start, end, drop)
    return _merge([(max(0, s), min(len(text), e)) for s, e in drop]), meta
