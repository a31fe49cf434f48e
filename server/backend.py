"""Where queries run: the embedded store (worker processes) or a remote SPARQL endpoint."""
from __future__ import annotations

import json
import threading

from .execution import QueryPool, QueryTimeout, Result


class LocalBackend:
    """The embedded store, through a pool of worker processes (read-only, or one read-write in update mode)."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.pool = QueryPool(config["STORE"], workers=int(config["WORKERS"]), writable=bool(config["UPDATE_TOKEN"]),
                              memory_mb=config.get("MAX_MEMORY_MB"), client_share=config.get("CLIENT_SHARE"))
        self._graphs: set[str] | None = None
        self._lock = threading.Lock()

    def run(self, request: dict, timeout: float | None = None, client: str | None = None) -> Result:
        request.setdefault("max_bytes", self.config.get("MAX_BYTES"))
        result = self.pool.run(request, timeout or float(self.config["TIMEOUT"]), client=client)
        if request["op"] in ("update", "review") and not result.error:
            with self._lock:
                self._graphs = None
        return result

    def select(self, text: str, timeout: float | None = None, bindings: dict[str, str] | None = None) -> list[dict]:
        """Rows of an internal SELECT as dicts of plain values; ``bindings`` maps variables to IRIs, bound as
        terms (substitutions), never written into the text."""
        r = self.run({"op": "query", "text": text, "select_type": "application/sparql-results+json",
                      "graph_type": "text/turtle", "max_rows": 100_000, "bindings": bindings}, timeout)
        if r.error:
            raise RuntimeError(r.error)
        data = json.loads(r.body)
        return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]

    def graphs(self) -> set[str]:
        gen = getattr(getattr(self, "pool", None), "generation", None)
        with self._lock:
            cached = self._graphs if getattr(self, "_graphs_gen", None) == gen else None
        if cached is None:
            cached = {r["g"] for r in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")}
            with self._lock:
                self._graphs, self._graphs_gen = cached, getattr(getattr(self, "pool", None), "generation", None)
        return cached

    def close(self) -> None:
        self.pool.close()


class _RemoteHandle:
    """A remote store where :func:`.execution.execute` expects a pyoxigraph handle: the same row and byte caps, the
    same serialisers, whatever the remote store answers in (and every row of a SELECT its own cap would cut)."""

    def __init__(self, store) -> None:
        self.store = store

    def query(self, text: str, prefixes=None, base_iri=None, use_default_graph_as_union=False, default_graph=None,
              named_graphs=None, substitutions=None):
        from policykg.errors import PolicyKGError

        if substitutions:  # a remote endpoint has no substitutions: a VALUES block opening the outer WHERE group
            from policykg.queries import _WHERE, _strip_comments  # (a trailing one would join after the FILTERs),

            where = _WHERE.search(_strip_comments(text))  # each value written by pyoxigraph's term serialiser
            if where is None:
                raise ValueError("bound variables need a query with a WHERE clause")
            block = "VALUES (" + " ".join(str(k) for k in substitutions) + ") { (" + \
                " ".join(str(v) for v in substitutions.values()) + ") }"
            text = text[:where.end()] + " " + block + " " + text[where.end():]

        dataset = {}
        if default_graph:
            dataset["default-graph-uri"] = [g.value for g in default_graph]
        if named_graphs:
            dataset["named-graph-uri"] = [g.value for g in named_graphs]
        try:  # relative IRIs resolve against this server, as with the embedded store
            return self.store.query(text, source="query", dataset=dataset or None, base=base_iri)
        except PolicyKGError as exc:
            raise ValueError(exc.reason) from None


class RemoteBackend(LocalBackend):
    """Any SPARQL 1.1 endpoint (Oxigraph server, Fuseki, GraphDB, Virtuoso): queries are forwarded through
    :class:`policykg.remote.RemoteStore` (credentials, row-cap paging, partial answers refused) and answered here
    under this server's own caps (``MAX_ROWS``, ``MAX_BYTES``); updates are forwarded as they are.

    The time limit is the HTTP client's: the remote server may go on working after policykg gives up, so
    give the remote server its own limit too. Named queries expect the default graph to be the union of the
    named graphs: start Oxigraph with ``--union-default-graph``, or configure the store likewise.
    """

    def __init__(self, config: dict) -> None:
        from policykg.remote import Connection

        self.config = config
        self.conn = Connection.from_config(config)
        self.endpoint = self.conn.endpoint
        self.update_endpoint = self.conn.update_endpoint
        self._graphs = None
        self._lock = threading.Lock()

    def store(self, timeout: float | None = None):
        from policykg.remote import Connection, RemoteStore

        conn = self.conn
        if timeout:
            conn = Connection.from_config({**self.config, "REMOTE_TIMEOUT": timeout})
        return RemoteStore(conn, base=self.config.get("BASE") or "https://policykg.org/id/")

    def run(self, request: dict, timeout: float | None = None, client: str | None = None) -> Result:
        from policykg.errors import PolicyKGError
        from policykg.remote import RemoteTimeout, said

        from .execution import execute

        timeout = timeout or float(self.config["TIMEOUT"])
        try:
            if request["op"] == "update":
                status, _, body = self.conn.post(self.update_endpoint, {"update": request["text"]}, "*/*", timeout)
                if status >= 400:
                    return Result("update", b"", "text/plain",
                                  error=f"the remote store at {self.update_endpoint} refused the update (HTTP {status}): {said(body)}")
                with self._lock:
                    self._graphs = None
                return Result("update", b"", "text/plain")
            if request["op"] == "review":  # checked and written through the remote store's endpoints
                from .execution import review_on

                result = review_on(self.store(timeout), request)
                if not result.error:
                    with self._lock:
                        self._graphs = None
                return result
            request.setdefault("max_bytes", self.config.get("MAX_BYTES"))
            return execute(_RemoteHandle(self.store(timeout)), request)
        except RemoteTimeout as exc:
            raise QueryTimeout(str(exc))
        except PolicyKGError as exc:
            return Result("solutions", b"", "text/plain", error=str(exc), status=502)

    def graphs(self) -> set[str]:
        """The store's graphs (Virtuoso answers ``GRAPH ?g {}`` with one empty row: the pattern here has triples)."""
        with self._lock:
            cached = self._graphs
        if cached is None:
            cached = {r["g"] for r in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }") if "g" in r}
            with self._lock:
                self._graphs = cached
        return cached

    def close(self) -> None:
        pass


def make_backend(config: dict):
    return RemoteBackend(config) if config.get("ENDPOINT") else LocalBackend(config)
