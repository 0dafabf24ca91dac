"""`costmodel schema`: the JSON Schema of the spec format (for editors), or a check against it."""

from __future__ import annotations

import json
import sys


def add_parser(sub):
    p = sub.add_parser("schema", help="print the JSON Schema of the spec format (draft 2020-12)")
    p.add_argument("--validate", metavar="SPEC", nargs="+",
                   help="instead, check spec files against the schema (exit 1 if one does not fit)")
    return p


def run(args) -> int:
    from ..schema import schema, validate

    document = schema()
    if not args.validate:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    from ..errors import SpecError
    from ..spec import MAX_FILE_BYTES, _read_yaml

    status = 0
    for path in args.validate:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError as e:
            raise SpecError(f"cannot read spec: {e.strerror or e}", file=path) from None
        if len(data) > MAX_FILE_BYTES:
            raise SpecError(f"spec is larger than {MAX_FILE_BYTES} bytes", file=path, line=1, column=1)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SpecError(f"spec is not UTF-8 text (byte {e.start})", file=path, line=1, column=1) from None
        problems = validate(_read_yaml(text, path), document)
        for problem in problems:
            sys.stdout.write(f"{path}: {problem}\n")
        if not problems:
            sys.stdout.write(f"{path}: fits the schema\n")
        status = status or (1 if problems else 0)
    return status
