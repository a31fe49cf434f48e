"""Pages and small APIs: YASGUI at /sparql-editor, the named queries, entity pages, /healthz."""
from __future__ import annotations

import html
import json
from urllib.parse import quote, urlparse

from flask import Blueprint, Response, current_app, jsonify, request

from . import error
from .execution import GRAPH_FORMATS, SELECT_FORMATS

bp = Blueprint("pages", __name__)


def backend():
    return current_app.extensions["policykg.backend"]


@bp.get("/healthz")
def healthz():
    """Constant time: an ASK that any non-empty store answers at once. ``?triples=1`` also counts the quads,
    which scans the whole store (seconds at ten million quads), so probes should not ask for it."""
    count = request.args.get("triples") in ("1", "true", "yes")
    try:
        if count:
            [row] = backend().select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout=60)
        else:
            rows = backend().select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", timeout=10)
    except Exception as exc:  # the health check must answer, whatever broke
        return jsonify({"status": "error", "message": str(exc)}), 503
    out = {"status": "ok", "updates": bool(current_app.config["UPDATE_TOKEN"])}
    box = getattr(getattr(backend(), "pool", None), "sandbox", None)
    if box is not None:  # whether the query workers are cut off from the network (server/sandbox.py)
        out["sandbox"] = {"netns": box["netns"], "seccomp": box["seccomp"], "network": not (box["netns"] or box["seccomp"])}
    if count:
        out["triples"] = int(row["n"])
    else:
        out["empty"] = not rows
    return jsonify(out)


def declared_prefixes(text: str) -> set[str]:
    """The prefixes a query text declares itself (``PREFIX x: <…>``; for building the
    prologue of a text shown or forwarded, never to decide what may run)."""
    import re

    return set(re.findall(r"(?i)(?<![\w?$])PREFIX\s+([A-Za-z][\w.-]*|)\s*:", text))


def with_prologue(text: str) -> str:
    """The query with PREFIX declarations for the prefixes it uses and does not declare (the endpoint knows
    them; other tools do not). The named queries declare their own, so this adds nothing to them; never a
    prefix twice."""
    import re

    from policykg.ontology import PREFIXES

    declared = declared_prefixes(text)
    used = [k for k in PREFIXES if k not in declared and re.search(rf"(?<![\w:/]){re.escape(k)}:", text)]
    return "".join(f"PREFIX {k}: <{PREFIXES[k]}>\n" for k in used) + text


@bp.get("/queries")
def list_queries():
    from policykg import queries as lib

    from . import tables

    if request.args.get("format") == "html" or (request.args.get("format") is None and tables.wants_html()):
        return tables.query_list(lib.library())
    return jsonify([{"name": q.name, "title": q.title, "description": q.description, "params": q.params,
                     "columns": q.columns, "query": with_prologue(q.text), "url": f"/queries/{q.name}"}
                    for q in lib.library()])


@bp.get("/queries/<name>")
def run_named(name: str):
    from policykg import queries as lib

    from .sparql import _negotiate, respond

    try:
        q = lib.load(name)
    except Exception:
        return error("not-found", f"no named query {name!r}; see /queries", 404)
    params = {k: v for k, v in request.args.items() if k not in ("format", "limit", "offset")}
    page = {}
    for k in ("limit", "offset"):
        v = request.args.get(k)
        if v is not None:
            if not v.isascii() or not v.isdigit() or len(v) > 12:
                return error("bad-request", f"{k} must be a non-negative integer, not {v!r}", 400)
            page[k] = int(v)
    unknown = sorted(set(params) - set(q.params))
    if unknown:
        return error("bad-request", f"unknown parameter(s) {', '.join(unknown)}; {name} takes: {', '.join(sorted(q.params)) or 'none'}", 400)
    try:
        values = {k: lib.term(q, k, v) for k, v in params.items()}  # typed as declared (a date is checked)
    except Exception as exc:
        return error("bad-request", getattr(exc, "reason", str(exc)), 400)
    fmt = request.args.get("format")
    if fmt not in (None, "html", "json", "xml", "csv", "tsv"):
        return error("bad-request", f"format is html, json, xml, csv or tsv, not {fmt!r}", 400)
    from . import tables

    if fmt == "html" or (fmt is None and tables.wants_html()):  # a table for people (server/tables.py)
        return tables.named_table(q, values, params, page)
    select = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
              "tsv": "text/tab-separated-values"}.get(fmt or "")
    types = (select, "text/turtle") if select else _negotiate("SELECT")
    if types is None:
        return error("not-acceptable", "named queries answer in JSON, XML, CSV or TSV", 406)
    try:
        text = lib.bind(q.text, values, page.get("limit"), page.get("offset"))
    except Exception as exc:
        return error("bad-request", str(exc), 400)
    return respond({"op": "query", "text": text, "select_type": types[0], "graph_type": types[1],
                    "max_rows": int(current_app.config["MAX_ROWS"]), "base": request.url_root})


@bp.get("/export")
def export_view():
    """The same exports as `policykg export`, over HTTP: /export?format=…&view=…&scope=…&part=nodes|edges."""
    from policykg.queries import export

    fmt, view = request.args.get("format", "cytoscape"), request.args.get("view", "responsibility")
    if fmt not in export.FORMATS or view not in export.VIEWS:
        return error("bad-request", f"format is one of {', '.join(export.FORMATS)}; view one of {', '.join(export.VIEWS)}", 400)
    scope = request.args.get("scope") or None
    if scope:
        from .safety import Refused, iri as iri_term

        try:
            iri_term(scope, "scope")
        except Refused as exc:
            return error(exc.kind, str(exc), 400)
    part = request.args.get("part", "nodes")
    key = f"{part}.csv" if fmt == "csv" else None
    if fmt == "csv" and part not in ("nodes", "edges"):
        return error("bad-request", "part is nodes or edges", 400)
    if current_app.config.get("ENDPOINT"):  # a remote store: its own server bears the work
        files = export.to_format(export.build_view(_read_store(), current_app.config["BASE"], view, scope), fmt)
        key = key or next(iter(files))
        body, media = files[key], export.MEDIA[key]
    else:  # in a query worker: the same time, memory and fair-share limits as a query
        result, failed = report({"op": "report", "report": "export", "base_iri": current_app.config["BASE"],
                                 "view": view, "scope": scope, "format": fmt, "key": key})
        if failed:
            return failed
        body, media = result.body, result.media_type
        key = key or {"graphml": "graphml", "gexf": "gexf", "cytoscape": "json", "dot": "dot", "jsonld": "jsonld"}[fmt]
    resp = Response(body, mimetype=media)
    resp.headers["Content-Disposition"] = f'inline; filename="policykg-{view}.{key}"'
    return resp


def report(req: dict):
    """Run an export or the audit in the worker pool: (result, None) or (None, an error response)."""
    from .sparql import run

    result, failed = run(req)
    if failed:
        return None, failed
    if result.error:
        return None, error("not-found" if result.status == 404 else "bad-request", result.error, result.status)
    return result, None


def _read_store():
    """A store for the read-side reports (exports, audit): the embedded one read-only, or the remote one."""
    if current_app.config.get("ENDPOINT"):
        return backend().store()
    if "policykg.read_store" not in current_app.extensions:
        from policykg.store import Store

        current_app.extensions["policykg.read_store"] = Store(current_app.config["STORE"], read_only=True)
    return current_app.extensions["policykg.read_store"]


@bp.get("/favicon.ico")
def favicon():
    return Response(status=204)


@bp.get("/sparql-editor")
def index():
    from .views import nonce

    return Response(_INDEX.replace("<script>\n", f'<script nonce="{nonce()}">\n'), mimetype="text/html")


# ---------------------------------------------------------------------- entity pages
def register_entity_route(app) -> None:
    """Entity IRIs minted under the base dereference here: https://policykg.org/id/doc/… → /id/doc/…; so do
    graph IRIs (…/id/graph/doc/…), to the graph's content (server/dataout.py)."""
    path = urlparse(app.config["BASE"]).path or "/"
    app.add_url_rule(f"{path}<path:rest>", "entity", entity)


def _local(iri: str) -> str:
    base = current_app.config["BASE"]
    if iri.startswith(base):
        return urlparse(base).path + quote(iri[len(base):], safe="/#-_.~")
    return iri


#: The entity's own triples and those of its hash resources (``<iri>#source`` …); ``?e`` is the entity, bound as
#: a term (substitutions; ``VALUES ?e { UNDEF }`` puts it in scope for them).
_ENTITY_CONSTRUCT = """CONSTRUCT { ?s ?p ?o } WHERE { VALUES ?e { UNDEF } ?s ?p ?o .
    FILTER(?s = ?e || STRSTARTS(STR(?s), CONCAT(STR(?e), "#"))) }"""
_KNOWN = "SELECT ?e WHERE { ?e ?p ?o } LIMIT 1"
#: Media types an entity is offered in, with the suffix that forces each (the Link header lists them).
_ALTERNATES = [("text/turtle", ".ttl"), ("application/ld+json", ".jsonld"), ("application/n-triples", ".nt"),
               ("text/html", ".html")]


def _known(iri: str) -> bool:
    """Whether the store says anything about ``iri``: it is the subject of a triple (in any graph)."""
    return bool(backend().select(_KNOWN, bindings={"e": iri}))


def entity(rest: str):
    """An entity's page or its triples. ``.ttl``, ``.jsonld``, ``.nt``, ``.html`` at the end of the path force
    the format (unless the IRI with the suffix is itself known: the real IRI wins); else ``Accept`` decides."""
    from policykg.linked_data import split_suffix

    from .safety import Refused, iri as iri_term

    base = current_app.config["BASE"]
    forced = None
    stem, media = split_suffix(rest)
    if media:
        try:
            iri_term(base + rest, "the entity's address")
            real = _known(base + rest)
        except Refused:
            real = False
        if not real:
            rest, forced = stem, media
    iri = base + rest
    try:
        iri_term(iri, "the entity's address")
    except Refused as exc:
        return error(exc.kind, str(exc), 400)
    if rest.startswith("graph/") and not current_app.config.get("ENDPOINT"):
        from . import dataout

        # a named graph's IRI dereferences to the graph's content (Turtle, N-Triples, JSON-LD or RDF/XML by Accept)
        if dataout.has_graph(iri) and forced != "text/html":
            return dataout.graph_response(iri, forced)
    accept = request.accept_mimetypes
    if forced:
        media = forced
    elif not accept or accept.best_match(["text/html"] + list(GRAPH_FORMATS)) == "text/html":
        media = "text/html"
    else:
        media = accept.best_match(list(GRAPH_FORMATS))
    if media is None:
        resp = error("not-acceptable", "an entity is served as HTML, Turtle, N-Triples, JSON-LD, RDF/XML, TriG or N-Quads", 406)
    elif not _known(iri):
        resp = _not_found(iri, media)
    elif media == "text/html":
        resp = _entity_page(iri)
    else:
        resp = _entity_rdf(iri, media)
    resp = current_app.make_response(resp)
    if not forced:
        resp.vary.add("Accept")
    if resp.status_code == 200:
        local = _local(iri)
        resp.headers["Link"] = ", ".join(f'<{local}{suffix}>; rel="alternate"; type="{m}"' for m, suffix in _ALTERNATES)
    return resp


def _not_found(iri: str, media: str):
    """404: an HTML page for a browser, else the JSON error body every API error has."""
    if media == "text/html":
        esc = html.escape
        page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body>'
                f'<p><a href="/">policykg</a> · <a href="/sparql-editor">SPARQL editor</a></p><h1>Not found</h1><p>Nothing is known about <code>{esc(iri)}</code>: '
                f'it is not the subject of any triple in this store.</p></body></html>')
        return Response(page, status=404, mimetype="text/html")
    return error("not-found", f"nothing is known about {iri}", 404)


def _entity_rdf(iri: str, media: str):
    """The entity's triples in ``media``; JSON-LD compacted here with the published context."""
    from policykg.linked_data import compact

    from .sparql import respond, run

    req = {"op": "query", "text": _ENTITY_CONSTRUCT, "bindings": {"e": iri},
           "select_type": "application/sparql-results+json", "max_rows": int(current_app.config["MAX_ROWS"]),
           "base": request.url_root}
    if media != "application/ld+json":
        return respond({**req, "graph_type": media})
    result, failed = run({**req, "graph_type": "application/n-triples"})
    if failed:
        return failed
    if result.error:
        return error("query-error", result.error, 400)
    resp = Response(compact(result.body, request.url_root.rstrip("/") + "/context.jsonld"), mimetype="application/ld+json")
    if result.truncated:
        resp.headers["X-PolicyKG-Truncated"] = "true"
        resp.headers["X-PolicyKG-Row-Limit"] = str(current_app.config["MAX_ROWS"])
        resp.headers["X-PolicyKG-Byte-Limit"] = str(current_app.config["MAX_BYTES"])
    return resp


@bp.get("/context.jsonld")
def jsonld_context():
    """The JSON-LD context of entity responses, generated from the ontology (policykg/linked_data.py)."""
    from policykg.linked_data import context_bytes

    return Response(context_bytes(), mimetype="application/ld+json")


def _entity_page(iri: str):
    from .safety import iri as iri_term

    t = iri_term(iri)
    props = backend().select(f"SELECT ?p ?o WHERE {{ {t} ?p ?o }} ORDER BY ?p ?o")
    if not props:
        return _not_found(iri, "text/html")
    types = {r["o"] for r in props if r["p"] == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
    bearer = types & {_PKG + "Agency", _PKG + "GenericRole"}
    # (not the rows of the document-links list, graph/summary/links: they repeat the links shown above)
    incoming = backend().select(f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {t} FILTER(!STRSTARTS(STR(?s), CONCAT(STR({t}), \"#\"))) "
                                f"FILTER(?p != <{_PKG}linkFrom> && ?p != <{_PKG}linkTo>) }} ORDER BY ?p ?s LIMIT 200")
    labels = {}
    names = {r["o"] for r in props} | {r["s"] for r in incoming} | {iri}
    for chunk in _chunks(sorted(n for n in names if n.startswith("http")), 100):
        values = " ".join(iri_term(n) for n in chunk)
        for r in backend().select(f"""SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }}
                                      {{ ?x <http://purl.org/dc/terms/title> ?l }} UNION {{ ?x <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }}
                                      UNION {{ ?x <https://policykg.org/ontology#path> ?l }} }}"""):
            labels.setdefault(r["x"], r["l"])
    from . import browse

    extra = ""
    if bearer:  # an agency or role: what it bears, grouped by document (server/browse.py); the links to its
        try:    # responsibilities and statements are there, not repeated under "Linked from"
            extra = browse.bearer_section(iri)
        except browse.BadFilter as exc:
            return error("bad-request", str(exc), 400)
        incoming = [r for r in incoming if "#" not in r["s"]]
    elif _PKG + "Provision" in types or _PKG + "Measure" in types or "http://data.europa.eu/eli/ontology#LegalResourceSubdivision" in types:
        extra = browse.statements_section(iri)
    people = browse.people_labels(names | {r["s"] for r in incoming})
    title = labels.get(iri) or iri.rsplit("/", 1)[-1]
    if _PKG + "Measure" in types and iri in people:  # a measure's title is its text
        title = next((r["o"] for r in props if r["p"] == _PKG + "text"), title)
    labels.update({k: v for k, v in people.items() if k != iri})
    source = backend().select(f"""PREFIX pkg: <https://policykg.org/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?start ?end ?dstart ?exact WHERE {{
          {t} pkg:sourceSpan/oa:hasSelector ?pos . ?pos a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
          OPTIONAL {{ {t} pkg:inDocument ?doc }} BIND(COALESCE(?doc, {t}) AS ?d)
          ?d pkg:sourceSpan/oa:hasSelector ?dpos , ?dquote . ?dpos a oa:TextPositionSelector ; oa:start ?dstart .
          ?dquote a oa:TextQuoteSelector ; oa:exact ?exact }} LIMIT 1""")
    return Response(_entity_html(iri, props, incoming, labels, source[0] if source else None, _views_of(iri, props),
                                 title=title, extra=extra), mimetype="text/html")


_PKG = "https://policykg.org/ontology#"


def _views_of(iri: str, props: list[dict]) -> list[tuple[str, str]]:
    """Links to the pages that show this entity: a document's structure, the graphs scoped to it."""
    from urllib.parse import quote as q

    pkg = "https://policykg.org/ontology#"
    types = {r["o"] for r in props if r["p"] == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
    s = q(iri, safe="")
    out = []
    if pkg + "Document" in types:
        out += [("document view", f"/document?iri={s}"), ("responsibility graph", f"/graph?view=responsibility&scope={s}"),
                ("legal links", f"/graph?view=legal&scope={s}"), ("follow-ups", f"/graph?view=followup&scope={s}")]
    if types & {pkg + "Agency", pkg + "GenericRole"}:
        out.append(("responsibility graph", f"/graph?view=responsibility&scope={s}"))
    if pkg + "District" in types:
        out += [("follow-ups", f"/graph?view=followup&scope={s}"), ("audit", "/audit-view")]
    return out


def _chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _short(iri: str) -> str:
    from policykg.ontology import PREFIXES

    for k, v in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(v):
            return f"{k}:{iri[len(v):]}"
    return iri


def _value(v: str, labels: dict) -> str:
    """A value as HTML: an IRI as a link with its label (a label may be ``(text, html beside the link)``)."""
    esc = html.escape
    if v.startswith("http://") or v.startswith("https://"):
        text, beside = labels.get(v) or _short(v), ""
        if isinstance(text, tuple):
            text, beside = text
        return f'<a href="{esc(_local(v))}">{esc(text)}</a>{beside}'
    return esc(v)


def _entity_html(iri, props, incoming, labels, source, views=(), title=None, extra="") -> str:
    esc = html.escape
    title = title or labels.get(iri) or iri.rsplit("/", 1)[-1]
    rows = "".join(f"<tr><th>{esc(_short(r['p']))}</th><td>{_value(r['o'], labels)}</td></tr>" for r in props
                   if not r["p"].endswith("#exact"))
    back = "".join(f"<li>{_value(r['s'], labels)} <span class='muted'>{esc(_short(r['p']))}</span></li>" for r in incoming)
    passage = ""
    if source:
        text, s, e = source["exact"], int(source["start"]) - int(source["dstart"]), int(source["end"]) - int(source["dstart"])
        if 0 <= s <= e <= len(text):
            lo, hi = max(0, s - 300), min(len(text), e + 300)
            passage = (f"<h2>Source</h2><pre class='src'>{'…' if lo else ''}{esc(text[lo:s])}<mark>{esc(text[s:e])}</mark>"
                       f"{esc(text[e:hi])}{'…' if hi < len(text) else ''}</pre>"
                       f"<p class='muted'>characters {source['start']}–{source['end']} of the source text</p>")
    return f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}th{{text-align:left;vertical-align:top;padding-right:1em;white-space:nowrap;color:#555}}
td{{padding:.2em 0}}.muted{{color:#777;font-size:.85em}}pre.src{{white-space:pre-wrap;background:#f7f7f7;padding:1em;border-left:3px solid #3a7}}
mark{{background:#ffe58a}}code{{font-size:.9em}}</style></head><body>
<p class="muted"><a href="/">policykg</a> · <a href="/">documents</a> · <a href="/sparql-editor">SPARQL editor</a> · <a href="/graph">graph</a> · <a href="/audit-view">audit</a></p><h1>{esc(title)}</h1><p><code>{esc(iri)}</code></p>
<p class="muted">As RDF: <a href="{esc(_local(iri))}.ttl">Turtle</a> · <a href="{esc(_local(iri))}.jsonld">JSON-LD</a> · <a href="{esc(_local(iri))}.nt">N-Triples</a> (or this address with Accept: text/turtle, application/ld+json, application/n-triples).</p>
{'<p id="views">' + ' · '.join(f'<a href="{esc(u)}">{esc(t)}</a>' for t, u in views) + '</p>' if views else ''}
{extra}<table>{rows}</table>{passage}<h2>Linked from</h2><ul>{back or '<li class="muted">nothing</li>'}</ul></body></html>"""


_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>policykg SPARQL</title>
<link rel="stylesheet" href="/static/yasgui/yasgui.min.css">
<style>body{font-family:sans-serif;margin:0}header{padding:.5em 1em;background:#234;color:#fff}
header a{color:#cde}</style></head><body>
<header><b>policykg</b> — SPARQL endpoint <code>/sparql</code> · <a href="/">documents</a> · <a href="/queries">named queries (JSON)</a> ·
<a href="/sparql">service description</a> ·
<a href="/graph">graph</a> · <a href="/audit-view">audit</a></header>
<div id="yasgui"></div>
<script src="/static/yasgui/yasgui.min.js"></script>
<script>
const endpoint = new URL("/sparql", window.location.href).toString();
const yasgui = new Yasgui(document.getElementById("yasgui"), {
  requestConfig: { endpoint: endpoint, method: "POST" },
  copyEndpointOnNewTab: true,
  persistenceId: null,
});
fetch("/queries").then(r => r.json()).then(queries => {
  queries.sort((a, b) => (b.name === "documents") - (a.name === "documents"));  // the overview first
  const first = yasgui.getTab();
  queries.forEach((q, i) => {
    if (i === 0) {
      first.setName(q.name);
      first.setQuery(q.query);
    } else {
      // an inactive tab has no editor yet: its query goes in the tab's configuration
      const defaults = Yasgui.Tab.getDefaults();
      yasgui.addTab(false, { ...defaults, name: q.name, yasqe: { ...defaults.yasqe, value: q.query } });
    }
  });
  yasgui.selectTabId(first.getId());
  window.policykgReady = true;
});
</script></body></html>
"""
