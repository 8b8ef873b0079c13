"""Base order: the mixins work whether a class lists them before or after DRF's own
classes. A class that lists a mixin after a DRF class whose methods the mixin
overrides gets its direct bases reordered, mixin first, when it is created."""

from __future__ import annotations

from .exceptions import DeclarationError

__all__ = ["put_mixin_first"]


def _hooks(mixin: type) -> set[str]:
    # The methods the mixin overrides (dunders aside): a DRF class defining one of them
    # ahead of the mixin in the MRO would answer instead of the mixin.
    return {
        name
        for name, value in vars(mixin).items()
        if not name.startswith("__") and (callable(value) or isinstance(value, property))
    }


def _shadowing(cls: type, mixin: type) -> list[type]:
    """The DRF classes ahead of `mixin` in `cls`'s MRO that define one of its hooks."""
    mro = cls.__mro__
    hooks = _hooks(mixin)
    return [
        base
        for base in mro[: mro.index(mixin)]
        if base.__module__.startswith("rest_framework.") and hooks & set(vars(base))
    ]


def put_mixin_first(cls: type, mixin: type) -> None:
    """Make `mixin` come before the DRF classes of `cls` whose methods it overrides.

    `class ArticleSerializer(ModelSerializer, EagerFieldsSerializerMixin)` is how
    drf-eager-fields' own example declares a serializer. With the mixin after a DRF
    class, C3 puts it after `Field` in the MRO: `ModelSerializer.get_fields()`,
    which calls no `super()`, answers instead of the mixin, and the response is not
    shaped while the view plans `.only()` for the shape. Moving the bases that bring
    the mixin to the front of `cls.__bases__` gives `cls` the MRO it has with the mixin
    listed first, for `cls` and every subclass. A layout where no order of the direct
    bases can put the mixin first raises DeclarationError (drf_eager.E030).
    """
    if mixin not in cls.__mro__ or not _shadowing(cls, mixin):
        return
    bases = cls.__bases__
    first = tuple(base for base in bases if issubclass(base, mixin))
    reordered = first + tuple(base for base in bases if base not in first)
    problem = None
    if reordered != bases:
        try:
            cls.__bases__ = reordered
        except TypeError as exc:  # no consistent MRO, or incompatible layouts
            problem = str(exc)
    shadowing = _shadowing(cls, mixin)
    if problem is None and not shadowing:
        return
    if reordered != bases and problem is None:
        cls.__bases__ = bases  # leave the class as it was declared
    names = ", ".join(base.__name__ for base in shadowing or _shadowing(cls, mixin))
    raise DeclarationError(
        f"{cls.__qualname__} has {mixin.__name__} after {names} in its MRO, and no order "
        f"of its bases puts it first{f' ({problem})' if problem else ''}: "
        f"{names} would answer instead of the mixin.",
        id="drf_eager.E030",
        hint=f"List {mixin.__name__} (or the class of yours that brings it) first: "
        f"class {cls.__name__}({mixin.__name__}, ...).",
    )
