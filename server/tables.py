"""Named queries as HTML tables (Datasette-style): ``/queries/<name>?format=html`` and ``/queries?format=html``.

A page of a named query is run exactly as the JSON answer is — bound parameters, ``LIMIT``/``OFFSET``, the
same worker pool, time limit and row cap (:func:`server.sparql.run`) — asking for SPARQL JSON results, which are
rendered here: the query's title, description and parameters (a form), one column per variable, IRIs under the
base as links to their entity pages (``/id/…``), other http(s) IRIs as links, literals escaped, links to the
previous and next page and to the same page as CSV and JSON.

**When HTML is served.** ``format=html`` always gives HTML (an error is still the JSON error body). Without
``format``, HTML is served when the ``Accept`` header names ``text/html`` itself and ranks it above the SPARQL
results types: what a browser sends (``text/html,…,*/*;q=0.8``). ``*/*`` alone, no ``Accept``, or a results type
(what SPARQL clients send) give the JSON results as before. A ``format`` other than html, json, xml, csv and tsv
is a 400, never a silent JSON answer.
"""
from __future__ import annotations

import html
import json
from urllib.parse import urlencode

from flask import Response, current_app, request

from . import error
from .execution import SELECT_FORMATS

#: Rows per page when no ``limit`` is given.
PAGE = 100


def wants_html() -> bool:
    """Whether a request without ``format`` is a browser's: ``text/html`` named and ranked above the results types."""
    accept = request.accept_mimetypes
    if not accept or not any(m == "text/html" for m, _ in accept):
        return False
    return accept.best_match(["text/html"] + list(SELECT_FORMATS)) == "text/html"


def _link(v: str) -> str:
    from .pages import _local

    base = current_app.config["BASE"]
    esc = html.escape
    if v.startswith(base):
        return f'<a href="{esc(_local(v))}">{esc(v[len(base):])}</a>'
    if v.startswith(("http://", "https://")):
        return f'<a href="{esc(v)}" rel="nofollow">{esc(v)}</a>'
    return esc(v)


def _cell(term: dict | None) -> str:
    if term is None:
        return '<td class="none"></td>'
    kind, v = term.get("type"), term.get("value", "")
    if kind == "uri":
        return f"<td>{_link(v)}</td>"
    if kind == "bnode":
        return f'<td class="muted">_:{html.escape(v)}</td>'
    dt = term.get("datatype", "")
    numeric = dt.rsplit("#", 1)[-1] in ("integer", "decimal", "double", "float", "int", "long")
    title = f' title="{html.escape(dt)}"' if dt else ""
    return f'<td{" class=num" if numeric else ""}{title}>{html.escape(v)}</td>'


def _url(name: str, args: dict) -> str:
    return f"/queries/{name}?" + urlencode({k: v for k, v in args.items() if v is not None and v != ""})


_STYLE = """body{font-family:sans-serif;margin:1.5em;}h1{font-size:1.4em;margin:.2em 0}.muted{color:#777;font-size:.9em}
table.rows{border-collapse:collapse;margin:.8em 0;font-size:.9em}table.rows th,table.rows td{border:1px solid #ddd;padding:.25em .5em;
vertical-align:top;text-align:left;max-width:40em}table.rows th{background:#f3f5f7;position:sticky;top:0}td.num{text-align:right}
table.rows tr:nth-child(even) td{background:#fafafa}form.params label{display:block;margin:.2em 0}form.params input{min-width:20em}
nav.pages a{margin-right:1em}.formats a{margin-right:.6em}"""


def _page(title: str, body: str) -> Response:
    page = (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>"
            '<p class="muted"><a href="/">policykg</a> · <a href="/queries?format=html">named queries</a></p>'
            f"{body}</body></html>")
    return Response(page, mimetype="text/html")


def query_list(library) -> Response:
    """/queries?format=html: every named query with its title, description and parameters."""
    esc = html.escape
    rows = "".join(
        f'<tr><td><a href="/queries/{esc(q.name)}?format=html">{esc(q.name)}</a></td><td>{esc(q.title)}</td>'
        f"<td>{esc(q.description)}</td><td>{esc(', '.join(q.params)) or '—'}</td></tr>" for q in library)
    return _page("Named queries", "<h1>Named queries</h1><p class='muted'>The same list as JSON: "
                 "<a href='/queries'>/queries</a>.</p><table class='rows'><thead><tr><th>name</th><th>title</th>"
                 f"<th>description</th><th>parameters</th></tr></thead><tbody>{rows}</tbody></table>")


def named_table(q, values: dict, params: dict, page: dict) -> Response:
    """One page of named query ``q`` as an HTML table. ``values``: the bound parameters (pyoxigraph terms);
    ``params``: the same as given (strings, for the links); ``page``: ``limit``/``offset`` as given."""
    from policykg import queries as lib

    from .sparql import run

    # the form sends its empty fields: an empty field is a parameter not given
    params = {k: v for k, v in params.items() if v != ""}
    values = {k: v for k, v in values.items() if k in params}
    max_rows = int(current_app.config["MAX_ROWS"])
    limit = min(page.get("limit", PAGE), max_rows)
    offset = page.get("offset", 0)
    try:  # one row more than the page: whether there is a next page
        text = lib.bind(q.text, values, limit + 1, offset)
    except Exception as exc:
        return error("bad-request", str(exc), 400)
    result, failed = run({"op": "query", "text": text, "select_type": "application/sparql-results+json",
                          "graph_type": "text/turtle", "max_rows": max_rows, "base": request.url_root})
    if failed:
        return failed
    if result.error:
        return error("remote-error" if result.status == 502 else "query-error", result.error, result.status)
    doc = json.loads(result.body)
    variables = doc["head"]["vars"]
    bindings = doc["results"]["bindings"]
    bindings = bindings[:limit]
    # a page cut by the server's byte or row cap: the next page starts after the rows shown
    more = len(doc["results"]["bindings"]) > limit or result.truncated
    esc = html.escape
    here = {**params, "limit": limit, "offset": offset}
    head = "".join(f"<th>{esc(v)}</th>" for v in variables)
    body = "".join("<tr>" + "".join(_cell(b.get(v)) for v in variables) + "</tr>" for b in bindings)
    fields = "".join(
        f'<label>{esc(p)} <input name="{esc(p)}" value="{esc(params.get(p, ""))}"> '
        f'<span class="muted">{esc(d)}</span></label>' for p, d in q.params.items())
    form = (f'<form class="params" method="get" action="/queries/{esc(q.name)}"><input type="hidden" name="format" '
            f'value="html"><input type="hidden" name="limit" value="{limit}">{fields}<button type="submit">run</button>'
            "</form>") if q.params else '<p class="muted">This query takes no parameters.</p>'
    nav = []
    if offset > 0:
        nav.append(f'<a rel="prev" href="{esc(_url(q.name, {**here, "offset": max(0, offset - limit), "format": "html"}))}">'
                   "← previous page</a>")
    if more:
        nav.append(f'<a rel="next" href="{esc(_url(q.name, {**here, "offset": offset + len(bindings), "format": "html"}))}">'
                   "next page →</a>")
    shown = f"rows {offset + 1}–{offset + len(bindings)}" if bindings else "no rows"
    if result.truncated and len(bindings) < limit:
        shown += f" (cut at the server's limit of {max_rows} rows or {current_app.config['MAX_BYTES']} bytes)"
    formats = " ".join(f'<a class="fmt" href="{esc(_url(q.name, {**here, "format": f}))}">{f.upper()}</a>'
                       for f in ("csv", "json", "tsv", "xml"))
    return _page(q.title or q.name, f"""<h1>{esc(q.title or q.name)}</h1><p class="muted"><code>{esc(q.name)}</code></p>
<p>{esc(q.description)}</p>{form}
<p class="formats">This page as {formats}</p>
<p class="muted" id="shown">{shown}</p><nav class="pages">{''.join(nav)}</nav>
<table class="rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><nav class="pages">{''.join(nav)}</nav>""")
