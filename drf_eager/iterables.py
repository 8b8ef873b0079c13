"""Iterable classes made for one planned queryset (the budget's early count, grouped
loading), and what a pickled queryset carries of them.

Django pickles a queryset with its iterable class (a queryset cached whole, in Django's
cache or a session): a class made with `type()` has no name pickle can find. Each is made
here with a metaclass that pickle reduces to a call rebuilding it (`rebuild` and its
arguments), or, where what it holds belongs to the response that made it, to the class
it extends.
"""

from __future__ import annotations

import copyreg
from collections.abc import Callable
from typing import Any


class _PerQueryset(type):
    """The metaclass of an iterable class made for one queryset."""

    _eager_pickled: tuple[Callable[..., Any], tuple[Any, ...]]


def iterable_class(
    name: str,
    base: type,
    attributes: dict[str, Any],
    pickled: tuple[Callable[..., Any], tuple[Any, ...]] | None = None,
) -> Any:
    """A subclass of `base` with `attributes`; pickled as `pickled` (a callable and its
    arguments that return the class), else as `base`."""
    made = _PerQueryset(name, (base,), {**attributes, "__module__": base.__module__})
    made._eager_pickled = pickled if pickled is not None else (_same, (base,))
    return made


def _same(cls: type) -> type:
    return cls


def _reduce(cls: _PerQueryset) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    return cls._eager_pickled


copyreg.pickle(_PerQueryset, _reduce)
