# SPDX-License-Identifier: Apache-2.0
"""tf.keras.backend: clear_session() and epsilon()."""
from .._core import names
from .._lib import call, lib


def clear_session():
    """Resets Keras's automatic names ("dense", "dense_1", ...) here and in the C library."""
    names.reset()
    call(lib.tg_clear_session)


def epsilon():
    return 1e-7


def floatx():
    return "float32"
