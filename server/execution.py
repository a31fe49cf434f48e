"""Query execution with a hard time limit and a row cap, in worker processes.

pyoxigraph's Python API has no query timeout, and a thread cannot be stopped. Queries therefore run in a
pool of worker processes, each with its own read-only handle on the store. A request takes an idle worker;
when the time limit passes, the worker is killed (which really stops the work) and replaced, and the
request gets a 503. Several workers mean one slow query never blocks the others.

In update mode (an update token is configured) one worker opens the store read-write and runs queries and
updates one at a time: a read-only handle would not see the updates.

Results are serialised in the worker, with the row cap applied there: a SELECT stops after ``max_rows``
rows and says so (:attr:`Result.truncated`).
"""
from __future__ import annotations

import io
import json
import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

SELECT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_FORMATS = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/rdf+xml": "RDF_XML",
    "application/ld+json": "JSON_LD",
    "application/trig": "TRIG",
    "application/n-quads": "N_QUADS",
}


class QueryTimeout(Exception):
    pass


class PoolBusy(Exception):
    pass


@dataclass
class Result:
    kind: str  # boolean | solutions | graph | update
    body: bytes
    media_type: str
    truncated: bool = False
    rows: int = 0
    error: str | None = None  # a SPARQL syntax or evaluation error, for a 400
    status: int = 400  # the HTTP status of the error (404: the report names nothing in the store)
    field: str = ""  # a review's value that was refused (POST /audit/review)


# ---------------------------------------------------------------------- serialisers (run in the worker)
def _json_term(t) -> dict:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    out = {"type": "literal", "value": t.value}
    if t.language:
        out["xml:lang"] = t.language
    elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = t.datatype.value
    return out


def _xml_term(t) -> str:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if t.language:
        return f'<literal xml:lang="{escape(t.language)}">{escape(t.value)}</literal>'
    if t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        return f'<literal datatype="{escape(t.datatype.value)}">{escape(t.value)}</literal>'
    return f"<literal>{escape(t.value)}</literal>"


def _csv_cell(t) -> str:
    from policykg.csvsafe import cell

    if t is None:
        return ""
    v = cell(t.value)
    if any(c in v for c in ',"\n\r'):
        v = '"' + v.replace('"', '""') + '"'
    return v


def _tsv_cell(t) -> str:
    return "" if t is None else str(t).replace("\t", "\\t").replace("\n", "\\n")


def serialize_solutions(variables: list[str], rows: list[list], fmt: str, truncated: bool) -> bytes:
    if fmt == "json":
        doc = {"head": {"vars": variables},
               "results": {"bindings": [{v: _json_term(t) for v, t in zip(variables, r) if t is not None} for r in rows]}}
        if truncated:
            doc["head"]["link"] = ["#truncated"]  # the JSON results format's only extension point
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        out += [f'<variable name="{escape(v)}"/>' for v in variables]
        out.append("</head><results>")
        for r in rows:
            out.append("<result>")
            out += [f'<binding name="{escape(v)}">{_xml_term(t)}</binding>' for v, t in zip(variables, r) if t is not None]
            out.append("</result>")
        out.append("</results></sparql>\n")
        return "".join(out).encode("utf-8")
    if fmt == "csv":
        lines = [",".join(variables)] + [",".join(_csv_cell(t) for t in r) for r in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    lines = ["\t".join("?" + v for v in variables)] + ["\t".join(_tsv_cell(t) for t in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode("utf-8")
    if fmt in ("csv", "tsv"):
        return (("_askResult\n" if fmt == "csv" else "?_askResult\n") + ("true" if value else "false") + "\n").encode("utf-8")
    return json.dumps({"head": {}, "boolean": bool(value)}).encode("utf-8")


def execute(store, request: dict) -> Result:
    """Run one request on a store handle (in the worker)."""
    import pyoxigraph as ox

    from policykg.ontology import PREFIXES

    if request["op"] == "update":
        try:
            store.update(request["text"], base_iri=request.get("base"))
            store.flush()
        except SyntaxError as exc:
            return Result("update", b"", "text/plain", error=f"malformed SPARQL update: {str(exc).splitlines()[0][:300]}")
        except (OSError, ValueError) as exc:
            return Result("update", b"", "text/plain", error=f"update failed: {exc}")
        return Result("update", b"", "text/plain")
    kwargs = {"prefixes": PREFIXES, "base_iri": request.get("base")}
    default, named = request.get("default_graphs"), request.get("named_graphs")
    if request.get("query_dataset"):
        pass  # the query's own FROM / FROM NAMED (graphs of the store, checked before): honoured as written
    elif default or named:
        if default:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default]
        if named:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named]
        if not default:
            kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["use_default_graph_as_union"] = True
    if request.get("bindings"):  # IRIs bound to variables as terms (never written into the query text)
        kwargs["substitutions"] = {ox.Variable(k): ox.NamedNode(v) for k, v in request["bindings"].items()}
    try:
        result = store.query(request["text"], **kwargs)
    except SyntaxError as exc:
        return Result("solutions", b"", "text/plain", error=f"malformed SPARQL: {str(exc).splitlines()[0][:300]}")
    except (OSError, ValueError, RuntimeError) as exc:
        return Result("solutions", b"", "text/plain", error=f"the query could not be evaluated: {exc}")
    max_rows = request["max_rows"]
    max_bytes = int(request.get("max_bytes") or 0) or None
    size = 0
    try:
        if isinstance(result, ox.QueryBoolean):
            fmt = SELECT_FORMATS.get(request["select_type"], "json")
            return Result("boolean", serialize_boolean(bool(result), fmt), request["select_type"])
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows, truncated = [], False
            for sol in result:
                if len(rows) >= max_rows:
                    truncated = True
                    break
                row = [sol[v] for v in variables]
                if max_bytes:  # the answer's size, estimated as it grows: values plus per-term markup
                    size += sum(len(t.value.encode("utf-8")) + 40 for t in row if t is not None)
                    if size > max_bytes:
                        truncated = True
                        break
                rows.append(row)
            fmt = SELECT_FORMATS.get(request["select_type"], "json")
            return Result("solutions", serialize_solutions(variables, rows, fmt, truncated), request["select_type"],
                          truncated, len(rows))
        triples, truncated = [], False
        for t in result:
            if len(triples) >= max_rows:
                truncated = True
                break
            if max_bytes:
                size += len(str(t).encode("utf-8"))
                if size > max_bytes:
                    truncated = True
                    break
            triples.append(t)
        media = request["graph_type"]
        fmt = getattr(ox.RdfFormat, GRAPH_FORMATS[media])
        if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            data = ox.serialize([ox.Quad(t.subject, t.predicate, t.object) for t in triples], format=fmt)
        elif fmt == ox.RdfFormat.TURTLE:
            data = ox.serialize(triples, format=fmt, prefixes=PREFIXES)
        else:
            data = ox.serialize(triples, format=fmt)
        return Result("graph", data, media, truncated, len(triples))
    except (OSError, ValueError, RuntimeError) as exc:
        return Result("solutions", b"", "text/plain", error=f"the query could not be evaluated: {exc}")


# ---------------------------------------------------------------------- the pool
def _limit_memory(megabytes: int | None) -> int | None:
    """RLIMIT_AS: this process's address space may grow by ``megabytes`` beyond what it maps once the store is
    open (a query that needs more fails to allocate, and the worker dies and is replaced). Returns the limit."""
    import resource

    if not megabytes:
        return None
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    limit = mapped + int(megabytes) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit


def run_report(store, request: dict) -> Result:
    """The exports and the audit report, in the worker (same time and memory limits as queries)."""
    from policykg.errors import QueryError
    from policykg.store import Store

    handle = Store.wrap(store)
    try:
        if request["report"] == "export":
            from policykg.queries import export

            files = export.to_format(export.build_view(handle, request["base_iri"], request["view"], request["scope"]),
                                     request["format"])
            key = request["key"] or next(iter(files))
            if key not in files:
                return Result("report", b"", "text/plain", error="part is nodes or edges")
            return Result("report", files[key], export.MEDIA[key])
        from policykg.queries import audit as audit_mod

        report = audit_mod.audit(handle, request["base_iri"], request.get("district"), request.get("plan"))
        fn = {"json": audit_mod.as_json, "html": audit_mod.as_html, "csv": audit_mod.as_csv, "text": audit_mod.as_text}
        return Result("report", fn[request["format"]](report).encode("utf-8"), "")
    except QueryError as exc:
        return Result("report", b"", "text/plain", error=str(exc), status=404)


def run_review(store, request: dict, path: str) -> Result:
    """Record an auditor's review (POST /audit/review) on the read-write worker's handle: checked, written in one
    transaction, then a new store generation."""
    from policykg.store import Store

    return review_on(Store.wrap(store, path), request)


def review_on(handle, request: dict) -> Result:
    """:func:`policykg.review.record` with the request's values; a bad value is a 400 naming it."""
    from policykg import review

    try:
        rev, before = review.record(handle, request["base_iri"], request.get("district"), request.get("cityMeasure"),
                                    request.get("verdict"), request.get("reviewer"), request.get("reason"),
                                    request.get("districtMeasure"))
    except review.ReviewError as exc:
        return Result("review", b"", "application/json", error=str(exc), status=400, field=exc.field)
    body = {"iri": rev.iri, "kind": rev.kind, "review": rev.summary(), "replaced": before.summary() if before else None}
    return Result("review", json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json")


def _worker(path: str, writable: bool, conn, memory_mb: int | None = None) -> None:
    import pyoxigraph as ox

    from .sandbox import confine

    store = ox.Store(path) if writable else ox.Store.read_only(path)
    import policykg.queries.audit, policykg.queries.export  # noqa: E401,F401  (imported before the memory limit)

    box = confine()
    box["memory_limit"] = _limit_memory(memory_mb)
    conn.send(("ready", box))  # from here on, no network: SERVICE/LOAD cannot connect anywhere
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            if request["op"] == "report":
                result = run_report(store, request)
            elif request["op"] == "review":
                result = run_review(store, request, path) if writable else Result(
                    "review", b"", "text/plain", error="this worker is read-only", status=403)
            else:
                result = execute(store, request)
            if request["op"] == "update" and not result.error:
                from policykg.store import mark_generation

                mark_generation(path)  # the dump, VoID and graph store of the server follow the update
            conn.send(result)
        except MemoryError:
            conn.send(Result("solutions", b"", "text/plain", error="the query needed more memory than a worker may use"))
        except Exception as exc:  # never leave the caller waiting
            conn.send(Result("solutions", b"", "text/plain", error=f"the query could not be evaluated: {exc}"))


class _Worker:
    def __init__(self, ctx, path: str, writable: bool, memory_mb: int | None = None, generation: str | None = None) -> None:
        self.generation = generation
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(path, writable, child, memory_mb), daemon=True)
        self.process.start()
        child.close()
        message = self.conn.recv() if self.conn.poll(60) else None
        if not (isinstance(message, tuple) and message[0] == "ready"):
            self.kill()
            raise RuntimeError("a query worker could not open the store")
        self.sandbox = message[1]

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerDied(Exception):
    pass


class QueryPool:
    """A pool of worker processes that run queries with a hard time limit, a memory limit per worker, and a
    fair share per client: one client (``client`` of :meth:`run`, the remote address) holds at most
    ``client_share`` workers at once; its further requests wait for one of its own to finish, so the others
    always find a worker."""

    def __init__(self, path: str, workers: int = 2, writable: bool = False, memory_mb: int | None = None,
                 client_share: int | None = None) -> None:
        self.path, self.writable, self.memory_mb = path, writable, memory_mb
        self.size = 1 if writable else max(1, workers)
        self.client_share = max(1, client_share if client_share else self.size - 1)
        self._ctx = mp.get_context("spawn")  # a fresh interpreter: no store handle is inherited across fork
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._share = threading.Condition()
        self._held: dict[str, int] = {}
        self._all: list[_Worker] = []
        self.sandbox: dict | None = None
        self._swap = threading.Lock()
        from policykg.store import generation

        self.generation = generation(path)
        for _ in range(self.size):
            self._add()

    def _add(self) -> None:
        gen = self.generation
        w = _Worker(self._ctx, self.path, self.writable, self.memory_mb, gen)
        with self._lock:
            if gen != self.generation:  # the store moved on while this worker started
                w.kill()
                return
            self._all.append(w)
            self.sandbox = w.sandbox
        self._idle.put(w)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            current = worker.generation == self.generation and worker in self._all
        if current:
            self._idle.put(worker)
        else:
            worker.kill()

    def refresh(self) -> bool:
        """When a build has completed a new generation of the store, replace every worker by one that sees it,
        all together: requests wait while the new workers start, and no answer comes from the old state once
        one has come from the new. Returns whether it did. (In update mode the one read-write worker sees its
        own writes; an outside build is not expected then.)"""
        from policykg.store import generation

        if self.writable or generation(self.path) == self.generation:
            return False
        with self._swap:
            gen = generation(self.path)
            if gen == self.generation:
                return False
            fresh = [_Worker(self._ctx, self.path, self.writable, self.memory_mb, gen) for _ in range(self.size)]
            with self._lock:
                old, self._all, self.generation = self._all, fresh, gen
                stale, self._idle = self._idle, queue.Queue()
                for w in fresh:
                    self._idle.put(w)
            while True:  # idle old workers stop now; busy ones when they finish (_give_back)
                try:
                    stale.get_nowait().kill()
                except queue.Empty:
                    break
            return True

    def run(self, request: dict, timeout: float, wait: float = 10.0, client: str | None = None) -> Result:
        deadline = time.monotonic() + wait
        if client is not None:
            with self._share:
                while self._held.get(client, 0) >= self.client_share:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise PoolBusy(f"this client already uses {self.client_share} of the {self.size} query "
                                       f"workers (its fair share); waited {wait:.0f} s; try again")
                    self._share.wait(left)
                self._held[client] = self._held.get(client, 0) + 1
        try:
            return self._run(request, timeout, max(0.1, deadline - time.monotonic()))
        finally:
            if client is not None:
                with self._share:
                    self._held[client] -= 1
                    if not self._held[client]:
                        del self._held[client]
                    self._share.notify_all()

    def _run(self, request: dict, timeout: float, wait: float) -> Result:
        self.refresh()
        deadline = time.monotonic() + wait
        while True:
            with self._swap:  # not while the workers of a new generation start
                idle = self._idle
            try:  # short waits: after a swap, the idle queue to wait on is the new one
                worker = idle.get(timeout=min(0.25, max(0.0, deadline - time.monotonic())))
                break
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise PoolBusy(f"every query worker is busy (waited {wait:.0f} s); try again")
        died = False
        try:
            worker.conn.send(request)
            if worker.conn.poll(timeout):
                result = worker.conn.recv()
                self._give_back(worker)
                return result
        except (EOFError, OSError, BrokenPipeError):
            died = True
        # over time (or the worker died, e.g. at its memory limit): stop the work for real, and replace the worker
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.kill()
        threading.Thread(target=self._add, daemon=True).start()
        if died:
            limit = f" of {self.memory_mb} MB" if self.memory_mb else ""
            raise WorkerDied(f"the query worker stopped while running it (most likely at its memory limit{limit}); "
                             "it was replaced")
        raise QueryTimeout(f"the query ran past the time limit of {timeout:g} s and was stopped")

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for w in workers:
            try:
                w.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            w.kill()
