"""Stage 1, read: bytes on disk → text, whatever the file's format and encoding.

* plain text: UTF-8, UTF-16 (with or without BOM), GB18030/GBK — *detected*: a BOM
  decides; else strict UTF-8; else UTF-16 when NUL bytes sit in every other
  position; else strict GB18030 (a superset of GBK and GB2312); a decoding that
  yields control characters or too few Chinese characters is refused;
* HTML (government portal pages): the main content only, through
  :func:`loaders.html.extract_page` (see docs/html-extraction.md for the rules and
  the measurement against trafilatura and readability-lxml) — navigation, footers,
  share bars and related-link lists never enter the text; the page's information
  table (索引号, 发文机关, 成文日期, 发文字号 …) and its title become metadata; a page
  with almost no body text (a list page) is refused;
* plain text whose lines are only page markers (``===PAGE 3===``: a failed PDF
  extraction) is refused;
* PDF with a text layer (pypdf); a PDF without one is refused (no OCR);
* DOCX (python-docx): paragraphs and table cells in document order.

Anything else — an empty file, an image, an archive, a legacy .doc — raises a
:class:`ReadError` naming the file and saying what was wrong.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

from policykg.errors import ReadError

from .limits import check_input
from .markdown import is_markdown
from .model import SourceText
from .patterns import INFO_LABEL, PAGE_LINE

_MAGIC = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc/.xls); save it as DOCX"),
    (b"SQLite format 3", "an SQLite database"),
]
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

TEXT_SUFFIXES = {".txt", ".text", ""}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
#: metadata beside a document: ``r39_国发〔2018〕39号.json`` next to ``r39_国发〔2018〕39号.html``
SIDECAR_SUFFIX = ".json"
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}


def _plausible(text: str) -> bool:
    """Decoded text that looks like text: few control characters, Chinese if non-ASCII."""
    if not text.strip():
        return False
    if len(_BAD_CONTROL.findall(text)) > max(2, len(text) // 1000):
        return False
    non_ascii = sum(1 for c in text if ord(c) > 127)
    if non_ascii and len(_CJK.findall(text)) < 0.3 * non_ascii:
        return False
    return True


def decode_text(data: bytes, path: str) -> tuple[str, str]:
    """Decode bytes of a plain-text file; return (text, encoding name)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ReadError(f"has a UTF-16 byte-order mark but is not valid UTF-16 ({exc.reason})", path, f"byte {exc.start}")
    nul = data.count(b"\x00")
    if nul:
        even = data[0::2].count(b"\x00")
        odd = data[1::2].count(b"\x00")
        for enc, ok in (("utf-16-le", odd > even), ("utf-16-be", even > odd)):
            if ok and len(data) % 2 == 0:
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                if _plausible(text):
                    return text, enc
        first = data.index(b"\x00")
        raise ReadError("is a binary file, not text (it contains NUL bytes)", path, f"byte {first}")
    try:
        text = data.decode("utf-8")
        return text, "utf-8"
    except UnicodeDecodeError as utf8_error:
        candidates = {}
        for enc in ("gb18030", "big5"):
            try:
                candidates[enc] = data.decode(enc)
            except UnicodeDecodeError:
                pass
        if len(candidates) > 1:
            # GB18030 decodes almost any byte string, Big5 included: let the detector choose between the two
            enc = _detect(data, ["gb18030", "big5"])
            candidates = {enc: candidates[enc]} if enc in candidates else {"gb18030": candidates["gb18030"]}
        if not candidates:
            enc = _detect(data, None)
            if enc:
                try:
                    candidates[enc] = data.decode(enc)
                except (UnicodeDecodeError, LookupError):
                    pass
        for enc, text in candidates.items():
            if _plausible(text):
                return text, enc
        raise ReadError(
            f"is neither UTF-8, UTF-16, GB18030/GBK nor Big5 text ({utf8_error.reason})",
            path,
            f"byte {utf8_error.start}",
        )


def _detect(data: bytes, among: list[str] | None) -> str | None:
    """charset-normalizer's best guess (only among ``among`` when given), as a Python codec name."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=among).best()
    return best.encoding if best is not None else None


_FRAGMENT = re.compile(rb"^\s*(?:<!--.*?-->\s*)?<(?:tbody|tr|td|table|div|p|span|section|article)\b", re.I | re.S)


def _sniff(data: bytes, suffix: str) -> str:
    head = data[:2048].lstrip()
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    lowered = head[:512].lower()
    if suffix in HTML_SUFFIXES or lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:200]:
        return "html"
    if _FRAGMENT.match(head[:512]):
        return "html"  # a content fragment cut out of a page (a crawl's database column)
    if suffix in MARKDOWN_SUFFIXES or head.startswith(b"Title:"):
        return "markdown"
    return "text"


def _html_text(data: bytes, path: str):
    """An HTML page (or a content fragment): (main text, encoding, :class:`PageText` with its title and fields)."""
    from .html import extract_page

    encoding = None
    m = re.search(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", data[:4096], re.I)
    if m:
        encoding = m.group(1).decode("ascii").lower()
    if encoding in ("gb2312", "gbk"):
        encoding = "gb18030"  # the superset: pages labelled gb2312 often use GBK characters
    if encoding:
        try:
            markup = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            markup, encoding = decode_text(data, path)
    else:
        markup, encoding = decode_text(data, path)
    page = extract_page(markup, path)
    return page.text, encoding, page


def _pdf_text(data: bytes, path: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise ReadError("is an encrypted PDF", path)
        pages = []
        for i, page in enumerate(reader.pages, start=1):
            try:
                pages.append(page.extract_text() or "")
            except Exception as exc:  # pypdf raises many types on damaged pages
                raise ReadError(f"PDF page could not be read ({exc})", path, f"page {i}")
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise ReadError(f"is not a readable PDF ({exc})", path)
    text = "\n".join(pages)
    if len(_CJK.findall(text)) + len(re.findall(r"[A-Za-z]", text)) < 10:
        raise ReadError("is a PDF without a text layer (a scan?); policykg does not do OCR", path)
    return text


def _docx_text(data: bytes, path: str) -> str:
    try:
        import docx  # python-docx
        from docx.oxml.ns import qn
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise ReadError(f"cannot read DOCX: {exc}", path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "word/document.xml" not in z.namelist():
                raise ReadError("is a ZIP archive but not a DOCX document (no word/document.xml)", path)
        document = docx.Document(io.BytesIO(data))
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"is not a readable DOCX document ({exc})", path)
    lines = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append("".join(t.text or "" for t in child.iter(qn("w:t"))))
        elif child.tag == qn("w:tbl"):
            for row in child.iter(qn("w:tr")):
                cells = ["".join(t.text or "" for t in cell.iter(qn("w:t"))) for cell in row.iter(qn("w:tc"))]
                lines.append("\t".join(cells))
    return "\n".join(lines)


def read_bytes(data: bytes, path: str) -> SourceText:
    """Turn the bytes of one file into a :class:`SourceText`, or raise :class:`ReadError`."""
    if not data:
        raise ReadError("is empty (0 bytes)", path)
    suffix = Path(path).suffix.lower()
    if suffix == ".doc":
        raise ReadError("is a legacy Word .doc file; save it as DOCX or PDF", path)
    fmt = _sniff(data, suffix)
    check_input(data, fmt, suffix, path)  # size caps, a name that lies about the format, ZIP bombs
    if fmt == "text":
        for magic, what in _MAGIC:
            if data.startswith(magic):
                raise ReadError(f"is {what}, not a policy document", path, "byte 0")
    encoding = None
    meta: dict[str, str] = {}
    if fmt == "pdf":
        text = _pdf_text(data, path)
    elif fmt == "docx":
        text = _docx_text(data, path)
    elif fmt == "html":
        text, encoding, page = _html_text(data, path)
        meta = dict(page.fields)
        if page.title and "标题" not in meta:
            meta["标题"] = page.title
    else:
        text, encoding = decode_text(data, path)
    if not text.strip():
        raise ReadError("contains no text", path)
    if not any(line.strip() and not PAGE_LINE.match(line.strip()) for line in text.splitlines()):
        raise ReadError("contains no text, only page markers (a PDF whose text extraction failed?)", path)
    if fmt == "text" and is_markdown(text, suffix):
        fmt = "markdown"
    return SourceText(
        path=path,
        format=fmt,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        encoding=encoding,
        meta=meta,
    )


def sidecar_fields(data: bytes, path: str) -> dict[str, str]:
    """Labelled fields of a JSON sidecar: every string value whose key is a label of an information table
    (发文字号, 成文日期 …), at any depth. Other keys are ignored: a crawler's own columns are not trusted."""
    import json

    try:
        record = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReadError(f"is a JSON sidecar that is not valid JSON ({exc})", path)
    found: dict[str, str] = {}
    stack = [record]
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        node = stack.pop(0)
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, str) and INFO_LABEL.fullmatch(str(k).strip().rstrip("：:")) and v.strip():
                    found.setdefault(str(k).strip().rstrip("：:"), v.strip())
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def sidecar_of(path: Path) -> Path | None:
    """The JSON sidecar of a document file, if there is one beside it."""
    if path.suffix.lower() == SIDECAR_SUFFIX:
        return None
    side = path.with_suffix(SIDECAR_SUFFIX)
    return side if side.is_file() else None


def is_sidecar(path: Path) -> bool:
    """A JSON file beside a document file of the same name (its metadata, not a document)."""
    if path.suffix.lower() != SIDECAR_SUFFIX:
        return False
    return any(p.is_file() and p != path and p.stem == path.stem for p in path.parent.glob(glob_escape(path.stem) + ".*"))


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


#: a collection's file name that ends in the version's date: 杭州市物业管理条例(2021-08-09).md
VERSION_IN_NAME = re.compile(r"[（(](?P<date>(?:19|20)\d{2}-\d{2}-\d{2})[)）]\.[A-Za-z]+$")


def read_file(path: str | Path) -> SourceText:
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise ReadError("is a directory", str(p))
    except FileNotFoundError:
        raise ReadError("does not exist", str(p))
    except PermissionError:
        raise ReadError("cannot be read (permission denied)", str(p))
    except OSError as exc:
        raise ReadError(f"cannot be read ({exc.strerror})", str(p))
    if p.suffix.lower() == SIDECAR_SUFFIX:
        raise ReadError("is a JSON file: policykg reads JSON only as the metadata sidecar of a document file "
                        "with the same name (X.json beside X.html)", str(p))
    source = read_bytes(data, str(p))
    side = sidecar_of(p)
    if side is not None:
        try:
            fields = sidecar_fields(side.read_bytes(), str(side))
        except OSError as exc:
            raise ReadError(f"its sidecar {side.name} cannot be read ({exc.strerror})", str(p))
        source.meta = {**fields, **source.meta}  # what the page itself carries wins
    m = VERSION_IN_NAME.search(p.name)
    if m:
        source.meta.setdefault("版本日期", m["date"])
    return source
