"""Start a real `policykg serve` on a free port, and stop it."""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager

from helpers import ROOT


def corpus_store(tmp_path_factory, name: str):
    """A store built from the bundled corpus (no reasoning), in a fresh temporary folder."""
    from helpers import CORPUS, run_cli

    path = tmp_path_factory.mktemp(name)
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(path)).returncode == 0
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(store, *args: str, env: dict | None = None):
    import os

    port = free_port()
    full_env = dict(os.environ)
    full_env.update(env or {})
    # the output (startup lines, one access-log line per request) goes to a file: a pipe nobody reads would
    # fill up after some hundred requests and stop the server
    out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "policykg.cli", "serve", "--store", str(store), "--port", str(port), *args],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=full_env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                out.seek(0)
                raise RuntimeError(out.read())
            if time.time() > deadline:
                proc.kill()
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections (and answers nothing)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


def http(url: str, accept: str | None = None, method: str | None = None, data: bytes | None = None,
         headers: dict | None = None):
    """(status, headers, body) of one request — HTTP errors included, as answers."""
    import urllib.error

    h = dict(headers or {})
    if accept:
        h["Accept"] = accept
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


#: Debian's Chromium, headless, for the page tests (Playwright drives it; never `playwright install`)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def page_with_errors(browser):
    """A new page and the list its JavaScript errors and console errors are collected in."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page, errors


def oxigraph_binary() -> str | None:
    """The Oxigraph server binary of the test dependencies (pip package ``oxigraph``), or one on PATH."""
    import shutil
    from pathlib import Path

    local = Path(sys.executable).parent / "oxigraph"
    return str(local) if local.exists() else shutil.which("oxigraph")


@contextmanager
def oxigraph_server(folder):
    """A real Oxigraph server over ``folder`` on a free port (union default graph), stopped on exit: its base URL."""
    import pytest

    binary = oxigraph_binary()
    if binary is None:
        pytest.fail("the oxigraph server is a test dependency (pip install '.[test]')")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)

