"""A Virtuoso server (Debian's ``virtuoso-opensource``) of its own, in a folder, holding the same quads as a policykg
store: the peer the benchmark measures the named queries against (``policykg serve --endpoint`` users can run it).

``Virtuoso(folder).start()`` writes a ``virtuoso.ini`` (free ports, buffers sized for a few GiB), starts
``virtuoso-t`` in the foreground, and waits for its SQL port; ``load_nquads(path)`` bulk-loads an N-Quads file with
Virtuoso's own loader (``ld_dir`` + ``rdf_loader_run``) and checkpoints; the SPARQL endpoint is ``.endpoint``
(``/sparql``: without ``FROM``, Virtuoso's default graph is every graph of the store — the union default graph
policykg's queries expect). ``stop()`` shuts it down.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {sql}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {d}, {data}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
VADInstallDir = /usr/share/virtuoso-opensource-7/vad/
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 256
MaxMemPoolSize = 200000000
PrefixResultNames = 0
MacSpotlight = 0
MaxQueryMem = 2G
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}

[HTTPServer]
ServerPort = {http}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
DefaultMailServer = localhost:25
MaxKeepAlives = 10
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
MaintenancePage = atomic.html
EnabledGzipContent = 1

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
DefaultQuery = SELECT * WHERE {{ ?s ?p ?o }} LIMIT 10
DeferInferenceRulesInit = 0
"""


def available() -> bool:
    return bool(shutil.which("virtuoso-t") and shutil.which("isql-vt"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Virtuoso:
    def __init__(self, folder: Path, memory_gib: float = 4.0, max_rows: int = 10_000_000) -> None:
        """``max_rows``: Virtuoso's ResultSetMaxRows (its own default is 10,000; the benchmark lifts it, the
        remote-store tests keep the default to meet the cap as users do)."""
        self.folder = Path(folder).resolve()
        self.max_rows = max_rows
        self.sql, self.http = _free_port(), _free_port()
        # Virtuoso's rule of thumb: 85,000 buffers (8 KiB pages) per GiB given to it
        self.buffers = int(85000 * memory_gib)
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http}/sparql"

    def start(self, data_dir: Path, seconds: float = 120) -> "Virtuoso":
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(INI.format(d=self.folder, data=Path(data_dir).resolve(), sql=self.sql, http=self.http,
                                  buffers=self.buffers, dirty=self.buffers * 3 // 4,
                                  max_rows=self.max_rows), encoding="utf-8")
        self.proc = subprocess.Popen(["virtuoso-t", "+foreground", "+configfile", str(ini)], cwd=self.folder,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"virtuoso-t stopped at start; see {self.folder / 'virtuoso.log'}")
            try:
                self.isql("SELECT 1;", timeout=10)
                return self
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(1)
        raise RuntimeError(f"virtuoso-t did not answer in {seconds:.0f} s; see {self.folder / 'virtuoso.log'}")

    def isql(self, sql: str, timeout: float = 3600) -> str:
        r = subprocess.run(["isql-vt", str(self.sql), "dba", "dba", f"exec={sql}"], capture_output=True, text=True,
                           timeout=timeout, check=True)
        if "*** Error" in r.stdout or "*** Error" in r.stderr:
            raise subprocess.CalledProcessError(1, "isql-vt", r.stdout, r.stderr)
        return r.stdout

    def load_nquads(self, path: Path) -> float:
        """Bulk-load one N-Quads file (graphs as written); returns the seconds it took, checkpoint included."""
        path = Path(path).resolve()
        t = time.perf_counter()
        self.isql(f"ld_dir('{path.parent}', '{path.name}', 'https://policykg.org/id/graph/unnamed');")
        self.isql("rdf_loader_run();")
        self.isql("checkpoint;")
        errors = self.isql("SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")
        if not any(line.strip() == "0" for line in errors.splitlines()):
            raise RuntimeError(f"the Virtuoso bulk load reported errors: {errors[-500:]}")
        return time.perf_counter() - t

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                self.isql("shutdown;", timeout=60)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
