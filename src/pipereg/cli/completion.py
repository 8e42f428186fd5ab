"""Shell completion for pipeline keys and parameter names (click's ``shell_complete=``).

Click completes command and option names itself; these callbacks complete what only pipereg
knows: the KEY argument from the pipelines under the roots (``--path``, ``$PIPEREG_PATH`` or
``./pipelines``), and ``-p NAME=`` from the chosen pipeline's parameters. Completion runs at every
key press in the user's shell, so a root that does not load completes nothing rather than
printing an error into the prompt. Enable it as click documents, e.g. for bash:
``eval "$(_PIPEREG_COMPLETE=bash_source pipereg)"``.
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from pipereg.load.discovery import default_roots
from pipereg.registry import Registry


def _registry(ctx: click.Context) -> Registry | None:
    # While completing, the group's callback has not run: read its --path option directly.
    root = ctx.find_root()
    paths = list(root.params.get("paths") or ()) or default_roots()
    try:
        return Registry.from_paths(*paths, max_file_bytes=root.params.get("max_file_bytes"))
    except Exception:  # any load failure: complete nothing, never break the shell prompt
        return None


def complete_keys(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Pipeline keys starting with ``incomplete``, each with its collection as help."""
    registry = _registry(ctx)
    if registry is None:
        return []
    return [
        CompletionItem(pipeline.key, help=f"on {pipeline.collection}")
        for pipeline in registry
        if pipeline.key.startswith(incomplete)
    ]


def complete_params(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``NAME=`` for the parameters of the pipeline named so far, those not given yet first.

    Once ``NAME=`` is typed, nothing is offered: the value is the user's.
    """
    key = ctx.params.get("key")
    if not isinstance(key, str) or "=" in incomplete:
        return []
    registry = _registry(ctx)
    if registry is None or key not in registry:
        return []
    given = {pair.partition("=")[0] for pair in ctx.params.get("pairs") or ()}
    return [
        CompletionItem(f"{name}=", help=declared.type_name)
        for name, declared in registry.get(key).params.items()
        if name.startswith(incomplete) and name not in given
    ]


class PipelineCommand(click.Command):
    """A command taking a pipeline KEY, whose options' completions can see the KEY.

    Completing ``pipereg run KEY -p <TAB>``, click parses ``KEY -p`` resiliently; the option
    without its value stops that parse before KEY is stored, so ``-p`` could not know which
    pipeline's parameters to offer. While completing, a trailing option name that awaits its
    value is left out of the parse (click still knows, from the words typed, what it completes).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse ``args``; while completing, without a trailing option awaiting its value."""
        if ctx.resilient_parsing and args:
            awaiting = {
                name
                for param in self.get_params(ctx)
                if isinstance(param, click.Option) and not param.is_flag
                for name in (*param.opts, *param.secondary_opts)
            }
            if args[-1] in awaiting:
                args = args[:-1]
        return super().parse_args(ctx, args)
