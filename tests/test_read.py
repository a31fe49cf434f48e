"""Readers: encodings detected (not assumed), PDF text layer, DOCX, and clear refusals."""
from __future__ import annotations

import io
import zipfile

import pytest

from policykg.errors import ReadError
from policykg.loaders.parse import parse_source
from policykg.loaders.read import read_bytes, read_file

from helpers import FILES

TEXT = FILES["004"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("gbk", errors="strict"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),  # with BOM
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # without BOM
        (TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_encodings_are_detected(data, encoding):
    src = read_bytes(data, "jiading.txt")
    assert src.encoding == encoding
    assert src.text.lstrip("\ufeff") == TEXT
    docs = parse_source(src).documents
    assert [d.number for d in docs] == ["嘉府办发〔2024〕2号", None]


def test_pdf_text_layer_is_read(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "reg.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    lines = ["上海市森林管理规定", "第一条（目的和依据）", "为了保护森林资源，制定本规定。",
             "第二条（适用范围）", "本市行政区域内的森林管理活动，适用本规定。", "—２—"]
    for i, line in enumerate(lines):
        c.drawString(50, 800 - 20 * i, line)
    c.showPage()
    c.save()
    src = read_file(path)
    assert src.format == "pdf"
    [doc] = parse_source(src).documents
    assert doc.doc_type == "regulation"
    assert [p.heading for p in doc.provisions] == ["目的和依据", "适用范围"]


def test_docx_paragraphs_and_tables_are_read(tmp_path):
    import docx

    d = docx.Document()
    for p in ["上海市某区优化营商环境行动方案", "一、总体目标", "全面优化营商环境。持续提升服务能级。"]:
        d.add_paragraph(p)
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "牵头单位"
    table.cell(0, 1).text = "区商务委"
    path = tmp_path / "plan.docx"
    d.save(path)
    src = read_file(path)
    assert src.format == "docx"
    assert "牵头单位\t区商务委" in src.text
    [doc] = parse_source(src).documents
    assert doc.doc_type == "action-plan"
    measures = [p for p in doc.walk() if p.kind == "measure"]
    assert [m.text for m in measures][:2] == ["全面优化营商环境。", "持续提升服务能级。"]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "is empty (0 bytes)"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "is a PNG image"),
        ("old.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "legacy Word .doc"),
        ("nul.txt", b"abc\x00\x01\x02\x03" * 10, "is a binary file"),
        ("latin1.txt", "Résumé — naïve café".encode("cp1252") * 20, "neither UTF-8, UTF-16, GB18030/GBK nor Big5"),
        ("broken.pdf", b"%PDF-1.4\n garbage", "not a readable PDF"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(name, data, message):
    with pytest.raises(ReadError) as info:
        read_bytes(data, name)
    assert info.value.source == name
    assert message in str(info.value)


def test_zip_that_is_not_docx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ReadError, match="not a DOCX document"):
        read_bytes(buf.getvalue(), "archive.docx")


def test_pdf_without_text_layer_is_refused(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 200, 200, fill=1)
    c.showPage()
    c.save()
    with pytest.raises(ReadError, match="without a text layer"):
        read_file(path)


def test_text_of_only_page_markers_is_refused(tmp_path):
    """A PDF's failed text extraction: page markers and nothing else is not a document."""
    import pytest

    from policykg.errors import ReadError
    from policykg.loaders.read import read_file

    p = tmp_path / "failed.txt"
    p.write_text("".join(f"===PAGE {i}===\n\n" for i in range(1, 40)), encoding="utf-8")
    with pytest.raises(ReadError) as err:
        read_file(p)
    assert "failed.txt" in str(err.value) and "only page markers" in str(err.value)
    # the same markers between real lines are dropped, the text kept
    p.write_text("===PAGE 1===\n某市关于加强管理的通知\n各区人民政府：\n现通知如下。\n===PAGE 2===\n一、加强管理。\n", encoding="utf-8")
    assert "某市关于加强管理的通知" in read_file(p).text
