"""A small JSON-schema check that words its findings the way Bedrock does.

Bedrock validates InvokeModel bodies against each model's schema before the model sees them and
answers `Malformed input request: #: required key [x] not found#/temperature: 5.0 is not less or
equal to 1, please reformat your input and try again.` This module reproduces those messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_TYPE_NAMES = {
    "integer": "Integer", "number": "Number", "string": "String", "array": "JSONArray",
    "object": "JSONObject", "boolean": "Boolean",
}


@dataclass(frozen=True)
class Field:
    kind: str  # integer | number | string | array | object | boolean | any
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_items: int | None = None
    enum: tuple[str, ...] | None = None
    items: str | None = None  # kind of each array item
    fields: dict[str, Field] | None = field(default=None)  # members of an object, when checked


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    if value is None:
        return "Null"
    return "JSONObject"


def _is(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, dict)


def check(body: Any, spec: dict[str, Field], path: str = "#") -> list[str]:
    """Every problem with `body` against `spec`, in Bedrock's words (empty when it is valid)."""
    if not isinstance(body, dict):
        return [f"{path}: expected type: JSONObject, found: {_found(body)}"]
    problems = [f"{path}: required key [{name}] not found" for name, f in spec.items()
                if f.required and name not in body]
    for name, value in body.items():
        f = spec.get(name)
        where = f"{path}/{name}"
        if f is None:
            problems.append(f"{path}: extraneous key [{name}] is not permitted")
        elif not _is(f.kind, value):
            problems.append(f"{where}: expected type: {_TYPE_NAMES.get(f.kind, f.kind)}, found: {_found(value)}")
        else:
            problems.extend(_check_value(f, value, where))
    return problems


def _check_value(f: Field, value: Any, where: str) -> list[str]:
    problems = []
    if f.minimum is not None and value < f.minimum:
        problems.append(f"{where}: {value} is not greater or equal to {_num(f.minimum)}")
    if f.maximum is not None and value > f.maximum:
        problems.append(f"{where}: {value} is not less or equal to {_num(f.maximum)}")
    if f.enum is not None and value not in f.enum:
        problems.append(f"{where}: {value} is not a valid enum value")
    if f.kind == "array":
        if f.max_items is not None and len(value) > f.max_items:
            problems.append(f"{where}: expected maximum item count: {f.max_items}, found: {len(value)}")
        if f.items:
            problems.extend(
                f"{where}/{i}: expected type: {_TYPE_NAMES[f.items]}, found: {_found(v)}"
                for i, v in enumerate(value) if not _is(f.items, v)
            )
    if f.kind == "object" and f.fields is not None:
        problems.extend(check(value, f.fields, where))
    return problems


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
