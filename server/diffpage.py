"""``/diff?a=IRI&b=IRI[&format=html|json]`` — two editions of a document compared article by article
(queries/diff.py, the same comparison as ``policykg diff``). Both IRIs are checked (server/safety.py ``iri``)
and bound as terms, never written into a query."""
from __future__ import annotations

import json

from flask import Blueprint, Response, request

from . import error

bp = Blueprint("diff", __name__)


@bp.get("/diff")
def diff_view():
    from policykg.errors import QueryError
    from policykg.queries import diff as diff_mod

    from .pages import _local, backend
    from .safety import Refused, iri as iri_term
    from .views import _page

    fmt = request.args.get("format", "html")
    if fmt not in ("html", "json"):
        return error("bad-request", "format is html or json", 400)
    values = {}
    for k in ("a", "b"):
        v = request.args.get(k, "")
        if not v:
            return error("bad-request", f"give two document IRIs: /diff?a=IRI&b=IRI ({k} is missing)", 400)
        try:
            iri_term(v, k)
        except Refused as exc:
            return error(exc.kind, str(exc), 400)
        values[k] = v
    b = backend()

    def select(text: str, bindings: dict) -> list[dict]:  # every binding here is an IRI (pyoxigraph NamedNode)
        return b.select(text, bindings={k: t.value for k, t in bindings.items()})

    try:
        report = diff_mod.diff(select, values["a"], values["b"])
    except QueryError as exc:
        return error("not-found", str(exc), 404)
    if fmt == "json":
        return Response(json.dumps(report, ensure_ascii=False, indent=2), mimetype="application/json")
    title = f"diff · {report['a']['title']}"
    return _page(title, f"<h1>{_esc(report['a']['title'])}: two editions</h1>" + diff_mod.html_body(report, _local),
                 f"<style>{diff_mod.STYLE}</style>")


def _esc(s: str) -> str:
    import html

    return html.escape(s)
