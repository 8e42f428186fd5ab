"""Templates compiled: placeholders located in a pipeline's JSON and a render function built.

``codegen`` (generated Python) is the fast path beside ``reference`` (the walk it must equal).
"""
