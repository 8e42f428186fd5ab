"""Request models from parameter declarations: a pydantic v2 model per pipeline (pydantic extra).

:func:`params_model` builds a model whose fields are a pipeline's parameters, so a web framework
(FastAPI) validates a request against the declarations, and its OpenAPI schema shows them. The
model accepts exactly what :meth:`Pipeline.render` accepts, because each field is validated by
the parameter's own coercion (:meth:`Param.coerce`) rather than by a second, look-alike set of
pydantic constraints; ``tests/params/test_model.py`` checks that equivalence on generated inputs.
So it is as strict as render: ``"50"`` is not an int in a JSON body (for text, read it with
:meth:`Pipeline.parse_text` first), and ``None`` is accepted wherever render takes it as "left
out". The JSON Schema of each field (types, bounds, lengths, patterns, enums, defaults,
nullability, descriptions) is generated from the declaration by :func:`json_schema`.

:meth:`ParamsModel.to_params` gives back what the caller set, ready for ``render`` or a DAO.
Nothing else in pipereg imports this module; it imports pydantic.
"""

from __future__ import annotations

import datetime
import keyword
import re
from collections.abc import Mapping
from typing import Annotated, Any

from bson import Decimal128, ObjectId
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from pipereg.bson_limits import INT32, INT64
from pipereg.params.coerce import coerce
from pipereg.params.declaration import Param
from pipereg.params.values import FIELD_MAX_LENGTH, MISSING, Invalid, fresh

__all__ = ["ParamsModel", "attribute_name", "json_schema", "json_value", "params_model"]


class ParamsModel(BaseModel):
    """Base of the generated models: unknown fields are refused, as render refuses them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())

    def to_params(self) -> dict[str, Any]:
        """The parameters the caller set, by declared name, for ``render`` or a DAO call.

        Fields left unset are left out, so render applies defaults and drops optional parts
        exactly as it would for the original request.
        """
        return self.model_dump(by_alias=True, exclude_unset=True)


def params_model(
    key: str, params: Mapping[str, Param], name: str | None = None
) -> type[ParamsModel]:
    """A pydantic model of a pipeline's parameters (see the module docstring).

    Args:
        key: The pipeline key, for the model's name and docstring.
        params: The declarations, in file order.
        name: The model's class name; ``OrdersDailyRevenueParams`` for ``orders.daily_revenue``
            when not given.
    """
    fields: dict[str, Any] = {}
    taken: set[str] = set()
    for param in params.values():
        attribute = _attribute(param.name, taken)
        taken.add(attribute)
        fields[attribute] = (_annotation(param), _field(param))
    return create_model(
        name or model_name(key),
        __base__=ParamsModel,
        __doc__=f"Parameters of the pipeline {key}.",
        __module__=__name__,
        **fields,
    )


def model_name(key: str) -> str:
    """``orders.daily_revenue`` -> ``OrdersDailyRevenueParams``."""
    words = re.split(r"[^A-Za-z0-9]+", key)
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "Params"


def attribute_name(name: str, taken: set[str]) -> str:
    """The model's attribute for parameter ``name`` (``pipereg stubs`` writes the same ones)."""
    return _attribute(name, taken)


def _attribute(name: str, taken: set[str]) -> str:
    # A Python attribute for the parameter; the alias keeps its declared name for the request.
    # Names pydantic reserves (a leading _, model_*) or BaseModel already has (json, copy,
    # schema) and keywords get a trailing _.
    attribute = name
    while (
        attribute.startswith("_")
        or attribute.startswith("model_")
        or hasattr(BaseModel, attribute)
        or keyword.iskeyword(attribute)
        or attribute in taken
    ):
        attribute = ("p" + attribute) if attribute.startswith("_") else attribute + "_"
    return attribute


def _annotation(param: Param) -> Any:
    def validate(value: Any) -> Any:
        return _validate(param, value)

    return Annotated[Any, PlainValidator(validate), WithJsonSchema(json_schema(param))]


def _field(param: Param) -> Any:
    description = param.description or None
    if param.required:
        return Field(alias=param.name, description=description)
    default = param.default
    # A factory, not a default: the coerced default (a datetime, an ObjectId) is not JSON, and
    # pydantic would write it into the schema; json_schema() writes its JSON form instead.
    return Field(
        default_factory=lambda: None if default is MISSING else fresh(default),
        alias=param.name,
        description=description,
    )


def _validate(param: Param, value: Any) -> Any:
    if value is None and not param.nullable:
        # Render reads None as "left out": the default, or nothing for an optional parameter.
        if param.default is not MISSING:
            return fresh(param.default)
        if param.optional:
            return None
        raise PydanticCustomError(
            "pipereg_parameter",
            "missing required parameter of type {expected}",
            {"expected": param.type_name},
        )
    try:
        return coerce(param, value)
    except Invalid as exc:
        where = exc.where.lstrip(".")
        raise PydanticCustomError(
            "pipereg_parameter",
            "{where}{problem}",
            {"where": f"{where}: " if where else "", "problem": exc.problem},
        ) from None


def json_schema(param: Param, *, item: bool = False) -> dict[str, Any]:
    """The JSON Schema of a parameter's values, as a request (JSON) carries them.

    ``null`` is allowed where render accepts None: for a nullable parameter, and as "left out"
    for a parameter or property that is not required (never for an array ``item``).
    """
    schema = _base_schema(param)
    if param.enum is not None:
        schema["enum"] = [json_value(v) for v in param.enum]
    if param.nullable or (not item and not param.required):
        schema = {"anyOf": [schema, {"type": "null"}]}
    if param.description:
        schema["description"] = param.description
    if param.default is not MISSING:
        schema["default"] = json_value(param.default)
    return schema


def _base_schema(param: Param) -> dict[str, Any]:
    kind = param.type
    schema: dict[str, Any]
    if kind in ("string", "field"):
        schema = {"type": "string"}
        if kind == "field":
            schema.update(minLength=1, maxLength=FIELD_MAX_LENGTH, pattern=r"^(?!\$)")
        if param.min_length is not None:
            schema["minLength"] = param.min_length
        if param.max_length is not None:
            schema["maxLength"] = param.max_length
        if param.pattern is not None:
            schema["pattern"] = param.pattern
    elif kind in ("int", "long"):
        low, high = INT32 if kind == "int" else INT64
        schema = {"type": "integer", "format": "int32" if kind == "int" else "int64"}
        schema["minimum"] = low if param.minimum is None else int(param.minimum)
        schema["maximum"] = high if param.maximum is None else int(param.maximum)
    elif kind == "double":
        schema = {"type": "number", "format": "double"}
        if param.minimum is not None:
            schema["minimum"] = param.minimum
        if param.maximum is not None:
            schema["maximum"] = param.maximum
    elif kind == "decimal":
        # Exact: a string or an integer, never a binary float.
        schema = {"anyOf": [{"type": "string", "format": "decimal"}, {"type": "integer"}]}
    elif kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "date":
        schema = {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ]
        }
        for bound in ("minimum", "maximum"):
            value = getattr(param, bound)
            if value is not None:
                schema[f"x-{bound}"] = json_value(value)
    elif kind == "objectId":
        schema = {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}
    elif kind == "array":
        assert param.items is not None  # the file schema requires items
        schema = {"type": "array", "items": json_schema(param.items, item=True)}
        if param.min_items is not None:
            schema["minItems"] = param.min_items
        if param.max_items is not None:
            schema["maxItems"] = param.max_items
    else:  # object
        schema = {
            "type": "object",
            "properties": {name: json_schema(p) for name, p in param.properties.items()},
            "additionalProperties": False,
        }
        required = [name for name, p in param.properties.items() if p.required]
        if required:
            schema["required"] = required
    return schema


def json_value(value: Any) -> Any:
    """A coerced value as JSON writes it: dates in ISO 8601, ObjectIds and decimals as text."""
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (ObjectId, Decimal128)):
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return int(value)  # Int64 -> int
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return str(value)
