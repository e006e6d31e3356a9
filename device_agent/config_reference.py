"""Markdown reference of every agent config key and driver option, from the models.

    python -m device_agent.config_reference            # print it
    python -m device_agent.config_reference --write docs/agent.md

`--write` replaces the text between the BEGIN/END markers of the given file.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from device_agent.config import AgentConfig, DeviceConfig
from device_agent.drivers import DRIVER_MODULES, driver_class

BEGIN = "<!-- BEGIN CONFIG REFERENCE (generated: python -m device_agent.config_reference) -->"
END = "<!-- END CONFIG REFERENCE -->"


def _type_name(annotation: Any) -> str:
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    text = re.sub(r"<class '([\w.]+)'>", r"\1", text)
    text = re.sub(r"\b(?:[a-z_]\w*\.)+(\w+)", r"\1", text)  # drop module paths
    text = text.replace("NoneType", "None").replace(" | None", " (optional)")
    return text.replace("|", "or")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        return "(see section)" if isinstance(info.default_factory, type) else "`[]`"
    value = info.default
    if isinstance(value, BaseModel):
        return "(see section)"
    return f"`{value!r}`" if value is not None else "none"


def _rows(model: type[BaseModel], prefix: str) -> tuple[list[str], list[tuple[str, type]]]:
    rows, nested = [], []
    for name, info in model.model_fields.items():
        ann = info.annotation
        sub = next(
            (
                a
                for a in getattr(ann, "__args__", (ann,))
                if isinstance(a, type) and issubclass(a, BaseModel)
            ),
            None,
        )
        if sub is not None and name != "devices":
            nested.append((f"{prefix}{name}", sub))
        desc = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{prefix}{name}` | {_type_name(ann)} | {_default(info)} | {desc} |")
    return rows, nested


def _table(title: str, model: type[BaseModel], prefix: str = "") -> list[str]:
    rows, nested = _rows(model, prefix)
    out = [f"### {title}", "", "| key | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    for key, sub in nested:
        out += _table(f"[{key}]", sub, f"{key}.")
    return out


def reference() -> str:
    out = _table("Top level", AgentConfig)
    out += _table("[[devices]]", DeviceConfig)
    for name in sorted(DRIVER_MODULES):
        cls = driver_class(name)
        doc = (sys.modules[cls.__module__].__doc__ or "").strip().splitlines()[0]
        out += [f"#### driver `{name}`", "", doc, ""]
        rows, _ = _rows(cls.Options, "options.")
        out += ["| key | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    return "\n".join(out).rstrip() + "\n"


def replace_section(text: str, body: str) -> str:
    head, sep1, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not (sep1 and sep2):
        raise ValueError("markers not found")
    return f"{head}{BEGIN}\n\n{body}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args(argv)
    if args.write is None:
        sys.stdout.write(reference())
        return 0
    args.write.write_text(replace_section(args.write.read_text(), reference()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
