"""The JSON Schemas of pipeline files and test-case files, and readable messages for violations.

The schemas (draft 2020-12) ship inside the package as ``pipeline-file.schema.json`` and
``pipeline-tests.schema.json``; the copies in the repository's ``schemas/`` folder are what
editors use through a file's ``$schema`` key. Its
custom ``errorMessage`` and ``patternErrorMessage`` keywords are understood by VS Code, and by
:func:`validate` here, so people read the same sentence in the editor and in ``pipereg lint``.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import best_match

from pipereg import codes
from pipereg.errors import Finding
from pipereg.messages import clip, did_you_mean

SCHEMA_FILE = "pipeline-file.schema.json"
CASES_SCHEMA_FILE = "pipeline-tests.schema.json"


@functools.cache
def schema(name: str = SCHEMA_FILE) -> dict[str, Any]:
    """A JSON Schema shipped in the package: by default the pipeline-file schema."""
    text = resources.files("pipereg").joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@functools.cache
def _fast_validator(name: str) -> Any:
    # jsonschema-rs checks a valid file at about the cost of json.loads; the Python validator,
    # 100 times slower, only runs on files that fail, to say where and why. It keeps the
    # readable schema, for its messages; jsonschema-rs gets the same rules in a cheaper form.
    return jsonschema_rs.validator_for(_fast_schema(schema(name)), validate_formats=True)


def _fast_schema(document: dict[str, Any]) -> dict[str, Any]:
    """A schema that accepts exactly what ``document`` accepts, with cheaper parameter rules.

    The readable schema says which keywords each parameter type does not take in one
    ``if``/``then`` block per type, so that a finding reads "'minimum' does not apply to type
    bool" at the keyword. jsonschema-rs then tests all twelve conditions on every declaration,
    two dictionary look-ups each: half the time it spends on a valid file. Here the types that
    have the same rules share one set of them, and a declaration's set is found by halving
    (three tests of the type for the eight sets of eleven types). A ``$defs/param`` of any other
    shape is left as it is, so an edit there can cost speed but never change a verdict.
    """
    definitions = document.get("$defs")
    if not isinstance(definitions, dict) or not isinstance(definitions.get("param"), dict):
        return document
    restated = _rules_by_type(definitions["param"])
    if restated is None:
        return document
    return {**document, "$defs": {**definitions, "param": restated}}


def _rules_by_type(param: dict[str, Any]) -> dict[str, Any] | None:
    blocks = param.get("allOf")
    kind = param.get("properties", {}).get("type")
    types = kind.get("enum") if isinstance(kind, dict) else None
    if (
        not isinstance(blocks, list)
        or not isinstance(types, list)
        or not all(isinstance(name, str) for name in types)
        or "type" not in param.get("required", [])
        or {"if", "then", "else"} & param.keys()
    ):
        return None
    # Per type: the keywords it does not take and the keys it needs, from every block it meets.
    rules: dict[str, tuple[set[str], set[str]]] = {name: (set(), set()) for name in types}
    for block in blocks:
        test = _type_test(block)
        then = block.get("then") if isinstance(block, dict) else None
        if (
            test is None
            or not isinstance(then, dict)
            or not then.keys() <= {"properties", "required"}
        ):
            return None
        # {"not": {}} fails whatever the value: the keyword must be absent.
        if not all(
            rule is False or (isinstance(rule, dict) and rule.get("not") == {})
            for rule in then.get("properties", {}).values()
        ):
            return None
        negated, tested = test
        for name, (absent, present) in rules.items():
            if (name != tested) if negated else (name == tested):
                absent.update(then.get("properties", {}))
                present.update(then.get("required", []))
    groups: dict[tuple[frozenset[str], frozenset[str]], list[str]] = {}
    for name, (absent, present) in rules.items():
        groups.setdefault((frozenset(absent), frozenset(present)), []).append(name)
    restated = {key: value for key, value in param.items() if key != "allOf"}
    restated.update(_pick(list(groups.items())))
    return restated


def _pick(groups: list[tuple[tuple[frozenset[str], frozenset[str]], list[str]]]) -> dict[str, Any]:
    # Halving the groups on the type: for a type in the enum, its own group's rules, which are
    # the blocks' for that type. Any other type, or none, lands in some group, but fails the
    # "enum" or "required" that the declaration keeps either way.
    if len(groups) > 1:
        half = len(groups) // 2
        first = [name for _, names in groups[:half] for name in names]
        return {
            "if": {"properties": {"type": {"enum": first}}},
            "then": _pick(groups[:half]),
            "else": _pick(groups[half:]),
        }
    (absent, present), _ = groups[0]
    rule: dict[str, Any] = {}
    if absent:
        rule["properties"] = dict.fromkeys(sorted(absent), False)
    if present:
        rule["required"] = sorted(present)
    return rule


def _type_test(block: Any) -> tuple[bool, str] | None:
    # (negated, T) for an "if" of {"properties": {"type": {"const": T}}, "required": ["type"]},
    # or with {"not": {"const": T}}; None for any other block.
    test = block.get("if") if isinstance(block, dict) and block.keys() == {"if", "then"} else None
    if not isinstance(test, dict) or test.get("required") != ["type"] or len(test) != 2:
        return None
    properties = test.get("properties")
    if not isinstance(properties, dict) or properties.keys() != {"type"}:
        return None
    condition = properties["type"]
    negated = isinstance(condition, dict) and condition.keys() == {"not"}
    if negated:
        condition = condition["not"]
    if not isinstance(condition, dict) or condition.keys() != {"const"}:
        return None
    name = condition["const"]
    return (negated, name) if isinstance(name, str) else None


def is_valid(document: Any, name: str = SCHEMA_FILE) -> bool:
    """Whether a parsed file satisfies a schema (the fast check); by default a pipeline file."""
    return bool(_fast_validator(name).is_valid(document))


def validate(document: Any, name: str = SCHEMA_FILE) -> list[Finding]:
    """Every schema violation in a parsed file, as findings with readable messages.

    ``name`` picks the schema: :data:`SCHEMA_FILE` (pipeline files, the default) or
    :data:`CASES_SCHEMA_FILE` (test-case files).
    """
    if is_valid(document, name):
        return []
    findings = [f for error in _validator(name).iter_errors(document) for f in _findings(error)]
    return sorted(findings, key=lambda f: [str(part) for part in f.at])


def _findings(error: Any) -> list[Finding]:
    # error is a jsonschema ValidationError; its stub types every field as maybe-unset.
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        # One finding per unknown key, located at the key itself.
        known = list(error.schema.get("properties", {}))
        return [
            Finding((*path, key), codes.SCHEMA, f"unknown key {key!r}{did_you_mean(key, known)}")
            for key in error.instance
            if key not in known
        ]
    if "propertyNames" in error.absolute_schema_path:
        # The instance is the offending key; point at it rather than at its object.
        return [Finding((*path, error.instance), codes.SCHEMA, _message(error))]
    return [Finding(path, codes.SCHEMA, _message(error))]


def _message(error: Any) -> str:
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    if (
        keyword == "pattern"
        and isinstance(error.schema, dict)
        and "patternErrorMessage" in error.schema
    ):
        return f"{instance!r}: {error.schema['patternErrorMessage']}"
    if custom:
        return str(custom)
    if keyword == "required":
        # One error per missing key; jsonschema names it in its message.
        missing = [key for key in value if key not in instance and repr(key) in error.message]
        return f"missing required key {missing[0]!r}" if missing else str(error.message)
    if keyword == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        return f"expected {expected}, got {_json_type(instance)} {_brief(instance)}"
    if keyword == "enum":
        choices = ", ".join(str(v) for v in value)
        hint = did_you_mean(str(instance), [str(v) for v in value])
        return f"{_brief(instance)} is not one of {choices}{hint}"
    if keyword in ("anyOf", "oneOf") and error.context:
        return _message(best_match(error.context))
    if keyword == "minProperties" and value == 1:
        return "must not be empty"
    if keyword == "minItems" and value == 1:
        return "must have at least one item"
    return str(error.message)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _brief(value: Any) -> str:
    return clip(json.dumps(value, ensure_ascii=False))
