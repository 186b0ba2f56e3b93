"""Names that reach OpenCL C: which are reserved, how a clash is mangled, and what is refused.

Code generation never prints a user-supplied string as it was given: every name that reaches the kernel's
source (the kernel name from the program name, program parameters, size variables, user functions and their
parameters and locals) is first checked to be a C identifier (:func:`check_identifier`, a named error
otherwise, before anything is printed), then given a *C name* (:func:`c_name`): itself when it is free, else a
fresh, readable variant (``out`` → ``out_1``, ``int`` → ``int_1``). A name is not free when it is

* an OpenCL C keyword or qualifier (:data:`KEYWORDS`),
* a type name (:data:`TYPE_NAMES` and the vector and matrix families in :data:`_RESERVED_PATTERNS`),
* a built-in function (:data:`BUILTIN_FUNCTIONS`; the ``convert_…``, ``as_…``, ``vload…``, ``atomic_…``,
  ``work_group_…``, image and pipe families by pattern) or a predefined macro (``CLK_…``, ``M_…``,
  ``FLT_…``, ``MAXFLOAT``, …),
* an identifier C reserves for the implementation (``__x``, ``_X``),
* one of the generator's own names (:data:`GENERATOR_NAMES`: ``out``, ``acc``, ``tmp``, ``gid0``, ``i1``,
  the ``Tuple_…`` structs), or
* already the C name of something else in the same kernel.

User functions: ``@userfun`` translates a function when it is defined, and the translator refuses a function
name that is a C keyword, type or math function (``int``, ``kernel``, ``half``, ``sqrt``: "cannot name an
OpenCL C function") or not ASCII — such a name could never be the function's own C name. Every other clash
(``get_global_id``, ``convert_float``, ``out``, a parameter's or another function's name) is mangled here, at
code generation, with the function's parameters and locals that are reserved in C (:func:`c_userfun`).

Where the lists come from: the keywords, reserved type names and qualifiers of the OpenCL C 1.2 and 2.0
specifications (sections 6.1 "Supported Data Types", 6.5 "Address Space Qualifiers", 6.6–6.7 access and
function qualifiers, 6.10 "Preprocessor Directives and Macros") with the C99 keywords they build on (C99
§6.4.1), and the built-in function names of their section 6.12 (6.13 in 2.0): work-item, math, integer,
common, geometric, relational, vector data load and store, synchronisation, address space, async copy,
atomic, miscellaneous vector, printf, image, work-group, pipe and enqueue functions, plus the macros of
6.12.2 and 6.12.3 (math constants) and of ``<limits.h>``/``<float.h>`` that OpenCL C predefines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lift.dsl.ir import Fun, Node, UserFun, transform, walk
from lift.dsl.mapper import NodeMapper
from lift.dsl.schema import MAX_IDENTIFIER_LENGTH, is_identifier
from lift.dsl.userfun_syntax import parse_function_source
from lift.errors import LiftValueError
from lift.types.arith import ArithExpr, Var
from lift.types.data import DataType, map_sizes, sizes_of

__all__ = [
    "BUILTIN_FUNCTIONS",
    "GENERATOR_NAMES",
    "KEYWORDS",
    "MAX_IDENTIFIER_LENGTH",
    "TYPE_NAMES",
    "KernelNames",
    "c_name",
    "c_userfun",
    "check_identifier",
    "is_identifier",
    "is_reserved",
    "kernel_names",
    "rename_sizes",
]


KEYWORDS: frozenset[str] = frozenset(
    # C99 keywords
    """auto break case char const continue default do double else enum extern float for goto if inline int
    long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile
    while _Bool _Complex _Imaginary"""
    # OpenCL C qualifiers, keywords and reserved words (with and without their __ prefix)
    """ global local constant private generic kernel read_only write_only read_write uniform pipe
    __attribute__ bool half quad true false complex imaginary vec_step typedef typeof defined main""".split()
)
"""C99 and OpenCL C keywords, qualifiers and reserved words."""

TYPE_NAMES: frozenset[str] = frozenset(
    """char uchar short ushort int uint long ulong float double half bool void size_t ptrdiff_t intptr_t
    uintptr_t image1d_t image1d_buffer_t image1d_array_t image2d_t image2d_array_t image2d_depth_t
    image2d_array_depth_t image2d_msaa_t image2d_array_msaa_t image2d_msaa_depth_t image2d_array_msaa_depth_t
    image3d_t sampler_t event_t queue_t ndrange_t clk_event_t reserve_id_t cl_mem_fence_flags memory_order
    memory_scope kernel_enqueue_flags_t clk_profiling_info atomic_int atomic_uint atomic_long atomic_ulong
    atomic_float atomic_double atomic_intptr_t atomic_uintptr_t atomic_size_t atomic_ptrdiff_t atomic_flag
    """.split()
)
"""Scalar, image, event and atomic type names (vector and matrix types are matched by pattern)."""

_MATH = """acos acosh acospi asin asinh asinpi atan atan2 atanh atanpi atan2pi cbrt ceil copysign cos cosh cospi
    erfc erf exp exp2 exp10 expm1 fabs fdim floor fma fmax fmin fmod fract frexp hypot ilogb ldexp lgamma
    lgamma_r log log2 log10 log1p logb mad maxmag minmag modf nan nextafter pow pown powr remainder remquo rint
    rootn round rsqrt sin sincos sinh sinpi sqrt tan tanh tanpi tgamma trunc""".split()
_HALF_NATIVE = "cos divide exp exp2 exp10 log log2 log10 powr recip rsqrt sin sqrt tan".split()

BUILTIN_FUNCTIONS: frozenset[str] = frozenset(
    [
        *_MATH,
        *(f"{prefix}_{f}" for prefix in ("half", "native") for f in _HALF_NATIVE),
        # work-item functions
        *"""get_work_dim get_global_size get_global_id get_local_size get_enqueued_local_size get_local_id
        get_num_groups get_group_id get_global_offset get_global_linear_id get_local_linear_id""".split(),
        # integer, common, geometric and relational functions
        *"""abs abs_diff add_sat hadd rhadd clamp clz ctz mad_hi mad_sat max min mul_hi rotate sub_sat upsample
        popcount mad24 mul24 degrees mix radians step smoothstep sign cross dot distance length normalize
        fast_distance fast_length fast_normalize isequal isnotequal isgreater isgreaterequal isless
        islessequal islessgreater isfinite isinf isnan isnormal isordered isunordered signbit any all
        bitselect select""".split(),
        # synchronisation, fences, address spaces, async copies, miscellaneous
        *"""barrier work_group_barrier mem_fence read_mem_fence write_mem_fence to_global to_local to_private
        get_fence async_work_group_copy async_work_group_strided_copy wait_group_events prefetch shuffle
        shuffle2 printf enqueue_kernel enqueue_marker retain_event release_event create_user_event
        is_valid_event set_user_event_status capture_event_profiling_info get_default_queue ndrange_1D
        ndrange_2D ndrange_3D get_kernel_work_group_size get_kernel_preferred_work_group_size_multiple
        get_kernel_sub_group_count_for_ndrange get_kernel_max_sub_group_size_for_ndrange""".split(),
    ]
)
"""Built-in function names of OpenCL C 1.2/2.0 (families such as ``convert_…`` are matched by pattern)."""

_MACROS = frozenset(
    """MAXFLOAT HUGE_VALF HUGE_VAL INFINITY NAN NULL CHAR_BIT CHAR_MAX CHAR_MIN INT_MAX INT_MIN LONG_MAX
    LONG_MIN SCHAR_MAX SCHAR_MIN SHRT_MAX SHRT_MIN UCHAR_MAX USHRT_MAX UINT_MAX ULONG_MAX ATOMIC_VAR_INIT
    ATOMIC_FLAG_INIT""".split()
)

GENERATOR_NAMES: re.Pattern[str] = re.compile(r"(out|acc|tmp|ltmp|ptmp|t|e|i|gid|wg|lid)\d*|Tuple\w*")
"""The names the code generator makes for itself: the output buffer ``out``, accumulators ``acc``,
temporaries ``tmp``/``ltmp``/``ptmp``/``t``, loop variables ``i``, ``gid0``, ``wg1``, ``lid2`` (and their
numbered variants), and the tuple structs ``Tuple_float_int``. Keeping users' names off them keeps kernels
readable; uniqueness itself comes from the generator drawing its names around the users' C names."""

_RESERVED_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"__\w*|_[A-Z]\w*",  # reserved for the implementation (C99 §7.1.3)
        r"(u?char|u?short|u?int|u?long|float|double|half|bool|quad)(2|3|4|8|16)(x(2|3|4|8|16))?",  # vectors
        r"convert_\w+|as_\w+",  # conversions and reinterpretations
        r"v(load|store)a?(_half)?(2|3|4|8|16)?(_rt[enpz])?",  # vector data load and store
        r"atom(ic)?_\w+|memory_(order|scope)_\w+",  # atomics and their orders and scopes
        r"(work_group|sub_group|get_sub_group|get_max_sub_group|get_num_sub_groups|get_enqueued_num_sub)\w*",
        r"(read|write)_image\w*|get_image_\w+",  # images
        r"(reserve_|commit_|work_group_reserve_|work_group_commit_|sub_group_reserve_|sub_group_commit_)?"
        r"(read|write)_pipe\w*|get_pipe_\w+|is_valid_reserve_id",  # pipes
        r"(CLK|CL|FLT|DBL|HALF|FP|M)_\w+|cl_\w+",  # predefined macros, constants and extension names
    )
)


def check_identifier(name: object, what: str) -> str:
    """``name`` when it is a C identifier; a :class:`LiftValueError` naming ``what`` otherwise.

    Only programs built by hand (or decoded from JSON) can have such names; the DSL makes identifiers.
    """
    if is_identifier(name):
        return name  # type: ignore[return-value]
    shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
    raise LiftValueError(
        f"{what}: {shown} is not a name lift-ir can print into OpenCL C; names are C identifiers (ASCII letters, "
        f"digits and _, not starting with a digit, at most {MAX_IDENTIFIER_LENGTH} characters): rename it"
    )


def is_reserved(name: str) -> bool:
    """Whether ``name`` may not name a user's variable or function in a kernel (see the module docstring)."""
    return (
        name in KEYWORDS
        or name in TYPE_NAMES
        or name in BUILTIN_FUNCTIONS
        or name in _MACROS
        or GENERATOR_NAMES.fullmatch(name) is not None
        or any(p.fullmatch(name) for p in _RESERVED_PATTERNS)
    )


def c_name(name: str, taken: Iterable[str]) -> str:
    """The C name for the user's ``name``: ``name`` itself when it is neither reserved nor ``taken``, else the
    first of ``name_1``, ``name_2``, … that is neither (``out`` → ``out_1``, ``int`` → ``int_1``). A name of a
    reserved *family* stays reserved whatever its suffix (``convert_float_1``, ``__x_1``), so it gets the
    prefix ``u_`` ("user") instead: ``convert_float`` → ``u_convert_float``."""
    used = frozenset(taken)
    base = name if not is_reserved(f"{name}_1") else f"u_{name}"
    if not is_reserved(base) and base not in used:
        return base
    k = 1
    while is_reserved(f"{base}_{k}") or f"{base}_{k}" in used:
        k += 1
    return f"{base}_{k}"


# ======================================================================================================
# A program's names in its kernel
# ======================================================================================================


@dataclass(frozen=True)
class KernelNames:
    """The C name of every user name that reaches a kernel's source (each a fresh, non-reserved identifier;
    the identity for most)."""

    kernel: str
    """The kernel function's name (``<program>_kernel``)."""
    sizes: Mapping[str, str]
    """Size variable → its C name (a kernel ``int`` argument and the name used in index expressions)."""
    params: Mapping[str, str]
    """Program parameter → the base name of its buffers (``x``, or ``x_0``, ``x_1``… for tuple components)."""
    userfuns: Mapping[str, str]
    """User function → its C function name."""

    def taken(self) -> frozenset[str]:
        """Every C name given out, which the generator's own names must avoid."""
        return frozenset({self.kernel, *self.sizes.values(), *self.params.values(), *self.userfuns.values()})


def kernel_names(prog: Fun, kernel: str | None = None) -> KernelNames:
    """Check every name of ``prog`` that the kernel prints and give each its C name (see the module docstring).

    Sizes are named first, then parameters, user functions and the kernel, each avoiding the names before it:
    a parameter named like a size, or a user function like a parameter, gets a fresh name. A name that is not
    an identifier at all (only possible in a program built by hand or decoded from JSON) is refused with a
    :class:`LiftValueError` before anything is printed.
    """
    check_identifier(prog.name, "the program's name")
    where = f"program {prog.name}"
    sizes = _unique(check_identifier(v.name, f"{where}: a size variable") for v in _size_vars(prog))
    params = _unique(check_identifier(p.name, f"{where}: a parameter name") for p in prog.params)
    userfuns = _unique(
        check_identifier(n.name, f"{where}: a user function's name") for n in walk(prog) if isinstance(n, UserFun)
    )
    taken: set[str] = set()

    def assign(names: Iterable[str]) -> dict[str, str]:
        out = {}
        for name in names:
            out[name] = c_name(name, taken)
            taken.add(out[name])
        return out

    c_sizes, c_params, c_userfuns = assign(sizes), assign(params), assign(userfuns)
    kernel_name = c_name(check_identifier(kernel or f"{prog.name}_kernel", f"{where}: the kernel name"), taken)
    return KernelNames(kernel_name, c_sizes, c_params, c_userfuns)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _size_vars(prog: Fun) -> list[Var]:
    """Every size variable of ``prog``: in its parameter types and in the static arguments of its combinators
    (sorted by name, so that C names do not depend on traversal order)."""
    found: set[Var] = {x for t in prog.param_types for n in sizes_of(t) for x in n.free_vars()}
    for node in walk(prog):
        for value in node.fields().values():
            if isinstance(value, ArithExpr):
                found |= value.free_vars()
    return sorted(found, key=lambda v: v.name)


def rename_sizes(prog: Fun, renames: Mapping[str, str]) -> Fun:
    """``prog`` with its size variables renamed (``renames``: old name → new name), in parameter types, in
    static combinator arguments and in the checker's type annotations alike."""
    changed = {old: new for old, new in renames.items() if old != new}
    if not changed:
        return prog

    def rename(e: ArithExpr) -> ArithExpr:
        return e.subs({v.name: Var(changed[v.name], v.lo, v.hi) for v in e.free_vars() if v.name in changed})

    value = _RenameSizes(rename)

    def node(n: Node) -> Node:
        changes = {k: value(x) for k, x in n.fields().items() if not isinstance(x, Node)}
        return n.replace(**{k: x for k, x in changes.items() if x is not getattr(n, k)})

    renamed = transform(prog, node)
    assert isinstance(renamed, Fun)
    return renamed


class _RenameSizes(NodeMapper[Any]):
    """A static field of a node (a size, a type, a tuple of them, or anything else) with its size variables
    renamed; the value itself when it holds none."""

    def __init__(self, rename: Callable[[ArithExpr], ArithExpr]) -> None:
        self.rename = rename

    def map_arith_expr(self, x: ArithExpr) -> ArithExpr:
        return self.rename(x)

    def map_data_type(self, x: DataType) -> DataType:
        return map_sizes(x, self.rename)

    def map_tuple(self, x: tuple[Any, ...]) -> tuple[Any, ...]:
        renamed = tuple(self(y) for y in x)
        return x if all(a is b for a, b in zip(renamed, x)) else renamed

    def map_object(self, x: object) -> object:
        return x


def c_userfun(f: UserFun, name: str) -> UserFun:
    """``f`` under the C name ``name``, its parameters and locals renamed where they are reserved in C (a
    parameter called ``M_PI`` or ``float4`` would be a macro or a type there); the Python source is rewritten
    accordingly, so that both translations (C and numpy) are rebuilt from one text."""
    fn = parse_function_source(f.source, filename=f.filename, first_line=f.first_line)
    names = _Names()
    names.visit(fn)
    own = list(f.param_names) + sorted(names.assigned)
    used = names.used | set(own) | {name}
    renames: dict[str, str] = {}
    for local in own:
        if local not in renames and is_reserved(local):
            renames[local] = c_name(local, used)
            used.add(renames[local])
    if name == f.name and not renames:
        return f
    _Rename(renames).visit(fn)
    fn.name = name
    params = tuple(renames.get(p, p) for p in f.param_names)
    return UserFun(name, params, f.param_types, f.result_type, ast.unparse(fn) + "\n", f.filename, f.first_line)


class _Names(ast.NodeVisitor):
    """The names a function's source uses, and those it assigns (its locals)."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.assigned: set[str] = set()

    def visit_Name(self, n: ast.Name) -> None:
        self.used.add(n.id)
        if isinstance(n.ctx, ast.Store):
            self.assigned.add(n.id)


class _Rename(ast.NodeVisitor):
    """Renames names and parameters in place (``renames``: old name → new name)."""

    def __init__(self, renames: Mapping[str, str]) -> None:
        self.renames = renames

    def visit_Name(self, n: ast.Name) -> None:
        n.id = self.renames.get(n.id, n.id)

    def visit_arg(self, n: ast.arg) -> None:
        n.arg = self.renames.get(n.arg, n.arg)
        self.generic_visit(n)  # its annotation
