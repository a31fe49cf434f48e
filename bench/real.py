"""Real documents at scale: the development corpus, and K copies of it under distinct identities.

``python -m bench.real replicate`` writes K copies of a corpus folder (default ``../shared/corpus/china-real``):
copy 0 byte for byte, copies 1…K-1 with every string policykg keys a document on made distinct, so that a
store of K copies holds K times the documents instead of merging them. ``python -m bench.real measure``
builds 1, 3 and 10 copies (``--copies``) with ``policykg build --no-reason --json`` into a fresh store, in a
fresh process each, one after the other, and times named queries with a user's parameters on every store;
it writes ``docs/benchmarks-real.md`` and ``.json``. ``python -m bench.real report`` rewrites the Markdown
from the JSON.

What identifies a document (``loaders/metadata.py: document_key``): its number (发文字号 ``国发〔2018〕39号``,
decree ``…令第707号``) where it has one, else its year and title; documents of the same key found in several
files are one document (``loaders/build.py``). So a copy changes exactly two things, by a rule applied to
every file of the copy alike:

* **numbers** — every occurrence of the number of a document of the corpus (in the text, page metadata,
  sidecars, citations by other documents) gets running number N + 1000·k: ``国发〔2018〕39号`` →
  ``国发〔2018〕3039号`` in copy 3, ``中华人民共和国国务院令第707号`` → ``…第3707号``; prefix and year stay;
* **titles** — every occurrence of the title of a document of the corpus gets copy k's serial ``（k）``
  (copy 3: ``北京市中医药条例（三）``), matched on the title's characters, letters and digits wherever they
  stand in the file — across line breaks and markup, in ``<title>``, meta tags, JSON sidecars and ``《…》``
  citations. A title that contains another title (``关于印发《X》的通知``) changes through the one it
  contains, so a notice and the text it issues, and citations between documents, stay consistent within a
  copy. The serial goes at the end of the title (before a trailing ``解读`` or serial, after its closing
  punctuation): the loaders read ``…条例（三）`` and ``…的通知（三）`` as ``…条例`` and ``…的通知``
  (``patterns.TITLE_SERIAL``). Where that would change how the loaders read the title, or a title containing
  it (type, document start, issued titles, year range, place: :func:`_reading`), it goes at the latest place
  that changes nothing (``国务院关于同意建立X（一）制度的批复`` still issues a 制度). A title the loaders put
  together from pieces of a page (its heading and first lines) is marked at the end of its longest beginning
  that stands in the file as a whole. The serial is one character of text (two from copy 11 on) so that the
  HTML reader's choice of the content box, a comparison of character counts, moves as little as possible.

Which numbers and titles the corpus's documents have is read with policykg's own parser (read + parse, no
store): those are the strings the store keys documents on. Everything else is left as it is: the file's
encoding and line endings, markup, file names and folders, dates and places. ``sources.tsv``-like index
files get their ``title`` changed by the same rule and ``sha256``/``bytes`` recomputed; a README gets a line
saying what the copy is. A file the build reads in which the rule changes nothing (a page the loaders refuse) is
left out of copies 1…: a byte-identical file costs the whole build its bulk load (:func:`replicate`). The output
is a pure function of the input (no time stamps, sorted walks).

``replicate`` then parses copy 1 (and the last copy) again and checks each file against copy 0: the same
documents with the same types, numbers present, issuers and provision counts, and keys that differ from
copy 0's (``check`` in ``replicas.json``).
"""
from __future__ import annotations

import argparse
import codecs
import csv
import functools
import hashlib
import io
import json
import os
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bench import run
from bench.run import BASE, PY, ROOT, log, machine, timed

SOURCE = ROOT.parent / "shared" / "corpus" / "china-real"
WORK = ROOT / "bench-data" / "real"
NUMBER_STEP = 1000  # copy k: running number N → N + NUMBER_STEP·k
MAX_COPIES = 99  # （九十九） is the largest serial the loaders read as one (patterns.TITLE_SERIAL)
MIN_TITLE_KEY = 4  # shorter titles are not marked (a 3-character title would mark common words)
#: which of the corpus's documents the bound queries ask about (read in its README): a State Council opinion
#: whose measures end in lists of responsible units, and a Guangzhou notice issuing a 办法 with obligations
QUERY_NUMBERS = {"measures": "国发〔2018〕39号", "responsible-units": "国发〔2018〕39号",
                 "obligations": "穗府办规〔2024〕13号"}
LIST_QUERIES = ("documents", "legal-bases", "document-dates", "document-links", "in-force", "unresolved-agencies")
PAGE = 100
_CN = "零一二三四五六七八九"
_HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
_BINARY_SUFFIXES = {".pdf", ".docx", ".doc", ".xlsx", ".xls", ".zip", ".png", ".jpg", ".jpeg", ".gif"}


def chinese(k: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一 (1…99)."""
    if not 1 <= k <= 99:
        raise ValueError(k)
    tens, ones = divmod(k, 10)
    return ((_CN[tens] if tens > 1 else "") + "十" if tens else "") + (_CN[ones] if ones else "")


def marker(k: int) -> str:
    return f"（{chinese(k)}）"


# ------------------------------------------------------------------ what the corpus's documents are keyed on
@dataclass
class Identities:
    """The titles and numbers of the corpus's documents, as policykg's parser reads them."""

    titles: list[str] = field(default_factory=list)  # distinct titles (decrees, titled by their number, left out)
    numbers: list[tuple[str, int | None, int]] = field(default_factory=list)  # (prefix, year or None, running number)
    files: int = 0  # data files read
    found: int = 0  # documents found in them (a document in two files counts twice)
    keys: int = 0  # distinct document keys
    unreadable: list[str] = field(default_factory=list)  # files the loaders refuse
    by_file: dict[str, list[str]] = field(default_factory=dict)  # file (relative) → titles of its documents


def data_files(folder: Path) -> list[Path]:
    """The files ``policykg build FOLDER`` reads (README, hidden files, data files and sidecars skipped)."""
    from policykg.loaders.build import collect_paths

    files, _ = collect_paths([folder])
    return files


def learn(folder: Path) -> Identities:
    from policykg.errors import PolicyKGError
    from policykg.iri import DocumentNumber
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    ids = Identities()
    titles: set[str] = set()
    numbers: set[tuple[str, int | None, int]] = set()
    keys: set[str] = set()
    for f in data_files(folder):
        ids.files += 1
        try:
            parsed = parse_source(read_file(f))
        except PolicyKGError as exc:
            ids.unreadable.append(f"{f.relative_to(folder).as_posix()}: {exc.reason}")
            continue
        for doc in parsed.documents:
            ids.found += 1
            keys.add(doc.key)
            number = DocumentNumber.parse(doc.number) if doc.number else None
            if number is not None:
                numbers.add((number.prefix, number.year, number.number))
            if doc.title and DocumentNumber.parse(doc.title) is None:
                titles.add(doc.title)
                ids.by_file.setdefault(f.relative_to(folder).as_posix(), []).append(doc.title)
    ids.titles, ids.numbers, ids.keys = sorted(titles), sorted(numbers, key=str), len(keys)
    return ids


# ------------------------------------------------------------------ where they stand in a file
def _fold_table(text: str) -> dict[int, str]:
    """Full-width letters and digits, compatibility ideographs … as NFKC gives them, one character for one."""
    table = {}
    for c in set(text):
        if ord(c) > 0x7F:
            n = unicodedata.normalize("NFKC", c)
            if n != c and len(n) == 1:
                table[ord(c)] = n
    return table


def fold(text: str) -> str:
    return text.translate(_fold_table(text))


def title_key(text: str) -> str:
    from policykg.loaders.patterns import title_key as key

    return key(fold(text))


@functools.lru_cache(maxsize=1)
def _key_re() -> re.Pattern:
    from policykg.loaders.patterns import CJK

    return re.compile(rf"[{CJK}A-Za-z0-9]")


#: what is not text in a file of each kind: tags, comments, character references; JSON escapes
_SKIP = {
    "html": re.compile(r"<!--.*?-->|<[^<>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);", re.S),
    "json": re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)"),
    "text": None,
}
#: between the parts of a number: spaces, and in HTML tags and character references
_GAP = {"html": r"(?:\s|&nbsp;|&#160;|&#12288;|<[^<>]*>)*", "json": r"\s*", "text": r"\s*"}
_DIGITS = "[0-9０-９]"
_ATTRS = re.compile(r"""\b(?:content|title|alt|value)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def skeleton(text: str, kind: str, start: int = 0, end: int | None = None) -> tuple[str, list[int]]:
    """The characters, letters and digits of ``text[start:end]`` outside markup (folded), with their offsets."""
    end = len(text) if end is None else end
    folded = fold(text[start:end])
    key = _key_re()
    chars: list[str] = []
    where: list[int] = []
    segments = []
    pos = 0
    skip = _SKIP[kind]
    if skip is not None:
        for m in skip.finditer(folded):
            segments.append((pos, m.start()))
            pos = m.end()
    segments.append((pos, len(folded)))
    for a, b in segments:
        for m in key.finditer(folded, a, b):
            chars.append(m.group())
            where.append(start + m.start())
    return "".join(chars), where


@dataclass
class Atom:
    """A title that contains no other title: its key, how many key characters come before the serial, and the
    punctuation that ends that part (``）`` of ``（2024-2026年）``, ``！``), after which the serial goes."""

    key: str
    head: int
    trail: str = ""
    moved: bool = False  # placed before the end, to keep how the loaders read a title


@functools.lru_cache(maxsize=1)
def _tail_re() -> re.Pattern:
    from policykg.loaders.patterns import TITLE_SERIAL

    return re.compile(rf"(?:(?:的|政策)?解读)?(?:{TITLE_SERIAL})?$")


def _reading(title: str) -> tuple:
    """How the loaders read a title on its own: its type, whether it starts a document and is complete, the
    titles a notice says it issues (without the serial), its year range, the place it begins with."""
    from policykg.loaders.metadata import classify
    from policykg.loaders.parse import _default_issuer
    from policykg.loaders.patterns import TITLE_YEAR_SUFFIX
    from policykg.loaders.split import _TITLE_END, issued_titles_of_notice, title_kind

    year = TITLE_YEAR_SUFFIX.search(title)
    return (classify(title), title_kind(title), bool(_TITLE_END.search(title)),
            [title_key(x.replace(PROBE, "")) for x in issued_titles_of_notice(title)],
            year.group() if year else None, _default_issuer(title))


PROBE = "（一）"  # the serial the placement is tried with (copy 1's: marker(1))


def _insert(title: str, key: str, j: int, trail: str) -> str:
    """``title`` with PROBE after the j-th key character of each occurrence of ``key`` (after ``trail`` too)."""
    chars, where = skeleton(title, "text")
    spots = []
    i = chars.find(key)
    while i >= 0:
        spots.append(Planner._past(title, "text", where[i + j - 1] + 1, trail, len(title)))
        i = chars.find(key, i + len(key))
    for at in sorted(spots, reverse=True):
        title = title[:at] + PROBE + title[at:]
    return title


def atoms(titles: list[str], extra: list[str] = ()) -> tuple[list[Atom], list[str]]:
    """The titles to mark: those of at least MIN_TITLE_KEY key characters that contain no other such title (the
    others change through the one they contain), longest first; and the titles whose reading changes anyway.

    The serial goes at the end of the title — before a trailing 解读 or serial, after its closing punctuation —
    unless that changes how the loaders read the title or a title containing it (:func:`_reading`: 关于同意建立X
    制度的批复 issues X制度 only while X制度 ends in 制度); then at the latest place that changes nothing.
    ``extra`` are keys of titles that stand in their file only in pieces (the serial goes at their end)."""
    keys: dict[str, tuple[str, int, str]] = {}
    for t in sorted(titles):
        k = title_key(t)
        if len(k) >= MIN_TITLE_KEY:
            folded = fold(t).strip()
            tail = _tail_re().search(folded)
            head = folded[: tail.start()]
            trail = re.search(rf"[^{_key_re().pattern[1:-1]}\s]*$", head).group()
            keys.setdefault(k, (t, len(k) - len(title_key(tail.group())), trail))
    for k in sorted(extra):
        keys.setdefault(k, (k, len(k), ""))
    out, changed = [], []
    full = {k: v[0] for k, v in keys.items()}
    for k, (t, head, trail) in keys.items():
        if any(o != k and o in k for o in keys):
            continue
        containing = [full[o] for o in keys if k in o]
        best = None
        for j in range(head, 0, -1):
            tr = trail if j == head else ""
            if all(_reading(c) == _reading(_insert(c, k, j, tr)) for c in containing):
                best = (j, tr, j < head)
                break
        if best is None:
            best = (head, trail, False)
            changed.append(t)
        out.append(Atom(k, *best))
    return sorted(out, key=lambda a: (-len(a.key), a.key)), sorted(changed)


@dataclass
class Plan:
    """Where a file changes from copy to copy: offsets at which the serial is inserted, and spans of running
    numbers (start, end, number, full-width digits) that are renumbered."""

    marks: list[int] = field(default_factory=list)
    numbers: list[tuple[int, int, int, bool]] = field(default_factory=list)

    def render(self, text: str, k: int) -> str:
        if k == 0:
            return text
        edits = [(p, p, marker(k)) for p in self.marks]
        for s, e, n, wide in self.numbers:
            new = str(n + NUMBER_STEP * k)
            if wide:
                new = new.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
            edits.append((s, e, new))
        out = []
        last = 0
        for s, e, new in sorted(edits):
            out.append(text[last:s])
            out.append(new)
            last = e
        out.append(text[last:])
        return "".join(out)


class Planner:
    """Finds, in one decoded file, the occurrences of the corpus's titles and numbers (:class:`Plan`)."""

    def __init__(self, ids: Identities, extra: list[str] = ()) -> None:
        self.atoms, self.changed = atoms(ids.titles, extra)
        # (year, number) → prefixes; a decree's number has no year
        self.by_number: dict[tuple[int | None, int], set[str]] = {}
        for prefix, year, n in ids.numbers:
            self.by_number.setdefault((year, n), set()).add(fold(prefix))
        self._num: dict[str, tuple[re.Pattern, re.Pattern]] = {}

    def _number_res(self, kind: str) -> tuple[re.Pattern, re.Pattern]:
        if kind not in self._num:
            g = _GAP[kind]
            year = re.compile(
                rf"[〔\[［【〖(（]{g}(?P<year>(?:19|20|１９|２０){_DIGITS}{{2}}){g}[〕\]］】〗)）]{g}(?:第{g})?"
                rf"(?P<n>{_DIGITS}{{1,5}}){g}号")
            decree = re.compile(rf"第{g}(?P<n>{_DIGITS}{{1,5}}){g}号")
            self._num[kind] = (year, decree)
        return self._num[kind]

    @staticmethod
    def _past(text: str, kind: str, at: int, trail: str, end: int) -> int:
        """The offset after the title's closing punctuation ``trail`` where the text has it (as the title
        does, in either width, markup and spaces between), else ``at``."""
        skip = _SKIP[kind]
        j = at
        for ch in trail:
            while j < end:
                m = skip.match(text, j) if skip is not None else None
                if m and m.end() <= end:
                    j = m.end()
                elif text[j].isspace():
                    j += 1
                else:
                    break
            if j < end and fold(text[j]) == ch:
                j += 1
                at = j
            else:
                break
        return at

    def _before(self, text: str, kind: str, at: int) -> str:
        """The key characters just before ``at`` (markup and spaces left out)."""
        chars, _ = skeleton(text, kind, max(0, at - 300), at)
        return chars

    def plan(self, text: str, kind: str) -> Plan:
        plan = Plan()
        # titles, in the text; in HTML also in the attributes that carry one (meta content, title, alt)
        spans = [(0, len(text))]
        if kind == "html":
            spans += [(m.start(g), m.end(g)) for m in _ATTRS.finditer(text) for g in (1, 2) if m.group(g)]
        for a, b in spans:
            chars, where = skeleton(text, kind, a, b)
            found = []
            for atom in self.atoms:
                i = chars.find(atom.key)
                while i >= 0:
                    found.append((i, -len(atom.key), atom))
                    i = chars.find(atom.key, i + 1)
            taken = -1
            for i, _, atom in sorted(found, key=lambda f: (f[0], f[1])):
                if i < taken:
                    continue  # overlaps a longer or earlier title
                plan.marks.append(self._past(text, kind, where[i + atom.head - 1] + 1, atom.trail, b))
                taken = i + len(atom.key)
        # numbers of the corpus's documents, wherever they stand
        year_re, decree_re = self._number_res(kind)
        seen: set[int] = set()
        for rx, has_year in ((year_re, True), (decree_re, False)):
            for m in rx.finditer(text):
                if m.start("n") in seen:
                    continue
                digits = fold(m.group("n"))
                key = (int(fold(m.group("year"))) if has_year else None, int(digits))
                prefixes = self.by_number.get(key)
                if not prefixes:
                    continue
                before = self._before(text, kind, m.start())
                if any(before.endswith(title_key(p)) for p in prefixes):
                    seen.add(m.start("n"))
                    plan.numbers.append((m.start("n"), m.end("n"), key[1], m.group("n") != digits))
        plan.marks = sorted(set(plan.marks))
        plan.numbers.sort()
        return plan


# ------------------------------------------------------------------ files
def kind_of(path: Path, data: bytes) -> str:
    if path.suffix.lower() == ".json":
        return "json"
    head = data[:512].lstrip().lower()
    if path.suffix.lower() in _HTML_SUFFIXES or head.startswith((b"<!doctype", b"<html", b"<tbody", b"<div", b"<table", b"<p")):
        return "html"
    return "text"


def decode(data: bytes, kind: str) -> tuple[str, str] | None:
    """(text, encoding) such that ``text.encode(encoding) == data``, or None (then the file is copied as is)."""
    candidates = []
    if data.startswith(codecs.BOM_UTF8):
        candidates.append("utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.append("utf-16")
    candidates.append("utf-8")
    if kind == "html":
        m = re.search(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", data[:4096], re.I)
        if m:
            enc = m.group(1).decode("ascii").lower()
            candidates.append("gb18030" if enc in ("gb2312", "gbk") else enc)
    candidates += ["gb18030", "big5"]
    for enc in candidates:
        try:
            text = data.decode(enc)
            if text.encode(enc) == data:
                return text, enc
        except (UnicodeError, LookupError):
            continue
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: columns of an index file that name or fingerprint a file, or its provenance: never rewritten by the rule
_KEEP_COLUMNS = {"file", "path", "repository", "commit", "source_path", "git_blob", "sha256", "bytes", "url"}


def _index_file(data: bytes, k: int, planner: Planner, copied: dict[str, bytes], note: str, left: set[str]) -> bytes:
    """A ``sources.tsv``-like index for copy k: text columns through the same rule, sha256 and bytes of the
    copy's files, and the note column saying what the copy is."""
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    if not rows or "file" not in rows[0]:
        return data
    head = rows[0]
    col = {name: i for i, name in enumerate(head)}
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(head)
    for row in rows[1:]:
        row = list(row)
        for i, cell in enumerate(row):
            if i < len(head) and head[i] not in _KEEP_COLUMNS and head[i] != "note" and cell:
                row[i] = planner.plan(cell, "text").render(cell, k)
        body = copied.get(row[col["file"]]) if col["file"] < len(row) else None
        if body is not None:
            if "sha256" in col:
                row[col["sha256"]] = _sha256(body)
            if "bytes" in col:
                row[col["bytes"]] = str(len(body))
        if "note" in col:
            own = "not in this copy: the rule changes nothing in it" if row[col["file"]] in left else note
            row[col["note"]] = "; ".join(x for x in (row[col["note"]], own) if x)
        w.writerow(row)
    return out.getvalue().encode("utf-8")


def copy_dir(out: Path, k: int) -> Path:
    return out / f"copy-{k:02d}"


def replicate(src: Path, out: Path, copies: int, check: bool = True, keep_unchanged: bool = False) -> dict:
    """Write ``copies`` copies of ``src`` into ``out/copy-00`` … and ``out/replicas.json``; return the manifest.

    A file the build reads in which the rule changes nothing (no title or number of a document: a page the
    loaders refuse) is left out of copies 1…: byte-identical files in one build make ``policykg build`` give up
    its bulk load for the whole build (``loaders/build.py``: bulk only when every file differs), which is not
    what a set of distinct documents costs. ``keep_unchanged`` keeps them (to measure that case)."""
    if not 1 <= copies <= MAX_COPIES:
        raise SystemExit(f"--copies must be 1…{MAX_COPIES}")
    src = src.resolve()
    ids = learn(src)
    big = [n for n in ids.numbers if n[2] >= NUMBER_STEP]
    if big:
        raise SystemExit(f"running numbers ≥ {NUMBER_STEP} in the corpus ({big[:3]}): renumbering could collide")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    every = sorted(p for p in src.rglob("*") if p.is_file())
    wanted = {p.resolve() for p in data_files(src)}
    from policykg.loaders.read import is_sidecar

    stats = {"files": 0, "rewritten": 0, "titles marked": 0, "numbers renumbered": 0, "copied as they are": [],
             "left out of copies 1…": []}
    indexes, readmes = [], []
    decoded: dict[Path, tuple[str, str, str] | None] = {}
    for p in every:
        rel = p.relative_to(src)
        if p.suffix.lower() in (".tsv", ".csv") and p.name.lower().startswith("sources"):
            indexes.append(p)
            continue
        if p.name.lower().startswith("readme"):
            readmes.append(p)
            continue
        stats["files"] += 1
        data = p.read_bytes()
        kind = kind_of(p, data)
        d = None
        if p.resolve() in wanted or is_sidecar(p):
            d = None if p.suffix.lower() in _BINARY_SUFFIXES else decode(data, kind)
            if d is None:
                stats["copied as they are"].append(f"{rel.as_posix()}: binary, or an encoding that does not round-trip")
        decoded[p] = None if d is None else (d[0], d[1], kind)
    # a title the loaders put together from pieces (a page's heading and the first lines of its text) is not
    # in its file as a whole: its longest beginning that is stands for it
    pieces = {}
    for rel, titles in sorted(ids.by_file.items()):
        d = decoded.get(src / rel)
        if d is None:
            continue
        chars, _ = skeleton(d[0], d[2])
        for t in titles:
            k = title_key(t)
            if len(k) < MIN_TITLE_KEY or k in chars:
                continue
            lo, hi = 0, len(k)  # the longest prefix of k in chars (a prefix's presence is monotone)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if k[:mid] in chars else (lo, mid - 1)
            if lo >= 8:
                pieces[t] = k[:lo]
    planner = Planner(ids, sorted(set(pieces.values())))
    plans: dict[Path, tuple[Plan, str, str] | str | None] = {}
    for p, d in decoded.items():
        if d is None:
            plans[p] = None
            continue
        text, enc, kind = d
        plan = planner.plan(text, kind)
        plans[p] = (plan, text, enc)
        if plan.marks or plan.numbers:
            stats["rewritten"] += 1
        elif p.resolve() in wanted and not keep_unchanged:
            plans[p] = "leave out"
            stats["left out of copies 1…"].append(p.relative_to(src).as_posix())
        stats["titles marked"] += len(plan.marks)
        stats["numbers renumbered"] += len(plan.numbers)
    for k in range(copies):
        target = copy_dir(out, k)
        copied: dict[str, bytes] = {}
        for p in every:
            rel = p.relative_to(src)
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if p in indexes or p in readmes:
                continue
            planned = plans[p]
            if k and planned == "leave out":
                continue
            body = p.read_bytes() if k == 0 or planned is None else planned[0].render(planned[1], k).encode(planned[2])
            dest.write_bytes(body)
            copied[rel.as_posix()] = body
        note = f"copy {k} of {src.name} (bench/real.py): numbers N → N+{NUMBER_STEP * k}, titles marked {marker(k)}" if k else ""
        for p in indexes:
            data = p.read_bytes()
            (target / p.relative_to(src)).write_bytes(data if k == 0 else _index_file(data, k, planner, copied, note,
                                                                                     set(stats["left out of copies 1…"])))
        for p in readmes:
            data = p.read_bytes()
            if k:
                data = (f"> Copy {k} of `{src.name}`, written by `python -m bench.real replicate`: the numbers of its "
                        f"documents renumbered N → N+{NUMBER_STEP * k}, their titles marked {marker(k)}; "
                        "everything else as below.\n\n").encode("utf-8") + data
            (target / p.relative_to(src)).write_bytes(data)
    manifest = {
        "source": src.name,
        "copies": copies,
        "keep unchanged": keep_unchanged,
        "rule": {"numbers": f"running number N → N + {NUMBER_STEP}·k",
                 "titles": "the serial （k） (copy 1: （一）) at the end of the title, or at the latest place that "
                           "keeps how the loaders read it", "copy 0": "byte for byte"},
        "corpus": {"data files": ids.files, "documents found": ids.found, "document keys": ids.keys,
                   "titles": len(ids.titles), "titles marked (containing no other)": len(planner.atoms),
                   "titles marked before their end": sorted(a.key for a in planner.atoms if a.moved),
                   "titles in their file only in pieces (their beginning marked)": sorted(pieces),
                   "titles whose reading changes": planner.changed,
                   "numbers": len(ids.numbers), "files the loaders refuse": ids.unreadable},
        "per copy": {k: v for k, v in stats.items()},
    }
    if check and copies > 1:
        manifest["check"] = {str(k): check_copy(out, k, stats["left out of copies 1…"]) for k in sorted({1, copies - 1})}
    (out / "replicas.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "README.md").write_text(
        f"# {copies} copies of {src.name}\n\nWritten by `python -m bench.real replicate` (see its docstring); "
        "`replicas.json` says what was changed and what the check found. Not for distribution: the source "
        "corpus's README says which of its files may not leave the project.\n", encoding="utf-8")
    return manifest


def _shape(folder: Path) -> dict[str, list]:
    """Per file: its documents as the parser reads them: key, type, whether it has a number, issuer, place,
    dates, promulgation links, task rows and provisions of each kind."""
    from collections import Counter

    from policykg.errors import PolicyKGError
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    out = {}
    for f in data_files(folder):
        rel = f.relative_to(folder).as_posix()
        try:
            p = parse_source(read_file(f))
        except PolicyKGError as exc:
            out[rel] = [("error", exc.reason)]
            continue
        out[rel] = [(d.key, d.doc_type, d.number is not None, d.issuer, d.place, d.date_signed, d.in_force,
                     d.date_published, d.promulgated_by is not None, len(d.promulgates), len(d.tasks),
                     sorted(Counter(x.kind for x in d.walk()).items())) for d in p.documents]
    return out


def check_copy(out: Path, k: int, left: list[str] = ()) -> dict:
    """Copy k against copy 0, file by file (but the files ``left`` out of it): the same documents but for their
    keys, and no key shared."""
    a, b = _shape(copy_dir(out, 0)), _shape(copy_dir(out, k))
    a = {rel: v for rel, v in a.items() if rel not in set(left)}
    differ = []
    for rel in sorted(set(a) | set(b)):
        da, db = a.get(rel, []), b.get(rel, [])
        if [x[1:] for x in da] != [x[1:] for x in db]:
            differ.append({"file": rel, "copy 0": [list(x) for x in da], f"copy {k}": [list(x) for x in db]})
    keys_a = {x[0] for v in a.values() for x in v if x[0] != "error"}
    keys_b = {x[0] for v in b.values() for x in v if x[0] != "error"}
    return {"files": len(b), "documents found": sum(len(v) for v in b.values() if not (v and v[0][0] == "error")),
            "keys": len(keys_b), "keys shared with copy 0": sorted(keys_a & keys_b),
            "files parsed differently": differ}


# ------------------------------------------------------------------ measure
def _copy_of(path: str, dirs: list[Path]) -> int | None:
    p = Path(path).resolve()
    for k, d in enumerate(dirs):
        if d.resolve() in p.parents:
            return k
    return None


def query_cases(k_last: int) -> list[tuple[str, str, dict, int | None]]:
    """(label, named query, parameters, limit): one document's number (of copy 0, and the same document in the
    last copy, renumbered), and the lists' first page."""
    from policykg.iri import DocumentNumber

    out = []
    for name, number in QUERY_NUMBERS.items():
        out.append((f"{name} (docNumber={number})", name, {"docNumber": number}, None))
        if k_last:
            d = DocumentNumber.parse(number)
            last = str(DocumentNumber(d.prefix, d.number + NUMBER_STEP * k_last, d.year))
            out.append((f"{name} (the same document in the last copy)", name, {"docNumber": last}, None))
    for name in LIST_QUERIES:
        out.append((f"{name} (limit={PAGE})", name, {}, PAGE))
    return out


def time_queries(store_dir: Path, copies: int, reps: int) -> dict:
    from pyoxigraph import Literal

    from policykg.queries import bind, library
    from policykg.store import Store

    store = Store(store_dir, read_only=True)
    named = {q.name: q for q in library()}
    res = {}
    for label, name, params, limit in query_cases(copies - 1):
        text = bind(named[name].text, {k: Literal(v) for k, v in params.items()}, limit=limit)
        rows = [tuple(str(x) for x in row) for row in store.query(text)]
        res[label] = {**timed(lambda: list(store.query(text)), reps), "rows": len(rows),
                      "duplicates": len(rows) - len(set(rows)), "params": params}
    del store
    return res


#: bench.run's measuring wrapper, which also reports the CPU seconds of the command and its workers (user + system
#: of the children waited for): wall time moves with whatever else runs on the machine, CPU time much less
_MEASURE_CPU = run._MEASURE.replace(
    "'peak_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss",
    "'peak_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 'cpu_s': "
    "resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime")


def measured(cmd: list[str], timeout: float | None = None) -> tuple[dict, str, str]:
    """:func:`bench.run.measured` (the same process group, time-out and peak memory), with ``cpu_s``."""
    saved = run._MEASURE
    run._MEASURE = _MEASURE_CPU
    try:
        return run.measured(cmd, timeout)
    finally:
        run._MEASURE = saved


def _load() -> list[float] | None:
    """The machine's load average (1, 5, 15 min) as the build ends: other work running beside it shows here."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def wait_quiet(below: float, most: float) -> list[float] | None:
    """Wait (up to ``most`` seconds) until the machine's 1-minute load average is below ``below``; the load then."""
    import time

    deadline = time.monotonic() + most
    while True:
        load = _load()
        if load is None or load[0] < below or time.monotonic() > deadline:
            return load
        time.sleep(15)


def measure_set(dirs: list[Path], store_dir: Path, timeout: float | None, quiet: float | None = None,
                quiet_wait: float = 0) -> dict:
    shutil.rmtree(store_dir, ignore_errors=True)
    files = [f for d in dirs for f in data_files(d)]
    before = wait_quiet(quiet, quiet_wait) if quiet else _load()
    m, out, err = measured([PY, "-m", "policykg.cli", "build", *map(str, dirs), "--store", str(store_dir), "--base", BASE,
                            "--no-reason", "--no-progress", "--json"], timeout=timeout)
    if m.get("timeout") or not out.strip():
        return {"failed": "timed out" if m.get("timeout") else f"exit {m['rc']}: {err[-500:]}", "seconds": m["seconds"]}
    s = json.loads(out)
    per_copy: dict[int, set[str]] = {}
    for f in s["files"]:
        per_copy.setdefault(_copy_of(f["path"], dirs), set()).update(f["documents"])
    seen: dict[str, int] = {}
    for keys in per_copy.values():
        for key in keys:
            seen[key] = seen.get(key, 0) + 1
    shared = sorted(k for k, n in seen.items() if n > 1)
    return {
        "copies": len(dirs), "files": len(files), "mb": sum(f.stat().st_size for f in files) / 1e6,
        "seconds": m["seconds"], "cpu_s": m.get("cpu_s"), "peak_mib": m["peak_kib"] / 1024, "rc": m["rc"],
        "load before": before, "load": _load(),
        "documents": s["documents"], "documents found": sum(len(f["documents"]) for f in s["files"]),
        "keys per copy": {str(k): len(per_copy[k]) for k in sorted(per_copy, key=lambda k: -1 if k is None else k)},
        "keys in several copies": shared[:20], "keys in several copies (count)": len(shared),
        "errors": [e["message"] for e in s["errors"]],
        "measures": s["measures"], "articles": s["articles"], "provisions": s["provisions"], "quads": s["triples"],
        "quads_per_provision": s["triples"] / max(1, s["provisions"]), "stages": s["seconds"],
    }


def run_measure(args) -> int:
    src = Path(args.source)
    work = Path(args.work)
    copies = sorted({int(c) for c in args.copies.split(",")} | {1})
    out = work / "copies"
    manifest_path = out / "replicas.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if args.reuse and manifest_path.exists() else None
    if (manifest is None or manifest["copies"] < max(copies) or manifest["source"] != src.resolve().name
            or manifest.get("keep unchanged") != args.keep_unchanged):
        log(f"replicate {src} × {max(copies)} into {out}")
        manifest = replicate(src, out, max(copies), keep_unchanged=args.keep_unchanged)
    shown = os.path.relpath(src.resolve(), ROOT)  # as the README names it: ../shared/corpus/china-real
    results = {"machine": machine(), "argv": " ".join(args.argv), "source": shown, "replicas": manifest,
               "reps": args.reps, "sets": []}
    json_path = Path(args.out).with_suffix(".json")
    for k in copies:
        log(f"[{k} of {max(copies)} copies] build")
        rec = measure_set([copy_dir(out, i) for i in range(k)], work / f"store-{k}", args.timeout, args.quiet,
                          args.quiet_wait)
        if "failed" not in rec:
            log(f"[{k} of {max(copies)} copies] queries")
            rec["queries"] = time_queries(work / f"store-{k}", k, args.reps)
        results["sets"].append(rec)
        json_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if not args.keep_stores and k != max(copies):
            shutil.rmtree(work / f"store-{k}", ignore_errors=True)
    return write_report(results, args)


def write_report(results: dict, args) -> int:
    """The Markdown page (with the notes file as "Reading the figures") and the JSON beside it."""
    notes = Path(args.notes)
    results["notes"] = notes.read_text(encoding="utf-8") if notes.exists() else ""
    Path(args.out).write_text(markdown(results), encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {args.out} and its .json")
    return 0


# ------------------------------------------------------------------ report
def _ms(x: float) -> str:
    return f"{x * 1000:.0f}" if x >= 0.01 else f"{x * 1000:.1f}"


def markdown(results: dict) -> str:
    m = results["machine"]
    sets = [s for s in results["sets"] if "failed" not in s]
    base = next((s for s in sets if s["copies"] == 1), None)
    rep = results["replicas"]
    corpus = rep["corpus"]
    L = ["# Benchmarks on real documents", "",
         f"Generated by `python -m bench.real {results['argv']}` on {m['date']}. Numbers come from one run. "
         "Do not edit by hand: re-run the command (`python -m bench.real report` rewrites this page from the JSON).", "",
         f"Machine: {m['cpu']} — {m['cpus']} CPUs, {m['memory_gib']} GiB; {m['platform']}; Python {m['python']}; "
         f"policykg {m['policykg']}, pyoxigraph {m['pyoxigraph']}.", "",
         "## The corpus and its copies", "",
         f"`{results['source']}`: {corpus['data files']} files the build reads (JSON sidecars are read "
         f"with their page), {corpus['documents found']} documents found in them, {corpus['document keys']} distinct "
         f"(a document in two files is one). A set of K copies is copy 0 (the corpus byte for byte) and copies 1…K-1, "
         f"in which every number of a document of the corpus is renumbered ({rep['rule']['numbers']}) and every title "
         f"marked ({rep['rule']['titles']}; {corpus['titles marked (containing no other)']} of the "
         f"{corpus['titles']} titles are marked where they stand, the others contain one of them), wherever they stand "
         f"in the copy: {rep['per copy']['titles marked']:,} titles and {rep['per copy']['numbers renumbered']:,} numbers "
         f"in {rep['per copy']['rewritten']} of {rep['per copy']['files']} files per copy. `bench/real.py` says why "
         "exactly these strings.", ""]
    for k, c in sorted(rep.get("check", {}).items(), key=lambda kv: int(kv[0])):
        L.append(f"Check of copy {k} against copy 0 (parsed again, file by file): {c['documents found']} documents, "
                 f"{c['keys']} keys, {len(c['keys shared with copy 0'])} keys shared with copy 0, "
                 f"{len(c['files parsed differently'])} {'file' if len(c['files parsed differently']) == 1 else 'files'} parsed differently"
                 + (": " + ", ".join(f"`{d['file']}`" for d in c["files parsed differently"][:5]) if c["files parsed differently"] else "")
                 + ".")
    if rep["per copy"].get("left out of copies 1…"):
        L += ["", "Left out of copies 1…K-1, as the rule changes nothing in them (byte-identical files in one build "
              "make `policykg build` give up its bulk load for the whole build): "
              + "; ".join(f"`{x}`" for x in rep["per copy"]["left out of copies 1…"]) + "."]
    if rep["corpus"]["files the loaders refuse"]:
        L += ["", "Files the loaders refuse (each build reports them once per copy that holds them): "
              + "; ".join(f"`{x}`" for x in rep["corpus"]["files the loaders refuse"]) + "."]
    L += ["", "## Build", "",
          "`policykg build --no-reason --json COPY-00 … COPY-(K-1)` into an empty store, in a fresh process, one set "
          "after the other. Peak memory is the largest process's (the build or one of its workers); CPU is the user "
          "and system seconds of the build and its workers; load is the machine's load average (1 min) as the build "
          "started → as it ended: other work on the machine shows there (a 2-core machine's own build makes about 2), "
          "and slows the wall time more than the CPU time.", "",
          "| copies | files | MB | documents | K × 1 copy | errors | measures | articles | provisions | quads | quads per provision | build s | CPU s | docs/s | peak MiB | load |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in sets:
        exp = base["documents"] * s["copies"] if base else None
        diff = "" if exp is None or s["documents"] == exp else (
            f" (**{s['documents'] - exp:+,}**)")
        cpu = f"{s['cpu_s']:.0f}" if s.get("cpu_s") is not None else "—"
        load = (f"{s['load before'][0]:.1f} → " if s.get("load before") else "") + (f"{s['load'][0]:.1f}" if s.get("load") else "—")
        L.append(f"| {s['copies']} | {s['files']:,} | {s['mb']:.1f} | {s['documents']:,} | {exp:,}{diff} | {len(s['errors'])} | "
                 f"{s['measures']:,} | {s['articles']:,} | {s['provisions']:,} | {s['quads']:,} | {s['quads_per_provision']:.1f} | "
                 f"{s['seconds']:.1f} | {cpu} | {s['documents'] / s['seconds']:.1f} | {s['peak_mib']:,.0f} | {load} |")
    for s in results["sets"]:
        if "failed" in s:
            L.append(f"| {s.get('copies', '?')} | build failed: {s['failed'][:200]} |")
    checks = rep.get("check", {})
    if base and checks:
        per = {c["keys"] for c in checks.values()}
        if len(per) == 1:
            n = per.pop()
            L += ["", f"Documents against K × 1 copy: copy 0 holds {base['documents']:,}, and each later copy {n:,} "
                  f"(the check above), so K copies should hold {base['documents']:,} + {n:,}·(K-1): "
                  + ", ".join(f"{base['documents'] + n * (s['copies'] - 1):,} for {s['copies']}" for s in sets)
                  + " — " + ("which is what the store holds." if all(s["documents"] == base["documents"] + n * (s["copies"] - 1) for s in sets)
                             else "**the store holds a different number** (see the identity lines below).")]
    if base:
        L += ["", "Against 1 copy (ratio of the figure per document; 1.00 = linear):", "",
              "| copies | documents | time per document | CPU per document | quads per document | provisions per document | peak memory (not per document) |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
        for s in sets:
            r = lambda key: (s[key] / s["documents"]) / (base[key] / base["documents"]) if s.get(key) and base.get(key) else None
            cpu = f"{r('cpu_s'):.2f}" if r("cpu_s") is not None else "—"
            L.append(f"| {s['copies']} | {s['documents'] / base['documents']:.2f} × | {r('seconds'):.2f} | {cpu} | {r('quads'):.3f} | "
                     f"{r('provisions'):.3f} | {s['peak_mib'] / base['peak_mib']:.2f} × ({s['peak_mib'] / 1024:.2f} GiB) |")
    if sets:
        stages = list(sets[0]["stages"])
        L += ["", "Time per stage (wall seconds; the rest of the wall time is interpreter start and imports):", "",
              "| copies | " + " | ".join(stages) + " |", "|---:|" + "---:|" * len(stages)]
        for s in sets:
            L.append(f"| {s['copies']} | " + " | ".join(f"{s['stages'].get(x, 0):.1f}" for x in stages) + " |")
        L += ["", "Identity: keys per copy as the build reports them (files → documents), and keys found in more than "
              "one copy (a document the store would merge across copies):", ""]
        for s in sets:
            L.append(f"- {s['copies']} {'copy' if s['copies'] == 1 else 'copies'}: {s['documents found']:,} documents found, keys per copy "
                     + ", ".join(f"{v}" for v in s["keys per copy"].values())
                     + f"; keys in several copies: {s['keys in several copies (count)']}"
                     + (" (" + ", ".join(f"`{x}`" for x in s["keys in several copies"][:5]) + ")" if s["keys in several copies"] else "")
                     + (f"; {len(s['errors'])} errors, from these files of the copies: " + "; ".join(
                         f"`{e[:160]}`" for e in sorted({re.sub(r"^.*?/copy-[0-9]+/", "", e) for e in s["errors"]})[:4])
                        if s["errors"] else ""))
    qsets = [s for s in sets if s.get("queries")]
    if qsets:
        labels = list(dict.fromkeys(l for s in reversed(qsets) for l in s["queries"]))
        L += ["", f"## Named queries with a user's parameters (embedded store, `Store.query` of the bound query; "
              f"median of {results['reps']} runs after one warm-up, ms; rows)", "",
              "| query (parameters) | " + " | ".join(f"{s['copies']} {'copy' if s['copies'] == 1 else 'copies'}" for s in qsets) + " |",
              "|---|" + "---:|" * len(qsets)]
        for label in labels:
            cells = []
            for s in qsets:
                q = s["queries"].get(label)
                cells.append("—" if q is None else f"{_ms(q['median'])} ({q['rows']:,} rows"
                             + (f", {q['duplicates']} repeated" if q["duplicates"] else "") + ")")
            L.append(f"| {label} | " + " | ".join(cells) + " |")
        twins = "; ".join(f"{s['copies']} copies: " + ", ".join(sorted({q["params"]["docNumber"] for l, q in s["queries"].items()
                                                                         if "last copy" in l}))
                          for s in qsets if any("last copy" in l for l in s["queries"]))
        L += ["", "A number of copy 0 names one document at every size; the same document in the last copy is asked "
              f"for by its renumbered number ({twins}) and gives the same rows. The lists are read as their first page."]
    if results.get("notes"):
        L += ["", "## Reading the figures", "", results["notes"].strip()]
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------ command line
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m bench.real", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("replicate", help="write K copies of a corpus folder under distinct identities")
    r.add_argument("source", nargs="?", default=str(SOURCE), help=f"the corpus folder (default {SOURCE})")
    r.add_argument("--copies", type=int, default=10, help="K, copies 0…K-1 (default 10)")
    r.add_argument("--out", default=str(WORK / "copies"), help="where the copies go (default bench-data/real/copies)")
    r.add_argument("--no-check", action="store_true", help="do not parse copy 1 and the last copy again against copy 0")
    r.add_argument("--keep-unchanged", action="store_true",
                   help="keep in copies 1… the files the rule does not change (byte-identical files: the build "
                        "then gives up its bulk load)")
    m = sub.add_parser("measure", help="replicate, build 1, 3 and 10 copies, time queries, write the report")
    m.add_argument("--source", default=str(SOURCE), help=f"the corpus folder (default {SOURCE})")
    m.add_argument("--copies", default="1,3,10", help="comma-separated set sizes in copies (1 is always measured)")
    m.add_argument("--work", default=str(WORK), help="where copies and stores go (default bench-data/real)")
    m.add_argument("--reps", type=int, default=3, help="timed runs per query after one warm-up (default 3)")
    m.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed to one build (default 3600)")
    m.add_argument("--reuse", action="store_true", help="reuse copies already written (WORK/copies/replicas.json)")
    m.add_argument("--keep-unchanged", action="store_true", help="as replicate --keep-unchanged")
    m.add_argument("--quiet", type=float, default=None, metavar="LOAD",
                   help="before each build, wait until the machine's 1-minute load average is below LOAD")
    m.add_argument("--quiet-wait", type=float, default=1800.0, help="the longest wait for --quiet, seconds (default 1800)")
    m.add_argument("--keep-stores", action="store_true", help="keep every store (default: only the largest)")
    m.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-real.md"), help="the report (and .json beside it)")
    m.add_argument("--notes", default=str(ROOT / "bench" / "NOTES-real.md"),
                   help="text appended under 'Reading the figures' (default bench/NOTES-real.md, if present)")
    p = sub.add_parser("report", help="rewrite the Markdown report from its JSON")
    p.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-real.md"))
    p.add_argument("--notes", default=str(ROOT / "bench" / "NOTES-real.md"))
    args = ap.parse_args(argv)
    args.argv = argv
    if args.command == "replicate":
        manifest = replicate(Path(args.source), Path(args.out), args.copies, check=not args.no_check,
                             keep_unchanged=args.keep_unchanged)
        print(json.dumps({k: v for k, v in manifest.items()}, indent=1, ensure_ascii=False))
        return 0
    if args.command == "measure":
        return run_measure(args)
    results = json.loads(Path(args.out).with_suffix(".json").read_text(encoding="utf-8"))
    return write_report(results, args)


if __name__ == "__main__":
    sys.exit(main())
