"""Pipelines in mongosh and Compass syntax (``.js``, ``.mongodb``, or pasted), read by tree-sitter.

Statements ``db.orders.aggregate([...])``, ``db["orders"].aggregate(...)`` and
``db.getCollection("orders").aggregate([...], {options})`` give named pipelines; a bare array
(a Compass export) takes the collection it is given. ``const x = [...]`` binds a value that a
later statement uses. The JavaScript grammar is tree-sitter's (the ``import`` extra): a
hand-written reader would drift from what mongosh accepts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pipereg.convert.model import Converted, Note, Refusal, SourceError, SourceResult
from pipereg.convert.shell_values import (
    ParserMissing,
    children,
    line_of,
    literal,
    parser,
    string,
    text_of,
)
from pipereg.convert.template import Arr, Node, Obj, Refused, emit

if TYPE_CHECKING:
    from tree_sitter import Node as Syntax


_COLLECTION_CALLS = frozenset({"getCollection", "get_collection"})
_OPTIONS = frozenset(
    {"allowDiskUse", "maxTimeMS", "batchSize", "collation", "hint", "let", "comment"}
)
_COUNTS = frozenset({"maxTimeMS", "batchSize"})
# The tag `pipereg render` and the DAO put first in the comment: pipereg:<key>@<version> fp:<hex>.
_TAG = re.compile(r"pipereg:(?P<key>[\w.-]+)@\d+ fp:[0-9a-f]+ ?")
MISSING_PARSER = "reading mongosh syntax needs the JavaScript parser: pip install 'pipereg[import]'"


def read_shell(text: str, path: str, collection: str | None = None) -> SourceResult:
    """Every pipeline in a mongosh script; ``collection`` is a bare array's.

    Raises:
        SourceError: the text is not valid JavaScript.
        ParserMissing: the ``import`` extra is not installed.
    """
    tree = parser(MISSING_PARSER).parse(text.encode("utf-8"))
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        row, column = bad.start_point
        what = f"expected {bad.type}" if bad.is_missing else f"unexpected `{_clip(text_of(bad))}`"
        raise SourceError(path, row + 1, column + 1, f"syntax error: {what}")
    return _Reader(path, collection).read(root)


class _Reader:
    def __init__(self, path: str, collection: str | None) -> None:
        self.path, self.collection = path, collection
        self.bound: dict[str, Syntax] = {}
        self.pipelines: list[Converted] = []
        self.refusals: list[Refusal] = []
        self.notes: list[Note] = []
        self.names: set[str] = set()

    def read(self, root: Syntax) -> SourceResult:
        for statement in children(root):
            if statement.type in ("lexical_declaration", "variable_declaration"):
                for declarator in children(statement):
                    name, bound = (declarator.child_by_field_name(k) for k in ("name", "value"))
                    if name is not None and bound is not None and name.type == "identifier":
                        self.bound[text_of(name)] = bound
                        self._calls(bound)
            elif statement.type == "expression_statement":
                expression = children(statement)[0]
                if expression.type == "array":
                    self._pipeline(expression, None, None, None)
                else:
                    self._calls(expression)
        return SourceResult(self.path, self.pipelines, self.refusals, self.notes)

    def _calls(self, node: Syntax) -> None:
        # Every `<collection>.aggregate(...)` in the expression, outermost first.
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "member_expression":
                prop = function.child_by_field_name("property")
                if prop is not None and text_of(prop) == "aggregate":
                    self._aggregate(node, function.child_by_field_name("object"))
                    return
        for child in children(node):
            self._calls(child)

    def _aggregate(self, call: Syntax, receiver: Syntax | None) -> None:
        arguments = call.child_by_field_name("arguments")
        args = children(arguments) if arguments is not None else []
        collection = _collection(receiver)
        if not args:
            return
        if collection is None:
            name = self._name(None, None, "pipeline")
            line = line_of(call)
            self.refusals.append(
                Refusal(self.path, line, f"{name}: a collection the tool cannot read")
            )
            return
        self._pipeline(args[0], collection, args[1] if len(args) > 1 else None, call)

    def _pipeline(
        self, node: Syntax, collection: str | None, options: Syntax | None, call: Syntax | None
    ) -> None:
        line = line_of(call or node)
        variable = text_of(node) if node.type == "identifier" else None
        try:
            option_values = self._options(options)
        except Refused as exc:
            name = self._name(variable, None, collection or "pipeline")
            self.refusals.append(Refusal(self.path, exc.line, f"{name}: {exc.reason}"))
            return
        tag = option_values.pop("_tag", None)
        name = self._name(variable, tag, collection or self.collection or "pipeline")
        try:
            if collection is None:
                collection = self.collection
            if collection is None:
                raise Refused(line, "a bare array names no collection: pass --collection")
            template = literal(node, self._lookup)
            if not isinstance(template, Arr):
                raise Refused(line, "aggregate() of something other than a list of stages")
            stages, uses = emit(template)
            if not stages:
                raise Refused(line, "an empty pipeline")
        except Refused as exc:
            self.refusals.append(Refusal(self.path, exc.line, f"{name}: {exc.reason}"))
            return
        assert not uses  # shell literals hold no placeholders
        self.pipelines.append(Converted(name, collection, stages, {}, option_values, line))

    def _options(self, node: Syntax | None) -> dict[str, Any]:
        if node is None:
            return {}
        template = literal(node, self._lookup)
        if not isinstance(template, Obj):
            raise Refused(line_of(node), "aggregate options that are not an object")
        options, _ = emit(template)
        kept: dict[str, Any] = {}
        for key, option in options.items():
            if key not in _OPTIONS:
                self.notes.append(Note(self.path, line_of(node), f"option {key} left out"))
                continue
            match = _TAG.match(option) if key == "comment" and isinstance(option, str) else None
            if match:  # pipereg's own tag: it names the pipeline, it is no comment to keep
                kept["_tag"] = match["key"].rsplit(".", 1)[-1]
                if option[match.end() :]:
                    kept[key] = option[match.end() :]
                continue
            if key in _COUNTS and isinstance(option, dict) and "$numberLong" in option:
                # NumberLong(30000): a count either way, and the file's options take a number.
                kept[key] = int(option["$numberLong"])
                continue
            kept[key] = option
        return kept

    def _lookup(self, node: Syntax) -> Node:
        name = text_of(node)
        bound = self.bound.get(name)
        if bound is None:
            raise Refused(line_of(node), f"`{name}` is not a literal, nor bound to one here")
        if bound.type == "identifier" and text_of(bound) == name:
            raise Refused(line_of(node), f"`{name}` is bound to itself")
        return literal(bound, self._lookup)

    def _name(self, variable: str | None, tag: str | None, collection: str) -> str:
        base = re.sub(r"\W", "_", tag or variable or collection) or "pipeline"
        if base[0].isdigit():
            base = f"p_{base}"
        name, suffix = base, 2
        while name in self.names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self.names.add(name)
        return name


def _collection(receiver: Syntax | None) -> str | None:
    # db.orders, db["orders"], db.getCollection("orders").
    if receiver is None:
        return None
    if receiver.type == "member_expression":
        prop = receiver.child_by_field_name("property")
        return text_of(prop) if prop is not None else None
    if receiver.type == "subscript_expression":
        index = receiver.child_by_field_name("index")
        return string(index) if index is not None and index.type == "string" else None
    if receiver.type == "call_expression":
        function = receiver.child_by_field_name("function")
        arguments = receiver.child_by_field_name("arguments")
        args = children(arguments) if arguments is not None else []
        if function is not None and function.type == "member_expression":
            prop = function.child_by_field_name("property")
            if prop is not None and text_of(prop) in _COLLECTION_CALLS and len(args) == 1:
                return string(args[0]) if args[0].type == "string" else None
    return None


def _first_error(node: Syntax) -> Syntax:
    for child in node.children:
        if child.type == "ERROR" or child.is_missing:
            return child
        if child.has_error:
            return _first_error(child)
    return node


def _clip(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 30 else line[:27] + "..."


__all__ = ["MISSING_PARSER", "ParserMissing", "read_shell"]
