"""Typed calls: the Python source of a module that lets type checkers check keys and parameters.

:func:`generate` turns loaded pipelines into a module with one ``TypedDict`` per pipeline's
parameters, a ``PipelineKey`` literal type, and typed wrappers of ``get_pipeline``,
``PipelineDAO`` and ``AsyncPipelineDAO`` whose overloads take only the declared keys, each with
its own parameters. There is no catch-all overload, so mypy and pyright reject an unknown key, a
missing required parameter, an unknown one and a value of the wrong type.

The types follow :mod:`pipereg.params.coerce`: a ``date`` parameter also takes an ISO-8601 string,
an ``objectId`` 24 hex digits, a ``decimal`` an int or a numeric string. A parameter that is
optional or has a default also takes ``None`` (it counts as left out). Generation is pure and
deterministic: pipelines by key, parameters in file order; only the standard library's ``typing``
is imported (``Required``/``NotRequired`` are 3.11+, so required and optional keys are two
TypedDicts joined by inheritance).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping, Sequence

from pipereg.params.declaration import Param
from pipereg.pipeline import Pipeline

# Lines stay within ruff's default line length, so the module is ruff-format stable as written.
WIDTH = 88
INDENT = "    "

# Names the generated module defines or imports; generated class names avoid them.
_RESERVED = frozenset(
    {
        "annotations",
        "datetime",
        "decimal",
        "bson",
        "pipereg",
        "Any",
        "Literal",
        "Mapping",
        "Sequence",
        "TypeAlias",
        "TypedDict",
        "overload",
        "AsyncDriver",
        "SyncDriver",
        "AsyncPipelineCursor",
        "PipelineCursor",
        "PipelineKey",
        "DateValue",
        "ObjectIdValue",
        "DecimalValue",
        "PipelineDAO",
        "AsyncPipelineDAO",
        "get_pipeline",
        # With request models (generate(..., models=True)):
        "TYPE_CHECKING",
        "ParamsModel",
        "Field",
    }
)

_SCALARS = {
    "string": "str",
    "field": "str",
    "int": "int",
    "long": "int",  # bson.Int64 is an int
    "double": "float",  # type checkers take an int where a float is expected, as coercion does
    "bool": "bool",
    "date": "DateValue",
    "objectId": "ObjectIdValue",
    "decimal": "DecimalValue",
}
# Enum values that a Literal can spell: strings and integers.
_LITERAL_TYPES = frozenset({"string", "field", "int", "long"})

_ROWS = "list[dict[str, Any]]"
_ROW = "dict[str, Any] | None"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_ALIASES = """\
# What parameters of these types accept besides the type itself (see pipereg's coercion).
DateValue: TypeAlias = datetime.datetime | datetime.date | str  # str: ISO-8601
ObjectIdValue: TypeAlias = bson.ObjectId | str  # str: 24 hex digits
DecimalValue: TypeAlias = decimal.Decimal | bson.Decimal128 | int | str  # str: numeric"""


def _imports(body: str) -> str:
    """The imports ``body`` needs (an unused import is a lint error in the user's project)."""
    used = set(_WORD.findall(body))
    abc = [name for name in ("Mapping", "Sequence") if name in used]
    typing = [
        *(["TYPE_CHECKING"] * ("TYPE_CHECKING" in used)),
        "Any",
        "Literal",
        "TypeAlias",
        "TypedDict",
        *(["overload"] * ("overload" in used)),
    ]
    lines = ["from __future__ import annotations", "", "import datetime", "import decimal"]
    if abc:
        lines.append(f"from collections.abc import {', '.join(abc)}")
    lines += [
        f"from typing import {', '.join(typing)}",
        "",
        "import bson",
        "",
        "import pipereg",
        "from pipereg import AsyncDriver, AsyncPipelineCursor, PipelineCursor, SyncDriver",
    ]
    return "\n".join(lines)


def generate(pipelines: Iterable[Pipeline], sources: Sequence[str], *, models: bool = False) -> str:
    """The source of a typed-calls module for ``pipelines``.

    Args:
        pipelines: The pipelines to cover (a :class:`~pipereg.registry.Registry` will do); the
            output is sorted by key whatever their order.
        sources: Where they were loaded from, for the header: the roots (or the package).
        models: Also a pydantic request model per pipeline (``OrdersDailyRevenueModel``), typed
            statically and built at run time by :meth:`Pipeline.params_model` from the default
            registry on first use (see :func:`_models`).

    Raises:
        ValueError: no pipelines (a module without keys could not type any call).
    """
    by_key = {pipeline.key: pipeline for pipeline in pipelines}
    if not by_key:
        raise ValueError("no pipelines to generate typed calls for")
    names = _Names()
    blocks: list[str] = []
    params_types: dict[str, str] = {}
    for key in sorted(by_key):
        pipeline = by_key[key]
        name = names.allocate(_camel(key.split(".")) + "Params")
        params_types[key] = name
        blocks.extend(_typed_dict(name, pipeline.params, key, names))
    keys = sorted(by_key)
    required = {key: any(p.required for p in by_key[key].params.values()) for key in keys}
    body = "\n\n\n".join(
        [
            _alias("PipelineKey", "Literal", [_string(key) for key in keys]),
            *blocks,
            _get_pipeline(keys, params_types, required),
            _dao(keys, params_types, required, is_async=False),
            _dao(keys, params_types, required, is_async=True),
            *([_models(by_key, names)] if models else []),
        ]
    )
    head = "\n\n".join([_header(sources), _imports(body), _ALIASES])
    return f"{head}\n\n\n{body}\n"


class _Names:
    """Allocates class names: unique, and never one the module already uses."""

    def __init__(self) -> None:
        self.taken = set(_RESERVED)

    def allocate(self, wanted: str) -> str:
        # Keys map to names many-to-one (``a_b.c`` and ``a.b_c`` are both ``ABC...``): the first
        # key in sorted order keeps the name, later ones are numbered.
        name, number = wanted, 1
        while name in self.taken:
            number += 1
            name = f"{wanted}{number}"
        self.taken.add(name)
        return name


def _camel(words: Iterable[str]) -> str:
    parts = [part for word in words for part in re.split(r"[^0-9A-Za-z]+", word) if part]
    name = "".join(part[0].upper() + part[1:] for part in parts)
    return name if name[:1].isalpha() else "P" + name


def _header(sources: Sequence[str]) -> str:
    # One source a line: a long path alone on its line is exempt from line-length rules. A
    # character that cannot stand in a comment (a newline in a path) is shown escaped.
    shown = ["".join(c if c.isprintable() else repr(c)[1:-1] for c in s) for s in sources]
    return "\n".join(
        [
            "# Typed calls for pipereg pipelines, generated by `pipereg stubs` from:",
            *(f"#   {source}" for source in shown),
            "# Do not edit: run `pipereg stubs -o FILE` again when parameters change;",
            "# `pipereg stubs --check -o FILE` fails while this file is stale.",
            '"""Typed ``get_pipeline`` and DAOs: only declared keys, each with its parameters."""',
        ]
    )


def _typed_dict(name: str, params: Mapping[str, Param], where: str, names: _Names) -> list[str]:
    """Blocks defining ``name`` (nested object types first, as the module runs top to bottom).

    ``where`` is the pipeline key, then the path of a nested object (``key: filter.range``).
    """
    doc = f"Parameters of ``{where}``." if ":" not in where else f"The value of ``{where}``."
    blocks: list[str] = []
    fields = []
    for field, param in params.items():
        nested = _camel([name.removesuffix("Params"), field])
        # Room for a Literal on the field's line: 2 indents, quotes, ": ", " | None,".
        room = WIDTH - len(INDENT) * 2 - len(field) - 4 - len(" | None,")
        inner = f"{where}: {field}" if ":" not in where else f"{where}.{field}"
        annotation = _annotation(param, nested, inner, room, names, blocks)
        if param.nullable or not param.required:
            annotation += " | None"  # None counts as left out, unless nullable: then it is null
        fields.append((field, annotation, param.required))
    required = [(f, a) for f, a, r in fields if r]
    optional = [(f, a) for f, a, r in fields if not r]
    words = {word for _, annotation, _ in fields for word in _WORD.findall(annotation)}
    # Class syntax reads best, but a field named like a keyword, a mangled name or a name the
    # annotations use (``str: str``) must be a string: TypedDict's functional syntax.
    functional = any(
        not f.isidentifier()
        or keyword.iskeyword(f)
        or (f.startswith("__") and not f.endswith("__"))
        or f in words
        for f, _, _ in fields
    )
    if not (required and optional):
        total = not optional
        if functional:
            blocks.append(_functional(name, required or optional, total=total))
        else:
            blocks.append(_class(name, ["TypedDict"], required or optional, doc, total=total))
        return blocks
    if functional:
        blocks.append(_functional(f"_{name}Required", required, total=True))
        blocks.append(_functional(f"_{name}Optional", optional, total=False))
        blocks.append(_class(name, [f"_{name}Required", f"_{name}Optional"], [], doc, total=True))
    else:
        blocks.append(_class(f"_{name}Required", ["TypedDict"], required, "", total=True))
        blocks.append(_class(name, [f"_{name}Required"], optional, doc, total=False))
    return blocks


def _class(
    name: str, bases: list[str], fields: list[tuple[str, str]], doc: str, *, total: bool
) -> str:
    arguments = [*bases, *([] if total else ["total=False"])]
    head = f"class {name}({', '.join(arguments)}):"
    if len(head) > WIDTH:  # one per line, with the trailing comma that keeps ruff from joining
        head = "\n".join([f"class {name}(", *(f"{INDENT}{a}," for a in arguments), "):"])
    body = [f'{INDENT}"""{doc}"""'] if doc else []
    if doc and fields:
        body.append("")  # ruff's blank line after a class docstring
    body += [f"{INDENT}{field}: {annotation}" for field, annotation in fields]
    return "\n".join([head, *body])


def _functional(name: str, fields: list[tuple[str, str]], *, total: bool) -> str:
    # ruff's UP013 asks for class syntax where every name could be a class attribute, though a
    # name the annotations use (``str: str``) cannot: the comment silences it there, and only there
    # (an unused one is an error too).
    spellable = all(
        f.isidentifier() and not keyword.iskeyword(f) and not f.startswith("__") for f, _ in fields
    )
    lines = [
        f"{name} = TypedDict({'  # noqa: UP013' if spellable else ''}",
        f'{INDENT}"{name}",',
        f"{INDENT}{{",
    ]
    lines += [f"{INDENT * 2}{_string(field)}: {annotation}," for field, annotation in fields]
    lines.append(f"{INDENT}}},")
    if not total:
        lines.append(f"{INDENT}total=False,")
    lines.append(")")
    return "\n".join(lines)


def _annotation(
    param: Param, nested: str, where: str, room: int, names: _Names, blocks: list[str]
) -> str:
    """The type of the values ``param`` accepts (without the ``None`` of absence).

    Nested object types and long Literal aliases are appended to ``blocks``, named from
    ``nested``; a Literal longer than ``room`` gets an alias.
    """
    if param.type == "array":
        assert param.items is not None  # the schema requires items
        item = _annotation(param.items, nested + "Item", where + "[]", room - 17, names, blocks)
        if param.items.nullable:
            item += " | None"
        return f"Sequence[{item}]"
    if param.type == "object":
        name = names.allocate(nested)
        blocks.extend(_typed_dict(name, param.properties, where, names))
        return name
    if param.enum is not None and param.type in _LITERAL_TYPES:
        values = [_string(v) if isinstance(v, str) else str(int(v)) for v in param.enum]
        literal = f"Literal[{', '.join(values)}]"
        if len(literal) <= room:
            return literal
        name = names.allocate(nested + "Choice")  # a long list reads better on its own
        blocks.append(_alias(name, "Literal", values))
        return name
    return _SCALARS[param.type]


def _alias(name: str, generic: str, values: list[str]) -> str:
    line = f"{name}: TypeAlias = {generic}[{', '.join(values)}]"
    if len(line) <= WIDTH:
        return line
    return "\n".join([f"{name}: TypeAlias = {generic}[", *(f"{INDENT}{v}," for v in values), "]"])


def _string(text: str) -> str:
    """A Python string literal quoted as ruff writes it: double quotes, unless more are inside."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    literal = repr(text)  # its escapes for backslashes and control characters are ruff's too
    if literal[0] == quote:
        return literal
    body = literal[1:-1].replace("\\" + literal[0], literal[0]).replace(quote, "\\" + quote)
    return quote + body + quote


def _signature(
    name: str, args: list[str], returns: str, *, is_async: bool, overload: bool
) -> list[str]:
    prefix = "async def" if is_async else "def"
    lines = ["@overload"] if overload else []
    lines.append(f"{prefix} {name}(")
    lines += [f"{INDENT}{arg}," for arg in args]
    lines.append(f") -> {returns}:{' ...' if overload else ''}")
    return lines


def _params_arg(params_type: str, required: bool) -> str:
    return f"params: {params_type}" if required else f"params: {params_type} | None = None"


def _overloads(
    name: str,
    keys: list[str],
    params_types: Mapping[str, str],
    required: Mapping[str, bool],
    extra: tuple[list[str], list[str]],
    returns: str,
    *,
    is_async: bool,
) -> list[str]:
    """One overload per key (none for a single key: an overload needs two), then the signature."""
    before, after = extra
    single = len(keys) == 1
    lines: list[str] = []
    for key in keys:
        args = [
            *before,
            f"key: Literal[{_string(key)}]",
            _params_arg(params_types[key], required[key]),
            *after,
        ]
        if single:
            return _signature(name, args, returns, is_async=is_async, overload=False)
        lines += _signature(name, args, returns, is_async=is_async, overload=True)
    args = [*before, "key: PipelineKey", "params: Mapping[str, Any] | None = None", *after]
    return lines + _signature(name, args, returns, is_async=is_async, overload=False)


def _get_pipeline(
    keys: list[str], params_types: Mapping[str, str], required: Mapping[str, bool]
) -> str:
    lines = _overloads(
        "get_pipeline", keys, params_types, required, ([], []), _ROWS, is_async=False
    )
    lines += [
        f'{INDENT}"""Render ``key`` from the default registry (:func:`pipereg.get_pipeline`)."""',
        f"{INDENT}return pipereg.get_pipeline(key, params)",
    ]
    return "\n".join(lines)


_DAO_DOC = '''\
    """:class:`pipereg.{base}` whose calls take only the declared keys and parameters.

    The pipereg DAO doing the work is ``dao``; its ``database`` and ``registry`` are this one's.
    """'''


def _dao(
    keys: list[str],
    params_types: Mapping[str, str],
    required: Mapping[str, bool],
    *,
    is_async: bool,
) -> str:
    base = "AsyncPipelineDAO" if is_async else "PipelineDAO"
    driver = "AsyncDriver" if is_async else "SyncDriver"
    cursor = "AsyncPipelineCursor" if is_async else "PipelineCursor"
    lines = [
        f"class {base}:",
        _DAO_DOC.format(base=base),
        "",
        f"{INDENT}def __init__(",
        f"{INDENT * 2}self,",
        f"{INDENT * 2}database: Any,",
        f"{INDENT * 2}registry: pipereg.Registry | None = None,",
        f"{INDENT * 2}*,",
        f"{INDENT * 2}driver: {driver} | None = None,",
        f"{INDENT * 2}slow_ms: float | None = None,",
        f"{INDENT}) -> None:",
        # One argument a line, with the trailing comma: the same layout at 88 and 100 columns.
        f"{INDENT * 2}self.dao = pipereg.{base}(",
        f"{INDENT * 3}database,",
        f"{INDENT * 3}registry,",
        f"{INDENT * 3}driver=driver,",
        f"{INDENT * 3}slow_ms=slow_ms,",
        f"{INDENT * 2})",
        "",
        f"{INDENT}@property",
        f"{INDENT}def database(self) -> Any:",
        f'{INDENT * 2}"""The database the pipelines run on."""',
        f"{INDENT * 2}return self.dao.database",
        "",
        f"{INDENT}@property",
        f"{INDENT}def registry(self) -> pipereg.Registry:",
        f'{INDENT * 2}"""The registry given, else the process-wide default one."""',
        f"{INDENT * 2}return self.dao.registry",
    ]
    methods = (
        ("aggregate", cursor, "Run ``key`` and return its cursor."),
        ("fetch_all", _ROWS, "Run ``key`` and return every result document."),
        ("fetch_one", _ROW, "Run ``key`` (with ``$limit: 1``) and return its first result."),
    )
    wait = "await " if is_async else ""
    for method, returns, doc in methods:
        signature = _overloads(
            method,
            keys,
            params_types,
            required,
            (["self"], ["**options: Any"]),
            returns,
            is_async=is_async,
        )
        lines.append("")
        lines += [INDENT + line for line in signature]
        lines += [
            f'{INDENT * 2}"""{doc}"""',
            f"{INDENT * 2}return {wait}self.dao.{method}(key, params, **options)",
        ]
    return "\n".join(lines)


def _models(by_key: Mapping[str, Pipeline], names: _Names) -> str:
    """Request models: a static class for type checkers, the generated model at run time.

    Type checkers read the ``TYPE_CHECKING`` branch: one :class:`ParamsModel` subclass per
    pipeline whose fields take what the TypedDicts take (pydantic's ``dataclass_transform``
    gives it a checked ``__init__``). At run time the module's ``__getattr__`` returns
    ``Pipeline.params_model()`` of the default registry instead, so validation is the
    declarations' own; pydantic is imported on the first model used, not with the module.
    """
    from pipereg.params.model import attribute_name  # noqa: PLC0415 - the pydantic extra

    classes: list[str] = []
    table: list[str] = []
    aliased = False
    for key in sorted(by_key):
        name = names.allocate(_camel(key.split(".")) + "Model")
        table.append(f"{INDENT * 2}{_string(name)}: {_string(key)},")
        taken: set[str] = set()
        doc = f'{INDENT * 2}"""Request model of ``{key}`` (``Pipeline.params_model()``)."""'
        if len(doc) > WIDTH or not key.isprintable():
            doc = f'{INDENT * 2}"""A pipeline\'s request model (``Pipeline.params_model()``)."""'
        lines = [f"{INDENT}class {name}(ParamsModel):", doc]
        fields = []
        for field, param in by_key[key].params.items():
            attribute = attribute_name(field, taken)
            taken.add(attribute)
            alias = "" if attribute == field else f"alias={_string(field)}"
            aliased = aliased or bool(alias)
            if param.required:
                value = f" = Field({alias})" if alias else ""
            else:
                value = f" = Field(default=None, {alias})" if alias else " = None"
            none = " | None" if param.nullable or not param.required else ""
            blocks: list[str] = []
            annotation = _annotation(param, "_", key, WIDTH, _Names(), blocks)
            line = f"{INDENT * 2}{attribute}: {annotation}{none}{value}"
            if blocks or len(line) > WIDTH:  # a nested object or a long enum: see its TypedDict
                line = f"{INDENT * 2}{attribute}: Any{value}"
            fields.append(line)
        if fields:
            lines += ["", *fields]
        classes.append("\n".join(lines))
    head = [
        "if TYPE_CHECKING:",
        *([f"{INDENT}from pydantic import Field", ""] if aliased else []),
        f"{INDENT}from pipereg import ParamsModel",
    ]
    runtime = [
        "else:",
        f"{INDENT}_MODELS = {{",
        *table,
        f"{INDENT}}}",
        "",
        f"{INDENT}def __getattr__(name: str) -> Any:",
        f'{INDENT * 2}"""The request models, built from the default registry on first use."""',
        f"{INDENT * 2}key = _MODELS.get(name)",
        f"{INDENT * 2}if key is None:",
        f"{INDENT * 3}raise AttributeError(name)",
        f"{INDENT * 2}model = pipereg.default_registry().get(key).params_model()",
        f"{INDENT * 2}globals()[name] = model",
        f"{INDENT * 2}return model",
    ]
    return "\n".join([*head, "", *("\n\n".join(classes).splitlines()), *runtime])
