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

from pipereg.errors import Finding, clip, did_you_mean

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
    # 100 times slower, only runs on files that fail, to say where and why.
    return jsonschema_rs.validator_for(schema(name), validate_formats=True)


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
            Finding((*path, key), "PR010", f"unknown key {key!r}{did_you_mean(key, known)}")
            for key in error.instance
            if key not in known
        ]
    if "propertyNames" in error.absolute_schema_path:
        # The instance is the offending key; point at it rather than at its object.
        return [Finding((*path, error.instance), "PR010", _message(error))]
    return [Finding(path, "PR010", _message(error))]


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
