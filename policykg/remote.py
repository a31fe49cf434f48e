"""A remote SPARQL 1.1 store behind the same interface as :class:`policykg.store.Store`.

``policykg build|query|stats|validate|reason|audit|agencies|export|serve --endpoint URL [--update-endpoint URL]``
work against any SPARQL 1.1 store. Tested in the suite on Oxigraph server and on Virtuoso 7.2 (Debian's
``virtuoso-opensource``); what each store needs is in the README ("Remote stores"). How the differences are met:

* **Credentials**: ``--remote-user`` and ``$POLICYKG_REMOTE_PASSWORD`` (or ``--remote-password``) answer the
  server's HTTP Basic or Digest challenge, whichever it sends (Virtuoso's ``/sparql-auth`` asks for Digest).
* **Time**: ``--remote-timeout`` (seconds, default 300) bounds every request.
* **Blank nodes** are written as IRIs under the base (``<base>.well-known/genid/<hash>``, RDF 1.1 §3.5): Virtuoso
  refuses blank nodes in ``INSERT DATA``. The labels come from rdflib's canonical labelling of the graph, so the
  same graph always gets the same IRIs.
* **Bounded writes**: Virtuoso compiles an update into SQL of at most 10,000 lines (about 1,500 triples). A write
  larger than :data:`CHUNK` triples goes, chunk by chunk, into *staging graphs* (``<graph>/.staging``); if any
  chunk fails they are dropped and nothing else was changed. Then one request switches them in (``MOVE`` staging
  → graph, ``ADD`` for inserts) together with the drops and deletes. What a reader sees meanwhile: a query naming
  the document's graph (``GRAPH <g>``) sees the old content until the switch and the new one after it; a query
  over the union default graph also sees the staged copy while it is being written (the document twice).
* **Row caps**: Virtuoso cuts a SELECT at ``ResultSetMaxRows`` (10,000 by default) and says so only in an
  ``X-SPARQL-MaxRows`` header. A SELECT that comes back cut (that header, or exactly ``max_rows`` rows) is asked
  again page by page (the query as a sub-query, sorted, ``LIMIT``/``OFFSET``), so every row arrives; a
  CONSTRUCT/DESCRIBE that reaches the cap, or a query that cannot be paged (it names a dataset with ``FROM``), is
  an error. A partial answer (``X-SQL-State: S1TAT``: the store's time limit struck) is an error too — never less
  than asked for in silence.
* **System graphs**: ``named_graphs``, ``len`` and the counts of ``stats`` see only graphs under the base IRI
  (Virtuoso keeps its own graphs in the same store).
* **Errors** name the store and quote what it said (``the remote store at URL refused the query (HTTP 400): …``).

policykg's queries expect the default graph to be the union of the named graphs. The request carries
Oxigraph's ``union-default-graph`` parameter; for Oxigraph start the server with ``--union-default-graph``
to be safe, for Fuseki set ``tdb2:unionDefaultGraph true`` on the dataset; for Virtuoso and GraphDB the
default graph already is the union of all graphs.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterable

import pyoxigraph as ox

from policykg.errors import QueryError, StoreError
from policykg.ontology import PREFIXES

CHUNK = 1000  # triples per update request at most (Virtuoso's SQL compiler fails near 1,500)
STAGING_SUFFIX = "/.staging"


class TripleResult(list):
    """The triples of a CONSTRUCT or DESCRIBE answered by a remote store."""


class RemoteTimeout(TimeoutError):
    """The remote store did not answer within the time limit."""


def _prologue(text: str = "") -> str:
    """PREFIX declarations for the prefixes policykg predeclares, except those the query's own prologue declares."""
    declared = {m.group(1) for m in _DECLARED.finditer(split_prologue(text)[0])} if text else set()
    return "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items() if k not in declared)


# ---------------------------------------------------------------------- query text for paging
_PROLOGUE_TOKEN = re.compile(r"""\s+|\#[^\n]*(?:\n|$)|(?i:PREFIX)\s*[^\s:<>]*:\s*<[^<>"{}|^`\\\s]*>|(?i:BASE)\s*<[^<>"{}|^`\\\s]*>""")


_DECLARED = re.compile(r"(?i:PREFIX)\s*([^\s:<>]*):")


def split_prologue(text: str) -> tuple[str, str]:
    """(prologue, query) of a query that parsed: the BASE/PREFIX declarations and comments before the query form."""
    pos = 0
    while True:
        m = _PROLOGUE_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return text[:pos], text[pos:]
        pos = m.end()


def paged_query(text: str, variables: list[str], ordered: bool, limit: int, offset: int) -> str:
    """One page of a SELECT: the query as a sub-query (sorted on all its variables when it has no ORDER BY of its
    own, so pages are stable), cut by LIMIT/OFFSET outside — the form Virtuoso pages beyond its row cap."""
    prologue, body = split_prologue(text)
    if not ordered:
        keys = " ".join(f"?{v}" for v in variables)
        body = f"SELECT * WHERE {{ {{\n{body}\n}} }} ORDER BY {keys}"
    return f"{prologue}SELECT * WHERE {{ {{\n{body}\n}} }} LIMIT {int(limit)} OFFSET {int(offset)}"


# ---------------------------------------------------------------------- literals as they were written
_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEANS = {"1": "true", "0": "false"}


def _canonical_json(term: dict) -> None:
    """A term of a JSON result in its canonical form, in place: Virtuoso stores booleans as 1/0 and answers
    ``"1"^^xsd:boolean`` for the ``"true"^^xsd:boolean`` it was given (the same value, another spelling)."""
    if term.get("datatype") == _BOOLEAN and term.get("value") in _BOOLEANS:
        term["value"] = _BOOLEANS[term["value"]]


def _canonical_triple(t):
    o = t.object
    if isinstance(o, ox.Literal) and o.datatype.value == _BOOLEAN and o.value in _BOOLEANS:
        return ox.Triple(t.subject, t.predicate, ox.Literal(_BOOLEANS[o.value], datatype=o.datatype))
    return t


# ---------------------------------------------------------------------- blank nodes
def skolemise(quads: list[ox.Quad], base: str) -> list[ox.Quad]:
    """The quads with every blank node replaced by an IRI under ``base`` (``.well-known/genid/``), labelled by
    rdflib's canonical labelling of each graph: the same graph gives the same IRIs, whatever the parser named them."""
    if not any(isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object)):
        return quads
    import rdflib
    from rdflib.compare import to_canonical_graph

    from policykg.store import rdflib_term

    genid = base.rstrip("/") + "/.well-known/genid/"
    out: list[ox.Quad] = []
    by_graph: dict = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(q)
    for g, group in by_graph.items():
        if not any(isinstance(t, ox.BlankNode) for q in group for t in (q.subject, q.object)):
            out.extend(group)
            continue
        graph = rdflib.Graph()
        for q in group:
            graph.add((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)))
        key = hashlib.sha256(str(g).encode("utf-8")).hexdigest()[:8]

        def term(t):
            if isinstance(t, rdflib.BNode):
                return ox.NamedNode(f"{genid}{key}-{t}")
            if isinstance(t, rdflib.URIRef):
                return ox.NamedNode(str(t))
            if t.language:
                return ox.Literal(str(t), language=t.language)
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype))) if t.datatype else ox.Literal(str(t))

        for s, p, o in to_canonical_graph(graph):
            out.append(ox.Quad(term(s), term(p), term(o), g))
    return out


# ---------------------------------------------------------------------- HTTP
class Connection:
    """Where a remote store is and how to reach it: endpoints, credentials, time limit, row cap."""

    def __init__(self, endpoint: str, update_endpoint: str | None = None, timeout: float = 300,
                 user: str | None = None, password: str | None = None, max_rows: int = 10000,
                 query_params: dict | None = None) -> None:
        """``query_params``: form parameters sent with every query (e.g. Virtuoso's ``timeout`` in milliseconds,
        after which it answers what it has, marked partial — which policykg then refuses)."""
        self.endpoint = endpoint
        self.query_params = dict(query_params or {})
        self.update_endpoint = update_endpoint or endpoint
        self.timeout = float(timeout)
        self.max_rows = int(max_rows or 0)
        handlers = []
        if user:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.endpoint, self.update_endpoint}:
                manager.add_password(None, url, user, password or "")
            # the server's challenge decides: each handler answers only its own scheme
            handlers = [urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPBasicAuthHandler(manager)]
        self._opener = urllib.request.build_opener(*handlers)

    @classmethod
    def from_config(cls, config: dict) -> "Connection":
        """The server's settings (``ENDPOINT``, ``UPDATE_ENDPOINT``, ``REMOTE_*``)."""
        return cls(config["ENDPOINT"], config.get("UPDATE_ENDPOINT"), config.get("REMOTE_TIMEOUT") or 300,
                   config.get("REMOTE_USER"), config.get("REMOTE_PASSWORD"), config.get("REMOTE_MAX_ROWS", 10000))

    def post(self, url: str, form: dict, accept: str, timeout: float | None = None) -> tuple[int, dict, bytes]:
        """(status, headers, body) of a form POST; raises :class:`RemoteTimeout` or :class:`StoreError` when there
        is no answer. HTTP errors are answers: the caller says what they mean."""
        timeout = float(timeout or self.timeout)
        body = urllib.parse.urlencode(form, doseq=True).encode("utf-8")
        req = urllib.request.Request(url, data=body, headers={
            "Accept": accept, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        started = time.monotonic()
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}, exc.read()
        except (TimeoutError, OSError) as exc:
            if isinstance(exc, TimeoutError) or time.monotonic() - started >= timeout:
                raise RemoteTimeout(f"the remote store at {url} did not answer within {timeout:g} s")
            raise StoreError(f"the remote store could not be reached ({exc})", url)


def said(body: bytes) -> str:
    """What a store's error response says, on one line."""
    text = body.decode("utf-8", "replace").strip()
    text = re.sub(r"\s+", " ", text.split("SPARQL query:")[0]).strip()
    return text[:400] or "(no message)"


def check_complete(conn: Connection, headers: dict, url: str) -> None:
    """A partial answer is an error (Virtuoso: HTTP 200 with ``X-SQL-State: S1TAT`` when its time limit struck)."""
    state = headers.get("x-sql-state")
    if state and state.upper() == "S1TAT":
        raise StoreError("the remote store returned a partial answer: its own time limit struck (X-SQL-State: S1TAT); "
                         "raise its limit (Virtuoso: MaxQueryExecutionTime) or narrow the query", url)


class RemoteStore:
    def __init__(self, endpoint: str | Connection, update_endpoint: str | None = None, timeout: float = 300,
                 base: str = "https://policykg.org/id/", user: str | None = None, password: str | None = None,
                 max_rows: int = 10000) -> None:
        self.conn = endpoint if isinstance(endpoint, Connection) else Connection(
            endpoint, update_endpoint, timeout, user, password, max_rows)
        self.endpoint = self.conn.endpoint
        self.update_endpoint = self.conn.update_endpoint
        self.base = base
        self.path = self.endpoint  # shown where the embedded store shows its directory
        self.read_only = False

    # ---------------------------------------------------------------- reading
    def _request(self, text: str, accept: str, source: str, dataset: dict | None = None) -> tuple[dict, bytes]:
        form = {**self.conn.query_params, "query": text}
        if dataset:
            form.update(dataset)
        else:
            form["union-default-graph"] = "true"  # Oxigraph's parameter; other stores ignore it
        status, headers, body = self.conn.post(self.endpoint, form, accept)
        if status >= 400:
            message = f"the remote store at {self.endpoint} refused the query (HTTP {status}): {said(body)}"
            if status in (400, 500):
                raise QueryError(message, source)
            raise StoreError(message.removeprefix(f"the remote store at {self.endpoint} "), self.endpoint)
        check_complete(self.conn, headers, self.endpoint)
        return headers, body

    def query(self, sparql: str, substitutions: dict | None = None, source: str = "query", dataset: dict | None = None,
              base: str | None = None):
        from policykg.server.safety import Refused, analyse

        try:
            analysis = analyse(sparql, prefixes=PREFIXES)
        except Refused:
            analysis = None  # the remote store says what is wrong with it
        form = analysis.form if analysis else None
        # BASE first: Virtuoso refuses a BASE after PREFIX declarations (SPARQL allows either order)
        text = (f"BASE {ox.NamedNode(base)}\n" if base else "") + _prologue(sparql) + sparql
        if form in ("CONSTRUCT", "DESCRIBE"):
            headers, data = self._request(text, "application/n-triples", source, dataset)
            triples = TripleResult(_canonical_triple(t) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            if "x-sparql-maxrows" in headers or (self.conn.max_rows and len(triples) >= self.conn.max_rows):
                raise StoreError(f"the remote store may have cut this {form} at its row cap ({len(triples)} triples "
                                 "came back): a graph answer cannot be paged; ask a SELECT, or a smaller graph",
                                 self.endpoint)
            return triples
        headers, data = self._request(text, "application/sparql-results+json", source, dataset)
        if form != "SELECT":
            return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        doc = json.loads(data)
        rows = doc.get("results", {}).get("bindings", [])
        cap = headers.get("x-sparql-maxrows")
        if cap is not None or (self.conn.max_rows and len(rows) == self.conn.max_rows):
            page = int(cap) if cap and cap.isdigit() else len(rows)
            if analysis is None or analysis.from_default or analysis.from_named or dataset or page <= 0:
                raise StoreError(f"the remote store cut the answer at {len(rows)} rows (its row cap) and this query "
                                 "cannot be paged (it names its dataset); add LIMIT/OFFSET or raise the store's cap",
                                 self.endpoint)
            rows = self._all_pages(sparql, doc["head"]["vars"], analysis.ordered, page, source)
            doc = {"head": doc["head"], "results": {"bindings": rows}}
        for row in rows:
            for term in row.values():
                _canonical_json(term)
        data = json.dumps(doc).encode("utf-8")
        return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)

    def _all_pages(self, sparql: str, variables: list[str], ordered: bool, page: int, source: str) -> list:
        rows: list = []
        while True:
            text = _prologue(sparql) + paged_query(sparql, variables, ordered, page, len(rows))
            headers, data = self._request(text, "application/sparql-results+json", source)
            got = json.loads(data).get("results", {}).get("bindings", [])
            rows.extend(got)
            if len(got) < page:
                return rows

    def named_graphs(self) -> list[str]:
        """The store's graphs under the base IRI (a store's own system graphs are not policykg's)."""
        graphs = {r["g"].value for r in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }") if r["g"] is not None}
        return sorted(g for g in graphs if g.startswith(self.base))

    def quads(self, graph: str | None = None) -> list[ox.Quad]:
        if graph is None:
            return [q for g in self.named_graphs() for q in self.quads(g)]
        g = ox.NamedNode(graph)
        return [ox.Quad(r["s"], r["p"], r["o"], g)
                for r in self.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")]

    def dump_sorted(self, graphs: Iterable[str]) -> str:
        lines = [f"{q.subject} {q.predicate} {q.object} {q.graph_name} ." for g in graphs for q in self.quads(g)]
        return "\n".join(sorted(lines)) + ("\n" if lines else "")

    def __len__(self) -> int:
        base = ox.Literal(self.base)
        [row] = list(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), {base})) }}"))
        return int(row["n"].value)

    # ---------------------------------------------------------------- writing
    def _update(self, text: str) -> None:
        status, headers, body = self.conn.post(self.update_endpoint, {"update": text}, "*/*")
        if status >= 400:
            raise StoreError(f"the remote store refused the update (HTTP {status}): {said(body)}", self.update_endpoint)
        check_complete(self.conn, headers, self.update_endpoint)

    def apply(self, replacements: dict, drops: Iterable[str] = (), delete_where: Iterable[str] = (),
              inserts: dict | None = None) -> None:
        """Replace graphs, drop graphs, run DELETE WHERE patterns, insert quads: in one request when small, else
        through staging graphs switched in by one last request (see the module's docstring)."""
        from policykg.store import update_text

        drops, delete_where = list(drops), list(delete_where)
        replacements = {g: self._ready(g, q) for g, q in replacements.items()}
        inserts = {g: self._ready(g, q) for g, q in (inserts or {}).items()}
        size = sum(len(q) for q in replacements.values()) + sum(len(q) for q in inserts.values())
        if size <= CHUNK:
            text = update_text(replacements, drops, delete_where, inserts)
            if text:
                self._write(text)
            return
        staged = {g: g + STAGING_SUFFIX for g in sorted(set(replacements) | set(inserts))}
        # one staging graph per target; a graph both replaced and added to gets both sets of quads
        content = {g: list(replacements.get(g, [])) + list(inserts.get(g, [])) for g in staged}
        try:
            self._write(" ;\n".join(f"DROP SILENT GRAPH <{s}>" for s in staged.values()))
            for g, quads in content.items():
                for i in range(0, len(quads), CHUNK):
                    self._write(update_text({}, inserts={staged[g]: quads[i:i + CHUNK]}))
        except StoreError:
            try:
                self._write(" ;\n".join(f"DROP SILENT GRAPH <{s}>" for s in staged.values()))
            finally:
                raise
        switch = [f"DROP SILENT GRAPH <{g}>" for g in sorted(set(drops) - set(replacements))]
        switch += [f"DELETE WHERE {{ {p} }}" for p in delete_where]
        for g in sorted(staged):
            if g in replacements:
                switch.append(f"MOVE SILENT <{staged[g]}> TO <{g}>")
            else:
                switch.append(f"ADD SILENT <{staged[g]}> TO <{g}>")
                switch.append(f"DROP SILENT GRAPH <{staged[g]}>")
        self._write(" ;\n".join(switch))

    def _ready(self, graph: str, quads) -> list[ox.Quad]:
        """Quads (from a list, or N-Triples text) in the graph, blank nodes skolemised."""
        if isinstance(quads, str):
            g = ox.NamedNode(graph)
            quads = [ox.Quad(t.subject, t.predicate, t.object, g)
                     for t in ox.parse(quads.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
        return skolemise(list(quads), self.base)

    def _write(self, text: str) -> None:
        try:
            self._update(text)
        except StoreError as exc:
            raise StoreError(f"write failed, nothing was changed ({exc.reason})", self.update_endpoint) from None

    def flush(self) -> None:
        pass
