"""Run the benchmarks and write the table: ``python -m bench.run`` (or ``scripts/bench``).

For each size (documents) it generates the synthetic corpus (:mod:`bench.generate`, seed 1), then measures:

* **build** — ``policykg build --no-reason --json`` in a fresh process into an empty store: wall time,
  documents/s, MB of source text/s, triples/s, peak memory (largest process), and the time per stage
  (read+parse+extract on every core, write, citation links, follow-ups, search index+flush, count);
* **quality** — the store against the ground truth (:mod:`bench.evaluate`): documents and measures recovered,
  follow-up and responsible-unit precision and recall, and the follow-up stage's time;
* **incremental** — one district plan file changed (a measure added) and re-built into the full store
  (``build()`` in-process, and the CLI's wall time including interpreter start);
* **queries** — every named query with a user's parameters (:func:`cases`: one district and one city plan, one
  document's number, a list's first page), rows and repeated rows, median and p95 over repeated runs on the
  embedded store (pyoxigraph), through policykg's HTTP endpoint (``policykg serve``, plain HTTP POST), on an
  Oxigraph server (PyPI ``oxigraph serve-read-only`` over a copy of the same store), on a Virtuoso server
  (Debian, :mod:`bench.virtuoso`, the same quads bulk-loaded) and on rdflib's in-memory engine where it finishes
  within its time budget — all in one run, as ratios to the embedded store; and the audit of one district;
* **server** — requests/s and latency for a simple lookup and for the audit query, with concurrent clients;
* **validation and reasoning** — ``policykg validate`` (pySHACL) and ``policykg reason`` (the OWL 2 RL rules over
  the whole store, as a re-run would; ``build`` already reasons per document) wall time, within a time budget.

Every step that can run long has a budget; a step over budget is recorded as such, never silently dropped.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BASE = "https://policykg.org/id/"
# run a command and report the peak RSS of its largest process (ru_maxrss of the children, in KiB)
_MEASURE = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr)\n"
    "print(json.dumps({'rc': r.returncode, 'seconds': time.perf_counter() - t,"
    " 'peak_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)\n"
)


def measured(cmd: list[str], timeout: float | None = None) -> tuple[dict, str, str]:
    """Run ``cmd`` under the measuring wrapper, in a process group of its own: over ``timeout`` the whole
    group is killed (the command, and any worker it started), never left running beside the next step."""
    import signal

    proc = subprocess.Popen([PY, "-c", _MEASURE, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"rc": None, "seconds": timeout, "timeout": True}, "", ""
    last = err.strip().splitlines()[-1]
    return json.loads(last), out, "\n".join(err.strip().splitlines()[:-1])


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]


def timed(fn, reps: int) -> dict:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"median": statistics.median(times), "p95": pct(times, 0.95), "runs": reps}


# ------------------------------------------------------------------ servers
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=60)  # a cold 10k store can take seconds to open
            return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status: the server answers
                return
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"server at {url} did not start")
            time.sleep(0.2)


class Server:
    def __init__(self, cmd: list[str], probe: str, port: int) -> None:
        self.port = port
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(probe, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def http_query(endpoint: str, sparql: str, timeout: float = 300) -> bytes:
    req = urllib.request.Request(endpoint, data=urllib.parse.urlencode({"query": sparql}).encode(),
                                 headers={"Accept": "application/sparql-results+json",
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


def load(endpoint: str, queries: list[str], clients: int, seconds: float) -> dict:
    """``clients`` threads, each with one keep-alive connection, sending queries for ``seconds``."""
    import http.client

    u = urllib.parse.urlparse(endpoint)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        rng = random.Random(k)
        mine = []
        while time.perf_counter() < stop:
            body = urllib.parse.urlencode({"query": rng.choice(queries)})
            t = time.perf_counter()
            try:
                conn.request("POST", u.path, body=body, headers={
                    "Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
                continue
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(latencies), "errors": errors[0], "rps": len(latencies) / wall,
            "median": statistics.median(latencies) if latencies else None,
            "p95": pct(latencies, 0.95) if latencies else None}


# ------------------------------------------------------------------ one size
def run_size(n: int, work: Path, args) -> dict:
    from bench.evaluate import compare
    from bench.generate import generate
    from policykg.ontology import PREFIXES
    from policykg.queries import bind, library
    from policykg.store import Store

    res: dict = {"documents": n}
    data = work / f"{n}-{args.seed}"

    def checkpoint(phase: str) -> None:
        """What this size measured so far, after each phase: a run that dies later keeps it (WORK/N-SEED.partial.json)."""
        res["finished"] = phase
        (work / f"{n}-{args.seed}.partial.json").write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
    t = time.perf_counter()
    truth = generate(n, args.seed, data)
    res["generate_s"] = time.perf_counter() - t
    res["corpus"] = {k: truth[k] for k in ("documents", "files", "bytes", "kinds", "followUps")}
    res["corpus"]["measures"] = len(truth["measures"])
    store_dir = data / "store"
    shutil.rmtree(store_dir, ignore_errors=True)
    log(f"[{n}] build")
    m, out, err = measured([PY, "-m", "policykg.cli", "build", str(data / "corpus"), "--store", str(store_dir),
                            "--base", BASE, "--no-reason", "--no-progress", "--json"])
    summary = json.loads(out)
    res["build"] = {"seconds": m["seconds"], "peak_mib": m["peak_kib"] / 1024, "triples": summary["triples"],
                    "documents": summary["documents"], "measures": summary["measures"], "errors": len(summary["errors"]),
                    "stages": summary["seconds"]}
    b = res["build"]
    b["store_mib"] = sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file()) / 2**20  # as built (optimised)
    b["docs_per_s"] = n / b["seconds"]
    b["mb_per_s"] = truth["bytes"] / 1e6 / b["seconds"]
    b["triples_per_s"] = b["triples"] / b["seconds"]

    checkpoint("build")
    log(f"[{n}] quality")
    store = Store(store_dir, read_only=True)
    res["quality"] = {k: v.as_dict() for k, v in compare(store, truth).items()}

    checkpoint("quality")
    res["build"]["provisions"] = summary["provisions"]
    res["build"]["quads_per_provision"] = summary["triples"] / max(1, summary["provisions"])
    del store
    reps = args.reps
    queries = measure_queries(n, data, store_dir, truth, args, res, checkpoint)
    checkpoint("queries (servers)")
    if n <= args.rdflib_max:
        log(f"[{n}] queries (rdflib, budget {args.budget:.0f} s)")
        res["rdflib"] = rdflib_times(store_dir, queries, reps, args.budget)
        for name, r in res["rdflib"].get("queries", {}).items():
            res["queries"][name]["rdflib"] = r

    checkpoint("rdflib")
    log(f"[{n}] incremental re-build of one document")
    res["incremental"] = incremental(data, store_dir, truth)

    checkpoint("incremental")
    for step, cmd, most in (("validate", ["validate", "--format", "json"], args.validate_max),
                            ("reason", ["reason"], args.reason_max)):
        if n > most:
            res[step] = {"skipped": f"not run above {most:,} documents (--{step}-max)"}
            continue
        log(f"[{n}] {step} (budget {args.budget:.0f} s)")
        m, _, _ = measured([PY, "-m", "policykg.cli", *cmd, "--store", str(store_dir)], timeout=args.budget)
        res[step] = {"seconds": m["seconds"], "peak_mib": m.get("peak_kib", 0) / 1024, "rc": m["rc"],
                     "timeout": m.get("timeout", False)}
        checkpoint(step)
    del res["finished"]
    return res


def virtuoso_times(store_dir: Path, data: Path, queries: list, prologue: str, reps: int, table: dict, slow: set) -> dict:
    """The same quads bulk-loaded into a Virtuoso of its own (bench/virtuoso.py), the same queries over its
    SPARQL endpoint; each answer's row count is compared with the embedded store's."""
    import pyoxigraph as ox

    from bench.virtuoso import Virtuoso

    folder = data / "virtuoso"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "in").mkdir(parents=True)
    dump = folder / "in" / "store.nq"
    t = time.perf_counter()
    ox.Store.read_only(str(store_dir)).dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    out = {"dump_s": time.perf_counter() - t}
    server = Virtuoso(folder / "db", memory_gib=4.0).start(folder / "in")
    try:
        out["load_s"] = server.load_nquads(dump)
        dump.unlink()
        for name, text in queries:
            if name in slow:
                table[name]["virtuoso"] = {"error": "not run: one embedded run took too long"}
                continue
            full = prologue + text
            try:
                rows = len(json.loads(http_query(server.endpoint, full))["results"]["bindings"])
                table[name]["virtuoso"] = {**timed(lambda: http_query(server.endpoint, full), reps), "rows": rows}
            except (OSError, ValueError, KeyError) as exc:
                table[name]["virtuoso"] = {"error": str(exc)[:200]}
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return out


def measure_queries(n: int, data: Path, store_dir: Path, truth: dict, args, res: dict, checkpoint) -> list:
    """Every case of :func:`cases` on the embedded store, through ``policykg serve``, on an Oxigraph server and on
    Virtuoso; the audit of one district; the server under load. Fills ``res``; returns the cases."""
    from policykg.ontology import PREFIXES
    from policykg.queries import bind, library
    from policykg.store import Store

    store = Store(store_dir, read_only=True)
    queries = [(label, text) for label, _, text in cases(truth)]
    prologue = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    reps = args.reps
    log(f"[{n}] queries (embedded)")
    res["queries"] = {}
    slow: set[str] = set()
    for name, text in queries:
        t = time.perf_counter()
        found = [tuple(str(x) for x in row) for row in store.query(text)]
        rows = len(found)
        first = time.perf_counter() - t
        if args.slow and first > args.slow:  # not repeated, and not sent to the servers (see --slow)
            slow.add(name)
            res["queries"][name] = {"embedded": {"median": first, "p95": first, "runs": 1}, "rows": rows,
                                    "duplicates": rows - len(set(found)), "slow": True}
            continue
        res["queries"][name] = {"embedded": timed(lambda: list(store.query(text)), reps),
                                "rows": rows, "duplicates": rows - len(set(found))}
    # the audit of one district (as `policykg audit --district 杨浦 --plan …` and /audit?district=… compute it)
    from policykg.queries.audit import audit as run_audit

    plan = yangpu_plan(truth)
    res["audit"] = {"params": f"district=杨浦, plan={plan}",
                    **timed(lambda: run_audit(store, BASE, district="杨浦", plan=plan), max(1, reps // 2))}
    if n <= args.whole_max:  # the same queries without parameters: everything in the store
        from policykg.queries import bind, library

        res["whole"] = {}
        for q in library():
            text = bind(q.text, {})
            res["whole"][q.name] = {"embedded": timed(lambda: list(store.query(text)), max(1, reps // 2)),
                                    "rows": sum(1 for _ in store.query(text))}
    del store

    checkpoint("queries (embedded)")
    # the same store behind policykg's endpoint and behind an Oxigraph server
    log(f"[{n}] queries (HTTP endpoint, Oxigraph server)")
    port = free_port()
    ours = Server([PY, "-m", "policykg.cli", "serve", "--store", str(store_dir), "--port", str(port), "--timeout", "600"],
                  f"http://127.0.0.1:{port}/healthz", port)
    ox_dir = data / "oxigraph-copy"
    shutil.rmtree(ox_dir, ignore_errors=True)
    shutil.copytree(store_dir, ox_dir)
    oxbin = shutil.which("oxigraph", path=str(Path(PY).parent)) or shutil.which("oxigraph")
    oport = free_port()
    theirs = Server([oxbin, "serve-read-only", "--location", str(ox_dir), "--bind", f"127.0.0.1:{oport}",
                     "--union-default-graph"], f"http://127.0.0.1:{oport}/query?query=ASK%7B%7D", oport)
    try:
        for name, text in queries:
            if name in slow:
                for key in ("http", "oxigraph-server"):
                    res["queries"][name][key] = {"error": f"not run: one embedded run took over {args.slow:g} s"}
                continue
            full = prologue + text
            for key, run in (("http", lambda: http_query(f"http://127.0.0.1:{port}/sparql", text)),
                             ("oxigraph-server", lambda: http_query(f"http://127.0.0.1:{oport}/query", full))):
                try:
                    res["queries"][name][key] = timed(run, reps)
                except OSError as exc:  # an HTTP error or a time-out: recorded, not fatal
                    res["queries"][name][key] = {"error": str(exc)[:200]}
        log(f"[{n}] server load")
        lookup = [prologue + f'SELECT ?t WHERE {{ ?d eli:id_local "{d["number"]}" ; dct:title ?t }}'
                  for d in truth["docs"] if d["number"]][:50]
        audit = [bind(q.text, scoped(q, truth)) for q in library() if q.name == "measures-without-followup"]
        res["server"] = {
            "lookup": load(f"http://127.0.0.1:{port}/sparql", lookup, args.clients, args.load_seconds),
        }
        if "measures-without-followup" in slow:
            res["server"]["audit"] = {"skipped": f"one audit query alone takes over {args.slow:g} s"}
        else:
            res["server"]["audit"] = load(f"http://127.0.0.1:{port}/sparql", audit, args.clients, args.load_seconds)
    finally:
        ours.stop()
        theirs.stop()
        shutil.rmtree(ox_dir, ignore_errors=True)

    if args.virtuoso and n <= args.virtuoso_max:
        from bench import virtuoso

        if not virtuoso.available():
            res["virtuoso"] = {"skipped": "virtuoso-t is not installed (Debian: apt-get install virtuoso-opensource)"}
        else:
            log(f"[{n}] queries (Virtuoso)")
            res["virtuoso"] = virtuoso_times(store_dir, data, queries, prologue, reps, res["queries"], slow)

    return queries


_RDFLIB = r"""
import json, sys, time, statistics
import pyoxigraph as ox, rdflib
from policykg.store import rdflib_term
store_dir, reps = sys.argv[1], int(sys.argv[2])
queries = json.loads(sys.stdin.read())
t = time.perf_counter()
ds = rdflib.Dataset(default_union=True)
src = ox.Store.read_only(store_dir)
for q in src:
    ds.graph(rdflib.URIRef(q.graph_name.value)).add((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)))
print(json.dumps({"load_s": time.perf_counter() - t}), flush=True)
from policykg.ontology import PREFIXES
for name, text in queries:
    times = []
    for _ in range(reps + 1):
        t = time.perf_counter()
        list(ds.query(text, initNs=PREFIXES))
        times.append(time.perf_counter() - t)
    times = sorted(times[1:])
    print(json.dumps({"name": name, "median": statistics.median(times), "p95": times[-1], "runs": reps}), flush=True)
"""


def rdflib_times(store_dir: Path, queries: list, reps: int, budget: float) -> dict:
    """rdflib's own SPARQL engine over the same quads (in a subprocess, stopped at the budget)."""
    out: dict = {"queries": {}}
    proc = subprocess.Popen([PY, "-c", _RDFLIB, str(store_dir), str(max(1, reps // 2))], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    proc.stdin.write(json.dumps(queries))
    proc.stdin.close()
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")))
    reader.start()
    reader.join(budget)
    if reader.is_alive():
        proc.kill()
        reader.join()
        out["unfinished"] = f"stopped after {budget:.0f} s"
    proc.wait()
    for line in lines:
        rec = json.loads(line)
        if "load_s" in rec:
            out["load_s"] = rec["load_s"]
        else:
            out["queries"][rec.pop("name")] = rec
    return out


PARAMS_SHOWN: dict[str, str] = {}
PAGE = 100  # the page a list without parameters is read in (a user's first page)


def scoped(q, truth: dict) -> dict:
    """The parameters a user typically gives the query: one district, one city plan's number, one notice."""
    from pyoxigraph import Literal

    city = next(d["number"] for d in truth["docs"] if d["kind"] == "city-notice")
    notice = next((d["number"] for d in truth["docs"] if d["kind"] == "notice"), city)
    wanted = {"district": "杨浦", "docNumber": notice if q.name == "obligations" else city, "plan": yangpu_plan(truth)}
    values = {p: Literal(wanted[p]) for p in q.params if p in wanted and wanted[p]}
    PARAMS_SHOWN[q.name] = ", ".join(f"{k}={v.value}" for k, v in values.items())
    return values


def yangpu_plan(truth: dict) -> str | None:
    """The number of the city plan (its covering notice's) that the first 杨浦 plan citing one answers."""
    by_title = {d["title"]: d for d in truth["docs"]}
    for d in truth["docs"]:
        if d["kind"] == "district-plan" and d.get("district") == "杨浦区" and d.get("cites"):
            city = by_title.get(d["cites"])
            if city and city.get("number"):
                return city["number"]
            notice = next((x for x in truth["docs"] if x["kind"] == "city-notice" and d["cites"] in x["title"]), None)
            if notice:
                return notice["number"]
    return None


def cases(truth: dict) -> list[tuple[str, str, str]]:
    """(label, named query, query text) per case: every named query with a user's parameters — a list without
    parameters read as its first page of PAGE rows — and the audit queries for the whole district as well."""
    from policykg.queries import bind, library

    out = []
    for q in library():
        values = scoped(q, truth)
        shown = PARAMS_SHOWN[q.name]
        limit = None
        if not values:
            limit = PAGE
            shown = f"limit={PAGE}"
        out.append((f"{q.name} ({shown})", q.name, bind(q.text, values, limit=limit)))
        if "plan" in values:
            rest = {k: v for k, v in values.items() if k != "plan"}
            out.append((f"{q.name} (district={rest['district'].value}, every plan)", q.name, bind(q.text, rest)))
    return out


def incremental(data: Path, store_dir: Path, truth: dict) -> dict:
    """Change one district plan (one measure added) and re-build just that file into the full store."""
    from policykg.loaders.build import build
    from policykg.loaders.read import read_file
    from policykg.store import Store

    plan = next(d for d in truth["docs"] if d["kind"] == "district-plan" and d["file"].endswith(".txt"))
    path = data / "corpus" / plan["file"]
    original = path.read_bytes()
    try:
        src = read_file(path)
        path.write_text(src.text.rstrip("\n") + "加快建设区级数据共享平台，提升跨部门协同效率。\n",
                        encoding=src.encoding or "utf-8")
        store = Store(store_dir)
        t = time.perf_counter()
        summary = build([path], store, BASE, progress=False, reason=True)
        library_s = time.perf_counter() - t
        del store
        path.write_bytes(original)
        m, _, _ = measured([PY, "-m", "policykg.cli", "build", str(path), "--store", str(store_dir), "--base", BASE,
                            "--no-reason", "--no-progress"])
        return {"file": plan["file"], "library_s": library_s, "cli_s": m["seconds"], "stages": summary.seconds,
                "written": sum(len(f.written) for f in summary.files)}
    finally:
        path.write_bytes(original)


# ------------------------------------------------------------------ report
def log(msg: str) -> None:
    print(f"{datetime.datetime.now():%H:%M:%S} {msg}", file=sys.stderr, flush=True)


def machine() -> dict:
    import pyoxigraph
    import rdflib

    from policykg import __version__

    mem = 0
    try:
        mem = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]) / 1024 / 1024
    except (OSError, StopIteration):
        pass
    cpu = ""
    try:
        cpu = next(l for l in open("/proc/cpuinfo") if l.startswith("model name")).split(":", 1)[1].strip()
    except (OSError, StopIteration):
        pass
    return {"date": datetime.date.today().isoformat(), "python": platform.python_version(),
            "platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(), "memory_gib": round(mem, 1),
            "policykg": __version__, "pyoxigraph": pyoxigraph.__version__, "rdflib": rdflib.__version__}


def fmt(x, unit: str = "", digits: int = 1) -> str:
    if x is None:
        return "—"
    if unit == "ms":
        return f"{x * 1000:.{digits}f}"
    return f"{x:,.{digits}f}"


def markdown(results: dict) -> str:
    m = results["machine"]
    sizes = results["sizes"]
    L = ["# Benchmarks", "",
         f"Generated by `scripts/bench` (`python -m bench.run {results['argv']}`) on {m['date']}. "
         "Numbers come from one run; the synthetic corpus is `bench/generate.py`, seed "
         f"{results['seed']}. Do not edit by hand: re-run the command.", "",
         f"Machine: {m['cpu']} — {m['cpus']} CPUs, {m['memory_gib']} GiB; {m['platform']}; Python {m['python']}; "
         f"policykg {m['policykg']}, pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}.", "",
         "## Corpus and build", "", "`policykg build --no-reason` into an empty store, in a fresh process: read, normalise, split, structure, extract, write, link citations, match follow-ups. Reasoning is timed apart (below).", "",
         "| documents | files | MB | plan measures | build s | docs/s | MB/s | triples | quads per provision | triples/s | peak MiB | store MiB | errors |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sizes:
        c, b = r["corpus"], r["build"]
        L.append(f"| {r['documents']:,} | {c['files']:,} | {c['bytes'] / 1e6:.1f} | {c['measures']:,} | {b['seconds']:.1f} | "
                 f"{b['docs_per_s']:.1f} | {b['mb_per_s']:.2f} | {b['triples']:,} | {b.get('quads_per_provision', 0):.1f} | "
                 f"{b['triples_per_s']:,.0f} | {b['peak_mib']:,.0f} | {b.get('store_mib', 0):,.0f} | {b['errors']} |")
    L += ["", "Share of build time per stage (wall seconds, % of the build's own stages; the rest of the wall time is "
          "interpreter start and imports):", "",
          "| documents | " + " | ".join(sizes[0]["build"]["stages"]) + " |",
          "|---:|" + "---:|" * len(sizes[0]["build"]["stages"])]
    for r in sizes:
        st = r["build"]["stages"]
        total = sum(st.values()) or 1
        L.append(f"| {r['documents']:,} | " + " | ".join(f"{v:.1f} s ({100 * v / total:.0f} %)" for v in st.values()) + " |")
    L += ["", "## Quality against the generator's ground truth", "",
          "| documents | documents found | measures P / R | follow-ups P / R (expected) | responsible units P / R | follow-up stage s |",
          "|---:|---:|---:|---:|---:|---:|"]
    for r in sizes:
        q = r["quality"]
        L.append(f"| {r['documents']:,} | {q['documents']['correct']:,} / {q['documents']['expected']:,} | "
                 f"{q['measures']['precision']:.3f} / {q['measures']['recall']:.3f} | "
                 f"{q['follow-ups']['precision']:.3f} / {q['follow-ups']['recall']:.3f} ({q['follow-ups']['expected']:,}) | "
                 f"{q['responsible-units']['precision']:.3f} / {q['responsible-units']['recall']:.3f} | "
                 f"{r['build']['stages'].get('follow-ups', 0):.1f} |")
    L += ["", "## Incremental re-build of one document", "",
          "| store documents | build() s | CLI wall s | its stages |", "|---:|---:|---:|---|"]
    for r in sizes:
        i = r["incremental"]
        L.append(f"| {r['documents']:,} | {i['library_s']:.2f} | {i['cli_s']:.2f} | "
                 + ", ".join(f"{k} {v:.2f}" for k, v in i["stages"].items()) + " |")
    for r in sizes:
        L += ["", f"## Queries at {r['documents']:,} documents (median / p95 ms; ratio = median ÷ embedded median)", ""]
        if r.get("queries_measured"):
            L += [f"Measured again on the same store on {r['queries_measured']}, after a change to the queries only.", ""]
        has_rdflib = any("rdflib" in v for v in r["queries"].values())
        has_virtuoso = any("virtuoso" in v for v in r["queries"].values())
        extra = (("virtuoso",) if has_virtuoso else ()) + (("rdflib",) if has_rdflib else ())
        head = "| query (parameters) | rows | repeated rows | embedded | HTTP endpoint | ratio | Oxigraph server | ratio |"
        head += " Virtuoso | ratio |" if has_virtuoso else ""
        head += " rdflib | ratio |" if has_rdflib else ""
        L += [head, "|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|---:|" * len(extra)]
        for name, v in r["queries"].items():
            e = v["embedded"]["median"]
            shown = name if "(" in name else name + (f" ({v['params']})" if v.get("params") else "")
            row = f"| {shown} | {v['rows']:,} | {v.get('duplicates', '—')} | {fmt(e, 'ms')} / {fmt(v['embedded']['p95'], 'ms')} |"
            for k in ("http", "oxigraph-server") + extra:
                if k in v and "median" in v[k]:
                    differs = f" ({v[k]['rows']:,} rows)" if "rows" in v[k] and v[k]["rows"] != v["rows"] else ""
                    row += f" {fmt(v[k]['median'], 'ms')} / {fmt(v[k]['p95'], 'ms')}{differs} | {v[k]['median'] / e:.2f} |"
                elif k in v:
                    err = v[k]["error"]
                    row += f" {err[:60] if err.startswith('not run') else 'failed: ' + err[:60]} | — |"
                else:
                    row += " did not finish | — |"
            L.append(row)
        if "audit" in r:
            a = r["audit"]
            L += ["", f"The audit of one district (`policykg audit`, `/audit?…`; {a['params']}): "
                  f"median {fmt(a['median'], 'ms')} ms, p95 {fmt(a['p95'], 'ms')} ms over {a['runs']} runs."]
        vz = r.get("virtuoso")
        if vz:
            L += ["", f"Virtuoso: {vz['skipped']}." if "skipped" in vz else
                  f"Virtuoso ({'Debian virtuoso-opensource 7'}, 4 GiB of buffers): dumping the store as N-Quads took "
                  f"{vz['dump_s']:.1f} s, its bulk load (ld_dir + rdf_loader_run + checkpoint) {vz['load_s']:.1f} s."]
        if "rdflib" in r:
            rl = r["rdflib"]
            L += ["", f"rdflib: loading the quads took {fmt(rl.get('load_s'))} s"
                  + (f"; {rl['unfinished']} (queries without a figure did not finish)" if rl.get("unfinished") else "") + "."]
    whole = [r for r in sizes if "whole" in r]
    if whole:
        L += ["", "## The same queries without parameters (whole store; embedded, median ms / rows)", "",
              "| query | " + " | ".join(f"{r['documents']:,} docs" for r in whole) + " |",
              "|---|" + "---:|" * len(whole)]
        for name in whole[0]["whole"]:
            L.append(f"| {name} | " + " | ".join(
                f"{fmt(r['whole'][name]['embedded']['median'], 'ms')} / {r['whole'][name]['rows']:,}" for r in whole) + " |")
    L += ["", "## Server under concurrent clients (policykg serve)", "",
          "| documents | query | clients | requests | errors | req/s | median ms | p95 ms |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in sizes:
        for k, s in r["server"].items():
            if "skipped" in s:
                L.append(f"| {r['documents']:,} | {k} | — | — | — | — | {s['skipped']} | — |")
                continue
            L.append(f"| {r['documents']:,} | {k} | {s['clients']} | {s['requests']:,} | {s['errors']} | {s['rps']:.0f} | "
                     f"{fmt(s['median'], 'ms')} | {fmt(s['p95'], 'ms')} |")
    L += ["", "## Validation (`policykg validate`, SHACL) and reasoning (`policykg reason`, OWL 2 RL rules over the whole store)", "", "| documents | validate | reason |", "|---:|---|---|"]
    for r in sizes:
        cells = []
        for step in ("validate", "reason"):
            s = r[step]
            if "skipped" in s:
                cells.append(s["skipped"])
            elif s.get("timeout"):
                cells.append(f"over the {s['seconds']:.0f} s budget")
            else:
                cells.append(f"{s['seconds']:.1f} s, {s['peak_mib']:,.0f} MiB (exit {s['rc']})")
        L.append(f"| {r['documents']:,} | {cells[0]} | {cells[1]} |")
    L += ["", "## Generation", "", "| documents | kinds | generate s |", "|---:|---|---:|"]
    for r in sizes:
        L.append(f"| {r['documents']:,} | " + ", ".join(f"{k} {v}" for k, v in r["corpus"]["kinds"].items())
                 + f" | {r['generate_s']:.1f} |")
    if results.get("notes"):
        L += ["", "## Reading the figures", "", results["notes"].strip()]
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000", help="comma-separated corpus sizes in documents")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=7, help="timed runs per query (after one warm-up)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients in the server load test")
    ap.add_argument("--load-seconds", type=float, default=10.0)
    ap.add_argument("--budget", type=float, default=300.0, help="seconds allowed to rdflib, validate and reason per size")
    ap.add_argument("--rdflib-max", type=int, default=1000, help="largest size rdflib is tried on")
    ap.add_argument("--whole-max", type=int, default=1000, help="largest size the unscoped queries are timed on")
    ap.add_argument("--validate-max", type=int, default=1000, help="largest size `policykg validate` is run on")
    ap.add_argument("--reason-max", type=int, default=10000, help="largest size `policykg reason` is run on")
    ap.add_argument("--virtuoso", action=argparse.BooleanOptionalAction, default=True,
                    help="also run the queries on a Virtuoso server over the same quads when virtuoso-t is installed "
                         "(scripts/bench installs Debian's virtuoso-opensource when run as root)")
    ap.add_argument("--virtuoso-max", type=int, default=10000, help="largest size Virtuoso is tried on")
    ap.add_argument("--work", default=str(ROOT / "bench-data"), help="where corpora and stores go (default bench-data/)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"), help="the Markdown table (default docs/benchmarks.md)")
    ap.add_argument("--notes", default=str(ROOT / "bench" / "NOTES.md"),
                    help="text appended under 'Reading the figures' (default bench/NOTES.md, if present)")
    ap.add_argument("--slow", type=float, default=0.0,
                    help="a query whose first embedded run takes longer than this many seconds is timed once and "
                         "not sent to the servers (default 0: no limit)")
    ap.add_argument("--report-only", action="store_true",
                    help="write the Markdown table from the JSON of the last run (OUT with .json), measure nothing")
    ap.add_argument("--redo-incremental", action="store_true",
                    help="measure only the incremental re-build again, in the stores of the last run, and rewrite")
    ap.add_argument("--redo-queries", action="store_true",
                    help="measure only the queries again (every store and server), on the stores of the last run "
                         "(after a change to the queries that does not change the store), and rewrite")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.report_only or args.redo_incremental or args.redo_queries:
        results = json.loads(Path(args.out).with_suffix(".json").read_text(encoding="utf-8"))
        if args.redo_queries:
            for r in results["sizes"]:
                data = work / f"{r['documents']}-{results['seed']}"
                truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
                log(f"[{r['documents']}] queries again (--redo-queries)")
                r.pop("whole", None)
                measure_queries(r["documents"], data, data / "store", truth, args, r, lambda phase: None)
                r["queries_measured"] = datetime.date.today().isoformat() + " (--redo-queries)"
        if args.redo_incremental:
            for r in results["sizes"]:
                data = work / f"{r['documents']}-{results['seed']}"
                truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
                log(f"[{r['documents']}] incremental re-build of one document")
                r["incremental"] = incremental(data, data / "store", truth)
        return write_report(results, args)
    results = {"machine": machine(), "seed": args.seed, "argv": " ".join(argv if argv is not None else sys.argv[1:]),
               "sizes": []}
    for n in sizes:
        results["sizes"].append(run_size(n, work, args))
        Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return write_report(results, args)


def write_report(results: dict, args) -> int:
    """The Markdown table (with bench/NOTES.md as "Reading the figures") and the JSON beside it."""
    notes = Path(args.notes)
    results["notes"] = notes.read_text(encoding="utf-8") if notes.exists() else ""
    Path(args.out).write_text(markdown(results), encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
