# SPDX-License-Identifier: Apache-2.0
"""Exceptions raised for the C library's statuses. Each carries the library's message
(`str(e)`, e.g. "[tg_matmul] matmul: inner dimensions differ: (2,3) x (4,5)"), the status
code (`e.status`) and its name (`e.status_name`).

Each class also derives from the built-in exception TensorFlow raises in the same situation,
so code written for TensorFlow catches them: a bad shape or dtype is a ValueError, a tape used
wrongly a RuntimeError (TensorFlow raises ValueError for "Tape is still recording" and
RuntimeError for a second gradient: InvalidStateError is both), a missing gradient rule a
LookupError, a file problem an OSError,
a collective of distributed training that timed out a TimeoutError.
"""

TG_INVALID_ARGUMENT = 1
TG_INVALID_HANDLE = 2
TG_INVALID_STATE = 3
TG_OUT_OF_MEMORY = 4
TG_NO_GRADIENT = 5
TG_IO_ERROR = 6
TG_INTERNAL = 7
TG_TIMEOUT = 8

_NAMES = {
    1: "TG_INVALID_ARGUMENT", 2: "TG_INVALID_HANDLE", 3: "TG_INVALID_STATE",
    4: "TG_OUT_OF_MEMORY", 5: "TG_NO_GRADIENT", 6: "TG_IO_ERROR", 7: "TG_INTERNAL",
    8: "TG_TIMEOUT",
}


class TapegradError(Exception):
    """Base class of every error the C library reports."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    @property
    def status_name(self):
        return _NAMES.get(self.status, "TG_UNKNOWN_STATUS")


class InvalidArgumentError(TapegradError, ValueError):
    """A shape, dtype or value the function cannot accept (TF's InvalidArgumentError)."""
    status = TG_INVALID_ARGUMENT


class InvalidHandleError(TapegradError, ValueError):
    """A freed or wrong handle reached the library (a bug in the caller)."""
    status = TG_INVALID_HANDLE


class InvalidStateError(TapegradError, RuntimeError, ValueError):
    """Not allowed now: a second gradient on a used tape, re-entering a recording tape, ..."""
    status = TG_INVALID_STATE


class ResourceExhaustedError(TapegradError, MemoryError):
    """Out of memory."""
    status = TG_OUT_OF_MEMORY


class NoGradientError(TapegradError, LookupError):
    """An op on the differentiated path has no gradient rule (TF's LookupError)."""
    status = TG_NO_GRADIENT


class TapegradIOError(TapegradError, OSError):
    """A file could not be read or written."""
    status = TG_IO_ERROR

    def __init__(self, message, status=None):
        TapegradError.__init__(self, message, status)

    def __str__(self):
        return self.message


class InternalError(TapegradError, RuntimeError):
    """A bug in tapegrad: please report the message."""
    status = TG_INTERNAL


class DeadlineExceededError(TapegradError, TimeoutError):
    """A collective of distributed training did not complete in time (TF's
    DeadlineExceededError): another replica stopped calling it or died."""
    status = TG_TIMEOUT


_CLASSES = {
    TG_INVALID_ARGUMENT: InvalidArgumentError,
    TG_INVALID_HANDLE: InvalidHandleError,
    TG_INVALID_STATE: InvalidStateError,
    TG_OUT_OF_MEMORY: ResourceExhaustedError,
    TG_NO_GRADIENT: NoGradientError,
    TG_IO_ERROR: TapegradIOError,
    TG_INTERNAL: InternalError,
    TG_TIMEOUT: DeadlineExceededError,
}


def from_status(status, message):
    cls = _CLASSES.get(status, TapegradError)
    return cls(message or "tapegrad status %d" % status, status)
