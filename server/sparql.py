"""The SPARQL 1.1 Protocol endpoint at /sparql, and its service description."""
from __future__ import annotations

import hmac
import re
from binascii import unhexlify

from flask import Blueprint, Response, current_app, g, request
from werkzeug.datastructures import MultiDict

from . import error
from .execution import GRAPH_FORMATS, SELECT_FORMATS, PoolBusy, QueryTimeout, WorkerDied
from .safety import Refused, analyse, check_graph_iris, dataset_kwargs, prepare, with_using

bp = Blueprint("sparql", __name__)
_FORM = "application/x-www-form-urlencoded"


def backend():
    return current_app.extensions["policykg.backend"]


def _negotiate(form: str | None):
    """(select media type, graph media type) for the request's Accept header, or None when nothing fits."""
    accept = request.accept_mimetypes
    select = accept.best_match(list(SELECT_FORMATS), default=None) if accept else "application/sparql-results+json"
    graph = accept.best_match(list(GRAPH_FORMATS), default=None) if accept else "text/turtle"
    wildcard = not accept or any(m in ("*/*",) for m, _ in accept)
    select = select or ("application/sparql-results+json" if wildcard else None)
    graph = graph or ("text/turtle" if wildcard else None)
    needed = graph if form in ("CONSTRUCT", "DESCRIBE") else select
    return (select, graph) if needed else None


def _single(values: list[str], name: str):
    if len(values) > 1:
        return None, error("bad-request", f"give one {name}, not {len(values)}", 400)
    return (values[0] if values else None), None


_ESCAPES = re.compile(rb"(?:%[0-9A-Fa-f]{2})+")


def _unquote(raw: bytes) -> str:
    """One part of a query string or form body, percent-decoded (``+`` is a space) as ``urllib.parse.unquote_plus``
    does, but strictly UTF-8 (:class:`UnicodeDecodeError`), and each run of escapes in one call: CJK text is
    nothing but escapes, which urllib decodes one by one in Python (3–4 ms of a request for a 10 kB query)."""
    return _ESCAPES.sub(lambda m: unhexlify(m.group(0).replace(b"%", b"")), raw.replace(b"+", b" ")).decode("utf-8")


def _pairs(raw: bytes) -> MultiDict | None:
    """A query string or form body read as werkzeug reads it (pairs split on ``&``, blank values kept), or None when
    a part is not UTF-8 once decoded: such a request is refused rather than silently repaired with U+FFFD."""
    out = []
    try:
        for part in raw.split(b"&"):
            if part:
                key, _, value = part.partition(b"=")
                out.append((_unquote(key), _unquote(value)))
    except UnicodeDecodeError:
        return None
    return MultiDict(out)


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql():
    """The SPARQL 1.1 Protocol: queries and (with the update token) updates."""
    return protocol(queries=True, updates=True)


@bp.route("/query", methods=["GET", "POST", "OPTIONS"])
def query_endpoint():
    """/sparql for queries only (like Fuseki's and Oxigraph's /query): an update is a 400."""
    return protocol(queries=True, updates=False)


@bp.route("/update", methods=["POST", "OPTIONS"])
def update_endpoint():
    """/sparql for updates only (like Fuseki's and Oxigraph's /update): a query is a 400."""
    return protocol(queries=False, updates=True)


def protocol(queries: bool, updates: bool):
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": "GET, POST, OPTIONS" if queries else "POST, OPTIONS"})
    args, form = _pairs(request.query_string), MultiDict()
    if request.method == "POST":
        body = request.get_data(cache=True)
        if request.mimetype == _FORM:
            form = _pairs(body)
            g.protocol_form = form  # read once: the CORS hook asks it whether this is an update
        else:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                form = None
    if args is None or form is None:
        return error("bad-request", "the request is not valid UTF-8 (percent-encoded bytes included)", 400)
    default_graphs = args.getlist("default-graph-uri")
    named_graphs = args.getlist("named-graph-uri")
    using = args.getlist("using-graph-uri") + args.getlist("using-named-graph-uri")
    query = update = None
    if request.method == "GET":
        if "update" in args:
            return error("bad-request", "SPARQL Update must be sent with POST", 400)
        query, bad = _single(args.getlist("query"), "query")
        if bad:
            return bad
        if query is None:
            return service_description()
    else:
        mime = request.mimetype
        charset = (request.mimetype_params.get("charset") or "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            return error("unsupported-media-type", f"the request body must be UTF-8, not {charset}", 415)
        if mime == _FORM:
            default_graphs += form.getlist("default-graph-uri")
            named_graphs += form.getlist("named-graph-uri")
            using += form.getlist("using-graph-uri") + form.getlist("using-named-graph-uri")
            if "query" in form and "update" in form:
                return error("bad-request", "give a query or an update, not both", 400)
            query, bad = _single(form.getlist("query"), "query")
            if bad:
                return bad
            update, bad = _single(form.getlist("update"), "update")
            if bad:
                return bad
            if query is None and update is None:
                return error("bad-request", "the form has no query and no update parameter", 400)
        elif mime == "application/sparql-query":
            query = request.get_data(as_text=True)
        elif mime == "application/sparql-update":
            update = request.get_data(as_text=True)
        else:
            return error("unsupported-media-type",
                         f"POST a query as {_FORM} or application/sparql-query (an update as application/sparql-update), "
                         f"not {mime or 'a body without a media type'}", 415)
    if update is not None and not updates:
        return error("bad-request", "this is the query endpoint: send SPARQL Update to /update (or /sparql)", 400)
    if query is not None and not queries:
        return error("bad-request", "this is the update endpoint: send queries to /query (or /sparql)", 400)
    text = query if query is not None else update
    if len(text.encode("utf-8")) > int(current_app.config["MAX_QUERY_BYTES"]):
        return error("payload-too-large", f"the query is longer than {current_app.config['MAX_QUERY_BYTES']} bytes", 413)
    if update is not None:
        return _update(update, using)
    return _query(query, default_graphs, named_graphs)


def _query(text: str, default_graphs: list[str], named_graphs: list[str]):
    from policykg.ontology import PREFIXES

    try:
        check_graph_iris(default_graphs, "default-graph-uri")
        check_graph_iris(named_graphs, "named-graph-uri")
        text = prepare(text)
        found = analyse(text, False, PREFIXES, request.url_root)
    except Refused as exc:
        return error(exc.kind, str(exc), 400)
    refusal = found.refusal(backend().graphs())
    if refusal:
        return error("refused", refusal, 400)
    # protocol-named graphs are only looked up in the store (an unknown one is empty, never fetched)
    types = _negotiate(found.form)
    if types is None:
        return error("not-acceptable", "no result format you accept: SELECT/ASK results are JSON, XML, CSV or TSV; "
                                       "CONSTRUCT/DESCRIBE results Turtle, N-Triples, RDF/XML, JSON-LD, TriG or N-Quads", 406)
    req = {"op": "query", "text": text, **dataset_kwargs(found, default_graphs, named_graphs),
           "select_type": types[0], "graph_type": types[1], "max_rows": int(current_app.config["MAX_ROWS"]),
           "base": request.url_root}
    return respond(req)


def run(req: dict):
    """Run a request in the worker pool as this client (its fair share): (result, None) or (None, error response)."""
    try:
        return backend().run(req, client=request.remote_addr or "?"), None
    except QueryTimeout as exc:
        return None, error("timeout", str(exc), 503)
    except WorkerDied as exc:
        return None, error("worker-stopped", str(exc), 503)
    except PoolBusy as exc:
        return None, error("busy", str(exc), 503)


def respond(req: dict):
    result, failed = run(req)
    if failed:
        return failed
    if result.error:  # 502: the remote store behind this server failed (server/backend.py)
        return error("remote-error" if result.status == 502 else "query-error", result.error, result.status)
    resp = Response(result.body, mimetype=result.media_type)
    if result.media_type.startswith("text/"):
        resp.headers["Content-Type"] = f"{result.media_type}; charset=utf-8"
    if result.truncated:
        resp.headers["X-PolicyKG-Truncated"] = "true"
        resp.headers["X-PolicyKG-Row-Limit"] = str(current_app.config["MAX_ROWS"])
        resp.headers["X-PolicyKG-Byte-Limit"] = str(current_app.config["MAX_BYTES"])
    return resp


def check_token(what: str = "SPARQL Update", needs: str = "SPARQL Update needs"):
    """None when the request carries the update token (``Authorization: Bearer <token>``, compared in constant
    time); else the error response: 403 when no token is configured (read-only), 401 when it is missing or wrong."""
    token = current_app.config["UPDATE_TOKEN"]
    if not token:
        return error("forbidden", f"this endpoint is read-only: {what} is refused (no update token is configured)", 403)
    given = request.headers.get("Authorization", "")
    if not (given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip(), token)):
        return error("unauthorized", f"{needs} the update token: Authorization: Bearer <token>", 401)
    return None


def _update(text: str, using: list[str]):
    refused = check_token()
    if refused:
        return refused
    default, named = request.values.getlist("using-graph-uri"), request.values.getlist("using-named-graph-uri")
    try:
        text = prepare(text)
        if using:
            text = with_using(text, default, named, base=request.url_root)
        found = analyse(text, True, base=request.url_root)
    except Refused as exc:
        return error(exc.kind, str(exc), 400)
    refusal = found.refusal(backend().graphs())
    if refusal:
        return error("refused", refusal, 400)
    result, failed = run({"op": "update", "text": text, "base": request.url_root})
    if failed:
        return failed
    if result.error:
        return error("update-error", result.error, 400)
    return Response(status=204)


def service_description():
    """SPARQL 1.1 Service Description with a VoID description of the dataset."""
    import pyoxigraph as ox

    from .safety import iri

    try:  # the address comes from the Host header: checked as an IRI before it is written into Turtle
        iri(request.base_url, "the endpoint's address (Host header)")
        iri(request.url_root, "the server's address (Host header)")
    except Refused as exc:
        return error(exc.kind, str(exc), 400)
    endpoint, root = request.base_url, request.url_root
    updates = bool(current_app.config["UPDATE_TOKEN"])
    rows = backend().select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    total = sum(int(r["n"]) for r in rows)
    lines = [
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "@prefix formats: <http://www.w3.org/ns/formats/> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        f"<{endpoint}#service> a sd:Service ;",
        f"    sd:endpoint <{endpoint}> ;",
        "    sd:supportedLanguage sd:SPARQL11Query" + (" , sd:SPARQL11Update ;" if updates else " ;"),
        "    sd:feature sd:UnionDefaultGraph ;",
        "    sd:resultFormat formats:SPARQL_Results_JSON , formats:SPARQL_Results_XML , formats:SPARQL_Results_CSV ,",
        "        formats:SPARQL_Results_TSV , formats:Turtle , formats:N-Triples , formats:RDF_XML , formats:JSON-LD ,",
        "        formats:TriG , formats:N-Quads ;",
        "    dct:description \"policykg: government policy documents as RDF. The default graph is the union of the named graphs. "
        "SERVICE, LOAD and FROM of graphs outside the store are refused.\" ;",
        f"    sd:defaultDataset <{endpoint}#dataset> .",
        f"<{endpoint}#dataset> a sd:Dataset , void:Dataset ;",
        f"    void:sparqlEndpoint <{endpoint}> ;",
        f"    void:dataDump <{root}dump.nq.gz> ;",  # the whole store, gzip N-Quads (server/dataout.py)
        f"    rdfs:seeAlso <{root}void> ;",  # its VoID description, with licence and subject count
        f"    void:triples {total} ;",
        f"    sd:defaultGraph [ a sd:Graph ; void:triples {total} ]",
    ]
    for r in rows:
        lines[-1] += " ;"
        lines.append(f"    sd:namedGraph [ a sd:NamedGraph ; sd:name <{r['g']}> ; sd:graph [ a sd:Graph ; void:triples {r['n']} ] ]")
    lines[-1] += " ."
    turtle = "\n".join(lines) + "\n"
    accept = request.accept_mimetypes
    media = accept.best_match(list(GRAPH_FORMATS), default="text/turtle") if accept else "text/turtle"
    if media == "text/turtle":
        return Response(turtle, mimetype="text/turtle")
    triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    fmt = getattr(ox.RdfFormat, GRAPH_FORMATS[media])
    if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        data = ox.serialize([ox.Quad(t.subject, t.predicate, t.object) for t in triples], format=fmt)
    else:
        data = ox.serialize(triples, format=fmt)
    return Response(data, mimetype=media)
