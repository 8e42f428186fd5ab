"""A loaded pipeline: its declaration, its compiled templates, and how to render it."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipereg.compile import template
from pipereg.errors import ParameterError
from pipereg.messages import clip, describe, did_you_mean
from pipereg.params.declaration import Param
from pipereg.params.text import parse_text
from pipereg.params.values import Invalid

if TYPE_CHECKING:
    from pipereg.compile.codegen import OptionsFunction, StagesFunction
    from pipereg.params.model import ParamsModel
    from pipereg.params.validator import Validator

TAG_PREFIX = "pipereg:"


def fingerprint(definition: Mapping[str, Any]) -> str:
    """A stable SHA-256 of what a pipeline does: collection, params, stages and options.

    Key order counts (it is meaningful in ``$sort`` and stage documents); the key, version and
    description do not, so a renamed or re-described pipeline keeps its fingerprint.
    """
    import hashlib  # noqa: PLC0415 - OpenSSL's module: only for a fingerprint, not for a load

    relevant = {k: definition.get(k) for k in ("collection", "params", "stages", "options")}
    text = json.dumps(relevant, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class Pipeline:
    """One pipeline, ready to render.

    Attributes:
        key: ``<module>.<name>``, e.g. ``orders.daily_revenue``.
        module: The file's module name.
        name: The pipeline's name in its file.
        version: The pipeline's version (its own, else its file's).
        collection: The collection it runs on; ``None`` for a database-level pipeline
            (``"collection": null``), run as ``db.aggregate``.
        description: Free text from the file.
        params: Declarations by name, in file order.
        options: Aggregate options as written in the file (placeholders unrendered).
        path: The file it came from.
        definition: The pipeline's JSON as written in the file, with every ``$include``
            replaced by the fragment it names (what runs, so fingerprints follow fragments).
        includes: The keys of the fragments it uses, directly or through other fragments.
        module_description: The file's own ``description`` (what the module is about).
    """

    key: str
    module: str
    name: str
    version: int
    collection: str | None
    description: str
    params: Mapping[str, Param]
    options: Mapping[str, Any]
    path: str
    definition: Mapping[str, Any] = field(repr=False)
    module_description: str = ""
    includes: tuple[str, ...] = ()

    @classmethod
    def loaded(cls, **fields: Any) -> Pipeline:
        """A pipeline from every one of its fields, as loading builds thousands of them.

        The same as the constructor with every field given, without its one
        ``object.__setattr__`` call per field (the dataclass is frozen): a fifth of the cost.

        Raises:
            TypeError: ``fields`` are not exactly the dataclass's fields.
        """
        if fields.keys() != _FIELDS:
            raise TypeError(f"Pipeline.loaded() needs exactly the fields {sorted(_FIELDS)}")
        pipeline = object.__new__(cls)
        pipeline.__dict__.update(fields)
        return pipeline

    @functools.cached_property
    def stage_tree(self) -> list[Any]:
        """The stages' template tree (see :mod:`pipereg.compile.template`), built on first use.

        Loading checked the definition, so building finds nothing to report.
        """
        tree: list[Any] = template.build(self.definition["stages"], (), stages=True).tree
        return tree

    @functools.cached_property
    def option_tree(self) -> Mapping[str, Any]:
        """The options' template tree, built on first use."""
        tree: Mapping[str, Any] = template.build(self.definition.get("options", {}), ()).tree
        return tree

    @functools.cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the definition (see :func:`fingerprint`), computed on first use."""
        return fingerprint(self.definition)

    @functools.cached_property
    def _stages(self) -> StagesFunction:
        # Compiled on first render, so start-up only parses and checks. Two threads racing here
        # compile the same function twice, which is harmless. Imported here: a load (or
        # `pipereg lint`) that renders nothing never imports the generators.
        from pipereg.compile.codegen import compile_stages  # noqa: PLC0415

        return compile_stages(self.stage_tree, self.params, self.key)

    @functools.cached_property
    def _options(self) -> OptionsFunction:
        from pipereg.compile.codegen import compile_options  # noqa: PLC0415

        return compile_options(self.option_tree, self.params, self.key)

    @functools.cached_property
    def _validate(self) -> Validator:
        # Generated on first use, as the render function is (see compile()).
        from pipereg.params.validator import compile_validator  # noqa: PLC0415

        return compile_validator(self.key, self.params)

    def compile(self) -> Pipeline:
        """Generate the validator and the render functions now, so no render pays for it.

        Rendering compiles on first use; a service calls this (or :meth:`Registry.compile`)
        before it serves. Idempotent and safe to call from several threads (at worst, two
        threads generate the same function and one is kept).

        Returns:
            The pipeline itself.
        """
        _ = self._validate, self._stages, self._options
        return self

    @property
    def compiled(self) -> bool:
        """Whether the validator and render functions are generated (see :meth:`compile`)."""
        return all(name in self.__dict__ for name in ("_validate", "_stages", "_options"))

    @property
    def tag(self) -> str:
        """What the server's ``comment`` starts with: ``pipereg:<key>@<version> fp:<12 hex>``."""
        return f"{TAG_PREFIX}{self.key}@{self.version} fp:{self.fingerprint[:12]}"

    def render(self, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Render the stages with ``params``; a fresh list on every call.

        Raises:
            ParameterError: an unknown, missing or ill-typed parameter.
        """
        return self._stages(self._validate(params))

    def render_options(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Render the file's aggregate options with ``params`` (``let`` may hold placeholders)."""
        return self._options(self._validate(params))

    def prepare(
        self, params: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Render stages and options together, coercing the parameters once."""
        values = self._validate(params)
        return self._stages(values), self._options(values)

    def params_model(self) -> type[ParamsModel]:
        """A pydantic v2 model of the parameters, for request validation (the ``pydantic`` extra).

        It accepts exactly what :meth:`render` accepts, with each declaration's constraints,
        defaults, nullability and description in its JSON Schema; ``model.to_params()`` gives
        what the request set, ready for ``render`` or a DAO. Built on first use, then kept.
        See :mod:`pipereg.params.model`.
        """
        return self._params_model

    @functools.cached_property
    def _params_model(self) -> type[ParamsModel]:
        from pipereg.params.model import params_model  # noqa: PLC0415 - pydantic is optional

        return params_model(self.key, self.params)

    def parse_text(self, values: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
        """Parameters written as text (query strings, form fields, environment), by declared type.

        Each value is read as the command line's ``-p`` reads it (:mod:`pipereg.params.text`):
        ``"50"`` becomes 50 only where the parameter is declared ``int``; text for string-like
        types stays text, and arrays and objects are JSON. An array parameter may also be given
        a list of texts, one per item (a query string's repeated key), each read by the item
        type. Pass the result to :meth:`render` or a DAO, which check every constraint; Python
        values given directly stay strictly coerced.

        Raises:
            ParameterError: an unknown name, or a text that does not read as its declared type.
        """
        parsed: dict[str, Any] = {}
        for name, text in values.items():
            param = self.params.get(name)
            if param is None:
                raise ParameterError(
                    self.key,
                    clip(str(name), 100),
                    f"unknown parameter{did_you_mean(str(name), self.params)}",
                    actual=describe(text),
                )
            try:
                parsed[name] = _read(param, text)
            except Invalid as exc:
                raise ParameterError(
                    self.key,
                    name + exc.where,
                    exc.problem,
                    expected=exc.expected or param.type_name,
                    actual=exc.actual or describe(text),
                ) from None
        return parsed


def _read(param: Param, text: str | Sequence[str]) -> Any:
    if isinstance(text, str):
        return parse_text(param, text)
    if param.items is not None and isinstance(text, (list, tuple)):
        items = []
        for i, item in enumerate(text):
            if not isinstance(item, str):
                raise Invalid(f"expected text, got {describe(item)}", where=f"[{i}]")
            try:
                items.append(parse_text(param.items, item))
            except Invalid as exc:
                raise exc.under(f"[{i}]") from None
        return items
    raise Invalid(f"expected text, got {describe(text)}", expected="text")


_FIELDS = {f.name for f in dataclasses.fields(Pipeline)}
