"""What a public endpoint refuses before running anything.

pyoxigraph executes ``SERVICE <url>`` and ``LOAD <url>`` by making real HTTP requests, and would fetch a
``FROM <url>`` that is not a graph of the store: a server-side request forgery hole. :func:`inspect` finds
these in the query text — outside comments, string literals and IRIs, so ``"SERVICE"`` in a literal is
harmless — and says what to refuse. It is a lexical check on purpose: it runs before any parser or engine
sees the query.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_STRINGS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_COMMENT = re.compile(r"#[^\n]*")
_PREFIX = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I)
# a keyword is not a variable (?from, $service) nor part of a prefixed name (ex:from, ex:a-load); "." may
# end a triple right before a keyword (`?o .SERVICE`), so ex:a.from is (harmlessly) taken for FROM
_KW = r"(?<![\w?$:\-])"
_DATASET = re.compile(_KW + r"(FROM|USING|WITH)\s+(?:(NAMED)\s+)?(<[^>]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*)", re.I)


@dataclass
class Inspection:
    service: bool = False
    load: bool = False
    dataset_graphs: list[str] = field(default_factory=list)  # graphs named by FROM / FROM NAMED / USING / WITH
    form: str | None = None  # SELECT | ASK | CONSTRUCT | DESCRIBE (None for an update)

    def refusal(self, graphs_in_store: set[str]) -> str | None:
        """Why the query must be refused, or None."""
        if self.service:
            return "SERVICE is refused: this endpoint does not query other endpoints"
        if self.load:
            return "LOAD is refused: this endpoint does not fetch remote data"
        outside = [g for g in self.dataset_graphs if g not in graphs_in_store]
        if outside:
            return f"FROM/USING/WITH of a graph that is not in the store is refused: {', '.join(outside)}"
        return None


def _blank(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def inspect(query: str, prefixes: dict[str, str] | None = None) -> Inspection:
    """Find SERVICE, LOAD and the dataset a query or update names (see module docstring)."""
    # strings first (they may contain # and <); comments may start inside IRIs (<http://x#y>), so the
    # comment scan runs on text with IRIs blanked, while graph names are read with IRIs kept
    no_strings = _blank(query, _STRINGS)
    iri_blanked = _blank(no_strings, _IRI)
    comment_spans = [m.span() for m in _COMMENT.finditer(iri_blanked)]
    chars = list(no_strings)
    for s, e in comment_spans:
        for i in range(s, e):
            chars[i] = " "
    text = "".join(chars)
    keywords = _blank(text, _IRI)
    form = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", keywords, re.I)
    found = Inspection(
        form=form.group(1).upper() if form else None,
        service=re.search(_KW + r"SERVICE\b", keywords, re.I) is not None,
        load=re.search(_KW + r"LOAD\b", keywords, re.I) is not None,
    )
    known = dict(prefixes or {})
    for m in _PREFIX.finditer(text):
        known[m.group(1) or ""] = m.group(2)
    for m in _DATASET.finditer(text):
        term = m.group(3)
        if term.startswith("<"):
            found.dataset_graphs.append(term[1:-1])
        else:
            prefix, _, local = term.partition(":")
            found.dataset_graphs.append(known.get(prefix, prefix + ":") + local)
    return found


def keyword_positions(text: str, keyword: str) -> list[int]:
    """Where a keyword occurs outside strings, IRIs and comments."""
    blank = _blank(_blank(text, _STRINGS), _IRI)
    blank = _COMMENT.sub(lambda m: " " * len(m.group(0)), blank)
    return [m.start() for m in re.finditer(_KW + keyword + r"\b", blank, re.I)]
