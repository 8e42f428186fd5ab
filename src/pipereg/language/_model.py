"""The catalog's vocabulary: kinds, positions, forms, placement, arguments and operators."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


class Kind(enum.Enum):
    """Where in a pipeline an operator's name can stand."""

    STAGE = "stage"  # an element of a pipeline: {"$match": ...}
    QUERY = "query"  # inside a filter: {"qty": {"$gt": 5}}, {"$or": [...]}
    EXPRESSION = "expression"  # inside an aggregation expression: {"$add": [...]}
    ACCUMULATOR = "accumulator"  # a field of $group, $bucket(Auto).output: {"$sum": 1}
    WINDOW = "window"  # a field of $setWindowFields.output: {"$rank": {}}


class Position(enum.Enum):
    """What a value standing at an argument's position is read as."""

    EXPRESSION = "expression"  # an aggregation expression: "$field", {"$op": ...}, a literal
    FILTER = "filter"  # a query filter, as in $match: {"field": {"$gt": 1}}
    FIELD_PATH = "field path"  # a "$field.path" string naming an input field
    FIELD_NAME = "field name"  # the name of a field (no "$"), e.g. an output field
    NAMESPACE = "namespace"  # a collection name, or {db, coll}: where data is read or written
    PIPELINE = "pipeline"  # a list of stages (a sub-pipeline)
    PROJECTION = "projection"  # a $project specification
    SORT = "sort"  # a sort specification: {"field": 1, "other": -1}
    VARIABLES = "variables"  # an object of variable name -> expression (let, vars)
    ACCUMULATOR = "accumulator"  # an accumulator operator object: {"$sum": ...}
    WINDOW = "window"  # a window operator object, with its optional "window" bounds
    JAVASCRIPT = "javascript"  # JavaScript source code run by the server
    REGEX = "regex"  # a regular expression pattern
    SEARCH = "search"  # an Atlas Search specification (operators, index, options)
    GEOMETRY = "geometry"  # a GeoJSON object or legacy coordinate pairs
    NUMBER = "number"  # a literal number
    STRING = "string"  # a literal string
    BOOL = "bool"  # a literal boolean
    OPTIONS = "options"  # an object of named settings, read as literals unless fields say more
    ANY = "any"  # any literal value


class Form(enum.Enum):
    """How an operator's arguments are written after its name."""

    VALUE = "value"  # {"$abs": <arg>}: the one argument itself
    LIST = "list"  # {"$subtract": [<a>, <b>]}: positional arguments
    OBJECT = "object"  # {"$lookup": {"from": ..., "as": ...}}: named arguments


class Scope(enum.Enum):
    """What a stage's aggregation runs against."""

    COLLECTION = "collection"  # db.collection.aggregate(...)
    DATABASE = "database"  # db.aggregate(...), the command's {aggregate: 1}
    EITHER = "either"  # both, e.g. $changeStream on a collection or a whole database


@dataclass(frozen=True)
class Placement:
    """Where a stage may stand in a pipeline.

    Attributes:
        first: The stage must be the pipeline's first.
        last: The stage must be the pipeline's last.
        top_level: The stage is allowed only in the top-level pipeline, in no sub-pipeline.
        in_facet: The stage is allowed inside a ``$facet`` pipeline.
        in_lookup: The stage is allowed inside a ``$lookup`` or ``$unionWith`` pipeline.
        scope: What the aggregation must run against.
    """

    first: bool = False
    last: bool = False
    top_level: bool = False
    in_facet: bool = True
    in_lookup: bool = True
    scope: Scope = Scope.COLLECTION


@dataclass(frozen=True)
class Argument:
    """One argument of an operator.

    Attributes:
        name: The argument's name: the key in the OBJECT form, a label in the others. ``"*"``
            stands for any key, e.g. each output field of ``$addFields``.
        position: What the argument's value is read as.
        required: Whether the operator refuses to run without it.
        variadic: Whether it repeats: any number of positional arguments in the LIST form, or
            any number of keys for a ``"*"`` argument.
        fields: For an object value whose keys are known, its fields as arguments (e.g.
            ``$rankFusion``'s ``input`` holds ``pipelines``), the last level a security
            review must see.
        types: The source's own type words, e.g. ``("resolvesToNumber",)``.
    """

    name: str
    position: Position
    required: bool = True
    variadic: bool = False
    fields: tuple[Argument, ...] = ()
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operator:
    """One operator (or stage) of the aggregation language, as it stands in one or more kinds.

    An operator whose name stands in two kinds with different arguments (``$sum`` as an
    accumulator takes one value, as an expression a list) is two ``Operator`` records.

    Attributes:
        name: The name with its ``$``, e.g. ``"$lookup"``.
        kinds: The kinds this record describes (``$sum``'s accumulator record is also its
            window record).
        forms: The ways its arguments may be written, the usual one first.
        arguments: Its arguments, in positional order for the LIST form.
        min_args: The fewest positional arguments the LIST form takes.
        max_args: The most positional arguments the LIST form takes, ``None`` for no limit.
        shorthand: The single value an OBJECT-form stage also takes in place of its object,
            e.g. ``{"$unwind": "$tags"}``: the path (``None`` if it has no short form).
        open_object: Whether the OBJECT form takes keys beyond its named arguments (``$group``'s
            output fields, ``$addFields``'s fields).
        placement: For a stage, where it may stand; ``None`` for other kinds.
        introduced: The server version that introduced it, e.g. ``"5.0"``; ``None`` when it
            predates the versions the catalog records (all of 4.0's language).
        description: One line from its manual page.
        url: Its manual page.
        source: ``"mongo-php-library"`` (generated) or ``"supplement"`` (hand-kept).
    """

    name: str
    kinds: frozenset[Kind]
    forms: tuple[Form, ...]
    arguments: tuple[Argument, ...]
    min_args: int = 0
    max_args: int | None = None
    shorthand: Argument | None = None
    open_object: bool = False
    placement: Placement | None = None
    introduced: str | None = None
    description: str = ""
    url: str = ""
    source: str = "mongo-php-library"
    _by_name: Mapping[str, Argument] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _required: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A frozen dataclass sets derived fields through object.__setattr__. Lint asks for the
        # required names of every operator it meets: computed once.
        object.__setattr__(self, "_by_name", {arg.name: arg for arg in self.arguments})
        required = tuple(a.name for a in self.arguments if a.required and a.name != "*")
        object.__setattr__(self, "_required", required)

    def argument(self, name: str) -> Argument | None:
        """Return the argument a key of the OBJECT form names, ``None`` if none.

        A key the operator does not name falls to its ``"*"`` argument when it has one.
        """
        return self._by_name.get(name) or self._by_name.get("*")

    @property
    def required(self) -> tuple[str, ...]:
        """The names of the arguments the OBJECT form must hold."""
        return self._required

    def newer_than(self, version: str) -> bool:
        """Return whether the operator came after server ``version`` (e.g. ``"7.0"``).

        Args:
            version: A dotted server version; compared number by number, so ``"6.0.7"`` is
                newer than ``"6.0"``.
        """
        return self.introduced is not None and _version(self.introduced) > _version(version)

    def arity_error(self, value: object) -> str | None:
        """Return why ``value`` cannot be this operator's arguments, ``None`` if it can.

        Checks the written form, the count of positional arguments, required and unknown
        names; it does not look inside the arguments.

        Args:
            value: What follows the operator's name, as parsed from JSON.
        """
        if isinstance(value, dict):
            return self._object_error(value)
        if isinstance(value, list):
            return self._list_error(value)
        if Form.VALUE in self.forms or self.shorthand is not None:
            return None
        if Form.LIST in self.forms and Kind.EXPRESSION in self.kinds:
            # An expression operator reads a lone non-list value as a list of one.
            return self._count_error(1)
        return f"{self.name} takes {self._expected()}"

    def _object_error(self, value: Mapping[str, object]) -> str | None:
        if Form.OBJECT not in self.forms:
            if Form.VALUE in self.forms:
                return None  # the object is the one argument, e.g. {"$match": {...}}
            if Kind.EXPRESSION in self.kinds:
                return self._count_error(1)  # an object expression as a list of one
            return f"{self.name} takes {self._expected()}"
        missing = [name for name in self.required if name not in value]
        if missing:
            return f"{self.name} requires {_listing(missing)}"
        if not self.open_object:
            unknown = [key for key in value if key not in self._by_name]
            if unknown:
                return f"{self.name} does not take {_listing(unknown)}"
        return None

    def _list_error(self, value: Sequence[object]) -> str | None:
        if Form.LIST in self.forms:
            return self._count_error(len(value))
        if Form.VALUE in self.forms:
            if Kind.EXPRESSION in self.kinds and self.name != "$literal":
                # {"$abs": [x]}: an expression's one argument may be wrapped in a list.
                return None if len(value) == 1 else self._count_error(len(value), exact=1)
            return None
        if self.shorthand is not None:
            return None
        return f"{self.name} takes {self._expected()}"

    def _count_error(self, count: int, *, exact: int | None = None) -> str | None:
        low, high = (exact, exact) if exact is not None else (self.min_args, self.max_args)
        if count >= low and (high is None or count <= high):
            return None
        if high == low:
            wanted = f"exactly {low}"
        elif high is None:
            wanted = f"at least {low}"
        else:
            wanted = f"{low} to {high}"
        noun = "argument" if wanted.endswith(" 1") else "arguments"
        return f"{self.name} takes {wanted} {noun}, not {count}"

    def _expected(self) -> str:
        words = {Form.VALUE: "a value", Form.LIST: "a list", Form.OBJECT: "an object"}
        return " or ".join(words[form] for form in self.forms)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _listing(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


@dataclass(frozen=True)
class Slot:
    """One place where a value stands in the language: an argument of an operator, at a path.

    Attributes:
        operator: The operator whose argument it is.
        path: The argument names from the operator's value down to the slot, e.g.
            ``("input", "pipelines", "*")`` for each pipeline of ``$rankFusion``. In the
            VALUE and LIST forms the first name labels a value that has no key.
        argument: The argument at the end of the path.
    """

    operator: Operator
    path: tuple[str, ...]
    argument: Argument

    @property
    def position(self) -> Position:
        """What the value standing in the slot is read as."""
        return self.argument.position
