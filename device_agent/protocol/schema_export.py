"""Write protocol/schemas/*.json from the models.

Run `python -m device_agent.protocol.schema_export`.

Use `--check` to exit 1 when the committed files differ from what the models produce.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from device_agent.protocol.codec import MODEL_FOR_KIND

SCHEMA_DIR = Path(__file__).with_name("schemas")


def generated_schemas() -> dict[str, str]:
    out: dict[str, str] = {}
    for kind, model in MODEL_FOR_KIND.items():
        schema = model.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"aed/v1/{kind.value}.json"
        out[f"{kind.value}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    wanted = generated_schemas()
    if args.check:
        stale = [
            name
            for name, text in wanted.items()
            if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text() != text
        ]
        for name in stale:
            print(f"stale schema: {name}", file=sys.stderr)
        return 1 if stale else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in wanted.items():
        (SCHEMA_DIR / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
