"""Agencies named by documents: their level of government, read from the name.

A first step; the authority list of the entities issue will replace guessing by
look-up. ``level`` is one of national, city, district, town, or None.
"""
from __future__ import annotations

import re

_NATIONAL = re.compile(r"^(国务院|中华人民共和国|中共中央|全国|国家|中国人民银行|海关总署|[\u4e00-\u9fff]{2,6}部$)")
_TOWN = re.compile(r"(街道办事处|街道|镇人民政府|乡人民政府|镇|乡)$")
_DISTRICT = re.compile(r"^(?:[\u4e00-\u9fff]{2,4}市)?[\u4e00-\u9fff]{1,5}?(?:新区|区|县)(?:人民政府|政府|委员会|办公室|办公厅|[\u4e00-\u9fff]{0,10}(?:局|委|办|中心))")
_CITY = re.compile(r"^(?:[\u4e00-\u9fff]{1,4}市|市)")
_BARE_DISTRICT = re.compile(r"^区[\u4e00-\u9fff]")


def agency_level(name: str) -> str | None:
    if _NATIONAL.match(name):
        return "national"
    if _TOWN.search(name):
        return "town"
    if _DISTRICT.match(name) or _BARE_DISTRICT.match(name):
        return "district"
    if _CITY.match(name):
        return "city"
    return None
