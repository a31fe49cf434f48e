"""Main-content extraction for HTML pages of government portals.

Portals wrap a document in navigation, breadcrumbs, share bars, related-links
lists and footers. :func:`main_content` drops the elements that are boilerplate
by tag or by class/id, then keeps the element whose text — minus the text of
its links — is largest, preferring the deepest such element. The page's ``<h1>``
(the document title, often outside the content box) is put first when the
content does not already start with it.
"""
from __future__ import annotations

import re

_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select", "svg"]
_BOILERPLATE = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|footer|foot|header|head-?bar|breadcrumb|crumb|sidebar|side|share|banner|"
    r"copyright|toolbar|login|search|related|links?|bottom|topbar|top-?nav|print|location|position|ad|ads)($|[-_\s\d])",
    re.I,
)
_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "td", "th", "pre", "blockquote"}


def _text_of(el) -> str:
    """Text of an element with line breaks at block boundaries."""
    parts: list[str] = []

    def walk(node):
        name = getattr(node, "name", None)
        if name is None:
            parts.append(str(node))
            return
        if name == "br":
            parts.append("\n")
            return
        block = name in _BLOCKS
        if block:
            parts.append("\n")
        for child in node.children:
            walk(child)
        if block:
            parts.append("\n")

    walk(el)
    text = "".join(parts)
    text = re.sub(r"[ \t\r\f\v]*\n[ \t\r\f\v]*", "\n", text)
    text = re.sub(r"\n{2,}", "\n", text)
    return text.strip()


def _score(el) -> int:
    text = el.get_text(" ", strip=True)
    links = sum(len(a.get_text(" ", strip=True)) for a in el.find_all("a"))
    return len(text) - 2 * links


def main_content(soup) -> str:
    h1 = soup.find("h1")
    title = h1.get_text("", strip=True) if h1 is not None else ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for el in soup.find_all(True):
        if el.decomposed or el.attrs is None:
            continue
        ident = " ".join([el.get("id") or ""] + list(el.get("class") or []))
        if ident.strip() and _BOILERPLATE.search(ident) and el.name not in ("body", "html"):
            el.decompose()
    body = soup.body or soup
    candidates = [body] + body.find_all(["div", "article", "section", "main", "td"])
    scored = [(el, _score(el)) for el in candidates]
    best_score = max(s for _, s in scored) if scored else 0
    # the deepest element that keeps most of the best score: the content box, not <body>
    best = body
    for el, s in scored:
        if s >= 0.8 * best_score and len(list(el.parents)) >= len(list(best.parents)):
            best = el
    text = _text_of(best)
    if title and not text.startswith(title) and title not in text[:200]:
        text = title + "\n" + text
    return text
