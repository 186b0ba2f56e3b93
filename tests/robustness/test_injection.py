"""Untrusted input is data, never code: names that try to inject OpenCL C are refused before anything is
printed or compiled, and names that merely clash with OpenCL C (keywords, built-ins, types, the generator's
own names, each other) are mangled so that the program compiles and computes the interpreter's answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lift
from lift import Array, f32, size
from lift.dsl import from_json, to_json
from lift.dsl.ir import Fun, FunCall, Map, Param, UserFun, Zip
from lift.ocl import device as ocl_device
from lift.ocl.names import GENERATOR_NAMES, c_name, is_reserved
from lift.ocl.printer import comment_text
from lift.types.arith import Var
from lift.types.data import ArrayType
from tests.ocl.conftest import needs_pocl

RESERVED = ["get_global_id", "convert_float", "out", "acc", "gid0", "kernel", "int", "restrict", "local", "half"]
"""The names the adversarial test found breaking the OpenCL build of valid programs."""

C_FUNCTION_NAMES_REFUSED = {"kernel", "int", "restrict", "local", "half"}
"""Keywords and types cannot name a C function: ``@userfun`` refuses them at definition (every other clash is
mangled at code generation)."""


def _square_plus_one(name: str, param: str = "x") -> UserFun:
    """A user function of the given name, as a document or a hand-built IR would hold it."""
    return UserFun(name, (param,), (f32,), f32, f"def {name}({param}):\n    return {param} * {param} + 1.0\n")


def _program(*, name: str = "prog", param: str = "x", size_name: str = "N", fun: UserFun | None = None) -> Fun:
    """``x >> map(f)`` over ``x: [f32]N`` with every name chosen by the caller."""
    f = fun or _square_plus_one("sq")
    x = Param(param)
    return Fun((x,), FunCall(Map(f), (x,)), name, (ArrayType(f32, Var(size_name, 1)),))


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails the test if any OpenCL source reaches the compiler."""
    built: list[str] = []

    def refuse_build(device: Any, source: str, options: str = "") -> Any:
        built.append(source)
        raise AssertionError(f"an OpenCL program was built:\n{source}")

    monkeypatch.setattr(ocl_device, "build", refuse_build)
    return built


# ---- injection through JSON: refused by from_json ------------------------------------------------------


def _document(prog: Fun) -> dict[str, Any]:
    return json.loads(to_json(prog))  # type: ignore[no-any-return]


def _set_size_name(doc: dict[str, Any], name: str) -> None:
    doc["program"]["param_types"][0]["size"]["name"] = name


def _set_program_name(doc: dict[str, Any], name: str) -> None:
    doc["program"]["name"] = name


def _set_param_name(doc: dict[str, Any], name: str) -> None:
    doc["program"]["params"][0]["name"] = name
    doc["program"]["body"]["args"][0]["name"] = name


def _set_userfun_name(doc: dict[str, Any], name: str) -> None:
    doc["program"]["body"]["f"]["f"]["name"] = name


def _set_userfun_source(doc: dict[str, Any], source: str) -> None:
    doc["program"]["body"]["f"]["f"]["source"] = source


INJECTIONS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "size variable",
        lambda d: _set_size_name(d, "N) { out[get_global_id(0)] = 1337.0f; } kernel void unused(global float* M"),
        "$.program.param_types[0].size.name",
    ),
    ("program name", lambda d: _set_program_name(d, 'p\n#include "/etc/hostname"\n'), "$.program.name"),
    ("parameter name", lambda d: _set_param_name(d, "x, global float* extra"), "$.program.params[0].name"),
    ("user function name", lambda d: _set_userfun_name(d, "sq(float x) { return 0; } float f"), "$.program.body.f.f"),
    (
        "user function body",
        lambda d: _set_userfun_source(d, "def sq(x):\n    return x - x  # */ }\n"),
        "",  # a valid body under the right name is a different function, not an injection: see below
    ),
    ("non-identifier parameter", lambda d: _set_param_name(d, "1x"), "$.program.params[0].name"),
    ("non-ASCII size", lambda d: _set_size_name(d, "Ñ"), "$.program.param_types[0].size.name"),
    ("empty program name", lambda d: _set_program_name(d, ""), "$.program.name"),
    ("level", lambda d: d["program"]["body"]["f"].update(level="bogus"), "$.program.body.f.level"),
    ("dimension", lambda d: d["program"]["body"]["f"].update(dim=7), "$.program.body.f.dim"),
    ("map label", lambda d: d["program"]["body"]["f"].update(name="m\n#define x"), "$.program.body.f.name"),
    ("array size 0", lambda d: d["program"]["param_types"][0].update(size={"node": "Cst", "value": 0}), "size"),
    ("negative size", lambda d: d["program"]["param_types"][0].update(size={"node": "Cst", "value": -24}), "size"),
    ("program null", lambda d: d.update(program=None), "$.program"),
    ("internal class", lambda d: d["program"].update(node="TypedProgram"), "$.program.node"),
    ("function type", lambda d: d["program"]["param_types"].__setitem__(0, {"node": "FunType"}), "FunType"),
]


@pytest.mark.parametrize(("what", "mutate", "where"), INJECTIONS, ids=[i[0] for i in INJECTIONS])
def test_injection_through_json_is_refused(
    what: str, mutate: Callable[[dict[str, Any]], None], where: str, no_build: list[str]
) -> None:
    doc = _document(_program())
    mutate(doc)
    text = json.dumps(doc)
    if what == "user function body":  # the source defines the stored name: a legitimate (other) function
        prog = from_json(text)
        assert lift.interpret(prog, np.ones(3, np.float32)).tolist() == [0.0, 0.0, 0.0]
        return
    with pytest.raises(lift.SerializationError) as err:
        from_json(text)
    assert where in str(err.value)
    assert not no_build


def test_a_user_function_stored_under_another_name_is_refused() -> None:
    """``mult`` whose source defines ``subtract`` (computing ``x - y``): the stored name must be the source's."""
    from lift.dsl import map, reduce, zip
    from lift.dsl.prelude import add, mult

    @lift.fun
    def dot(x: Array[f32, size("N")], y: Array[f32, size("N")]):
        return zip(x, y) >> map(mult) >> reduce(add, 0.0)

    doc = _document(dot)
    stored = doc["program"]["body"]["args"][0]["f"]["f"]
    assert stored["name"] == "mult"
    stored["source"] = "def subtract(x: f32, y: f32) -> f32:\n    return x - y\n"
    with pytest.raises(lift.SerializationError, match=r"\$\.program\.body\.args\[0\]\.f\.f: .*'mult'.*'subtract'"):
        from_json(json.dumps(doc))


def test_a_user_function_whose_annotations_contradict_its_stored_types_is_refused() -> None:
    doc = _document(_program())
    doc["program"]["body"]["f"]["f"]["source"] = "def sq(x: i32) -> f32:\n    return x * x + 1.0\n"
    with pytest.raises(lift.SerializationError, match="annotated i32 in the source but stored as f32"):
        from_json(json.dumps(doc))


def test_a_stored_translation_is_never_read() -> None:
    doc = _document(_program())
    doc["program"]["body"]["f"]["f"]["c_definition"] = "float sq(float x) { return 1337.0f; }"
    with pytest.raises(lift.SerializationError, match="has no field"):
        from_json(json.dumps(doc))


# ---- injection through hand-built IR: refused by code generation ------------------------------------


@pytest.mark.parametrize(
    "prog",
    [
        _program(name='p\n#include "/etc/hostname"\n'),
        _program(param="x, global float* extra"),
        _program(size_name="N) { } kernel void k(int M"),
        _program(fun=UserFun("f(float x) { return 0; } float g", ("x",), (f32,), f32, "def f(x):\n    return x\n")),
    ],
    ids=["program name", "parameter", "size", "user function"],
)
def test_hand_built_names_that_are_not_identifiers_are_refused_before_printing(prog: Fun, no_build: list[str]) -> None:
    with pytest.raises(lift.LiftError, match="not a name lift-ir can print into OpenCL C"):
        lift.compile(prog, device="pocl")
    assert not no_build


@needs_pocl
def test_kernel_build_options_never_come_from_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    options: list[str] = []
    real_build = ocl_device.build

    def spy(device: Any, source: str, options_: str = "") -> Any:
        options.append(options_)
        return real_build(device, source, options_)

    monkeypatch.setattr(ocl_device, "build", spy)
    prog = _program(name="cl_fast_relaxed_math", param="D", size_name="cl_std")
    lift.compile(prog, device="pocl")(np.ones(4, np.float32))
    assert options == [""]


# ---- clashes with OpenCL C are mangled: the programs compile and agree with the interpreter -----------


def _check_runs(prog: Fun, *arrays: np.ndarray) -> str:
    kernel = lift.compile(prog, device="pocl")
    np.testing.assert_allclose(kernel(*arrays), lift.interpret(prog, *arrays), rtol=1e-6)
    return kernel.source


@needs_pocl
@pytest.mark.parametrize("name", RESERVED)
def test_reserved_names_as_parameter_size_and_user_function_compile(name: str) -> None:
    """The name used at once as the program's parameter, its size and (where C allows) its user function:
    each gets its own C name, and the kernel computes the interpreter's answer."""
    fun = _square_plus_one("sq" if name in C_FUNCTION_NAMES_REFUSED else name, param=name)
    prog = _program(name=name, param=name, size_name=name, fun=fun)
    x = np.arange(5, dtype=np.float32)
    source = _check_runs(prog, x)
    signature = re.search(r"kernel void (\w+)\((.*)\)", source)
    assert signature is not None
    params = [p.split()[-1].lstrip("*") for p in signature.group(2).split(",")]
    assert len(set(params)) == len(params), signature.group(0)
    if not GENERATOR_NAMES.fullmatch(name):  # the generator's `out` is its own output buffer
        assert name not in [signature.group(1), *params], signature.group(0)


@pytest.mark.parametrize("name", [*sorted(C_FUNCTION_NAMES_REFUSED), "sqrt", "café"])
def test_c_keywords_cannot_name_a_user_function(name: str) -> None:
    """Refused when the function is defined (translated), with the reason, rather than by the C compiler."""
    with pytest.raises(lift.UserFunError, match="cannot name an OpenCL C function"):
        _ = _square_plus_one(name).translated


@needs_pocl
def test_a_parameter_named_like_its_size_and_a_user_function_named_like_a_parameter() -> None:
    n = size("N")
    f = _square_plus_one("N", param="N")
    x, y = Param("N"), Param("f")
    g = UserFun("f", ("a", "b"), (f32, f32), f32, "def f(a, b):\n    return a * b\n")
    prog = Fun(
        (x, y),
        FunCall(Map(f), (FunCall(Map(g), (FunCall(Zip(2), (x, y)),)),)),
        "N",
        (Array[f32, n], Array[f32, n]),
    )
    a, b = np.arange(6, dtype=np.float32), np.full(6, 0.5, np.float32)
    source = _check_runs(prog, a, b)
    assert "kernel void N_kernel(" in source


@needs_pocl
def test_user_function_parameters_and_locals_that_are_c_macros_or_types() -> None:
    source = "def f(M_PI, float4):\n    CLK_LOCAL_MEM_FENCE = M_PI * float4\n    return CLK_LOCAL_MEM_FENCE + 1.0\n"
    f = UserFun("f", ("M_PI", "float4"), (f32, f32), f32, source)
    x, y = Param("x"), Param("y")
    n = size("N")
    prog = Fun((x, y), FunCall(Map(f), (FunCall(Zip(2), (x, y)),)), "macros", (Array[f32, n], Array[f32, n]))
    _check_runs(prog, np.arange(4, dtype=np.float32), np.full(4, 2.0, np.float32))


def test_names_tables() -> None:
    for name in [*RESERVED, "barrier", "sqrt", "float4", "uchar16", "convert_int_sat_rte", "as_float", "M_PI",
                 "CLK_LOCAL_MEM_FENCE", "__kernel", "_Bool", "vload4", "atomic_add", "image2d_t", "Tuple_float_int",
                 "i", "i3", "tmp", "wg1", "lid2"]:  # fmt: skip
        assert is_reserved(name), name
    for name in ["x", "N", "rows", "weights", "mult", "u_out", "out_1", "gid0_1", "index"]:
        assert not is_reserved(name), name
    assert c_name("out", set()) == "out_1"
    assert c_name("out", {"out_1"}) == "out_2"
    assert c_name("convert_float", set()) == "u_convert_float"  # a family: suffixes stay reserved
    assert c_name("x", {"x"}) == "x_1"
    assert c_name("x", set()) == "x"


def test_comments_cannot_end_their_line() -> None:
    assert comment_text("a\nb\\\r??/ #include") == "a_b____/ #include"


@needs_pocl
def test_a_renamed_size_next_to_a_size_fixed_at_compile_time() -> None:
    """``int`` becomes ``int_1`` in the kernel once the caller's own ``int_1`` is fixed at compile time: the
    caller keeps naming sizes as the program does, the kernel's arguments use the C names."""
    rows, cols = size("int"), size("int_1")
    x = Param("x")
    prog = Fun((x,), FunCall(Map(Map(_square_plus_one("sq"))), (x,)), "grid", (Array[Array[f32, cols], rows],))
    kernel = lift.compile(prog, sizes={"int_1": 3}, device="pocl")
    assert "long int_1" in kernel.source or "int int_1" in kernel.source
    a = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(kernel(a), a * a + 1)
