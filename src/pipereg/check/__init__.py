"""The checks of a pipeline file: its JSON Schema, the lint rules, and reports of their findings.

``prefilter`` (what a file's text proves) is the fast path beside ``rules`` (the reference).
"""
