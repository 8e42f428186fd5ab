"""An opt-in load cache: what loading byte-identical files found, kept as one JSON file.

Loading checks every pipeline (strict parse, JSON Schema, semantic rules, fragment expansion),
which costs several times reading the files. Like Python's ``__pycache__``, the cache keeps the
result of a successful load under a key that covers everything the result depends on: pipereg's
version and a digest of its own source files (so an edited checkout never reads an old result),
the file size limit, and every discovered file's display path, module name and SHA-256, in
discovery order. Any difference is a miss, and a miss loads and checks everything as usual. The
files are still read and hashed on every start; only their checking is skipped, because its
result for these very bytes is known.

A hit restores the load's problems (its warnings) and, per pipeline, what
:class:`~pipereg.pipeline.Pipeline` holds: the expanded definition and the rest. A cache file that
cannot be read, does not parse, or has the wrong shape is a miss, never an error; a cache
directory that cannot be written is a miss every time. Only loads without errors are kept: a
failing load is reported by a full load, exactly as without a cache.

The cache directory must be as trusted as the pipeline files, since whoever can write it decides
what a hit serves; so it is used only when it is the user's own: owned by the user, and writable
by nobody else (a shared ``/tmp/cache`` is refused, with a :class:`CacheWarning`, and the load
runs in full). A directory the cache creates is created ``0700``. An entry is read only if it is a
regular file of the user's that nobody else can write, opened without following a link and
without waiting (a named pipe planted at its path is refused, not waited on), within a size
bound; and it is used only if it fully validates: every field of the expected type, every
declaration rebuilt from its JSON, and every placeholder of every stage and option declared, so
a tampered entry is a miss, never a pipeline that fails at render time with a KeyError.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import stat
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from pipereg.compile.placeholders import TOKEN
from pipereg.errors import Problem, Severity
from pipereg.jsontext.read import FileTooLarge
from pipereg.load.discovery import SourceFile
from pipereg.params.declaration import Param
from pipereg.params.declare import from_json
from pipereg.pipeline import Pipeline

ENV_VAR = "PIPEREG_CACHE_DIR"
# Enough for a few checkouts or branches side by side; each entry is about the size of the files.
KEPT = 8
# Bumped when the cache file's layout changes (the source digest covers it too).
_FORMAT = 1
_SUFFIX = ".json"
_SEVERITIES = ("error", "warning")

# An entry holds the expanded definitions, which fragments can make larger than the files; past
# this many times their bytes (plus a margin) it is no entry this cache wrote.
_ENTRY_GROWTH = 64
_ENTRY_MARGIN = 16 * 2**20
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH
_OPEN_ENTRY = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)


class CacheWarning(UserWarning):
    """The load cache directory is not trusted, so the cache is not used."""


Loader = Callable[[Sequence[bytes] | None], tuple[list[Pipeline], list[Problem]]]


def cache_dir(given: str | os.PathLike[str] | None) -> Path | None:
    """The cache directory: ``given``, else ``PIPEREG_CACHE_DIR`` if set and not empty, or none."""
    if given is not None:
        return Path(given)
    env = os.environ.get(ENV_VAR, "")
    return Path(env) if env else None


@functools.cache
def source_digest() -> str:
    """SHA-256 of pipereg's version and its installed source files; computed once per process."""
    # Imported here, as hashlib below: only a load that uses the cache needs them
    # (importlib.metadata brings the email package along), and every command imports this module.
    from importlib import metadata  # noqa: PLC0415

    try:
        version = metadata.version("pipereg")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "unknown"
    return package_digest(Path(__file__).parent.parent, version)


def package_digest(package: Path, version: str) -> str:
    """SHA-256 of ``version`` and every ``*.py`` and ``*.json`` file below ``package``."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256(f"{_FORMAT}\0{version}\0".encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts and path.is_file():
            digest.update(f"{path.relative_to(package).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load(
    files: Sequence[SourceFile], max_file_bytes: int, directory: Path, full: Loader
) -> tuple[list[Pipeline], list[Problem]]:
    """Pipelines and problems of ``files``: from the cache when it holds them, else ``full(...)``.

    ``full`` loads and checks everything; it gets the bytes this function read (so what is kept
    is the result of exactly the bytes hashed), or ``None`` when a file could not be read, in
    which case the cache is not used at all and ``full`` reports the failure as usual.
    """
    contents = _read_all(files, max_file_bytes)
    if contents is None:
        return full(None)
    if not trusted(directory):
        return full(contents)
    key = _key(files, contents, max_file_bytes)
    entry = directory / f"{key}{_SUFFIX}"
    hit = _fetch(entry, key, _ENTRY_GROWTH * sum(map(len, contents)) + _ENTRY_MARGIN)
    if hit is not None:
        with contextlib.suppress(OSError):
            os.utime(entry)  # most recently used: the last to be pruned
        return hit
    pipelines, problems = full(contents)
    if not any(problem.severity == "error" for problem in problems):
        _store(directory, entry, key, pipelines, problems)
    return pipelines, problems


def trusted(directory: Path) -> bool:
    """Whether ``directory`` may hold the cache: the user's own, writable by nobody else.

    A directory that does not exist yet is created ``0700`` (with its missing parents) when the
    first entry is stored; its nearest existing ancestor must then be trusted in the same way,
    or nothing is stored. A directory that is refused gets one :class:`CacheWarning` per process.
    """
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        ancestor = directory.absolute().parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        return _owned(ancestor, warn=False)
    except OSError:
        return False  # cannot be looked at: a miss, as an unreadable entry is
    return _judged(directory, info, warn=True)


def _owned(directory: Path, *, warn: bool) -> bool:
    try:
        info = os.stat(directory)
    except OSError:
        return False
    return _judged(directory, info, warn=warn)


def _judged(directory: Path, info: os.stat_result, *, warn: bool) -> bool:
    problem = None
    if not stat.S_ISDIR(info.st_mode):
        problem = "is not a directory"
    elif hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        problem = "is not owned by the user running pipereg"
    elif info.st_mode & _OTHERS_WRITE:
        problem = "can be written by other users"
    if problem is not None and warn:
        _warn(str(directory), problem)
    return problem is None


@functools.cache
def _warn(directory: str, problem: str) -> None:
    warnings.warn(
        f"load cache {directory} {problem}; not used (whoever can write it decides what "
        "loads): make it yours with chmod 700, or choose another PIPEREG_CACHE_DIR",
        CacheWarning,
        stacklevel=5,
    )


def _read_all(files: Sequence[SourceFile], max_file_bytes: int) -> list[bytes] | None:
    try:
        return [source.read(max_file_bytes) for source in files]
    except (FileTooLarge, OSError):
        return None


def _key(files: Sequence[SourceFile], contents: Sequence[bytes], max_file_bytes: int) -> str:
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256(f"{source_digest()}\0{max_file_bytes}\0{len(files)}\0".encode())
    for source, data in zip(files, contents, strict=True):
        # JSON-encoded names cannot run into each other, whatever characters a path holds.
        digest.update(json.dumps([source.path, source.module]).encode())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _fetch(entry: Path, key: str, limit: int) -> tuple[list[Pipeline], list[Problem]] | None:
    try:
        document = json.loads(_read_entry(entry, limit))
    except (OSError, ValueError, RecursionError):  # absent, refused, truncated, not JSON
        return None
    try:
        return _restore(document, key)
    except Exception:  # an entry that does not restore, whatever breaks, is a miss
        return None  # the wrong shape: written by something else, or tampered with


def _read_entry(entry: Path, limit: int) -> bytes:
    # The entry's bytes, if it is a regular file of the user's that nobody else can write and
    # no larger than limit; OSError otherwise. Never follows a link nor waits on a pipe.
    fd = os.open(entry, _OPEN_ENTRY)
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & _OTHERS_WRITE:
            raise OSError("not a regular file, or writable by others")
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise OSError("not the user's")
        if info.st_size > limit:
            raise OSError("larger than any entry of these files")
        data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise OSError("larger than any entry of these files")
    return data


def _restore(document: Any, key: str) -> tuple[list[Pipeline], list[Problem]] | None:
    if (
        not isinstance(document, dict)
        or document.get("format") != _FORMAT
        or document.get("key") != key
    ):
        return None
    problems = [_problem(raw) for raw in _list(document["problems"])]
    # Each distinct declaration once, as the load built it (from_json shares equal ones).
    declared = [_declaration(raw) for raw in _list(document["declarations"])]
    pipelines = [_pipeline(raw, declared) for raw in _list(document["pipelines"])]
    for pipeline in pipelines:
        _validate(pipeline)
    return pipelines, problems


def _validate(pipeline: Pipeline) -> None:
    # Every placeholder of the stages and options is declared, as loading checked, so that a
    # restored pipeline renders as a loaded one. Read from the JSON text (the C encoder), not
    # by building the templates, which would double the cost of a warm start: a token is
    # <<name>>, and <<<< a literal <<, as in the file.
    text = json.dumps([pipeline.definition["stages"], pipeline.definition.get("options", {})])
    for name in TOKEN.findall(text):
        if name and name not in pipeline.params:
            raise ValueError(f"<<{name}>> is not declared")


def _declaration(raw: Any) -> Param:
    name, declaration = _list(raw)
    if not isinstance(name, str) or not isinstance(declaration, dict):
        raise TypeError("not a declaration")
    return from_json(name, declaration)


def _problem(raw: Any) -> Problem:
    path, line, column, json_path, code, message, severity = _list(raw)
    if not (
        all(isinstance(v, str) for v in (path, json_path, code, message))
        and all(isinstance(v, int) and not isinstance(v, bool) for v in (line, column))
        and severity in _SEVERITIES
    ):
        raise ValueError("not a problem")
    return Problem(path, line, column, json_path, code, message, cast(Severity, severity))


def _pipeline(raw: Any, declared: Sequence[Param]) -> Pipeline:
    if not isinstance(raw, dict):
        raise TypeError("not a pipeline")
    strings = ("key", "module", "name", "description", "path", "module_description")
    version, definition, includes = raw["version"], raw["definition"], _list(raw["includes"])
    if not (
        all(isinstance(raw[name], str) for name in strings)
        and (raw["collection"] is None or isinstance(raw["collection"], str))
        and raw["key"] == f"{raw['module']}.{raw['name']}"
        and isinstance(version, int)
        and not isinstance(version, bool)
        and isinstance(definition, dict)
        and isinstance(definition["stages"], list)
        and isinstance(definition.get("options", {}), dict)
        and all(isinstance(include, str) for include in includes)
    ):
        raise ValueError("not a pipeline")
    params = {}
    for index in _list(raw["params"]):
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise TypeError("not a declaration's index")
        param = declared[index]
        params[param.name] = param
    if not isinstance(definition.get("params", {}), dict) or list(params) != list(
        definition.get("params", {})
    ):
        raise ValueError("declarations are not the definition's")
    return Pipeline(
        key=raw["key"],
        module=raw["module"],
        name=raw["name"],
        version=version,
        collection=raw["collection"],
        description=raw["description"],
        params=MappingProxyType(params),
        options=MappingProxyType(definition.get("options", {})),
        path=raw["path"],
        definition=MappingProxyType(definition),
        includes=tuple(includes),
        module_description=raw["module_description"],
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _store(
    directory: Path, entry: Path, key: str, pipelines: Sequence[Pipeline], problems: list[Problem]
) -> None:
    # Equal declarations are one Param object (from_json shares them): written once.
    indexes: dict[int, int] = {}
    declarations: list[tuple[str, Mapping[str, Any]]] = []
    for pipeline in pipelines:
        for name, param in pipeline.params.items():
            if id(param) not in indexes:
                indexes[id(param)] = len(declarations)
                declarations.append((name, pipeline.definition["params"][name]))
    document = {
        "format": _FORMAT,
        "key": key,
        "declarations": declarations,
        "problems": [
            [p.path, p.line, p.column, p.json_path, p.code, p.message, p.severity] for p in problems
        ],
        "pipelines": [
            {
                "key": p.key,
                "module": p.module,
                "name": p.name,
                "version": p.version,
                "collection": p.collection,
                "description": p.description,
                "path": p.path,
                "module_description": p.module_description,
                "includes": list(p.includes),
                "params": [indexes[id(param)] for param in p.params.values()],
                "definition": p.definition,
            }
            for p in pipelines
        ],
    }
    try:
        # Definitions are parsed JSON (Extended JSON is still plain JSON here), so they encode.
        data = json.dumps(
            document, default=_plain, separators=(",", ":"), check_circular=False
        ).encode()
        # Missing folders are created 0700, under an ancestor judged trusted (see trusted()).
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _owned(directory, warn=False):
            return
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=_SUFFIX)
    except (OSError, TypeError, ValueError, RecursionError):
        return  # an unwritable directory, or a value JSON cannot hold: no cache, same result
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, entry)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return
    _prune(directory)


def _plain(value: object) -> object:
    # Definitions and options are read-only views of parsed dicts.
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _prune(directory: Path) -> None:
    # Keep the KEPT most recently used entries; only files named like entries are touched.
    try:
        entries = []
        for path in directory.iterdir():
            stem = path.name.removesuffix(_SUFFIX)
            if path.name.endswith(_SUFFIX) and len(stem) == 64 and _hex(stem):
                entries.append((path.stat().st_mtime_ns, path))
        entries.sort(reverse=True)
        for _, path in entries[KEPT:]:
            path.unlink()
    except OSError:
        return  # another process pruned first, or the directory went away


def _hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)
