#!/usr/bin/env python3
"""Write the verdict lists of include/sti/verdict.h into the documents that
repeat them: the README's outcome, cause and reason tables, and the JSON
Schema's enums and count objects. The lists come from the program's own
tables (docs/gen-verdict-mdoc --json), so a reason added to verdict.h
reaches every document, and a document cannot list a reason the program
does not have.

Usage: sync-verdict-lists.py [--check] LISTS.json SRCDIR
  --check  change nothing; print which file is stale and exit 1 if any is
"""
import json
import sys

BEGIN = "<!-- verdict lists: generated from include/sti/verdict.h by docs/sync-verdict-lists.py -->"
END = "<!-- end of verdict lists -->"


def readme_block(lists):
    """The README's tables, between the markers."""
    lines = [BEGIN, "", "| outcome | meaning |", "| --- | --- |"]
    lines += ["| `%s` | %s |" % (o["code"], o["description"]) for o in lists["outcomes"]]
    lines += ["", "The cause is one of %s." % ", ".join("`%s`" % c["code"] for c in lists["causes"]), ""]
    lines += ["| reason | meaning |", "| --- | --- |"]
    for r in lists["reasons"]:
        rpt = " (TLS-RPT `%s`)" % r["tlsrpt"] if "tlsrpt" in r else ""
        lines.append("| `%s` | %s%s |" % (r["code"], r["description"], rpt))
    lines += ["", END]
    return "\n".join(lines)


def synced_readme(text, lists):
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit("README.md: the verdict-list markers are missing")
    return text[:start] + readme_block(lists) + text[end + len(END):]


def set_counts(obj, codes):
    """A summary object of counts: one property per code, all required."""
    obj["properties"] = {c: {"$ref": "#/$defs/count"} for c in codes}
    if "required" in obj:
        obj["required"] = list(codes)


def synced_schema(schema, lists):
    codes = {k: [e["code"] for e in lists[k]] for k in ("outcomes", "causes", "reasons")}
    defs = schema["$defs"]
    session = defs["session"]["properties"]
    session["verdict.outcome"]["enum"] = codes["outcomes"]
    session["verdict.cause"]["enum"] = codes["causes"]
    session["verdict.reason"]["enum"] = codes["reasons"]
    summary = defs["summary"]["properties"]
    set_counts(summary["outcome"], codes["outcomes"])
    set_counts(summary["cause"], codes["causes"])
    set_counts(summary["reason"], codes["reasons"])
    set_counts(defs["inventory"]["properties"]["inventory.outcome"], codes["outcomes"])
    return schema


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 2:
        raise SystemExit(__doc__)
    with open(args[0]) as f:
        lists = json.load(f)
    srcdir = args[1]
    readme_path = srcdir + "/README.md"
    schema_path = srcdir + "/docs/starttls-inspect.schema.json"
    with open(readme_path) as f:
        readme = f.read()
    with open(schema_path) as f:
        schema_text = f.read()
    new = {
        readme_path: (readme, synced_readme(readme, lists)),
        schema_path: (schema_text, json.dumps(synced_schema(json.loads(schema_text), lists),
                                              indent=2, ensure_ascii=False) + "\n"),
    }
    stale = [p for p, (old, want) in new.items() if old != want]
    for p in stale:
        if check:
            print("%s: the verdict lists differ from include/sti/verdict.h; "
                  "run docs/sync-verdict-lists.py" % p)
        else:
            with open(p, "w") as f:
                f.write(new[p][1])
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
