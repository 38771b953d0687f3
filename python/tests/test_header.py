# SPDX-License-Identifier: Apache-2.0
"""The package's ctypes declarations agree with the C header: every function the package
declares exists in include/tapegrad/tapegrad.h with the same argument and result types, and
every structure the package mirrors has the header's fields, in order, with the same types.
A change to the header that would silently break the binding fails here."""
import ctypes
import os
import re

import pytest

from tapegrad import _lib

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include",
                      "tapegrad", "tapegrad.h")


def _header_text():
    if not os.path.exists(HEADER):
        pytest.skip("the C header is not beside these tests (%s)" % HEADER)
    with open(HEADER, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


TEXT = _header_text()
ENUMS = set(re.findall(r"typedef\s+enum\s+\w+\s*\{[^}]*\}\s*(\w+)\s*;", TEXT))
FUNCTION_POINTERS = set(re.findall(r"typedef\s+[\w\s\*]+\(\s*\*\s*(\w+)\s*\)", TEXT))
STRUCT_BODIES = dict((name, body) for body, name in
                     re.findall(r"typedef\s+struct\s+\w+\s*\{([^}]*)\}\s*(\w+)\s*;", TEXT))

# The ctypes structure that mirrors each C structure the package passes by pointer.
MIRRORS = {
    "tg_initializer": _lib.Initializer,
    "tg_layer_config": _lib.LayerConfig,
    "tg_conv_config": _lib.ConvConfig,
    "tg_pool_config": _lib.PoolConfig,
    "tg_norm_config": _lib.NormConfig,
    "tg_reshape_config": _lib.ReshapeConfig,
    "tg_fit_options": _lib.FitOptions,
    "tg_evaluate_options": _lib.EvaluateOptions,
    "tg_predict_options": _lib.PredictOptions,
}
SCALARS = {
    "int": ctypes.c_int, "int32_t": ctypes.c_int32, "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64, "uint64_t": ctypes.c_uint64, "size_t": ctypes.c_size_t,
    "double": ctypes.c_double, "float": ctypes.c_float,
}


def _split_type(declaration):
    """'const tg_tensor* const* x' -> ('tg_tensor', 2): the base type and the pointer depth."""
    words = declaration.replace("*", " * ").split()
    words = [w for w in words if w not in ("const", "struct")]
    stars = words.count("*")
    names = [w for w in words if w != "*"]
    return names[0], stars


def _is_function_pointer_type(t):
    return isinstance(t, type) and issubclass(t, ctypes._CFuncPtr)


def _ctype(declaration):
    """The ctypes type the ABI needs for a C type; 'callback' for a function pointer type."""
    base, stars = _split_type(declaration)
    if stars == 0:
        if base in ENUMS:
            return ctypes.c_int
        if base in FUNCTION_POINTERS:
            return "callback"
        if base in MIRRORS:
            return MIRRORS[base]
        assert base in SCALARS, "no ctypes equivalent known for %r" % declaration
        return SCALARS[base]
    if stars == 1:
        if base == "char":
            return ctypes.c_char_p
        if base in SCALARS:
            return ctypes.POINTER(SCALARS[base])
        if base in ENUMS:
            return ctypes.POINTER(ctypes.c_int)
        if base in MIRRORS:
            return ctypes.POINTER(MIRRORS[base])
        return ctypes.c_void_p  # an opaque handle, void*, FILE*, a DLPack capsule
    if stars == 2:
        if base == "char":
            return ctypes.POINTER(ctypes.c_char_p)
        return ctypes.POINTER(ctypes.c_void_p)  # an array of handles, or a tg_x** result
    raise AssertionError("unexpected pointer depth in %r" % declaration)


def _same(expected, actual):
    if isinstance(expected, type) and issubclass(expected, ctypes.Array):
        return isinstance(actual, type) and issubclass(actual, ctypes.Array) and \
            expected._length_ == actual._length_ and expected._type_ is actual._type_
    if expected == "callback":
        return actual is ctypes.c_void_p or _is_function_pointer_type(actual)
    return expected is actual


def _header_functions():
    functions = {}
    for result, name, params in re.findall(r"TG_API\s+([\w\s\*]+?)\s*\b(tg_\w+)\s*\(([^)]*)\)",
                                           TEXT):
        params = params.strip()
        args = [] if params in ("", "void") else [p.strip() for p in params.split(",")]
        types = [re.sub(r"\s*\b\w+$", "", a) for a in args]  # drop each parameter's name
        functions[name] = (result.strip(), types)
    return functions


FUNCTIONS = _header_functions()


def test_the_header_was_parsed():
    assert len(FUNCTIONS) > 200
    assert FUNCTIONS["tg_add"] == ("tg_status", ["const tg_tensor*", "const tg_tensor*",
                                                 "tg_tensor**"])


@pytest.mark.parametrize("name", sorted(_lib._SIGNATURES))
def test_declared_function_matches_the_header(name):
    assert name in FUNCTIONS, "%s is declared by the package but not in the header" % name
    result, params = FUNCTIONS[name]
    codes = _lib._SIGNATURES[name].split()
    assert len(codes) == len(params), "%s: the header has %d parameters (%s), the package %d" % (
        name, len(params), ", ".join(params), len(codes))
    for i, (code, param) in enumerate(zip(codes, params)):
        expected, actual = _ctype(param), _lib._T[code]
        assert _same(expected, actual), "%s argument %d: the header says %r, the package %r" % (
            name, i + 1, param, code)
    expected_result = ctypes.c_int if result == "tg_status" else _ctype(result)
    actual_result = _lib._RESTYPES.get(name, ctypes.c_int)
    assert _same(expected_result, actual_result), "%s returns %r in the header" % (name, result)


@pytest.mark.parametrize("struct_name", sorted(MIRRORS))
def test_mirrored_structure_matches_the_header(struct_name):
    body = STRUCT_BODIES[struct_name]
    header_fields = []
    for member in (m.strip() for m in body.split(";")):
        if member:
            type_part, field, length = re.match(r"(.*?)\s*\b(\w+)\s*(?:\[([^\]]+)\])?$",
                                                member).groups()
            expected = _ctype(type_part)
            if length:  # an inline array: `int64_t axis[TG_MAX_RANK]`
                n = eval(re.sub(r"TG_\w+", lambda m: re.search(  # noqa: S307 (header constants)
                    r"#define %s (\d+)" % m.group(0), TEXT).group(1), length))
                expected = expected * n
            header_fields.append((field, expected))
    mirror = MIRRORS[struct_name]
    package_fields = [(f[0], f[1]) for f in mirror._fields_]
    assert [f for f, _ in package_fields] == [f for f, _ in header_fields], struct_name
    for (field, actual), (_, expected) in zip(package_fields, header_fields):
        assert _same(expected, actual), "%s.%s: the header's type is %r" % (
            struct_name, field, expected)


def test_package_version_is_the_headers():
    """The package, its pyproject.toml and the header it speaks name one version."""
    major, minor, patch = (re.search(r"#define TG_VERSION_%s (\d+)" % part, TEXT).group(1)
                           for part in ("MAJOR", "MINOR", "PATCH"))
    version = "%s.%s.%s" % (major, minor, patch)
    import tapegrad
    assert tapegrad.__version__ == version
    pyproject = os.path.join(os.path.dirname(HEADER), "..", "..", "python", "pyproject.toml")
    with open(pyproject, encoding="utf-8") as f:
        assert re.search(r'^version = "%s"' % re.escape(version), f.read(), re.M)
