"""Bad input: a clear error naming the file and what was wrong; good files still load; the store keeps what it had."""
from __future__ import annotations

import json
import shutil

import pytest

from helpers import CORPUS, FILES, run_cli

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>上海市人民政府</title></head>
<body>
<div class="top-nav"><a href="/">首页</a><a href="/xxgk">信息公开</a><a href="/zwdt">政务动态</a></div>
<div class="breadcrumb">您当前的位置：首页 &gt; 政策文件</div>
<div class="main">
  <h1>上海市徐汇区持续优化提升营商环境行动方案</h1>
  <div class="Article_content" id="ivs_content">
    <p>为深入贯彻落实党中央、国务院关于优化营商环境的重大部署，制定本方案。</p>
    <p>一、总体目标</p>
    <p>全面推进营商环境改革，提振市场主体信心。</p>
    <p>二、重点任务</p>
    <p>（一）市场准入</p>
    <p>全面推行“市场主体身份码”。完善企业名称争议处理机制。</p>
  </div>
  <div class="share-bar">分享到：微信 微博</div>
</div>
<div class="footer">主办：上海市人民政府办公厅 版权所有 沪ICP备 12345678号</div>
<script>var tracking = "一、不该出现";</script>
</body></html>"""


@pytest.fixture()
def mixed_folder(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (folder / "jiading-gb18030.txt").write_bytes(FILES["004"].read_text(encoding="utf-8").encode("gb18030"))
    (folder / "xuhui.html").write_text(HTML_PAGE, encoding="utf-8")
    return folder


def test_folder_with_bad_files_loads_the_good_ones(tmp_path, mixed_folder):
    store = tmp_path / "store"
    r = run_cli("build", "--no-reason", str(mixed_folder), "--store", str(store), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in summary["files"]}
    assert by_name["jiading-gb18030.txt"]["ok"] and len(by_name["jiading-gb18030.txt"]["documents"]) == 2
    assert by_name["xuhui.html"]["ok"] and by_name["xuhui.html"]["documents"] == ["上海市徐汇区持续优化提升营商环境行动方案"]
    for bad in ("empty.txt", "image.txt", "blob.bin"):
        assert not by_name[bad]["ok"]
    assert summary["documents"] == 3
    # messages name the file and say what was wrong
    assert "empty.txt: is empty (0 bytes)" in r.stderr
    assert "image.txt: byte 0: is a PNG image" in r.stderr
    assert "blob.bin: byte 0: is a binary file, not text (it contains NUL bytes)" in r.stderr


def test_strict_makes_bad_files_fail_the_build(tmp_path, mixed_folder):
    r = run_cli("build", "--no-reason", str(mixed_folder), "--store", str(tmp_path / "s"), "--strict")
    assert r.returncode == 1
    assert "errors: 3" in r.stdout


def test_html_keeps_the_main_content_only(tmp_path, mixed_folder):
    store = tmp_path / "store"
    run_cli("build", "--no-reason", str(mixed_folder / "xuhui.html"), "--store", str(store))
    r = run_cli("query", "-e", "SELECT ?t WHERE { ?p pkg:text ?t }", "--store", str(store), "--format", "csv")
    assert r.returncode == 0, r.stderr
    assert "市场主体身份码" in r.stdout
    for boilerplate in ("首页", "您当前的位置", "分享到", "版权所有", "不该出现"):
        assert boilerplate not in r.stdout


def test_bad_files_leave_the_store_as_it_was(tmp_path, mixed_folder):
    store = tmp_path / "store"
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(store)).returncode == 0
    before = run_cli("stats", "--store", str(store), "--json")
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("empty.txt", "image.txt", "blob.bin"):
        shutil.copy(mixed_folder / name, bad / name)
    r = run_cli("build", "--no-reason", str(bad), "--store", str(store))
    assert r.returncode == 0 and "errors: 3" in r.stdout
    after = run_cli("stats", "--store", str(store), "--json")
    assert json.loads(after.stdout) == json.loads(before.stdout)


def test_missing_path_and_missing_store_are_reported(tmp_path):
    r = run_cli("build", "--no-reason", str(tmp_path / "nope.txt"), "--store", str(tmp_path / "s"))
    assert "nope.txt: does not exist" in r.stderr
    r = run_cli("query", "documents", "--store", str(tmp_path / "no-store"))
    assert r.returncode == 2
    assert "is not a policykg store" in r.stderr


def test_malformed_query_and_unknown_parameter_exit_2(built, tmp_path):
    store = tmp_path / "s"
    run_cli("build", "--no-reason", str(FILES["001"]), "--store", str(store))
    r = run_cli("query", "-e", "SELECT ?x WHERE { ?x ?y", "--store", str(store))
    assert r.returncode == 2 and "malformed SPARQL" in r.stderr
    r = run_cli("query", "measures", "--param", "bogus=1", "--store", str(store))
    assert r.returncode == 2 and "unknown parameter(s) bogus" in r.stderr
    r = run_cli("query", "no-such-query", "--store", str(store))
    assert r.returncode == 2 and "no such named query" in r.stderr
