"""Tools for people reviewing pipelines: fmt, diff between revisions, compatibility, docs, stubs."""
