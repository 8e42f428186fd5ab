"""Loading: files discovered, read, checked and built into pipelines, in passes."""
