"""The checks of a pipeline file: its JSON Schema, the lint rules, and reports of their findings.

``rules`` runs every rule on a pipeline; ``grammar`` (with ``stage_values``) is the walk that
checks it against MongoDB's language as the catalog (:mod:`pipereg.language`) describes it.
``prefilter`` (what a file's text proves) is the fast path beside ``rules`` (the reference).
``schema`` validates files; ``editor_schema`` is the schema editors get, with the catalog added.
"""
