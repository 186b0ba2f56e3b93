"""Questions the rewrite engine and the rules ask about nodes and types, each answered once per class.

Each question is a small :class:`~lift.dsl.mapper.NodeMapper`: a method for the classes with something to say and
one for their base (``map_node``, ``map_data_type``) giving the answer of every other class, so that a new node
class or data type answers without being listed here.
"""

from __future__ import annotations

from lift.dsl.ir import Expr, Fun, FunDecl, Lambda, Literal, Node, Param, UserFun, Zip
from lift.dsl.mapper import NodeMapper
from lift.types.data import ArrayType, DataType, ScalarType

__all__ = ["element_of", "is_atom", "param_name", "pinned", "plain_lambda", "takes_every_argument"]


class _PlainLambda(NodeMapper[Lambda | None]):
    """The node itself when it is a lambda written inside a program (``λx. body``), else ``None``: only those
    are eta-expansions, inlined or contracted; a program (:class:`Fun`) used as a function keeps its name."""

    covers = (Node,)

    def map_node(self, node: Node) -> None:
        return None

    def map_lambda(self, f: Lambda) -> Lambda:
        return f

    def map_fun(self, f: Fun) -> None:
        return None


plain_lambda = _PlainLambda()


class _ParamName(NodeMapper[str | None]):
    """The name of the parameter an expression refers to, or ``None`` for any other expression."""

    covers = (Node,)

    def map_node(self, node: Node) -> None:
        return None

    def map_param(self, e: Param) -> str:
        return e.name


param_name = _ParamName()


class _IsAtom(NodeMapper[bool]):
    """Whether an expression is a parameter or a literal: copying it into several places duplicates no work."""

    covers = (Expr,)

    def map_expr(self, e: Expr) -> bool:
        return False

    def map_param(self, e: Param) -> bool:
        return True

    def map_literal(self, e: Literal) -> bool:
        return True


is_atom = _IsAtom()


class _Pinned(NodeMapper[Expr]):
    """A scalar literal with its checked type written into it, so that it keeps that type wherever it moves;
    any other expression unchanged.

    (An unannotated literal such as ``0.0`` takes its type from its context; moved into a new context, e.g. the
    initial value of a fused ``reduce_seq``, it could be read as ``f32`` where ``f64`` is meant.)
    """

    covers = (Expr,)

    def map_expr(self, e: Expr) -> Expr:
        return e

    def map_literal(self, e: Literal) -> Expr:
        if e.scalar is None and isinstance(e.type, ScalarType):
            return Literal(e.value, e.type)
        return e


pinned = _Pinned()


class _TakesEveryArgument(NodeMapper[bool]):
    """Whether a function takes as many arguments as a call gives it (a user function, a lambda, ``zip``): the
    engine cannot know its arity under a ``to_*`` and so does not eta-expand it there."""

    covers = (FunDecl,)

    def map_fun_decl(self, f: FunDecl) -> bool:
        return False

    def map_lambda(self, f: Lambda) -> bool:
        return True

    def map_user_fun(self, f: UserFun) -> bool:
        return True

    def map_zip(self, f: Zip) -> bool:
        return True


takes_every_argument = _TakesEveryArgument()


class _ElementOf(NodeMapper[DataType | None]):
    """The element type of an array type; ``None`` for scalars and tuples."""

    covers = (DataType,)

    def map_data_type(self, t: DataType) -> None:
        return None

    def map_array_type(self, t: ArrayType) -> DataType:
        return t.elem


element_of = _ElementOf()
