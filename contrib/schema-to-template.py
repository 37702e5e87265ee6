#!/usr/bin/env python3
"""schema-to-template.py - the Elasticsearch/OpenSearch index template for
starttls-inspect's NDJSON, generated from its JSON Schema.

  schema-to-template.py SCHEMA.json > index-template.json

Every field of every object kind (session, inventory, summary) gets the
mapping its schema type asks for: date-time strings "date", addresses "ip",
integers "long", numbers "double", booleans "boolean", other strings
"keyword" (explanations and remediations "text" too), objects "object"
(their own fields mapped the same way), arrays the mapping of their items.
A field two kinds define differently is an error: one index holds all.
"""
import json
import sys

TEXT_FIELDS = ("verdict.explanation", "verdict.remediation")


def resolve(node, defs):
    while "$ref" in node:
        node = {**defs[node["$ref"].rsplit("/", 1)[1]],
                **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def is_ip(node):
    return any(alt.get("format") in ("ipv4", "ipv6") for alt in node.get("anyOf", []))


def types_of(node):
    t = node.get("type")
    if isinstance(t, list):
        return [x for x in t if x != "null"]
    if t:
        return [t]
    for key in ("anyOf", "oneOf"):
        if key in node:
            return sorted({x for alt in node[key] for x in types_of(alt)})
    return []


def mapping(name, node, defs):
    node = resolve(node, defs)
    if is_ip(node):
        return {"type": "ip"}
    types = types_of(node)
    if "array" in types and "items" in node:
        return mapping(name, node["items"], defs)
    if "object" in types:
        props = {k: mapping(k, v, defs) for k, v in sorted(node.get("properties", {}).items())}
        return {"type": "object", "properties": props} if props else {"type": "object", "enabled": False}
    if "string" in types:
        if node.get("format") == "date-time":
            return {"type": "date"}
        if name in TEXT_FIELDS:
            return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}
        return {"type": "keyword", "ignore_above": 1024}
    if "integer" in types:
        return {"type": "long"}
    if "number" in types:
        return {"type": "double"}
    if "boolean" in types:
        return {"type": "boolean"}
    # No type: constants and enumerations of booleans or strings.
    if isinstance(node.get("const"), bool):
        return {"type": "boolean"}
    if isinstance(node.get("const"), str) or \
            all(isinstance(x, str) or x is None for x in node.get("enum", [0])):
        return {"type": "keyword", "ignore_above": 1024}
    raise SystemExit("%s: no mapping for %s" % (name, json.dumps(node)[:200]))


def main(argv):
    schema = json.load(open(argv[1], encoding="utf-8"))
    defs = schema["$defs"]
    fields = {}
    for kind in schema["oneOf"]:
        for name, node in resolve(kind, defs)["properties"].items():
            m = mapping(name, node, defs)
            if fields.setdefault(name, m) != m:
                raise SystemExit("%s: mapped two ways: %s and %s" % (name, fields[name], m))
    template = {
        "index_patterns": ["starttls-inspect-*"],
        "template": {
            "settings": {"index": {"mapping": {"total_fields": {"limit": 2000}}}},
            "mappings": {"dynamic": False, "properties": dict(sorted(fields.items()))},
        },
        "_meta": {"description": "starttls-inspect NDJSON, from " + schema.get("title", "its schema")},
    }
    json.dump(template, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
