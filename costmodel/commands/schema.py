"""`costmodel schema`: the JSON Schema of the spec format (for editors), or a check against it."""

from __future__ import annotations

import json
import sys

from ..cli import examples


def add_parser(sub):
    p = sub.add_parser("schema", help="print the JSON Schema of the spec format (draft 2020-12)",
                       epilog=examples("costmodel schema > costmodel.schema.json",
                                       "costmodel schema --validate my_network.yaml"))
    p.add_argument("--validate", metavar="SPEC", nargs="+",
                   help="instead, check spec files against the schema (exit 1 if one does not fit)")
    return p


def run(args) -> int:
    from ..outputs.schema import schema, validate

    document = schema()
    if not args.validate:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    from ..spec import read_yaml

    status = 0
    for path in args.validate:
        problems = validate(read_yaml(path), document)
        for problem in problems:
            sys.stdout.write(f"{path}: {problem}\n")
        if not problems:
            sys.stdout.write(f"{path}: fits the schema\n")
        status = status or (1 if problems else 0)
    return status
