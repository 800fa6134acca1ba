#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Validates xen-numastat --json outputs against the JSON Schema
(make formats-check): each FILE.json is one document, each FILE.jsonl one
document per line (watch mode). Uses Debian's python3-jsonschema."""
import json
import sys
from pathlib import Path

import jsonschema


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: check-json.py SCHEMA FILE|DIR...")
    schema = json.loads(Path(sys.argv[1]).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    files = []
    for a in map(Path, sys.argv[2:]):
        files += sorted(a.glob("*.json*")) if a.is_dir() else [a]
    docs = bad = 0
    for f in files:
        lines = f.read_text().splitlines() if f.suffix == ".jsonl" else [f.read_text()]
        for n, text in enumerate(lines, 1):
            docs += 1
            for e in validator.iter_errors(json.loads(text)):
                bad += 1
                where = "/".join(map(str, e.absolute_path))
                print(f"{f.name}:{n}: /{where}: {e.message}")
    if not docs:
        sys.exit("check-json.py: no JSON documents found")
    print(f"check-json.py: {docs} documents in {len(files)} files, {bad} errors "
          f"({cls.__name__})")
    sys.exit(1 if bad else 0)


main()
