"""JSON objects and arrays shared by many exported resources, never changed, encoded once.

A FHIR export repeats the same small structures in every resource (an
observation's category, its code, the software device reference, a
modality's coding). Built once as :func:`constant` values they are shared
instead of rebuilt, and :func:`core.export.stream.indented` encodes each once
per indentation instead of once per resource (the text is kept on the value
itself, so it goes when the value goes). They refuse changes (a shared
value changed in one resource would change every resource), compare equal to
plain dicts and lists, ``json.dumps`` gives the same text for them, and a deep
copy is a plain, changeable copy.
"""
from __future__ import annotations

import copy
from typing import Any, NoReturn


def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"a shared {type(self).__name__} cannot be changed; copy.deepcopy() it first")


class ConstantObject(dict):
    """A read-only JSON object (a ``dict``); ``_encoded`` keeps its text per indentation."""

    __slots__ = ("_encoded",)
    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict[str, Any]:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self):
        return dict, (dict(self),)


class ConstantArray(list):
    """A read-only JSON array (a ``list``); ``_encoded`` keeps its text per indentation."""

    __slots__ = ("_encoded",)
    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = clear = extend = insert = pop = remove = \
        reverse = sort = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict) -> list[Any]:
        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self):
        return list, (list(self),)


def constant(value: Any) -> Any:
    """``value`` (plain JSON data) with every dict and list made read-only and shareable.

    Parameters
    ----------
    value : dict, list, str, int, float, bool or None

    Returns
    -------
    ConstantObject, ConstantArray or the scalar itself
    """
    if isinstance(value, dict):
        return ConstantObject({k: constant(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return ConstantArray(constant(v) for v in value)
    return value
