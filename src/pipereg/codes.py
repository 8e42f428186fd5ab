"""Every finding code pipereg reports, as named constants in one table.

A code is a stable public string (``PR030``): lint output, SARIF rules, ``Problem.code`` and the
docs all name it. Code refers to the constant (``codes.UNKNOWN_STAGE``), never to the string, so a
renumbering or a typo is one place; ``tests/test_codes.py`` fails when a code's string appears in
any other module. The rules page of the documentation (``docs/rules.md``) is generated from
:data:`RULES` (``python tools/generate_rules_page.py``) and checked for staleness.

This module is at the bottom of the layers: reading JSON text, declaring parameters and compiling
templates report problems too, below the checks themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal


@dataclass(frozen=True)
class Rule:
    """One finding code: its string, how severe it usually is, and what it means.

    Attributes:
        code: The stable string, ``PR030``.
        severity: ``error`` (fails the load) or ``warning`` (reported, the pipeline still loads).
        summary: One line, for SARIF's short description and lint's listing.
        details: The documentation's sentence: what triggers it, with examples.
    """

    code: str
    severity: Literal["error", "warning"]
    summary: str
    details: str


NOT_JSON: Final = "PR001"
DUPLICATE_KEY: Final = "PR002"
UNREADABLE: Final = "PR003"
TOO_LARGE: Final = "PR004"
SCHEMA: Final = "PR010"
UNDECLARED_PARAMETER: Final = "PR020"
UNUSED_PARAMETER: Final = "PR021"
DECLARATION_MISFIT: Final = "PR022"
EMBEDDED_PLACEHOLDER: Final = "PR023"
KEY_PLACEHOLDER: Final = "PR024"
MALFORMED_PLACEHOLDER: Final = "PR025"
PLACEHOLDER_IN_KEY: Final = "PR026"
ABSENCE_CHANGES_MEANING: Final = "PR027"
OPTION_TYPE: Final = "PR028"
FIELD_DEFAULT_REPEATS_KEY: Final = "PR029"
UNKNOWN_STAGE: Final = "PR030"
WRITE_STAGE_NOT_LAST: Final = "PR031"
JAVASCRIPT: Final = "PR032"
REGEX_WITHOUT_MAX_LENGTH: Final = "PR033"
REGEX_OUTSIDE_REGEX: Final = "PR034"
DOLLAR_PLACEHOLDER_NOT_FIELD: Final = "PR035"
UNKNOWN_OPERATOR: Final = "PR036"
OPERATOR_ARGUMENTS: Final = "PR037"
STAGE_PLACEMENT: Final = "PR038"
INVALID_STAGE_VALUE: Final = "PR039"
DUPLICATE_PIPELINE: Final = "PR040"
INVALID_MODULE_NAME: Final = "PR041"
INVALID_LITERAL: Final = "PR050"
TOO_DEEP: Final = "PR051"
UNKNOWN_FRAGMENT: Final = "PR060"
FRAGMENT_CYCLE: Final = "PR061"
UNBOUND_FRAGMENT_PARAMETER: Final = "PR062"
BINDING_MISFIT: Final = "PR063"
UNDECLARED_BINDING: Final = "PR064"
FRAGMENT_KIND_MISMATCH: Final = "PR065"
UNUSED_FRAGMENT: Final = "PR066"
DUPLICATE_FRAGMENT: Final = "PR067"
MALFORMED_INCLUDE: Final = "PR068"
INCLUDE_RENDERS_NOTHING: Final = "PR069"
ENGINE_UNSUPPORTED: Final = "PR070"
CASE_UNKNOWN_PIPELINE: Final = "PR080"
CASE_PARAMETERS: Final = "PR081"
CASE_DATA: Final = "PR082"
PLACEHOLDER_MISFIT: Final = "PR090"
NEWER_THAN_TARGET: Final = "PR091"
SERVER_REFUSED: Final = "PR092"
DATABASE_STAGE_ON_COLLECTION: Final = "PR093"
COLLECTION_SCAN: Final = "PX001"
SORT_IN_MEMORY: Final = "PX002"
EXAMINED_FAR_MORE: Final = "PX003"

RULES: Final[tuple[Rule, ...]] = (
    Rule(
        NOT_JSON,
        "error",
        "the file is not valid JSON (or not UTF-8)",
        (
            "not valid JSON, or not UTF-8 (a BOM, UTF-16, a binary file, an unpaired `\\ud800` "
            "escape, ...)"
        ),
    ),
    Rule(
        DUPLICATE_KEY,
        "error",
        "duplicate key in one JSON object",
        "duplicate key in one JSON object",
    ),
    Rule(
        UNREADABLE,
        "error",
        "the file could not be read",
        "file, folder or root cannot be read, or is not a regular file (a named pipe, a device)",
    ),
    Rule(
        TOO_LARGE,
        "error",
        "the file is larger than the size limit",
        "file larger than the size limit (`PIPEREG_MAX_FILE_BYTES`, 10 MiB unless set); refused "
        "from its size, never read",
    ),
    Rule(
        SCHEMA,
        "error",
        "the file does not match the pipeline-file JSON Schema",
        (
            "does not match the JSON Schema (unknown key, wrong type, constraint not for this "
            "type, ...)"
        ),
    ),
    Rule(
        UNDECLARED_PARAMETER,
        "error",
        "placeholder names an undeclared parameter",
        "placeholder names an undeclared parameter",
    ),
    Rule(
        UNUSED_PARAMETER,
        "error",
        "declared parameter is never used",
        "declared parameter is never used",
    ),
    Rule(
        DECLARATION_MISFIT,
        "error",
        "a default, enum value or bound does not fit its own declaration",
        "default, enum value or bound does not fit its own declaration",
    ),
    Rule(
        EMBEDDED_PLACEHOLDER,
        "error",
        "placeholder embedded in text must be a scalar that is required or defaulted",
        "placeholder embedded in text is not a scalar that is required or defaulted",
    ),
    Rule(
        KEY_PLACEHOLDER,
        "error",
        "placeholder used as an object key must be a field parameter",
        "placeholder used as an object key is not a `field` parameter",
    ),
    Rule(
        MALFORMED_PLACEHOLDER,
        "error",
        "malformed placeholder",
        "malformed placeholder (`<<>>`, `<<a b>>`, `<<$x>>`, unclosed `<<x`)",
    ),
    Rule(
        PLACEHOLDER_IN_KEY,
        "error",
        "placeholder embedded in an object key",
        "placeholder embedded in an object key",
    ),
    Rule(
        ABSENCE_CHANGES_MEANING,
        "error",
        "leaving an optional parameter out would change an expression's meaning",
        (
            "leaving an optional parameter out would change an operator's arguments, or drop a "
            "`let` variable the stages use"
        ),
    ),
    Rule(
        OPTION_TYPE,
        "error",
        "placeholder type does not fit the aggregate option",
        "placeholder type does not fit the aggregate option (`maxTimeMS` takes int or long, ...)",
    ),
    Rule(
        FIELD_DEFAULT_REPEATS_KEY,
        "error",
        "a field parameter's default repeats a key of the same object",
        "a `field` parameter's default repeats a key of the same object",
    ),
    Rule(
        UNKNOWN_STAGE,
        "error",
        "unknown aggregation stage",
        (
            "unknown aggregation stage (`$mtach`: did you mean `$match`?), also inside `$facet`, "
            "`$lookup` and `$unionWith`"
        ),
    ),
    Rule(
        WRITE_STAGE_NOT_LAST,
        "error",
        "$out or $merge is not the last stage",
        "`$out` or `$merge` not the last stage",
    ),
    Rule(
        JAVASCRIPT,
        "warning",
        "server-side JavaScript ($where, $function, $accumulator)",
        "server-side JavaScript (`$where`, `$function`, `$accumulator`)",
    ),
    Rule(
        REGEX_WITHOUT_MAX_LENGTH,
        "warning",
        "a regex parameter has no maxLength",
        (
            'a `"regex": true` parameter without `maxLength` (an unbounded caller pattern invites '
            "ReDoS)"
        ),
    ),
    Rule(
        REGEX_OUTSIDE_REGEX,
        "warning",
        "a regex parameter stands outside a regular expression",
        'a `"regex": true` parameter used outside a regex position, where it is plain text',
    ),
    Rule(
        DOLLAR_PLACEHOLDER_NOT_FIELD,
        "warning",
        "a placeholder after $ in an expression is not a field parameter",
        (
            '`"$<<x>>"` (or `"$$<<x>>"`) in an expression with `x` not a `field` parameter: a '
            'string value `"$ROOT"` would read `$$ROOT`'
        ),
    ),
    Rule(
        UNKNOWN_OPERATOR,
        "error",
        "unknown operator where it stands (query, expression, accumulator, window)",
        (
            "a `$` name that is not an operator of the kind its position takes, at any depth: "
            '`{"$gtt": 5}` in a filter, `{"$ifNul": [...]}` in an expression, `{"$summ": 1}` '
            'in `$group`, `{"$rnk": {}}` in `$setWindowFields`; with a did-you-mean'
        ),
    ),
    Rule(
        OPERATOR_ARGUMENTS,
        "error",
        "an operator or stage with the wrong arguments",
        (
            "wrong number of arguments (`$subtract` with three), a missing required argument "
            "(`$group` without `_id`, `$lookup` without `as`, `$cond` without `else`), an "
            "argument the operator does not take, an expression object with two operators, a "
            "`$group` or `$setWindowFields` output that is not one accumulator or window operator"
        ),
    ),
    Rule(
        STAGE_PLACEMENT,
        "error",
        "a stage where MongoDB does not allow it",
        (
            "a stage that must come first (`$geoNear`, `$vectorSearch`, `$search`, `$documents`, "
            "`$collStats`, ...) elsewhere; a stage not allowed in `$facet` or in a `$lookup` or "
            '`$unionWith` pipeline; a database-level pipeline (`"collection": null`) whose first '
            "stage reads a collection"
        ),
    ),
    Rule(
        INVALID_STAGE_VALUE,
        "error",
        "a literal value the server refuses in a stage",
        (
            "`$limit` not a positive integer, `$skip` or `$sample.size` negative or fractional, a "
            "`$sort` direction other than 1 or -1, a `$count` name that is empty or starts with "
            "`$` or holds `.`, a `$project` mixing inclusion and exclusion, an `$unwind` path "
            "without `$`, `$bucket` boundaries unsorted or of mixed types, a number argument given "
            "another type"
        ),
    ),
    Rule(
        DUPLICATE_PIPELINE,
        "error",
        "two definitions of one pipeline key",
        "two definitions of one pipeline key",
    ),
    Rule(
        INVALID_MODULE_NAME,
        "error",
        "invalid module name",
        "a file name that cannot be a module name",
    ),
    Rule(
        INVALID_LITERAL,
        "error",
        "invalid Extended JSON literal, or a value BSON cannot hold",
        (
            'invalid Extended JSON literal (`{"$oid": "xyz"}`, `{"$numberInt": " 42 "}`) or one of '
            "a deprecated type (`$code`, `$symbol`, `$dbPointer`, `$undefined`); a NUL byte in a "
            "key, a regular expression or a collection name; or a number BSON cannot hold"
        ),
    ),
    Rule(
        TOO_DEEP,
        "error",
        "nested deeper than MongoDB allows",
        (
            "nested more than 100 levels deep (MongoDB's BSON document limit); includes nested "
            "more than 32 deep (at the include that passes it, naming the chain)"
        ),
    ),
    Rule(
        UNKNOWN_FRAGMENT,
        "error",
        "$include names an unknown fragment",
        "`$include` names an unknown fragment (did you mean...)",
    ),
    Rule(
        FRAGMENT_CYCLE,
        "error",
        "fragments include each other in a cycle",
        "fragments include each other in a cycle",
    ),
    Rule(
        UNBOUND_FRAGMENT_PARAMETER,
        "error",
        "a required fragment parameter is not bound",
        (
            "a required fragment parameter is not bound in `with` (or an optional one left out is "
            "embedded in text)"
        ),
    ),
    Rule(
        BINDING_MISFIT,
        "error",
        "a fragment parameter's binding does not fit its declaration",
        (
            "a `with` binding does not fit: a placeholder of another type, optional or nullable "
            "where the fragment's is not, or looser than the fragment's constraints; a constant "
            "the declaration refuses"
        ),
    ),
    Rule(
        UNDECLARED_BINDING,
        "error",
        "with binds a parameter the fragment does not declare",
        "`with` names a parameter the fragment does not declare",
    ),
    Rule(
        FRAGMENT_KIND_MISMATCH,
        "error",
        "a document fragment included as stages, or a stages fragment as an object",
        (
            "a document fragment included in a list of stages, or a stages fragment where an "
            "object stands"
        ),
    ),
    Rule(
        UNUSED_FRAGMENT,
        "warning",
        "a fragment is never included",
        "a fragment nothing includes (said of the whole roots, loaded without errors)",
    ),
    Rule(
        DUPLICATE_FRAGMENT,
        "error",
        "two definitions of one fragment key",
        "two definitions of one fragment key",
    ),
    Rule(
        MALFORMED_INCLUDE,
        "error",
        "malformed $include",
        (
            "a malformed include (`$include` not a name, `with` not an object, another key), an "
            "include in `options`, or one left in a pipeline after expansion"
        ),
    ),
    Rule(
        INCLUDE_RENDERS_NOTHING,
        "warning",
        "an include always renders nothing: its content depends only on unbound optionals",
        (
            "an include that always renders nothing, its fragment depending only on optional "
            "parameters left out of `with`"
        ),
    ),
    Rule(
        ENGINE_UNSUPPORTED,
        "warning",
        "the embedded engine (mongomock) cannot run a stage or operator of this pipeline",
        (
            "only with `lint --engine embedded`: a stage or operator the embedded engine "
            "(mongomock) cannot run"
        ),
    ),
    Rule(
        CASE_UNKNOWN_PIPELINE,
        "error",
        "a test case names an unknown pipeline",
        "test case: names an unknown pipeline",
    ),
    Rule(
        CASE_PARAMETERS,
        "error",
        "a test case's parameters do not fit the pipeline's declarations",
        "test case: its `params` do not fit the pipeline's declarations",
    ),
    Rule(
        CASE_DATA,
        "error",
        "a test case's data file or folder cannot be loaded",
        "test case: a data file or folder cannot be read, or is not a JSON array of documents",
    ),
    Rule(
        PLACEHOLDER_MISFIT,
        "error",
        "a placeholder whose declared type cannot fit where it stands",
        (
            "a placeholder whose parameter type the position cannot take: a `string` parameter "
            "in `$limit` (an int), an `array` in `$count` (a name), a `double` in `$skip`"
        ),
    ),
    Rule(
        NEWER_THAN_TARGET,
        "error",
        "a stage or operator newer than the target server version",
        (
            "`pipereg lint --target-version 7.0`: a stage or operator that came after that "
            "version (`$median` is 7.0, `$rankFusion` 8.0), so the servers the team runs refuse it"
        ),
    ),
    Rule(
        SERVER_REFUSED,
        "error",
        "the server refused the pipeline's explain",
        (
            "`pipereg lint --uri URI`: the pipeline, rendered with example parameters, was sent "
            "as an explain (nothing runs) and the server refused it; the message and code are "
            "the server's"
        ),
    ),
    Rule(
        DATABASE_STAGE_ON_COLLECTION,
        "warning",
        "a database-level stage in a pipeline that runs on a collection",
        (
            "`$documents`, `$currentOp`, `$listLocalSessions`, `$listSampledQueries`, "
            "`$shardedDataDistribution`... run only as `db.aggregate` (the command's "
            '`aggregate: 1`): declare the pipeline `"collection": null`. A warning, so that files '
            "written before database-level pipelines existed still load"
        ),
    ),
    Rule(
        COLLECTION_SCAN,
        "warning",
        "a $match (the query) is answered by a collection scan",
        "explain: the `$match` (the query) is answered by a collection scan (COLLSCAN)",
    ),
    Rule(
        SORT_IN_MEMORY,
        "warning",
        "a $sort is done in memory, not by an index",
        "explain: a `$sort` is done in memory, not by an index",
    ),
    Rule(
        EXAMINED_FAR_MORE,
        "warning",
        "far more documents or keys examined than returned",
        "explain: far more documents or keys examined than returned",
    ),
)
"""Every code, in order."""

CODES: Final[Mapping[str, str]] = MappingProxyType({rule.code: rule.summary for rule in RULES})
"""Code -> one-line summary (SARIF's rule list, lint's listing)."""


def markdown() -> str:
    """The documentation's rules page: one table, generated from :data:`RULES`."""
    lines = [
        "# Rules",
        "",
        "Every code pipereg reports. Errors fail the load (or the command); warnings are",
        "reported and the pipeline still loads. `PX` codes come from `pipereg explain`.",
        "This page is generated from `src/pipereg/codes.py` by `python",
        "tools/generate_rules_page.py`; a test fails when it is stale.",
        "",
        "| code | severity | what triggers it |",
        "|---|---|---|",
    ]
    lines += [f"| {rule.code} | {rule.severity} | {rule.details} |" for rule in RULES]
    return "\n".join(lines) + "\n"


if (
    __name__ == "__main__"
):  # pragma: no cover - the docs page's generator, tested through markdown()
    print(markdown(), end="")
