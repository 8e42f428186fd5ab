"""Loading as passes: the one orchestrator of a load, from files found to pipelines built.

The passes, in the order a file goes through them (each in its own module; none calls back here):

1. **read, parse, schema, declarations, rules** (:func:`~pipereg.load.file.read_file`): the
   bytes read within the size limit, parsed strictly, checked against the JSON Schema, the
   parameters declared, and a file without includes checked and built at once;
2. **fragments across files**: every file's fragments collected, duplicate keys found
   (:func:`_fragment_keys`), then each file with includes expanded and built
   (:func:`~pipereg.load.file.build_file`, the walk in :mod:`pipereg.fragments`);
3. **unused fragments** (:func:`_unused`), said only of a load without errors;
4. **located** (:func:`~pipereg.load.file.finish_file`): findings get lines and columns, and a
   file with an error keeps no pipelines; two definitions of one key are found across files;
5. **cache** (:func:`load_pipelines`): with a cache folder, the result of the same bytes is
   served from :mod:`pipereg.load.cache` instead.

The collector is paused around a load (:mod:`pipereg.load.gc_pause`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipereg import codes
from pipereg.errors import Finding, Problem
from pipereg.fragments import collect as fragments
from pipereg.load import cache
from pipereg.load import gc_pause as collector
from pipereg.load.discovery import SourceFile
from pipereg.load.file import LoadedFile, build_file, finish_file, read_file
from pipereg.pipeline import Pipeline


def load_sources(
    files: Sequence[SourceFile],
    problems: Sequence[Problem] = (),
    *,
    max_file_bytes: int | None = None,
    unused_fragments: bool = True,
    contents: Sequence[bytes] | None = None,
) -> tuple[list[LoadedFile], list[Problem]]:
    """Load every file and check keys across files; returns the files and all problems found.

    Two steps, because includes cross modules: every file is read and checked and its fragments
    collected, then every file's pipelines are built with all fragments known.
    ``max_file_bytes`` bounds each file (see :func:`~pipereg.load.file.load_file`);
    ``unused_fragments`` warns (PR066) about fragments nothing includes, which only means
    something when ``files`` are all the files. ``contents``, if given, holds each file's bytes,
    already read, in the order of ``files``.
    """
    with collector.loading():
        if contents is None:
            loaded = [read_file(source, max_file_bytes) for source in files]
        else:
            loaded = [
                read_file(source, max_file_bytes, data)
                for source, data in zip(files, contents, strict=True)
            ]
        expander = fragments.Expander(
            [f for result in loaded for f in result.fragments],
            [result.module for result in loaded if not result.readable],
        )
        _fragment_keys(loaded, expander)
        for result in loaded:
            build_file(result, expander)
        if unused_fragments:
            _unused(loaded, expander)
        for result in loaded:
            finish_file(result)
    found = list(problems)
    owners: dict[str, LoadedFile] = {}
    for result in loaded:
        found.extend(result.problems)
        for pipeline in result.pipelines:
            first = owners.setdefault(pipeline.key, result)
            if first is not result:
                found.append(
                    Problem(
                        result.source.path,
                        0,
                        0,
                        f"$.pipelines.{pipeline.name}",
                        codes.DUPLICATE_PIPELINE,
                        f"pipeline {pipeline.key!r} is also defined in {first.source.path}",
                    )
                )
    return loaded, found


def _fragment_keys(loaded: Sequence[LoadedFile], expander: fragments.Expander) -> None:
    # Two definitions of one fragment key: the second is an error, and no include may use
    # either (which one was meant is anyone's guess).
    for result in loaded:
        for fragment in result.fragments:
            first = expander.fragments[fragment.key]
            if first is not fragment:
                expander.mark_failed(fragment.key)
                result.findings.append(
                    Finding(
                        ("fragments", fragment.name),
                        codes.DUPLICATE_FRAGMENT,
                        f"fragment {fragment.key!r} is also defined in {first.path}",
                    )
                )


def _unused(loaded: Sequence[LoadedFile], expander: fragments.Expander) -> None:
    # An error can hide an include (a pipeline that fails its schema is not expanded), so
    # "never included" is only said of a load without errors.
    if any(
        not result.ok or any(f.severity == "error" for f in result.findings) for result in loaded
    ):
        return
    for result in loaded:
        for fragment in result.fragments:
            if fragment.key not in expander.used:
                result.findings.append(
                    Finding(
                        ("fragments", fragment.name),
                        codes.UNUSED_FRAGMENT,
                        f"fragment {fragment.key!r} is never included",
                        "warning",
                    )
                )


def load_pipelines(
    files: Sequence[SourceFile],
    problems: Sequence[Problem],
    max_file_bytes: int | None,
    cache_dir: Path | None = None,
) -> tuple[list[Pipeline], list[Problem]]:
    """Every pipeline of ``files`` and every problem, from the load cache where it has them.

    ``problems`` are discovery's (a folder that cannot be listed): with any, nothing is cached.
    """

    def full(contents: Sequence[bytes] | None) -> tuple[list[Pipeline], list[Problem]]:
        loaded, found = load_sources(
            files, problems, max_file_bytes=max_file_bytes, contents=contents
        )
        return [p for result in loaded for p in result.pipelines], found

    # Discovery problems (a folder that cannot be listed) fail the load: nothing to cache.
    if cache_dir is None or max_file_bytes is None or problems:
        built, found = full(None)
    else:
        with collector.loading():  # a hit builds as many containers as a load
            built, found = cache.load(files, max_file_bytes, cache_dir, full)
    return built, found
