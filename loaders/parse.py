"""From the text of one file to its documents: normalise → split → metadata → structure.

:func:`parse_source` is pure: the same :class:`SourceText` always gives the same
:class:`ParsedSource`. Links between documents of the same file (a covering
notice and the plan it issues, a decree and its regulation) are resolved here;
links across files are the store's business.
"""
from __future__ import annotations

import re

from .markdown import heading_starts, markdown_layout
from .metadata import document_key, extract_metadata
from .model import ParsedSource, SourceText
from .normalise import normalise
from .patterns import title_key
from .split import split
from .structure import parse_structure
from .tables import task_rows

def _default_issuer(title: str) -> str | None:
    """The government of the place a title begins with: 广州市天河区… → 广州市天河区人民政府, 青岛市…条例 →
    青岛市人民政府 (the gazetteer decides what is a place; an ambiguous or unknown name gives None)."""
    from policykg.places import Gazetteer

    g = Gazetteer.default()
    d = g.match_prefix(title)
    if d is None:
        return None
    return g.full_name(d) + "人民政府"


def parse_source(source: SourceText) -> ParsedSource:
    meta = dict(source.meta)
    drop = None
    headings: set[int] = set()
    if source.format == "markdown":
        drop, format_meta = markdown_layout(source.text)
        meta = {**format_meta, **meta}
    normal = normalise(source.text, rejoin=source.format in ("text", "pdf"), drop=drop)
    if drop:
        raw_starts = heading_starts(source.text, drop)
        headings = {s for s, e in normal.lines if e > s and normal.offsets[s] in raw_starts}
    spans = split(normal)
    documents = []
    warnings: list[str] = []
    for n, span in enumerate(spans):
        # what the page or sidecar says describes the file's first document (a notice, not the plan it issues)
        doc, body = extract_metadata(normal, span, meta if n == 0 else None)
        doc.provisions = parse_structure(body, doc.doc_type, headings)
        # a task table may stand in the document's annex, after the body's end matter
        doc.tasks = task_rows([(normal.text[s:e], s) for s, e in normal.lines[span.start_line:span.end_line]])
        documents.append(doc)

    # promulgation inside the file: a notice issues the documents its title names
    by_key = {}
    for n, doc in enumerate(documents):
        for t in doc.issued_titles:
            k = title_key(t)
            free = [d for d in documents if d is not doc and id(d) not in by_key]
            target = next((d for d in free if title_key(d.title).startswith(k)), None)
            if target is None:
                target = next((d for d in free if len(title_key(d.title)) >= 8 and k.startswith(title_key(d.title))), None)
            if target is None and n + 1 < len(documents):
                # the splitter started the issued document at the first title after the notice
                nxt = documents[n + 1]
                if id(nxt) not in by_key and nxt.doc_type not in ("notice", "interpretation", "decree"):
                    target = nxt
            if target is not None:
                by_key[id(target)] = doc
    for doc in documents:
        notice = by_key.get(id(doc))
        if notice is not None:
            # the issued document takes the notice's dates and issuer where it prints none: it was issued and
            # published with it
            for attr, kind in (("date_signed", "signed"), ("date_published", "published")):
                # a promulgated text is signed when its decree is, not at its adoption (a date its history gives)
                own = getattr(doc, attr) is not None and doc.date_methods.get(kind) != "history"
                if not own and getattr(notice, attr):
                    setattr(doc, attr, getattr(notice, attr))
                    doc.date_methods[kind] = "promulgator"
            if doc.number and doc.number == notice.number and doc.date_methods.get("number") == "promulgation-note":
                doc.number = None  # the decree is here: it holds its number, pkg:promulgatedBy leads to it
            if doc.issuer is None and notice.issuer:
                doc.issuer, doc.issuer_method = notice.issuer, "promulgator"
                doc.issuers = list(notice.issuers or [notice.issuer])
            if doc.in_force is None and notice.doc_type == "decree":
                doc.in_force = notice.in_force
            if doc.in_force is None and doc.in_force_on_issue:
                # 本办法自印发之日起施行 in a text a notice issues: the day the notice was issued
                doc.in_force = doc.issued_on or notice.issued_on or notice.date_signed
                doc.date_methods["in-force"] = "promulgator"
    # a page publishes everything on it: a document without a publication date of its own takes the page's
    page_date = next((d.date_published for d in documents if d.date_methods.get("published") == "page-metadata"), None)
    # … and so does its site, and the bodies its source line names
    page = next((d for d in documents if d.publishers or d.site), None)
    for doc in documents:
        if doc.date_published is None and page_date:
            doc.date_published = page_date
            doc.date_methods["published"] = "page-metadata"
        if page is not None and doc is not page:
            doc.publishers = doc.publishers or list(page.publishers)
            doc.site = doc.site or page.site
    for doc in documents:
        # a regulation is enacted by a congress or promulgated by a government: the title's place does not say which
        # nor does a guide's or a news item's: a portal names its own city in them without issuing anything
        if doc.issuer is None and doc.doc_type not in ("interpretation", "regulation", "guide", "other"):
            issuer = _default_issuer(doc.title)
            if issuer:
                doc.issuer, doc.issuer_method = issuer, "title-place"
        doc.key = document_key(doc)
    for doc in documents:
        notice = by_key.get(id(doc))
        if notice is not None:
            doc.promulgated_by = notice.key
            notice.promulgates.append(doc.key)
    seen: dict[str, int] = {}
    for doc in documents:
        if doc.key in seen:
            warnings.append(f"document {doc.key} appears twice in the file; the later copy is ignored")
        seen.setdefault(doc.key, 0)
        seen[doc.key] += 1
        if not doc.provisions:
            doc.warnings.append("no provisions found")
    unique = []
    done = set()
    for doc in documents:
        if doc.key not in done:
            unique.append(doc)
            done.add(doc.key)
    return ParsedSource(source=source, normal=normal, documents=unique, warnings=warnings)
