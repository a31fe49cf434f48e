"""A remote SPARQL 1.1 store behind the same interface as :class:`policykg.store.Store`.

``policykg build|query|stats|validate|reason|audit|agencies --endpoint URL [--update-endpoint URL]`` work
against any SPARQL 1.1 store — Oxigraph server, Apache Jena Fuseki, GraphDB, Virtuoso — through
SPARQLWrapper: queries go to the query endpoint, graph replacements as SPARQL Update (one update request per
file, as with the embedded store) to the update endpoint.

policykg's queries expect the default graph to be the union of the named graphs. The request carries
Oxigraph's ``union-default-graph`` parameter; for Oxigraph start the server with ``--union-default-graph``
to be safe, for Fuseki set ``tdb2:unionDefaultGraph true`` on the dataset, for GraphDB and Virtuoso the
default graph already is the union of all graphs.
"""
from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox

from policykg.errors import QueryError, StoreError
from policykg.ontology import PREFIXES


class TripleResult(list):
    """The triples of a CONSTRUCT or DESCRIBE answered by a remote store."""


def _prologue() -> str:
    return "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())


class RemoteStore:
    def __init__(self, endpoint: str, update_endpoint: str | None = None, timeout: float = 300) -> None:
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.timeout = timeout
        self.path = endpoint  # shown where the embedded store shows its directory
        self.read_only = False

    def _wrapper(self, url: str):
        from SPARQLWrapper import POST, SPARQLWrapper

        sw = SPARQLWrapper(url)
        sw.setMethod(POST)
        sw.setTimeout(int(self.timeout))
        return sw

    # ---------------------------------------------------------------- reading
    def query(self, sparql: str, substitutions: dict | None = None, source: str = "query"):
        from SPARQLWrapper import JSON, TURTLE
        from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

        from policykg.server.safety import Refused, analyse

        try:
            form = analyse(sparql).form
        except Refused:
            form = None  # the remote store says what is wrong with it
        sw = self._wrapper(self.endpoint)
        sw.setQuery(_prologue() + sparql)
        sw.addParameter("union-default-graph", "true")
        try:
            if form in ("CONSTRUCT", "DESCRIBE"):
                sw.setReturnFormat(TURTLE)
                data = sw.query().response.read()
                return TripleResult(ox.parse(data, format=ox.RdfFormat.TURTLE))
            sw.setReturnFormat(JSON)
            data = sw.query().response.read()
        except QueryBadFormed as exc:
            raise QueryError(f"malformed SPARQL: {str(exc).splitlines()[0][:200]}", source)
        except (SPARQLWrapperException, OSError) as exc:
            raise StoreError(f"the remote store failed ({str(exc)[:300]})", self.endpoint)
        return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)

    def named_graphs(self) -> list[str]:
        return sorted(r["g"].value for r in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))

    def quads(self, graph: str | None = None) -> list[ox.Quad]:
        if graph is None:
            rows = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
            return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]
        g = ox.NamedNode(graph)
        return [ox.Quad(r["s"], r["p"], r["o"], g) for r in self.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")]

    def dump_sorted(self, graphs: Iterable[str]) -> str:
        lines = [f"{q.subject} {q.predicate} {q.object} {q.graph_name} ." for g in graphs for q in self.quads(g)]
        return "\n".join(sorted(lines)) + ("\n" if lines else "")

    def __len__(self) -> int:
        [row] = list(self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return int(row["n"].value)

    # ---------------------------------------------------------------- writing
    def apply(self, replacements: dict, drops: Iterable[str] = (), delete_where: Iterable[str] = (),
              inserts: dict | None = None) -> None:
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        from policykg.store import update_text

        text = update_text(replacements, drops, delete_where, inserts)
        if not text:
            return
        sw = self._wrapper(self.update_endpoint)
        sw.setQuery(text)
        try:
            sw.query()
        except (SPARQLWrapperException, OSError) as exc:
            raise StoreError(f"write failed, nothing was changed ({str(exc)[:300]})", self.update_endpoint)

    def flush(self) -> None:
        pass
