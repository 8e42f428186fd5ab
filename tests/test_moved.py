"""Module paths that moved in 0.2 still import, forwarding to the new module, with a warning."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

import pipereg
from pipereg import _moved


@pytest.fixture(autouse=True)
def _forget_old_paths() -> None:
    for old in _moved.MOVED:
        sys.modules.pop(old, None)


@pytest.mark.parametrize(("old", "new"), sorted(_moved.MOVED.items()))
def test_an_old_path_imports_the_new_module_with_a_deprecation_warning(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        stand_in = importlib.import_module(old)
    target = importlib.import_module(new)
    public = [name for name in vars(target) if not name.startswith("_")]
    assert public
    for name in public:
        assert getattr(stand_in, name) is getattr(target, name), name  # the same objects
    assert dir(stand_in) == dir(target)


def test_from_an_old_path_import_a_name() -> None:
    with pytest.warns(DeprecationWarning, match="pipereg.plans moved to pipereg.explain.plans"):
        from pipereg.plans import Explanation  # type: ignore[import-not-found]
    from pipereg.explain.plans import Explanation as Moved

    assert Explanation is Moved


def test_a_name_the_new_module_gains_later_is_forwarded_too() -> None:
    with pytest.warns(DeprecationWarning, match="pipereg.catalog moved"):
        stand_in = importlib.import_module("pipereg.catalog")
    target = importlib.import_module("pipereg.review.catalog")
    target.__dict__["later"] = object()
    try:
        assert stand_in.later is target.later
    finally:
        del target.__dict__["later"]


def test_the_finder_answers_only_old_paths_and_is_installed_once() -> None:
    finders = [f for f in sys.meta_path if isinstance(f, _moved.MovedFinder)]
    assert len(finders) == 1
    _moved.install()
    assert len([f for f in sys.meta_path if isinstance(f, _moved.MovedFinder)]) == 1
    assert finders[0].find_spec("pipereg.nothing_here", None) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("pipereg.nothing_here")


def test_every_old_path_names_an_existing_module_and_no_current_one() -> None:
    for old, new in _moved.MOVED.items():
        assert importlib.util.find_spec(new) is not None, new
        assert old.startswith("pipereg.")
        assert old not in {"pipereg.params", "pipereg.explain"}  # still packages
    assert pipereg.__name__ == "pipereg"
