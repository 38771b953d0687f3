"""pytest setup: import the package from this repository (python/), with the library given by
TAPEGRAD_LIBRARY (ctest sets it to the build's libtapegrad.so) or found as _lib.py says."""
import gc
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import tapegrad  # noqa: E402,F401


@pytest.fixture(autouse=True)
def _fresh_names_and_seed():
    """Each test starts with Keras's automatic names reset and a fixed seed."""
    tapegrad.keras.backend.clear_session()
    tapegrad.random.set_seed(1234)
    yield
    gc.collect()
