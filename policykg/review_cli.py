"""``policykg review``: accept or reject a follow-up link or a gap, list, export and import reviews
(the model and the checks are :mod:`policykg.review`)."""
from __future__ import annotations

import argparse
import json
import sys

from policykg.errors import PolicyKGError

REVIEW_HELP = """An auditor's verdict on the follow-up audit (`policykg audit`), kept in the graph graph/reviews.

  policykg review reject --district 嘉定 --city-measure IRI --district-measure IRI --reviewer 张三 --reason "…"
      the follow-up link from the district measure to the city measure is wrong: it no longer counts as a
      follow-up, and the city measure becomes a gap (link-rejected-by-review) unless another link remains
  policykg review reject --district 嘉定 --city-measure IRI --reviewer 张三 --reason "…"
      the gap is not one: the district covers the city measure (counted as followedAfterReview)
  policykg review accept …   the link is a follow-up, or the gap is one

Take the IRIs from the audit (`policykg audit --format json`: cityMeasure, districtMeasure). Reviewing the same
link or gap again replaces the verdict (the latest wins). No build writes graph/reviews: reviews survive every
re-build; `review export FILE` and `review import FILE` carry them to a store built from scratch. The audit
shows every verdict and the figures after review (docs/audit.md)."""

_FLAGS = {"district": "--district", "cityMeasure": "--city-measure", "districtMeasure": "--district-measure",
          "reviewer": "--reviewer", "reason": "--reason", "verdict": "accept|reject"}


def add_parsers(sub, common, epilog: str) -> None:
    r = sub.add_parser("review", help="accept or reject a follow-up link or a gap of the audit; list, export, import reviews",
                       description=REVIEW_HELP, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    rs = r.add_subparsers(dest="review_command", metavar="accept|reject|list|export|import")
    rs.required = True
    for verb, verdict, text in (("accept", "accepted", "the link is a follow-up, or the gap is a gap"),
                                ("reject", "rejected", "the link is not a follow-up, or the gap is not a gap (the district covers it)")):
        v = rs.add_parser(verb, help=f"{verb}: {text}",
                          description=f"Record the verdict {verdict!r} ({text}) on a follow-up link (with "
                                      "--district-measure) or on a gap (without). The city measure must be a measure of "
                                      "a city plan the district's plans answer; the district measure one of a plan of "
                                      "the district, linked to the city measure by a follow-up link of the store.",
                          epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
        common(v)
        v.add_argument("--district", required=True, metavar="NAME|CODE",
                       help="the district, as the audit's --district: name 杨浦区, short name 杨浦 or code 310110")
        v.add_argument("--city-measure", required=True, metavar="IRI", help="the city measure (the audit's cityMeasure)")
        v.add_argument("--district-measure", metavar="IRI",
                       help="the district measure of the follow-up link (the audit's districtMeasure); without it the "
                            "review is about the gap of the city measure in the district")
        v.add_argument("--reviewer", required=True, metavar="NAME", help="who gives the verdict (at most 200 characters)")
        v.add_argument("--reason", metavar="TEXT", help="why (optional, at most 2,000 characters)")
        v.add_argument("--json", action="store_true", help="print the review recorded as JSON")
        v.set_defaults(verdict=verdict)

    ls = rs.add_parser("list", help="the reviews in the store",
                       description="List every review (or one district's): kind, verdict, reviewer, time, reason and what "
                                   "it is about; a review whose measures are no longer in the store is marked so.",
                       epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(ls)
    ls.add_argument("--district", metavar="NAME|CODE", help="only this district's (name, short name or code)")
    ls.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json")

    ex = rs.add_parser("export", help="write every review to a JSON file",
                       description="Write every review of the store to FILE (JSON: {\"format\": \"policykg-reviews\", "
                                   "\"version\": 1, \"reviews\": [...]}; - for standard output), to import it into a store "
                                   "built from scratch with `policykg review import FILE`.",
                       epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(ex)
    ex.add_argument("file", metavar="FILE", help="the file to write (- for standard output)")

    im = rs.add_parser("import", help="read reviews from a JSON file written by `review export`",
                       description="Write the reviews of FILE (from `policykg review export`) into the store, every value "
                                   "checked first (nothing is written when one is bad). For a link or gap the store has "
                                   "already reviewed, the later verdict wins. Reviews about measures or districts the "
                                   "store does not hold are written all the same and listed as a warning.",
                       epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(im)
    im.add_argument("file", metavar="FILE", help="the file to read (- for standard input)")


def _flagged(exc) -> PolicyKGError:
    """A ReviewError with the command-line option it concerns in front."""
    return PolicyKGError(exc.reason, _FLAGS.get(exc.field, ""), kind="usage")


def cmd_review(args) -> int:
    return {"accept": _verdict, "reject": _verdict, "list": _list, "export": _export, "import": _import}[args.review_command](args)


def _settings_store(args, read_only: bool = False):
    from policykg.cli import open_store
    from policykg.settings import Settings

    return Settings.from_env(args.store, getattr(args, "base", None)), open_store(args, read_only=read_only)


def _verdict(args) -> int:
    from policykg import review

    settings, store = _settings_store(args)
    try:
        rev, before = review.record(store, settings.base, args.district, args.city_measure, args.verdict, args.reviewer,
                                    args.reason, args.district_measure)
    except review.ReviewError as exc:
        raise _flagged(exc) from None
    if args.json:
        print(json.dumps({"iri": rev.iri, **rev.as_dict()}, ensure_ascii=False, indent=2))
        return 0
    what = f"the follow-up link {rev.district_measure} → {rev.city_measure}" if rev.district_measure \
        else f"the gap of {rev.city_measure} in {args.district}"
    print(f"{rev.verdict}: {what}, by {rev.reviewer} at {rev.created} ({rev.iri})")
    if before is not None:
        print(f"  replaces the verdict {before.verdict!r} by {before.reviewer} at {before.created}")
    return 0


def _list(args) -> int:
    from policykg import review
    from policykg.queries import rows

    _, store = _settings_store(args, read_only=True)
    district = None
    if args.district:
        try:
            district = review.find_district(store, args.district)["d"]
        except review.ReviewError as exc:
            raise _flagged(exc) from None
    items = review.reviews(store, district)
    missing = review.missing_subjects(store, items)
    names = {r["d"]: r["name"] for r in review.districts(store)}
    measures = sorted({m for r in items for m in (r.city_measure, r.district_measure) if m})
    paths = {}
    for i in range(0, len(measures), 300):
        values = " ".join(review._t(m) for m in measures[i:i + 300])
        paths.update({r["m"]: r["path"] for r in rows(store, f"SELECT ?m ?path WHERE {{ VALUES ?m {{ {values} }} ?m pkg:path ?path }}")})
    if args.format == "json":
        print(json.dumps([{"iri": r.iri, **r.as_dict(), "inStore": r.iri not in missing} for r in items],
                         ensure_ascii=False, indent=2))
        return 0
    for r in items:
        about = (f"link {paths.get(r.city_measure, r.city_measure)} ← {paths.get(r.district_measure, r.district_measure)}"
                 if r.district_measure else f"gap  {paths.get(r.city_measure, r.city_measure)}")
        print(f"{r.verdict:<8} {names.get(r.district, r.district)}  {about}  by {r.reviewer}, {r.created}"
              + (" [not in the store]" if r.iri in missing else ""))
        if r.reason:
            print(f"         reason: {r.reason}")
    print(f"({len(items)} review{'s' if len(items) != 1 else ''})")
    return 0


def _export(args) -> int:
    from policykg import review

    _, store = _settings_store(args, read_only=True)
    data = review.export(store)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.file, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise PolicyKGError(f"cannot write it: {exc.strerror or exc}", args.file, kind="usage")
    print(f"wrote {len(data['reviews'])} review(s) to {args.file}", file=sys.stderr)
    return 0


def _import(args) -> int:
    from policykg import review

    try:
        text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
        data = json.loads(text)
    except OSError as exc:
        raise PolicyKGError(f"cannot read it: {exc.strerror or exc}", args.file, kind="usage")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyKGError(f"is not a JSON review export ({exc})", args.file, kind="usage")
    settings, store = _settings_store(args)
    try:
        counts = review.import_reviews(store, settings.base, data)
    except review.ReviewError as exc:
        raise PolicyKGError(exc.reason, args.file, kind="usage") from None
    print(f"read {counts['read']} review(s) from {args.file}: {counts['written']} written ({counts['replaced']} replacing "
          f"an earlier verdict), {counts['keptNewer']} kept as the store had a later verdict")
    for r in counts["notInStore"]:
        print(f"  warning: the store holds no measure or district of this {r['kind']} review (written all the same): "
              f"{r.get('districtMeasure', r['district'])} / {r['cityMeasure']}", file=sys.stderr)
    return 0
