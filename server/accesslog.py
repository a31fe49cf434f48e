"""The access log of ``policykg serve``: one line per request in the Common Log Format.

waitress has no access log of its own; this WSGI middleware writes, when a response has been sent (or the client
went away), ::

    127.0.0.1 - - [27/Nov/2026:10:12:03 +0000] "GET /queries/documents?format=csv HTTP/1.1" 200 4711

host (the client's address), ident and user (``-``: not known), the time the request came in (local time with
its UTC offset, English month names whatever the locale), the request line as the client sent it (quotes,
backslashes and control characters escaped as ``\\x..``, so a line is always one line), the status, and the bytes
of the body sent (``-`` for none). ``serve`` writes it to standard error, or to ``--access-log FILE`` (appended);
``--quiet`` turns it off with the startup lines.
"""
from __future__ import annotations

import re
import threading
import time

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]')


def clf_time(t: float) -> str:
    lt = time.localtime(t)
    offset = lt.tm_gmtoff or 0
    sign = "+" if offset >= 0 else "-"
    offset = abs(offset) // 60
    return (f"{lt.tm_mday:02d}/{_MONTHS[lt.tm_mon - 1]}/{lt.tm_year}:{lt.tm_hour:02d}:{lt.tm_min:02d}:{lt.tm_sec:02d} "
            f"{sign}{offset // 60:02d}{offset % 60:02d}")


def _escape(text: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def request_line(environ: dict) -> str:
    uri = environ.get("REQUEST_URI")
    if uri is None:
        qs = environ.get("QUERY_STRING")
        uri = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "") + (f"?{qs}" if qs else "")
    # WSGI strings carry the request's bytes as latin-1: the line is written as the client sent it
    return _escape(f"{environ.get('REQUEST_METHOD', '-')} {uri} {environ.get('SERVER_PROTOCOL', '-')}")


class AccessLog:
    """WSGI middleware writing one Common Log Format line per request to ``stream`` (thread-safe)."""

    def __init__(self, app, stream) -> None:
        self.app = app
        self.stream = stream
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        started = time.time()
        seen = {"status": "-"}

        def start(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.app(environ, start)
        return _Counted(body, lambda sent: self.write(environ, started, seen["status"], sent))

    def write(self, environ: dict, started: float, status: str, sent: int) -> None:
        line = (f"{environ.get('REMOTE_ADDR') or '-'} - - [{clf_time(started)}] \"{request_line(environ)}\" "
                f"{status} {sent if sent else '-'}\n")
        with self.lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (OSError, ValueError):  # a closed or full log must not fail the request
                pass


class _Counted:
    """The response body, counted as it is sent; the line is written once the body is all given to the server
    (or, for a response cut short, when the server closes it)."""

    def __init__(self, body, done) -> None:
        self.body, self.done, self.sent, self.logged = body, done, 0, False

    def _log(self) -> None:
        if not self.logged:
            self.logged = True
            self.done(self.sent)

    def __iter__(self):
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk
        self._log()

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self._log()
