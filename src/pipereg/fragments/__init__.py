"""Shared fragments: collected from their files, then expanded into the pipelines including them."""
