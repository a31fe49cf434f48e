"""The command line: help that documents settings, a build summary, stats, default store from the environment."""
from __future__ import annotations

import json

from helpers import FILES, run_cli


def test_help_lists_commands_and_settings():
    r = run_cli("--help")
    assert r.returncode == 0
    for word in ("build", "query", "stats", "serve", "queries", "POLICYKG_STORE", "POLICYKG_BASE"):
        assert word in r.stdout
    r = run_cli("query", "--help")
    assert "documents" in r.stdout and "measures" in r.stdout and "--param" in r.stdout


def test_store_location_from_the_environment(tmp_path):
    env = {"POLICYKG_STORE": str(tmp_path / "envstore")}
    r = run_cli("build", "--no-reason", str(FILES["003"]), env=env)
    assert r.returncode == 0, r.stderr
    assert "11 document(s) found, 11 graph(s) written" in r.stdout
    stats = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert stats["documents"] == 11 and stats["articles"] == 32
    assert stats["documents by type"]["interpretation"] == 2


def test_debug_dir_dumps_intermediate_records(tmp_path):
    r = run_cli("build", "--no-reason", str(FILES["004"]), "--store", str(tmp_path / "s"), "--debug-dir", str(tmp_path / "dbg"))
    assert r.returncode == 0
    record = json.loads((tmp_path / "dbg" / (FILES["004"].name + ".json")).read_text(encoding="utf-8"))
    assert record["normalised_lines"][1] == "嘉府办发〔2024〕2号"
    assert [d["number"] for d in record["documents"]] == ["嘉府办发〔2024〕2号", None]


def test_queries_command_lists_the_library():
    r = run_cli("queries", "--json")
    names = {q["name"] for q in json.loads(r.stdout)}
    assert {"documents", "measures", "promulgations"} <= names
