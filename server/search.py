"""``/search``: keyword search (policykg/search.py) as an HTML page or JSON, and a search box on every page.

``/search?q=…&kind=document|measure|provision|agency&place=…&in-force-on=YYYY-MM-DD&limit=…&offset=…``
answers JSON with ``format=json`` or ``Accept: application/json`` (``format=html`` forces the page), else an HTML
page with the form and the hits, the matches marked. Every value reaches SQLite as a bound parameter; a bad
one is a 400 (JSON ``{"error", "message"}``, or the page with the message). Without ``q`` the page is the empty
form (JSON: a 400).

The index is opened read-only (``file:…?mode=ro``), one connection per server thread, reopened when the
store's generation changes or the file is replaced (``policykg search-index`` swaps a new file in): a
completed build is searched from the next request on. Config ``SEARCH_INDEX`` names the file (default
``<STORE>/search.sqlite``; a server of a remote store needs it).

Every other HTML response gets a search box (a GET form to /search) in its header, or at the top of its
body (:func:`add_search_box`, one place for all pages, whichever module renders them).
"""
from __future__ import annotations

import html
import os
import threading
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, jsonify, request

from . import error

bp = Blueprint("search", __name__)

_local_state = threading.local()

BOX_ID = "pkg-search"
_BOX = (f'<form id="{BOX_ID}" action="/search" method="get" role="search" '
        'style="display:inline-block;margin:0 0 0 1em;font:inherit">'
        '<input type="search" name="q" placeholder="search documents, measures, agencies" aria-label="search" '
        'maxlength="200" required style="width:18em;padding:.15em .4em">'
        '<button type="submit" style="margin-left:.3em">search</button></form>')


def _index_file() -> Path | None:
    from policykg.search import index_path

    cfg = current_app.config
    if cfg.get("SEARCH_INDEX"):
        return Path(cfg["SEARCH_INDEX"])
    if cfg.get("ENDPOINT"):
        return None
    return index_path(cfg["STORE"])


def _connection():
    """This thread's read-only connection, reopened at a new store generation or a replaced index file."""
    from policykg.search import open_index
    from policykg.store import generation

    path = _index_file()
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (str(path), generation(current_app.config["STORE"]) if not current_app.config.get("ENDPOINT") else None,
           st.st_ino, st.st_dev)
    cached = getattr(_local_state, "index", None)
    if cached and cached[0] == key:
        return cached[1]
    if cached:
        cached[1].close()
    con = open_index(path)
    _local_state.index = (key, con)
    return con


def _wants_json() -> bool:
    fmt = request.args.get("format")
    if fmt in ("json", "html"):
        return fmt == "json"
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], default="text/html")
    return best == "application/json" and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]


def _int(name: str, default: int) -> int:
    from policykg.search import SearchError

    v = request.args.get(name)
    if v is None or v == "":
        return default
    if not v.isdigit() or len(v) > 6:
        raise SearchError(f"{name} must be a whole number, not {v[:20]!r}")
    return int(v)


@bp.get("/search")
def search_view():
    from policykg import search as engine

    as_json = _wants_json()
    args = request.args
    fmt = args.get("format")
    if fmt not in (None, "", "json", "html"):
        return _fail(as_json, "bad-request", f"format is json or html, not {fmt[:20]!r}")
    q = args.get("q")
    kind, place, on = args.get("kind") or None, args.get("place") or None, args.get("in-force-on") or None
    if q is None and not as_json:
        return _html(None, None, kind, place, on)
    if q is None:
        return _fail(True, "bad-request", "give the words to find as q=…")
    try:
        limit, offset = _int("limit", 20), _int("offset", 0)
        # checked before the index is opened: a bad request is a 400 whether or not there is an index
        engine.terms_of(q)
        engine.check_date(on)
    except engine.SearchError as exc:
        return _fail(as_json, "bad-request", str(exc), q, kind, place, on)
    con = _connection()
    if con is None:
        return _fail(as_json, "no-search-index", "this server has no search index: run `policykg search-index` "
                     "(or `policykg build`) for its store", q, kind, place, on, status=503)
    try:
        res = engine.search(con, q, kind=kind, place=place, in_force_on=on, limit=limit, offset=offset)
    except engine.SearchError as exc:
        return _fail(as_json, "bad-request", str(exc), q, kind, place, on)
    if as_json:
        resp = jsonify({"query": res.query, "total": res.total, "offset": offset, "limit": limit,
                        "filters": {"kind": kind, "place": place, "inForceOn": on},
                        "hits": [dict(h.as_dict(), url=_local(h.iri),
                                      documentUrl=_local(h.doc) if h.doc else None) for h in res.hits]})
    else:
        resp = _html(res, None, kind, place, on, limit, offset)
    resp.vary.add("Accept")
    return resp


def _local(iri: str) -> str:
    from .pages import _local as local

    return local(iri)


def _fail(as_json: bool, kind: str, message: str, q=None, k=None, place=None, on=None, status: int = 400):
    if as_json:
        resp, code = error(kind, message, status)
        resp.vary.add("Accept")
        return resp, code
    resp = _html(None, message, k, place, on, q=q)
    resp.status_code = status
    resp.vary.add("Accept")
    return resp


_KIND_LABEL = {"document": "document", "measure": "measure", "provision": "provision", "agency": "agency"}


def _html(res, message, kind, place, on, limit: int = 20, offset: int = 0, q: str | None = None) -> Response:
    from policykg.search import KINDS

    from .views import _page

    esc = html.escape
    q = res.query if res else (q or "")
    options = "".join(f'<option value="{k}"{" selected" if k == kind else ""}>{k}</option>' for k in KINDS)
    form = (f'<form id="{BOX_ID}" action="/search" method="get" class="search-form" role="search">'
            f'<input type="search" name="q" value="{esc(q)}" maxlength="200" required autofocus aria-label="search" '
            f'placeholder="海绵城市, 营商环境, 市林业局 …" style="width:24em">'
            f' <select name="kind" aria-label="kind"><option value="">all kinds</option>{options}</select>'
            f' <input name="place" value="{esc(place or "")}" placeholder="place: 上海市, 310110" aria-label="place" style="width:10em">'
            f' <label>in force on <input type="date" name="in-force-on" value="{esc(on or "")}"></label>'
            ' <button type="submit">search</button></form>')
    body = [form]
    if message:
        body.append(f'<p class="error" role="alert">{esc(message)}</p>')
    if res is not None:
        shown = f"{offset + 1}–{offset + len(res.hits)}" if res.hits else "none"
        body.append(f'<p class="muted" id="summary">{res.total} hit(s) for <b>{esc(res.query)}</b> · showing {shown}</p>')
        items = []
        for h in res.hits:
            path = h.path or h.iri.rsplit("/", 1)[-1]
            label = h.title if h.kind in ("document", "agency") else (f"{h.title} ({path})" if h.title else path)
            doc = ""
            if h.doc and h.kind != "document":
                doc = (f' · in <a href="{esc(_local(h.doc))}">{esc(h.doc_title or h.doc)}</a>'
                       f' (<a href="/document?iri={quote(h.doc, safe="")}">document view</a>)')
            elif h.kind == "document":
                doc = f' · <a href="/document?iri={quote(h.iri, safe="")}">document view</a>'
            meta = " · ".join(esc(x) for x in (h.doc_number, h.place) if x)
            items.append(f'<li class="hit hit-{h.kind}"><span class="kind">{esc(_KIND_LABEL[h.kind])}</span> '
                         f'<a class="title" href="{esc(_local(h.iri))}">{esc(label)}</a>'
                         f'{" <span class=muted>" + meta + "</span>" if meta else ""}{doc}'
                         f'<div class="snippet">{h.marked("<mark>", "</mark>", esc)}</div></li>')
        body.append(f'<ol class="hits" start="{offset + 1}">{"".join(items)}</ol>')
        params = {k: v for k, v in (("q", res.query), ("kind", kind), ("place", place), ("in-force-on", on)) if v}
        nav = []
        if offset > 0:
            nav.append(f'<a rel="prev" href="/search?{esc(urlencode({**params, "offset": max(0, offset - limit), "limit": limit}))}">previous</a>')
        if offset + len(res.hits) < res.total:
            nav.append(f'<a rel="next" href="/search?{esc(urlencode({**params, "offset": offset + limit, "limit": limit}))}">next</a>')
        nav.append(f'<a href="/search?{esc(urlencode({**params, "format": "json", "offset": offset, "limit": limit}))}">JSON</a>')
        body.append(f'<p class="paging">{" · ".join(nav)}</p>')
    style = ("<style>.hits{padding-left:2em}.hit{margin:.6em 0}.kind{display:inline-block;min-width:6em;font-size:.8em;"
             "color:#fff;background:#567;border-radius:3px;padding:0 .4em;text-align:center}.hit-measure .kind{background:#3a7}"
             ".hit-provision .kind{background:#a63}.hit-agency .kind{background:#76a}.snippet{color:#333;margin:.2em 0 0 6.5em}"
             "mark{background:#ffe58a}.error{color:#a00}.search-form{margin-bottom:1em}</style>")
    title = f"search: {q}" if q else "search"
    return _page(title, "".join(body), style)


def add_search_box(resp: Response) -> Response:
    """Put the search box in an HTML page: in its first <header>, else at the top of its <body>. Pages that have
    one (the search page), downloads and streamed answers are left as they are."""
    if (resp.mimetype != "text/html" or resp.is_streamed or resp.direct_passthrough
            or "Content-Disposition" in resp.headers or resp.status_code >= 500):
        return resp
    text = resp.get_data(as_text=True)
    if f'id="{BOX_ID}"' in text:
        return resp
    end = text.find("</header>")
    if end >= 0 and text.find("<header") < end:
        text = text[:end] + _BOX + text[end:]
    else:
        start = text.find("<body")
        close = text.find(">", start) if start >= 0 else -1
        if close < 0:
            return resp
        text = text[:close + 1] + f'<div style="padding:.3em 1em;background:#eef">{_BOX}</div>' + text[close + 1:]
    resp.set_data(text)
    return resp


@bp.after_app_request
def _every_page(resp: Response) -> Response:
    return add_search_box(resp)
