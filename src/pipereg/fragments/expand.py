"""Includes inlined: one walk over a pipeline's (or a fragment's) JSON, copying as it goes.

:class:`Walk` replaces each ``{"$include": ...}`` by the fragment's stages or document with its
parameters bound: a fragment parameter bound to a whole placeholder of the includer's params is
renamed (the types must fit, :func:`mismatch`); one bound to a constant, or left to its default,
gets the value coerced by its declaration and written back as the file would write it, so the
template reads it as a literal; an optional one left out is removed by the renderers' absence
rule. Every container of the result is new, so its id can key where its members were written
(:class:`Origin`), which lets findings on expanded stages be located in the files.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from bson import Decimal128, Int64, ObjectId, json_util

from pipereg import codes
from pipereg.compile.placeholders import TOKEN, WHOLE
from pipereg.errors import Finding, Severity
from pipereg.fragments.fragment import INCLUDE, Fragment, Kind
from pipereg.jsontext.extjson import RELAXED, ExtJsonError, is_wrapper, literal
from pipereg.jsontext.parse import JsonPath, format_json_path
from pipereg.messages import did_you_mean
from pipereg.params.coerce import coerce
from pipereg.params.compatibility import unmet
from pipereg.params.declaration import Param
from pipereg.params.values import MISSING, Invalid

_KINDS = {"stages": "a list of stages", "document": "an object"}
# Far more than any real reuse needs, and far less than would exhaust the stack: each level
# costs the walks a few frames, and content inlined this deep is deep already.
INCLUDE_DEPTH = 32
# The most JSON values (objects, arrays, scalars) one pipeline's expansion may hold. Fragments
# that each include the previous one twice double at every level: 30 levels of a few bytes
# each would be a billion values. Real pipelines hold hundreds.
EXPANDED_VALUES = 250_000


@dataclass(frozen=True)
class Rename:
    """A fragment parameter bound to a parameter of the includer, under that name."""

    name: str


@dataclass(frozen=True)
class _Constant:
    value: Any
    param: Param


class _AbsentType:
    __slots__ = ()


_ABSENT = _AbsentType()
_Binding = Rename | _Constant | _AbsentType

# A hop into inlined content: the fragment, its file, and the path reached in that file.
Hop = tuple[str, str, JsonPath]


class Origin(NamedTuple):
    """Where a node of an expanded pipeline was written.

    ``path`` is in the including file: the node itself, or, for inlined content, the outermost
    include. ``hops`` follows the includes down to the fragment that holds the node. A named
    tuple: the walk makes one for every member it passes (a frozen dataclass costs 4x).
    """

    path: JsonPath
    hops: tuple[Hop, ...] = ()

    def step(self, part: str | int) -> Origin:
        """The origin of a child ``part``."""
        if not self.hops:
            return Origin((*self.path, part))
        key, file, inner = self.hops[-1]
        return Origin(self.path, (*self.hops[:-1], (key, file, (*inner, part))))

    def note(self) -> str:
        """``" (in fragment 'k', file $.fragments...)"`` for inlined content, else empty."""
        if not self.hops:
            return ""
        key, file, inner = self.hops[-1]
        via = "".join(f", included by {k!r} at {format_json_path(p)}" for k, _, p in self.hops[:-1])
        return f" (in fragment {key!r}, {file} {format_json_path(inner)}{via})"


class Library:
    """What every walk of one load shares: the fragments, and the bookkeeping of inlining them.

    The walks of one load (one per pipeline, one per fragment checked) read and update it; it
    knows nothing of who asks. :class:`~pipereg.fragments.collect.Expander` holds one.
    """

    def __init__(self, fragments: Iterable[Fragment], unreadable: Iterable[str] = ()) -> None:
        """Index ``fragments`` by key; ``unreadable`` modules' fragments are skipped quietly."""
        self.fragments: dict[str, Fragment] = {}
        for fragment in fragments:
            self.fragments.setdefault(fragment.key, fragment)
        # Prefixes of modules whose files could not be read or checked, and keys of fragments
        # with problems of their own: includes of either are skipped quietly, not reported again.
        self.unreadable = {f"{module}." for module in unreadable}
        self.failed: set[str] = set()
        self.used: dict[str, None] = {}
        # The fragments being inlined, outermost first, whichever walk is inlining each.
        self.chain: list[str] = []
        self.too_deep = False
        self._findings: dict[str, list[Finding]] = {}
        # fragment key -> (values its body expands to, the includes it holds: key -> count)
        self._sizes: dict[str, tuple[int, dict[str, int]]] = {}

    def expanded_size(self, key: str) -> int:
        """How many JSON values fragment ``key`` expands to, its includes inlined (memoized).

        Counted from the bodies without inlining anything, so an exponential chain costs one
        pass over each fragment; a cycle counts once (it is reported as a cycle).
        """
        return self._size(key, set())[0]

    def _size(self, key: str, visiting: set[str]) -> tuple[int, dict[str, int]]:
        if key in self._sizes:
            return self._sizes[key]
        fragment = self.fragments.get(key)
        if fragment is None or key in visiting:
            return 1, {}
        visiting.add(key)
        own, included = _count(fragment.body, fragment.module)
        total = own
        for inner, times in included.items():
            total += times * self._size(inner, visiting)[0]
        visiting.discard(key)
        self._sizes[key] = (total, included)
        return self._sizes[key]

    def heaviest_chain(self, key: str) -> str:
        """The include chain from ``key`` through each fragment's largest include, as text."""
        steps = [key]
        seen = {key}
        while True:
            _, included = self._size(steps[-1], set())
            if not included:
                break
            inner = max(included, key=lambda k: included[k] * self._size(k, set())[0])
            times = included[inner]
            steps[-1] += f" (includes {inner} {times} time{'s' if times != 1 else ''})"
            if inner in seen or len(steps) > 8:
                break
            seen.add(inner)
            steps.append(inner)
        return " -> ".join(steps)

    def check_fragment(self, fragment: Fragment) -> list[Finding]:
        """The problems of the includes inside one fragment, located in its file (memoized)."""
        key = fragment.key
        if key not in self._findings:
            # While it is being checked it counts as usable: a cycle back to it is reported by
            # the walk that meets it, with the whole cycle named.
            self._findings[key] = []
            walk = Walk(self, fragment.module, fragment.params, ())
            walk.body(fragment, Origin(fragment.at), {n: Rename(n) for n in fragment.params})
            self._findings[key] = walk.findings
            if walk.failed or walk.skipped:
                self.failed.add(key)
        return self._findings[key]

    def can_inline(self, key: str) -> bool:
        """Whether ``key`` can be inlined: it and what it includes have no problems."""
        if key in self.failed or any(key.startswith(m) for m in self.unreadable):
            return False
        self.check_fragment(self.fragments[key])
        return key not in self.failed


class Walk:
    """One expansion, of a pipeline's stages or of a fragment checked on its own.

    ``params`` are the includer's (what ``with`` placeholders may name), ``stack`` the fragments
    being inlined (for cycles). Problems go to ``findings``, located in the file being walked;
    ``skipped`` is set when an included fragment has problems of its own, reported in its file.
    """

    def __init__(
        self, library: Library, module: str, params: Mapping[str, Param], stack: tuple[str, ...]
    ) -> None:
        self.library = library
        self.module = module
        self.params = params
        self.stack = stack
        self.findings: list[Finding] = []
        self.includes: dict[str, None] = {}
        self.origins: dict[tuple[int, str | int], Origin] = {}
        self.skipped = False
        self.expanded = 0  # JSON values inlined so far, bounded by EXPANDED_VALUES
        self.too_large = False

    def fail(self, origin: Origin, code: str, message: str, severity: Severity = "error") -> None:
        """Record a finding at ``origin``, with the include chain that leads there."""
        self.findings.append(Finding(origin.path, code, message + origin.note(), severity))

    @property
    def failed(self) -> bool:
        """Whether an error was found (warnings leave the expansion usable)."""
        return any(f.severity == "error" for f in self.findings)

    def body(
        self, fragment: Fragment, origin: Origin, env: dict[str, _Binding]
    ) -> tuple[Any, Origin] | None:
        """A fragment's body with its parameters bound, and the origin of that body."""
        # The fragment's body with ``env`` bound, and where it was written: a document that is
        # itself an include (an alias) is what it includes. None when that include fails.
        saved = self.module, self.stack
        self.module, self.stack = fragment.module, (*self.stack, fragment.key)
        self.library.chain.append(fragment.key)
        try:
            if fragment.kind == "document" and _is_include(fragment.body):
                return self.include(fragment.body, origin, env, "document")
            stage_list = fragment.kind == "stages"
            return self.node(fragment.body, origin, env, stage_list=stage_list), origin
        finally:
            self.module, self.stack = saved
            self.library.chain.pop()

    def node(
        self,
        node: Any,
        origin: Origin,
        env: dict[str, _Binding] | None,
        *,
        stage_list: bool = False,
    ) -> Any:
        """A node of a body or a pipeline with includes inlined and bindings applied."""
        if type(node) is str:
            return node if env is None or "<<" not in node else self.string(node, origin, env)
        if env is None and not _holds_include(node):
            return node  # the includer's own content, with no include below: kept as written
        if type(node) is list:
            return self.list_(node, origin, env, stage_list)
        if type(node) is dict:
            return self.object_(node, origin, env, stage=False)
        return node

    def list_(
        self, node: list[Any], origin: Origin, env: dict[str, _Binding] | None, stage_list: bool
    ) -> Any:
        """A list with includes inlined (a stages fragment spliced into a stage list)."""
        result: list[Any] = []
        for i, item in enumerate(node):
            at = origin.step(i)
            if type(item) is dict and INCLUDE in item:
                expected: Kind = "stages" if stage_list else "document"
                included = self.include(item, at, env, expected)
                if included is None:
                    continue
                content, inner = included
                if content is _ABSENT:
                    continue
                if expected == "stages":
                    for j, stage in enumerate(content):
                        self.origins[(id(result), len(result))] = inner.step(j)
                        result.append(stage)
                    continue
                self.origins[(id(result), len(result))] = inner
                result.append(content)
                continue
            if stage_list and type(item) is dict:
                include_free = env is None and not _holds_include(item)
                value = item if include_free else self.object_(item, at, env, stage=True)
            else:
                value = self.node(item, at, env)
            if value is _ABSENT:
                continue
            if len(result) != i:
                self.origins[(id(result), len(result))] = at
            result.append(value)
        # Removal: a list emptied by absent parameters vanishes, a list of stages never.
        return _ABSENT if node and not result and not stage_list else result

    def object_(
        self, node: dict[str, Any], origin: Origin, env: dict[str, _Binding] | None, *, stage: bool
    ) -> Any:
        """An object with includes inlined; members an absent binding empties are dropped."""
        result: dict[str, Any] = {}
        # $facet branches and every "pipeline" member (in $lookup, $unionWith, or a document
        # fragment that is a $lookup body) are lists of stages.
        facet = stage and len(node) == 1 and "$facet" in node
        lookup = stage and len(node) == 1 and ("$lookup" in node or "$unionWith" in node)
        for key, value in node.items():
            at = origin.step(key)
            name: Any = key
            if env is not None and "<<" in key:
                name = self.key(key, at, env)
                if name is _ABSENT:
                    continue
            written = at
            if _is_include(value):
                # Outside a stage, a "pipeline" member is a list of stages or a field so named.
                expected: Kind | None = None if key == "pipeline" else "document"
                included = self.include(value, at, env, expected)
                if included is None:
                    continue
                child, written = included
            elif type(value) is dict and (facet or lookup):
                child = self.sub_pipelines(value, at, env, facet=facet)
            elif type(value) is list and key == "pipeline":
                child = self.node(value, at, env, stage_list=True)
            else:
                child = self.node(value, at, env)
            if child is _ABSENT:
                continue
            if name in result:
                self.fail(at, codes.BINDING_MISFIT, f"a constant makes key {name!r} appear twice")
            elif name != key or written is not at:
                self.origins[(id(result), name)] = written
            result[name] = child
        return _ABSENT if node and not result else result

    def sub_pipelines(
        self, body: dict[str, Any], origin: Origin, env: dict[str, _Binding] | None, *, facet: bool
    ) -> Any:
        """The pipelines of a ``$facet``, ``$lookup`` or ``$unionWith`` body, walked as stages."""
        result: dict[str, Any] = {}
        for key, value in body.items():
            nested = facet or key == "pipeline"
            at = origin.step(key)
            if _is_include(value):
                # Written where a list of stages (or the object of $lookup's "let") stands.
                included = self.include(value, at, env, "stages" if nested else "document")
                if included is None or included[0] is _ABSENT:
                    continue
                result[key], self.origins[(id(result), key)] = included
                continue
            result[key] = self.node(value, at, env, stage_list=nested and type(value) is list)
        return result

    def string(self, text: str, origin: Origin, env: dict[str, _Binding]) -> Any:
        """A string with its placeholders bound: a whole one takes the binding's value."""
        whole = WHOLE.match(text)
        if whole:
            binding = env.get(whole.group(1))
            if isinstance(binding, Rename):
                return f"<<{binding.name}>>"
            if isinstance(binding, _Constant):
                return _as_json(binding.value)
            if binding is _ABSENT:
                return _ABSENT
            return text  # undeclared: reported with the fragment
        return self.text(text, origin, env)

    def key(self, text: str, origin: Origin, env: dict[str, _Binding]) -> Any:
        """An object key with its placeholders bound (an absent whole one removes the member)."""
        whole = WHOLE.match(text)
        if whole and env.get(whole.group(1)) is _ABSENT:
            return _ABSENT
        return self.text(text, origin, env)

    def text(self, text: str, origin: Origin, env: dict[str, _Binding]) -> str:
        """Text with embedded placeholders bound as text (escapes kept)."""

        def substitute(match: re.Match[str]) -> str:
            binding = env.get(match.group(1) or "")
            if isinstance(binding, Rename):
                return f"<<{binding.name}>>"
            if isinstance(binding, _Constant):
                return _escape(binding.param.to_text(binding.value))
            if binding is _ABSENT:
                self.fail(
                    origin,
                    codes.UNBOUND_FRAGMENT_PARAMETER,
                    f"fragment parameter {match.group(1)!r} is left out, but it is embedded "
                    'in text; bind it in "with"',
                )
            return match.group(0)

        return TOKEN.sub(substitute, text)

    def include(
        self,
        node: dict[str, Any],
        site: Origin,
        env: dict[str, _Binding] | None,
        expected: Kind | None,
    ) -> tuple[Any, Origin] | None:
        """An ``$include`` resolved: the fragment's body bound, or ``None`` (reported)."""
        # The fragment's body with its params bound, and the origin of that body; None on failure.
        # ``expected`` None takes either kind.
        reference, bindings = node.get(INCLUDE), node.get("with", {})
        extra = [k for k in node if k not in (INCLUDE, "with")]
        if type(reference) is not str or type(bindings) is not dict or extra:
            self.fail(
                site,
                codes.MALFORMED_INCLUDE,
                'an include is {"$include": "name", "with": {...}}: a fragment name and an '
                "optional object binding its parameters" + (f", not {extra[0]!r}" if extra else ""),
            )
            return None
        key = reference if "." in reference else f"{self.module}.{reference}"
        fragment = self.library.fragments.get(key)
        if fragment is None:
            if any(key.startswith(m) for m in self.library.unreadable):
                self.skipped = True
                return None
            known = [k.removeprefix(f"{self.module}.") for k in self.library.fragments]
            self.fail(
                site,
                codes.UNKNOWN_FRAGMENT,
                f"unknown fragment {reference!r}{did_you_mean(reference, known)}",
            )
            return None
        self.includes[key] = None
        self.library.used[key] = None
        if key in self.stack:
            cycle = " -> ".join((*self.stack[self.stack.index(key) :], key))
            self.fail(site, codes.FRAGMENT_CYCLE, f"include cycle: {cycle}")
            return None
        if len(self.library.chain) >= INCLUDE_DEPTH:
            # The chain of fragments being inlined, across the checks of each (``stack`` is
            # one walk's): said once per load, where it first gets too deep (a chain 200 long
            # would otherwise be said again from each 32nd fragment on).
            self.skipped = True
            if self.library.too_deep:
                return None
            self.library.too_deep = True
            chain = [*self.library.chain, key]
            if len(chain) > 6:
                chain[2:-2] = [f"... ({len(chain) - 4} more)"]
            self.fail(
                site,
                codes.TOO_DEEP,
                f"includes nested more than {INCLUDE_DEPTH} levels deep: {' -> '.join(chain)}",
            )
            return None
        if not self.library.can_inline(key):
            self.skipped = True
            return None
        size = self.library.expanded_size(key)
        if not site.hops:  # written in the walked file: nested includes are counted in size
            self.expanded += size
        if size > EXPANDED_VALUES or self.expanded > EXPANDED_VALUES:
            self.skipped = True
            if not self.too_large:
                self.too_large = True
                self.fail(
                    site,
                    codes.TOO_MUCH_WORK,
                    f"includes expand to more than {EXPANDED_VALUES:,} JSON values "
                    f"({self.expanded:,} so far): {self.library.heaviest_chain(key)}; include "
                    "fragments fewer times, or write the repeated content once",
                )
            return None
        if expected is not None and fragment.kind != expected:
            self.fail(
                site,
                codes.FRAGMENT_KIND_MISMATCH,
                f"fragment {key!r} is {_KINDS[fragment.kind]}, but it is included where "
                f"{_KINDS[expected]} is expected",
            )
            return None
        bound = self.bind(fragment, bindings, site, env)
        if bound is None:
            return None
        inner = Origin(site.path, (*site.hops, (key, fragment.path, fragment.at)))
        result = self.body(fragment, inner, bound)
        # Said where the include is written; one inside a fragment is said in the fragment's file
        # (its own check), not again for every pipeline that includes that fragment.
        unbound = [name for name, binding in bound.items() if binding is _ABSENT]
        empty = result is not None and (result[0] is _ABSENT or result[0] == [])
        if empty and unbound and not site.hops and fragment.body:
            self.fail(
                site,
                codes.INCLUDE_RENDERS_NOTHING,
                f"fragment {key!r} always renders nothing here: its content depends only "
                f"on optional parameters left unbound ({', '.join(unbound)})",
                "warning",
            )
        return result

    def bind(
        self,
        fragment: Fragment,
        bindings: dict[str, Any],
        site: Origin,
        env: dict[str, _Binding] | None,
    ) -> dict[str, _Binding] | None:
        """The bindings of an include's ``with``, or ``None`` when one does not fit (reported)."""
        before = len(self.findings)
        at = site.step("with")
        for name in bindings:
            if name not in fragment.params:
                self.fail(
                    at.step(name),
                    codes.UNDECLARED_BINDING,
                    f"fragment {fragment.key!r} has no parameter {name!r}"
                    + did_you_mean(name, fragment.params),
                )
        bound: dict[str, _Binding] = {}
        for name, param in fragment.params.items():
            value = bindings.get(name, _ABSENT)
            if value is not _ABSENT and env is not None:
                value = self.node(value, at.step(name), env)  # through the includer's bindings
            binding = self.binding(fragment, param, value, at.step(name))
            if binding is not None:
                bound[name] = binding
        return bound if len(self.findings) == before else None

    def binding(self, fragment: Fragment, param: Param, value: Any, at: Origin) -> _Binding | None:
        """What one ``with`` value binds a fragment parameter to, or ``None`` (reported)."""
        label = f"fragment {fragment.key!r} parameter {param.name!r}"
        if isinstance(value, _AbsentType):
            if param.default is not MISSING:
                return _Constant(param.default, param)
            if param.optional:
                return _ABSENT
            self.fail(
                at,
                codes.UNBOUND_FRAGMENT_PARAMETER,
                f'{label} ({param.type_name}) is not bound in "with"',
            )
            return None
        whole = WHOLE.match(value) if type(value) is str else None
        if whole:
            outer = self.params.get(whole.group(1))
            if outer is None:
                self.fail(
                    at,
                    codes.BINDING_MISFIT,
                    f"{label} is bound to <<{whole.group(1)}>>, which is not declared here",
                )
                return None
            unfit = mismatch(outer, param)
            if unfit:
                self.fail(
                    at, codes.BINDING_MISFIT, f"{label} is bound to <<{outer.name}>>, but {unfit}"
                )
                return None
            return Rename(outer.name)
        if "<<" in json.dumps(value).replace("<<<<", ""):
            self.fail(
                at,
                codes.BINDING_MISFIT,
                f"{label} must be bound to a whole <<placeholder>> or a constant "
                "(a literal << in a constant is written <<<<)",
            )
            return None
        try:
            constant = _from_json(value)
            if constant is None and not param.nullable:
                raise Invalid("null, but the parameter is not nullable")
            return _Constant(None if constant is None else coerce(param, constant), param)
        except (Invalid, ExtJsonError) as exc:
            problem = exc.problem + exc.where if isinstance(exc, Invalid) else str(exc)
            self.fail(at, codes.BINDING_MISFIT, f"{label}: constant {problem}")
            return None


def _is_include(node: Any) -> bool:
    return type(node) is dict and INCLUDE in node


def left_in(node: Any, at: JsonPath) -> list[JsonPath]:
    """Where an include is still written in expanded content: nowhere, unless a walk missed it."""
    return _paths_of_includes(node, at) if _holds_include(node) else []


def _holds_include(node: Any) -> bool:
    # Every expanded pipeline is looked through: a loop over a stack costs about half what the
    # recursion that also builds paths does (a few percent of loading a file of includes).
    stack = [node]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if INCLUDE in item:
                return True
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return False


def _paths_of_includes(node: Any, at: JsonPath) -> list[JsonPath]:
    if type(node) is dict:
        if INCLUDE in node:
            return [at]
        return [p for k, v in node.items() for p in _paths_of_includes(v, (*at, k))]
    if type(node) is list:
        return [p for i, v in enumerate(node) for p in _paths_of_includes(v, (*at, i))]
    return []


def mismatch(outer: Param, inner: Param) -> str:
    """Why values of ``outer`` may not stand where ``inner`` is declared (``""`` if they may)."""
    # Why values of ``outer`` may not stand where ``inner`` is declared ("" if they may).
    if outer.type != inner.type or outer.regex != inner.regex:
        mine = outer.type_name + (" (regex)" if outer.regex else "")
        theirs = inner.type_name + (" (regex)" if inner.regex else "")
        return f"that is {mine} and the fragment takes {theirs}"
    if outer.nullable and not inner.nullable:
        return "that is nullable and the fragment's is not"
    if not outer.always_present and inner.always_present:
        return "that is optional and the fragment's must be given"
    looser = unmet(outer, inner)
    if looser:
        return f"that allows values the fragment refuses ({looser}); declare it too"
    if outer.items is not None and inner.items is not None:
        found = mismatch(outer.items, inner.items)
        if found:
            return f"its items differ: {found}"
    if set(outer.properties) != set(inner.properties):
        return "their object properties differ"
    for name, prop in outer.properties.items():
        found = mismatch(prop, inner.properties[name])
        if found:
            return f"property {name!r} differs: {found}"
    return ""


def _from_json(value: Any) -> Any:
    # A constant may be written with Extended JSON literals, as a default may.
    if type(value) is dict:
        if is_wrapper(value):
            return literal(value)
        return {k.replace("<<<<", "<<"): _from_json(v) for k, v in value.items()}
    if type(value) is list:
        return [_from_json(v) for v in value]
    if type(value) is str:
        return value.replace("<<<<", "<<")  # written escaped, like any text in the file
    return value


def _as_json(value: Any) -> Any:
    # A coerced constant as a file would write it, so that the template reads it back unchanged.
    if isinstance(value, Int64):
        return {"$numberLong": str(int(value))}
    if isinstance(value, (ObjectId, Decimal128, datetime.datetime)):
        converted: Any = json.loads(json_util.dumps(value, json_options=RELAXED))
        return converted
    if type(value) is str:
        return _escape(value)
    if type(value) is list:
        return [_as_json(v) for v in value]
    if type(value) is dict:
        return {_escape(k): _as_json(v) for k, v in value.items()}
    return value


def _escape(text: str) -> str:
    # Inlined text must not read as a placeholder.
    return text.replace("<<", "<<<<")


def _count(body: Any, module: str) -> tuple[int, dict[str, int]]:
    """The JSON values in ``body`` outside includes, and how often it includes each fragment."""
    own = 0
    included: dict[str, int] = {}
    stack = [body]
    while stack:
        node = stack.pop()
        own += 1
        if type(node) is dict:
            reference = node.get(INCLUDE)
            if type(reference) is str:
                key = reference if "." in reference else f"{module}.{reference}"
                included[key] = included.get(key, 0) + 1
                stack.extend(
                    node.get("with", {}).values() if type(node.get("with")) is dict else ()
                )
                continue
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return own, included
