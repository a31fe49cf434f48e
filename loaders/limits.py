"""Input limits of the reader: what a file may cost before it is parsed (issue 14).

* a size cap per format (:data:`MAX_BYTES`): a larger file is one :class:`ReadError` naming it;
* a file whose name says PDF or DOCX must be one (a ``.docx`` that is not a ZIP archive was read as text);
* HTML nested more than :data:`HTML_MAX_DEPTH` container elements deep is refused (the extractor is
  quadratic in the depth);
* DOCX (a ZIP archive): before python-docx sees it, every member is *decompressed as a stream* and counted —
  the sizes in the archive's headers can lie — and the archive is refused when the members together exceed
  :data:`DOCX_MAX_UNCOMPRESSED`, when one member grows beyond :data:`DOCX_MAX_RATIO` times its compressed
  size (a zip bomb: 1 MB that inflates to gigabytes), or when it has more than :data:`DOCX_MAX_MEMBERS`
  members.
"""
from __future__ import annotations

import io
import re
import zipfile

from policykg.errors import ReadError

MB = 1024 * 1024
MAX_BYTES = {"text": 20 * MB, "html": 20 * MB, "pdf": 100 * MB, "docx": 50 * MB}
DOCX_MAX_UNCOMPRESSED = 200 * MB
DOCX_MAX_RATIO = 100  # deflated XML of real documents: 5–20; a run of zeros: about 1,000
DOCX_RATIO_FROM = 2 * MB  # small members may compress better than that, harmlessly
DOCX_MAX_MEMBERS = 5000
HTML_MAX_DEPTH = 500  # real portal pages: under 40


def check_input(data: bytes, fmt: str, suffix: str, path: str) -> None:
    """Raise :class:`ReadError` when a file of this detected format may not be parsed (see module docstring)."""
    cap = MAX_BYTES.get(fmt)
    if cap is not None and len(data) > cap:
        raise ReadError(f"is larger than policykg reads as {fmt} ({len(data):,} bytes; at most {cap:,})", path)
    if suffix == ".docx" and fmt != "docx":
        raise ReadError("is named .docx but is not a DOCX document (not a ZIP archive)", path, "byte 0")
    if suffix == ".pdf" and fmt != "pdf":
        raise ReadError("is named .pdf but is not a PDF (no %PDF header)", path, "byte 0")
    if fmt == "docx":
        check_zip(data, path)
    if fmt == "html":
        check_nesting(data, path)


_TAG = re.compile(rb"<(/?)(div|span|section|article|table|tbody|center|font|blockquote|ul|ol|main|aside|form)\b[^>]*?(/?)>", re.I)


def check_nesting(data: bytes, path: str) -> None:
    """HTML nested deeper than :data:`HTML_MAX_DEPTH` container elements is refused before it is parsed: the
    main-content extractor's work grows with the square of the depth (8,000 nested divs: 30 s)."""
    depth = deepest = 0
    for m in _TAG.finditer(data):
        if m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(3):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > HTML_MAX_DEPTH:
                    raise ReadError(f"is HTML nested more than {HTML_MAX_DEPTH} elements deep", path, f"byte {m.start()}")


def check_zip(data: bytes, path: str) -> None:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"is not a readable DOCX document (a damaged ZIP archive: {exc})", path)
    with z:
        infos = z.infolist()
        if len(infos) > DOCX_MAX_MEMBERS:
            raise ReadError(f"is a ZIP archive with {len(infos):,} members (at most {DOCX_MAX_MEMBERS:,})", path)
        declared = sum(i.file_size for i in infos)
        if declared > DOCX_MAX_UNCOMPRESSED:
            raise ReadError(f"would inflate to {declared:,} bytes (at most {DOCX_MAX_UNCOMPRESSED:,}): a ZIP bomb?", path)
        total = 0
        for info in infos:
            grown = 0
            try:
                with z.open(info) as member:
                    while chunk := member.read(256 * 1024):
                        grown += len(chunk)
                        total += len(chunk)
                        if total > DOCX_MAX_UNCOMPRESSED:
                            raise ReadError(f"inflates to more than {DOCX_MAX_UNCOMPRESSED:,} bytes: a ZIP bomb?", path,
                                            info.filename)
                        if grown > DOCX_RATIO_FROM and grown > DOCX_MAX_RATIO * max(1, info.compress_size):
                            raise ReadError(f"has a member that inflates more than {DOCX_MAX_RATIO} times its "
                                            f"compressed size ({info.compress_size:,} bytes): a ZIP bomb?", path,
                                            info.filename)
            except ReadError:
                raise
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise ReadError(f"is not a readable DOCX document ({exc})", path, info.filename)


FILE_SECONDS = 120.0  # a file's time budget in the build (read, parse, extract, emit)


class time_budget:
    """``with time_budget(path):`` — raise :class:`ReadError` (the file is reported, the build goes on) when the
    block runs longer than ``seconds``. A SIGALRM timer: it works in the main thread of a process (the
    build's serial path and each of its worker processes) and is a no-op elsewhere; it interrupts Python
    code, and C code (a parser) when it returns to Python."""

    def __init__(self, path: str, seconds: float | None = None) -> None:
        self.path, self.seconds = path, FILE_SECONDS if seconds is None else seconds
        self.armed = False

    def _expired(self, signum, frame):
        raise ReadError(f"took longer than its time budget of {self.seconds:g} s and was skipped", self.path)

    def __enter__(self):
        import signal
        import threading

        if self.seconds and threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc):
        import signal

        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False
