# SPDX-License-Identifier: Apache-2.0
"""DLPack in Python: tensor.__dlpack__() / __dlpack_device__() and tg.from_dlpack(x), sharing
memory with numpy (np.from_dlpack), PyTorch (torch.from_dlpack) or any DLPack producer.

Export: tg_tensor_to_dlpack gives a DLManagedTensor, put in a PyCapsule named "dltensor"; a
consumer renames it "used_dltensor" and calls the deleter when done; if no consumer takes it,
the capsule's destructor calls the deleter.

Import: the producer's capsule is consumed (renamed "used_dltensor") and tg_tensor_from_dlpack
takes the DLManagedTensor. why a proxy: the C library calls the deleter from whatever call
frees the last tensor, and ctypes releases the GIL during C calls, but producers' deleters may
need the GIL (numpy < 1.25 decrements the array's reference count without taking it). So
tapegrad receives a proxy DLManagedTensor whose deleter is a Python callback (ctypes takes the
GIL for it) that calls the producer's deleter with the GIL held.

Layouts that are not compact row-major (a transposed or sliced numpy array or torch tensor)
are copied through numpy, as tg.from_numpy does; the result then does not share memory.
"""
import ctypes
import itertools

from ._core import Tensor, contiguous, from_numpy
from ._lib import call, immortal, lib, out_handle
from .errors import InvalidArgumentError

c_void_p = ctypes.c_void_p


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", c_void_p), ("deleter", c_void_p)]


_py = ctypes.pythonapi
# why PYFUNCTYPE on raw pointers: these run with the GIL held, also inside a capsule destructor,
# where the capsule's reference count is already 0 and must not be touched.
_capsule_is_valid = ctypes.PYFUNCTYPE(ctypes.c_int, c_void_p, ctypes.c_char_p)(
    ("PyCapsule_IsValid", _py))
_capsule_get_pointer = ctypes.PYFUNCTYPE(c_void_p, c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", _py))
_capsule_new = ctypes.PYFUNCTYPE(ctypes.py_object, c_void_p, c_void_p, c_void_p)(
    ("PyCapsule_New", _py))
_capsule_set_name = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, c_void_p)(
    ("PyCapsule_SetName", _py))
_capsule_get_pointer_obj = ctypes.PYFUNCTYPE(c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", _py))
_call_deleter_with_gil = ctypes.PYFUNCTYPE(None, c_void_p)

# Capsule names must outlive every capsule (PyCapsule keeps the pointer, not a copy).
_NAME = immortal(ctypes.create_string_buffer(b"dltensor"))
_USED_NAME = immortal(ctypes.create_string_buffer(b"used_dltensor"))


def _make_destructor():
    @ctypes.CFUNCTYPE(None, c_void_p)
    def destructor(capsule):
        # Not consumed: the DLManagedTensor is still ours to delete.
        if _capsule_is_valid(capsule, b"dltensor"):
            managed = _capsule_get_pointer(capsule, b"dltensor")
            if managed:
                m = _DLManagedTensor.from_address(managed)
                if m.deleter:
                    ctypes.CFUNCTYPE(None, c_void_p)(m.deleter)(managed)
    return immortal(destructor)


_destructor = _make_destructor()


def to_capsule(tensor):
    """A "dltensor" PyCapsule sharing the tensor's buffer."""
    out = out_handle()
    call(lib.tg_tensor_to_dlpack, tensor.handle, ctypes.byref(out))
    try:
        return _capsule_new(out.value, ctypes.addressof(_NAME), ctypes.cast(_destructor, c_void_p))
    except BaseException:
        m = _DLManagedTensor.from_address(out.value)
        ctypes.CFUNCTYPE(None, c_void_p)(m.deleter)(out.value)
        raise


def _make_proxies():
    proxies = {}  # key -> (proxy struct, producer's DLManagedTensor address)
    keys = itertools.count(1)

    @ctypes.CFUNCTYPE(None, c_void_p)
    def proxy_deleter(proxy_address):
        key = _DLManagedTensor.from_address(proxy_address).manager_ctx
        entry = proxies.pop(key, None)
        if entry is not None:
            producer = _DLManagedTensor.from_address(entry[1])
            if producer.deleter:
                _call_deleter_with_gil(producer.deleter)(entry[1])

    return proxies, keys, immortal(proxy_deleter)


_proxies, _proxy_keys, _proxy_deleter = _make_proxies()


def _is_capsule(x):
    return type(x).__name__ == "PyCapsule"


def from_dlpack(x):
    """A tensor sharing the memory of `x`: any object with __dlpack__ (a numpy array, a torch
    tensor, a tapegrad tensor, ...) or a "dltensor" PyCapsule. CPU only; float32/64, int32/64
    and bool. A layout that is not compact row-major is copied (through numpy)."""
    if _is_capsule(x):
        capsule = x
    else:
        if not hasattr(x, "__dlpack__"):
            raise TypeError("from_dlpack: %r has no __dlpack__ method" % (type(x).__name__,))
        if hasattr(x, "__dlpack_device__"):
            device = tuple(x.__dlpack_device__())
            if int(device[0]) != 1:
                raise BufferError("from_dlpack: device %s is not the CPU (kDLCPU = 1): tapegrad "
                                  "holds CPU memory only" % (device,))
        capsule = x.__dlpack__()
    producer = _capsule_get_pointer_obj(capsule, b"dltensor")  # raises if used or misnamed
    src = _DLManagedTensor.from_address(producer)
    key = next(_proxy_keys)
    proxy = _DLManagedTensor()
    proxy.dl_tensor = src.dl_tensor
    proxy.manager_ctx = key
    proxy.deleter = ctypes.cast(_proxy_deleter, c_void_p)
    _proxies[key] = (proxy, producer)
    out = out_handle()
    try:
        call(lib.tg_tensor_from_dlpack, ctypes.addressof(proxy), ctypes.byref(out))
    except InvalidArgumentError as e:
        _proxies.pop(key, None)  # not taken: the capsule still owns the producer's tensor
        if "not compact row-major" in str(e) and not _is_capsule(x):
            import numpy as np
            return from_numpy(contiguous(np.from_dlpack(x)))
        raise
    except BaseException:
        _proxies.pop(key, None)
        raise
    _capsule_set_name(capsule, ctypes.addressof(_USED_NAME))
    return Tensor(out.value)
