"""What a newcomer hit first (issue 18): a port in use, the access log and --quiet, the README's curl lines,
setuptools warnings at install, and what scripts/run installs."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest

from helpers import CORPUS, ROOT, run_cli
from server_helpers import corpus_store, free_port, serving

CLF = re.compile(r'^(?P<host>\S+) - - \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
                 r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-)$')


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return corpus_store(tmp_path_factory, "newcomer")


class Server:
    """`policykg serve` with its standard output and error kept apart (server_helpers.serving merges them)."""

    def __init__(self, store, tmp_path, *args: str):
        self.port = free_port()
        self.out, self.err = tmp_path / "stdout", tmp_path / "stderr"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policykg.cli", "serve", "--store", str(store), "--port", str(self.port), *args],
            cwd=ROOT, stdout=self.out.open("w"), stderr=self.err.open("w"))
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                return
            except OSError:
                assert self.proc.poll() is None, self.err.read_text()
                assert time.time() < deadline, "the server did not start"
                time.sleep(0.2)

    def get(self, path: str) -> bytes:
        try:
            with urllib.request.urlopen(self.url + path, timeout=60) as r:
                return r.read()
        except urllib.error.HTTPError as exc:
            return exc.read()

    def wait_for(self, path, text: str) -> None:
        """The log line is written just after the response is sent: wait for it before stopping the server."""
        deadline = time.time() + 10
        while text not in path.read_text(encoding="utf-8") and time.time() < deadline:
            time.sleep(0.05)

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        self.proc.wait(timeout=15)
        return self.out.read_text(encoding="utf-8"), self.err.read_text(encoding="utf-8")


# ---------------------------------------------------------------------- a port in use
def test_a_port_in_use_is_one_clear_line_and_status_2(store):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("serve", "--store", str(store), "--port", str(port), timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"policykg: error: port {port} is in use on 127.0.0.1 (another server? stop it, or "
                           "choose another with --port)\n")
    assert "serving" not in done.stdout and "Traceback" not in done.stderr


# ---------------------------------------------------------------------- access log, --quiet
def test_the_access_log_is_common_log_format_on_standard_error(store, tmp_path):
    server = Server(store, tmp_path)
    csv = server.get("/queries/documents?format=csv")
    missing = server.get("/id/no-such-thing")
    server.get('/queries/documents?format=%22x%22')  # a quote in the request line stays inside the field
    # each line is written once its response has been sent, by the thread that sent it: under load the lines of
    # two requests can come in either order, so wait for each
    for request in ("format=csv", "/id/no-such-thing", "format=%22x%22"):
        server.wait_for(server.err, request)
    out, err = server.stop()
    assert "policykg: serving" in out  # the startup line
    lines = [l for l in err.splitlines() if CLF.match(l)]
    found = {CLF.match(l)["request"]: CLF.match(l) for l in lines}
    ok = found["GET /queries/documents?format=csv HTTP/1.1"]
    assert ok["host"] == "127.0.0.1" and ok["status"] == "200" and int(ok["bytes"]) == len(csv)
    gone = found["GET /id/no-such-thing HTTP/1.1"]
    assert gone["status"] == "404" and int(gone["bytes"]) == len(missing)
    assert found["GET /queries/documents?format=%22x%22 HTTP/1.1"]["status"] == "400"
    # the time is now, in the log's own format
    stamp = time.strptime(ok["time"], "%d/%b/%Y:%H:%M:%S %z")
    assert abs(time.mktime(stamp) - time.time()) < 600


def test_the_access_log_to_a_file_and_quiet(store, tmp_path):
    log = tmp_path / "access.log"
    server = Server(store, tmp_path, "--access-log", str(log))
    server.get("/queries")
    server.wait_for(log, "GET /queries ")
    out, err = server.stop()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert any(CLF.match(l) and CLF.match(l)["request"] == "GET /queries HTTP/1.1" for l in lines), (lines, err)
    assert not any(CLF.match(l) for l in err.splitlines())  # the file, not standard error

    quiet = tmp_path / "quiet"
    quiet.mkdir()
    server = Server(store, quiet, "--quiet")
    assert server.get("/queries/documents?format=csv").startswith(b"doc,")
    out, err = server.stop()
    # nothing but, where the workers cannot be sandboxed here, that warning (it is not silenced)
    assert out == "" and all(l.startswith("policykg: WARNING: the query workers") for l in err.splitlines())


def test_a_request_line_with_control_characters_stays_one_line(store, tmp_path):
    server = Server(store, tmp_path)
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b'GET /healthz?x=a\x1bb"c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        while s.recv(65536):
            pass
    server.wait_for(server.err, "/healthz?x=")
    _, err = server.stop()
    [line] = [l for l in err.splitlines() if "/healthz?x=" in l]
    assert CLF.match(line) and '\\x1b' in line and '\\x22' in line


# ---------------------------------------------------------------------- the README's curl lines
def _readme_curl_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Over HTTP: prefixes, curl"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    return [l for l in block.splitlines() if l.startswith("curl ")]


def test_the_readme_curl_examples_work_and_prefixes_are_predeclared(store):
    if shutil.which("curl") is None:
        pytest.fail("curl is needed by this test (Debian package curl)")
    lines = _readme_curl_lines()
    assert len(lines) == 5
    with serving(store) as url:
        outs = []
        for line in lines:
            done = subprocess.run(["bash", "-c", line.replace("http://127.0.0.1:8000", url) + " -f"],
                                  capture_output=True, timeout=60)
            assert done.returncode == 0, (line, done.stderr)
            outs.append(done.stdout.decode("utf-8"))
    import json

    # no PREFIX in the query: pkg: and dct: are predeclared; three titles in order
    titles = [b["title"]["value"] for b in json.loads(outs[0])["results"]["bindings"]]
    assert len(titles) == 3 and titles == sorted(titles)
    assert outs[1].splitlines() == ["documents", "16"]  # the bundled corpus: sixteen documents
    assert "measures" in {q["name"] for q in json.loads(outs[2])}
    assert outs[3].splitlines()[0] == "measure,doc,docNumber,path,text" and len(outs[3].strip().splitlines()) == 1 + 5
    import rdflib

    g = rdflib.Graph().parse(data=outs[4], format="turtle")  # the notice's own triples, as Turtle
    notice = rdflib.URIRef("https://policykg.org/id/doc/沪府办发-2024-1")
    assert rdflib.Literal("沪府办发〔2024〕1号") in set(g.objects(notice, rdflib.URIRef("http://data.europa.eu/eli/ontology#id_local")))


# ---------------------------------------------------------------------- install and setup
def test_building_a_wheel_gives_no_setuptools_warning_and_ships_the_static_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("policykg", "ontology", "loaders", "shapes", "server", "queries"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-v", "-w", str(tmp_path / "w")],
                          cwd=src, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stdout + done.stderr
    assert "absent from the `packages` configuration" not in log and "Package would be ignored" not in log
    [wheel] = list((tmp_path / "w").glob("policykg-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"policykg/server/static/yasgui/yasgui.min.js", "policykg/server/static/cytoscape/cytoscape.min.js",
            "policykg/api.py"} <= names


def test_scripts_run_sets_up_without_the_test_packages():
    plain = subprocess.run(["bash", "scripts/setup", "--list"], cwd=ROOT, capture_output=True, text=True)
    full = subprocess.run(["bash", "scripts/setup", "--test", "--list"], cwd=ROOT, capture_output=True, text=True)
    assert plain.returncode == full.returncode == 0
    assert plain.stdout == ""  # build and serve need no Debian package
    assert set(full.stdout.split()) == {"default-jre-headless", "chromium", "fonts-noto-cjk", "virtuoso-opensource"}

    def setup_calls(script):
        return [l.split("#")[0].split() for l in (ROOT / "scripts" / script).read_text().splitlines()
                if l.startswith("scripts/setup")]

    assert setup_calls("run") == [["scripts/setup"]]
    assert setup_calls("test") == [["scripts/setup", "--test"]]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("scripts/test")


def test_what_scripts_run_builds_needs_no_java(tmp_path):
    """scripts/run builds with reasoning: the OWL 2 RL rules run in Python; Java is for HermiT only."""
    env = {"PATH": os.path.dirname(sys.executable)}  # no /usr/bin: no java
    assert shutil.which("java", path=env["PATH"]) is None
    done = run_cli("build", str(CORPUS), "--store", str(tmp_path / "s"), env=env)
    assert done.returncode == 0, done.stderr
    assert "reasoner: OWL 2 RL rules, per document: consistent" in done.stdout
