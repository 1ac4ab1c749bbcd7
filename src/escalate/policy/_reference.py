"""The policy reference in Markdown, generated from the JSON Schema (so it cannot drift)."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["markdown_reference"]

_HEADER = """\
# {title}

Generated from the schema by:

    {command}

A test keeps this page equal to that output. Without `--format markdown` the command prints the
JSON Schema itself, for editors. Unknown keys are errors everywhere.
"""


def markdown_reference(
    schema: dict[str, Any], title_model: str, *, title: str, command: str
) -> str:
    """One section per model of ``schema`` (the top-level one first), one table row per field."""
    definitions: dict[str, Any] = schema.get("$defs", {})
    sections = [_HEADER.format(title=title, command=command), _section(title_model, schema)]
    sections.extend(
        _section(name, definition)
        for name, definition in definitions.items()
        if definition.get("type") == "object"
    )
    enums = [
        f'- <a id="{name.lower()}"></a>**{name}**: '
        + ", ".join(f"`{value}`" for value in definition["enum"])
        for name, definition in definitions.items()
        if "enum" in definition
    ]
    if enums:
        sections.append("## Enumerations\n\n" + "\n".join(enums) + "\n")
    others = [
        f'- <a id="{name.lower()}"></a>**{name}**: {_summary(definition.get("description", ""))}'
        if definition.get("description")
        else f'- <a id="{name.lower()}"></a>**{name}**: any JSON value'
        for name, definition in definitions.items()
        if definition.get("type") != "object" and "enum" not in definition
    ]
    if others:
        sections.append("## Other types\n\n" + "\n".join(others) + "\n")
    return "\n".join(sections)


def _section(name: str, definition: dict[str, Any]) -> str:
    lines = [f"## {name}", ""]
    description = _summary(definition.get("description", ""))
    if description:
        lines.extend([description, ""])
    required = set(definition.get("required", ()))
    lines.extend(["| field | type | default | meaning |", "|---|---|---|---|"])
    for field, spec in definition.get("properties", {}).items():
        default = "required" if field in required else _default(spec)
        meaning = _summary(spec.get("description", "")).replace("\n", " ")
        lines.append(f"| `{field}` | {_type(spec)} | {default} | {_cell(meaning)} |")
    return "\n".join(lines) + "\n"


def _summary(text: str) -> str:
    """The description without doctest examples, with reST literals as Markdown ones."""
    text = text.partition("\nExamples:")[0].strip()
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _default(spec: dict[str, Any]) -> str:
    if "default" not in spec:
        return ""
    value = spec["default"]
    if value in ({}, [], "", None):
        return {"{}": "empty", "[]": "empty", '""': "empty"}.get(json.dumps(value), "none")
    return f"`{json.dumps(value)}`"


def _type(spec: dict[str, Any]) -> str:  # noqa: PLR0911 - one return per schema shape
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", maxsplit=1)[-1]
        return f"[{name}](#{name.lower()})"
    for key in ("anyOf", "oneOf"):
        if key in spec:
            options = [_type(option) for option in spec[key] if option.get("type") != "null"]
            optional = any(option.get("type") == "null" for option in spec[key])
            return " or ".join(options) + (" or null" if optional else "")
    if "enum" in spec:
        return " or ".join(f"`{value}`" for value in spec["enum"])
    if "const" in spec:
        return f"`{spec['const']}`"
    kind = spec.get("type")
    if kind == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if kind == "object":
        values = spec.get("additionalProperties")
        return f"map of name to {_type(values)}" if isinstance(values, dict) else "mapping"
    return _bounded(str(kind or "any"), spec)


def _bounded(kind: str, spec: dict[str, Any]) -> str:
    limits = []
    for key, symbol in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<=")):
        if key in spec:
            limits.append(f"{symbol} {spec[key]}")
    if "minLength" in spec:
        limits.append("non-empty")
    if "format" in spec:
        kind = f"{kind} ({spec['format']})"
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
