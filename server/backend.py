"""Where queries run: the embedded store (worker processes) or a remote SPARQL endpoint."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

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
        if request["op"] == "update" and not result.error:
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


class RemoteBackend(LocalBackend):
    """Any SPARQL 1.1 endpoint (Oxigraph server, Fuseki, GraphDB, Virtuoso): requests are forwarded.

    The time limit is the HTTP client's: the remote server may go on working after policykg gives up, so
    give the remote server its own limit too. Named queries expect the default graph to be the union of the
    named graphs: start Oxigraph with ``--union-default-graph``, or configure the store likewise.
    """

    def __init__(self, config: dict) -> None:
        self.config = config
        self.endpoint = config["ENDPOINT"]
        self.update_endpoint = config["UPDATE_ENDPOINT"] or config["ENDPOINT"]
        self._graphs = None
        self._lock = threading.Lock()

    def run(self, request: dict, timeout: float | None = None, client: str | None = None) -> Result:
        from policykg.ontology import PREFIXES

        timeout = timeout or float(self.config["TIMEOUT"])
        if request["op"] == "update":
            url, data, accept = self.update_endpoint, {"update": request["text"]}, "*/*"
        else:
            from .pages import declared_prefixes

            declared = declared_prefixes(request["text"])  # a prefix the query declares is not declared again
            prologue = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items() if k not in declared)
            text = request["text"]
            if request.get("bindings"):  # a remote endpoint has no substitutions: a VALUES block opening the outer
                import pyoxigraph as ox  # WHERE group (a trailing one would join after the FILTERs), each value

                from policykg.queries import _WHERE, _strip_comments  # written by pyoxigraph's term serialiser

                where = _WHERE.search(_strip_comments(text))
                if where is None:
                    return Result("solutions", b"", "text/plain", error="bound variables need a query with a WHERE clause")
                block = "VALUES (" + " ".join(f"?{k}" for k in request["bindings"]) + ") { (" + \
                    " ".join(str(ox.NamedNode(v)) for v in request["bindings"].values()) + ") }"
                text = text[:where.end()] + " " + block + " " + text[where.end():]
            data = {"query": prologue + text}
            for g in request.get("default_graphs") or []:
                data.setdefault("default-graph-uri", []).append(g)
            for g in request.get("named_graphs") or []:
                data.setdefault("named-graph-uri", []).append(g)
            url = self.endpoint
            accept = f'{request["select_type"]}, {request["graph_type"]};q=0.9'
        body = urllib.parse.urlencode(data, doseq=True).encode("utf-8")
        req = urllib.request.Request(url, data=body, headers={"Accept": accept,
                                                              "Content-Type": "application/x-www-form-urlencoded"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                media = resp.headers.get_content_type()
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            return Result("solutions", b"", "text/plain", error=f"the remote endpoint answered {exc.code}: {exc.read()[:300].decode('utf-8', 'replace')}")
        except (TimeoutError, OSError) as exc:
            if time.monotonic() - started >= timeout:
                raise QueryTimeout(f"the remote endpoint did not answer within {timeout:g} s")
            return Result("solutions", b"", "text/plain", error=f"the remote endpoint could not be reached: {exc}")
        if request["op"] == "update":
            with self._lock:
                self._graphs = None
            return Result("update", b"", "text/plain")
        kind = "graph" if media in ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json",
                                    "application/trig", "application/n-quads") else "solutions"
        return Result(kind, payload, media)

    def close(self) -> None:
        pass


def make_backend(config: dict):
    return RemoteBackend(config) if config.get("ENDPOINT") else LocalBackend(config)
