# SPDX-License-Identifier: Apache-2.0
"""pytest setup: import the package from this repository (python/), with the library given by
TAPEGRAD_LIBRARY (ctest sets it to the build's libtapegrad.so) or found as _lib.py says.

With TAPEGRAD_TEST_INSTALLED=1 the tests use the installed package instead (pip install of
python/, tests/lang/run_pip_install.cmake), which must not come from this repository."""
import gc
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
INSTALLED = os.environ.get("TAPEGRAD_TEST_INSTALLED") == "1"
if not INSTALLED:
    sys.path.insert(0, os.path.join(HERE, ".."))

import tapegrad  # noqa: E402

if INSTALLED and os.path.abspath(tapegrad.__file__).startswith(os.path.dirname(HERE) + os.sep):
    raise RuntimeError("TAPEGRAD_TEST_INSTALLED=1 but tapegrad was imported from the source tree "
                       "(%s)" % tapegrad.__file__)


@pytest.fixture(autouse=True)
def _fresh_names_and_seed():
    """Each test starts with Keras's automatic names reset and a fixed seed."""
    tapegrad.keras.backend.clear_session()
    tapegrad.random.set_seed(1234)
    yield
    gc.collect()
