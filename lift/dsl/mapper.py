"""One method per node class: the dispatch every pass over the IR uses instead of a chain of ``isinstance`` tests.

The same dispatch serves any other class hierarchy (data types: ``map_array_type``; kernel-plan values:
``map_load``), with completeness checked over the hierarchy's leaf classes.

A pass is a subclass of :class:`NodeMapper` with a method per node class it handles, named after the class:
``map_map`` for :class:`~lift.dsl.ir.Map`, ``map_fun_call`` for :class:`~lift.dsl.ir.FunCall`,
``map_layout`` for every :class:`~lift.dsl.layout.Layout` (a method for a base class serves its subclasses,
found along the method resolution order, so a family declared once — layouts, sources — needs one method).
Calling the mapper on a node runs the method of the node's class::

    class Show(NodeMapper[str]):
        covers = (FunDecl,)

        def map_map(self, f: Map) -> str: ...
        def map_layout(self, f: Layout) -> str: ...
        ...

The mapper declares the node families it must handle (:attr:`NodeMapper.covers`). Completeness is checked
when the classes are created, never in a user's run: a mapper class that lacks a method for a node class of a
family it covers is refused (``TypeError`` naming the mapper, the node class and the method to write), and so
is a node class defined later (a user's own combinator) that some mapper covering its family cannot handle —
unless it belongs to a family with a shared method (a new :class:`~lift.dsl.layout.Layout` needs nothing more
than its own rules). ``tests/test_every_combinator.py`` lists every mapper and every node class.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from lift.dsl.ir import Node

__all__ = ["MAPPERS", "NodeMapper", "concrete_node_classes", "members", "method_name", "refuse_unhandled"]

R = TypeVar("R")

MAPPERS: list[type[NodeMapper[Any]]] = []
"""Every mapper class that covers a node family (filled as the classes are defined)."""


def method_name(kind: type) -> str:
    """The method a mapper defines for the node class ``kind``: ``map_`` and the class name in snake case
    (``FunCall`` → ``map_fun_call``)."""
    return "map_" + re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__.lstrip("_")).lower()


def concrete_node_classes() -> list[type[Node]]:
    """Every node class a program can contain (the abstract bases ``Expr``, ``FunDecl``, ``Layout`` … excluded),
    in the order they were defined."""
    return list(Node.registry)


def members(family: type) -> list[type]:
    """The classes a mapper covering ``family`` must handle: the registered node classes of an IR family, or the
    dataclasses among ``family`` and its subclasses in any other hierarchy (data types, kernel-plan values …:
    their bases are plain classes, their members dataclasses — ``ScalarType`` and its subclass for vectors both)."""
    if issubclass(family, Node):
        return [kind for kind in Node.registry if issubclass(kind, family)]
    found: list[type] = []
    stack = [family]
    while stack:
        kind = stack.pop()
        if dataclasses.is_dataclass(kind) and kind not in found:
            found.append(kind)
        stack.extend(kind.__subclasses__())
    return found


class NodeMapper(Generic[R]):
    """Base class of passes that dispatch on the node's class (see the module documentation)."""

    covers: ClassVar[tuple[type, ...]] = ()
    """The families (base classes: ``FunDecl``, ``Expr``, ``DataType``, a kernel-plan base …) whose every member
    this mapper must handle; checked when the class is created. Empty for a partial mapper, which raises
    :class:`TypeError` at the first node it cannot handle."""

    _methods: ClassVar[dict[type, Callable[..., Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._methods = {}
        if not cls.covers:
            return
        missing = [kind for family in cls.covers for kind in members(family) if not cls.handles(kind)]
        if missing:
            raise TypeError(_missing_message(cls, missing))
        MAPPERS.append(cls)

    @classmethod
    def method_for(cls, kind: type) -> Callable[..., Any] | None:
        """The method that handles nodes of class ``kind``: the one named after ``kind`` or after its nearest base
        that has one; ``None`` when there is none."""
        found = cls._methods.get(kind)
        if found is None:
            for base in kind.__mro__:
                found = getattr(cls, method_name(base), None)
                if found is not None:
                    cls._methods[kind] = found
                    break
        return found

    @classmethod
    def handles(cls, kind: type) -> bool:
        """Whether this mapper has a method for nodes of class ``kind``."""
        return cls.method_for(kind) is not None

    def __call__(self, node: object, *args: Any, **kwargs: Any) -> R:
        method = self.method_for(type(node))
        if method is None:
            raise TypeError(_missing_message(type(self), [type(node)]))
        return method(self, node, *args, **kwargs)  # type: ignore[no-any-return,unused-ignore]


def _missing_message(mapper: type, kinds: list[type]) -> str:
    names = ", ".join(f"{k.__name__} ({method_name(k)})" for k in kinds)
    return (
        f"{mapper.__module__}.{mapper.__qualname__} has no method for {names}: every pass over the IR defines one "
        "method per node class it meets (or one for a base class shared by a family, such as map_layout)"
    )


def refuse_unhandled(kind: type) -> None:
    """Refuse the new class ``kind`` when complete mappers covering its family cannot handle it, naming all of them:
    called as node classes are registered, and by other hierarchies that want the same check (the kernel plan's
    values and statements), so that a class no pass can handle fails where it is defined, not in a user's run."""
    lacking = [mapper for mapper in MAPPERS if issubclass(kind, mapper.covers) and not mapper.handles(kind)]
    if len(lacking) == 1:
        raise TypeError(_missing_message(lacking[0], [kind]))
    if lacking:
        passes = "\n".join(f"  {m.__module__}.{m.__qualname__}" for m in lacking)
        raise TypeError(
            f"{kind.__name__}: {len(lacking)} passes have no method for it ({method_name(kind)}); every pass over "
            f"the IR defines one method per node class it meets (or one for a base class shared by a family, such "
            f"as map_layout). Write {method_name(kind)} in:\n{passes}"
        )


Node.on_register.append(refuse_unhandled)
