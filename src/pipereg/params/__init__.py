"""Parameters: declarations (:class:`Param`), the coercion of values, and regex rules.

``pipereg.params.Param`` is public; the rest of this package is pipereg's own.
"""

from pipereg.params.declaration import Param

__all__ = ["Param"]
