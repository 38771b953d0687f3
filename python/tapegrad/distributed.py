# SPDX-License-Identifier: Apache-2.0
"""Data-parallel training over MPI (libtapegrad_mpi), as TensorFlow's
MultiWorkerMirroredStrategy or PyTorch's DistributedDataParallel: every process (rank) holds a
whole copy of the model, trains on its share of each global batch, and the gradients are
averaged over the ranks, so the copies stay identical. Run the same script on every rank:

    mpirun -np 2 /usr/bin/python3 train.py

    import tapegrad as tg
    from tapegrad import distributed

    d = distributed.init()              # or distributed.init(comm) with an mpi4py communicator
    model = tg.keras.Sequential([...]); model.compile(...); model.build((None, 784))
    d.broadcast(model)                  # every rank starts from rank 0's weights
    model.fit(x, y, batch_size=256, epochs=5, distributed=d)   # 256: the GLOBAL batch
    d.close()
    distributed.finalize()              # MPI_Finalize, if init() initialised MPI

Every rank passes the same x and y to fit and takes its own rows of each global batch (see
docs/distributed.md for the split, the summation order and the timeout). Only rank 0 prints and
runs ModelCheckpoint; the History is the same on every rank.

The library is looked for like libtapegrad.so (python/tapegrad/_lib.py): TAPEGRAD_MPI_LIBRARY,
then libtapegrad_mpi.so next to the loaded libtapegrad.so (../mpi/ in a build tree), then the
system's library path.
"""
import ctypes
import os

from . import errors
from ._lib import VERSION, call, check, handle_array, lib, out_handle
from ._core import Tensor, convert_to_tensor

__all__ = ["Distributed", "init", "finalize"]

_SIGNATURES = {
    "tg_mpi_init": ([ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "tg_mpi_from_fortran_comm": ([ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p)]),
    "tg_mpi_rank": ([ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]),
    "tg_mpi_size": ([ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]),
    "tg_mpi_set_timeout": ([ctypes.c_void_p, ctypes.c_double]),
    "tg_mpi_replica": ([ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "tg_mpi_barrier": ([ctypes.c_void_p]),
    "tg_mpi_free": ([ctypes.c_void_p]),
    "tg_mpi_finalize": ([]),
}


def _candidates():
    env = os.environ.get("TAPEGRAD_MPI_LIBRARY")
    if env:
        return [env]
    core_dir = os.path.dirname(os.path.abspath(lib.path)) if os.path.sep in lib.path else ""
    found = []
    if core_dir:
        found.append(os.path.join(core_dir, "libtapegrad_mpi.so"))
        found.append(os.path.join(os.path.dirname(core_dir), "mpi", "libtapegrad_mpi.so"))
    major, minor = VERSION.split(".")[:2]
    found.append("libtapegrad_mpi.so.%s" % ("%s.%s" % (major, minor) if major == "0" else major))
    return found


_mpi_lib = None


def _library():
    """libtapegrad_mpi, loaded on first use with RTLD_GLOBAL: Open MPI's plugins, which it opens
    at MPI_Init, look for libmpi's symbols in the global scope (mpi4py loads it so too)."""
    global _mpi_lib
    if _mpi_lib is not None:
        return _mpi_lib
    problems = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            problems.append("%s: no such file" % path)
            continue
        try:
            cdll = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError as e:
            problems.append("%s: %s" % (path, e))
            continue
        for name, argtypes in _SIGNATURES.items():
            fn = getattr(cdll, name)
            fn.argtypes, fn.restype = argtypes, ctypes.c_int
        _mpi_lib = cdll
        return cdll
    raise ImportError("tapegrad.distributed: cannot load libtapegrad_mpi.so (built when CMake "
                      "finds MPI: apt-get install libopenmpi-dev openmpi-bin). Tried:\n  %s"
                      % "\n  ".join(problems))


class Distributed:
    """One MPI communicator of data-parallel training (a tg_mpi). Make it with init()."""

    def __init__(self, handle):
        self._handle = handle
        mpi = _library()
        rank, size, replica = ctypes.c_int(), ctypes.c_int(), ctypes.c_void_p()
        call(mpi.tg_mpi_rank, handle, ctypes.byref(rank))
        call(mpi.tg_mpi_size, handle, ctypes.byref(size))
        call(mpi.tg_mpi_replica, handle, ctypes.byref(replica))
        self.rank, self.size = rank.value, size.value
        self._replica = replica.value

    def __repr__(self):
        return "<tapegrad.distributed.Distributed rank=%d size=%d>" % (self.rank, self.size)

    @property
    def replica(self):
        """The address of the tg_replica (for tg_fit_options.replica)."""
        self._check_open()
        return self._replica

    def _check_open(self):
        if self._handle is None:
            raise errors.InvalidStateError("tapegrad.distributed: this communicator is closed")

    def set_timeout(self, seconds):
        """The deadline of every collective (default 300 s): a rank that stops calling makes the
        others raise DeadlineExceededError (a TimeoutError) after it."""
        self._check_open()
        call(_library().tg_mpi_set_timeout, self._handle, float(seconds))

    def barrier(self):
        self._check_open()
        call(_library().tg_mpi_barrier, self._handle)

    def broadcast(self, model, optimizer=None, root=0):
        """Copies rank `root`'s weights (and the optimizer's state: model.optimizer if the model
        is compiled, or `optimizer`) to every rank, bit for bit. Collective. The model must be
        built (model.build(input_shape), or a first call) with the same layers on every rank."""
        self._check_open()
        c_model = model._c_stack() if hasattr(model, "_c_stack") else None
        if c_model is None:
            raise NotImplementedError("broadcast: only models of the library's own layers (a "
                                      "Sequential of tapegrad layers) can be broadcast")
        if not model.built:
            raise ValueError("broadcast: build the model first (model.build(input_shape))")
        optimizer = optimizer if optimizer is not None else getattr(model, "optimizer", None)
        call(lib.tg_model_broadcast, c_model.handle,
             optimizer._handle() if optimizer is not None else None, int(root), self._replica)

    def allreduce_mean(self, tensors):
        """The mean over ranks of each tensor (float32 / float64; None stays None and must be
        None on every rank), e.g. of gradients from a GradientTape: Horovod's allreduce
        (op=Average). Collective. Returns a list of Tensors."""
        self._check_open()
        tensors = [None if t is None else convert_to_tensor(t) for t in tensors]
        handles = handle_array([None if t is None else t.handle for t in tensors])
        out = (ctypes.c_void_p * max(len(tensors), 1))()
        call(lib.tg_replica_allreduce_mean, self._replica, handles, len(tensors), out)
        return [None if out[i] is None else Tensor(out[i]) for i in range(len(tensors))]

    def close(self):
        """Frees the communicator (the duplicate tapegrad made). Idempotent."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            call(_library().tg_mpi_free, handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def init(comm=None, timeout=None):
    """A Distributed over `comm` (an mpi4py communicator: its comm.py2f() handle is used, and
    MPI stays mpi4py's to finalize) or, without one, over MPI_COMM_WORLD, initialising MPI if
    nothing did yet (then finalize() finalizes it)."""
    mpi = _library()
    out = out_handle()
    if comm is None:
        call(mpi.tg_mpi_init, None, None, ctypes.byref(out))
    else:
        if not hasattr(comm, "py2f"):
            raise TypeError("init: comm must be an mpi4py communicator (with py2f()), got %r"
                            % (comm,))
        call(mpi.tg_mpi_from_fortran_comm, int(comm.py2f()), ctypes.byref(out))
    d = Distributed(out.value)
    if timeout is not None:
        d.set_timeout(timeout)
    return d


def finalize():
    """MPI_Finalize, if init() initialised MPI (never when a program or mpi4py did)."""
    check(_library().tg_mpi_finalize())
