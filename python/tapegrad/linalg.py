# SPDX-License-Identifier: Apache-2.0
"""tg.linalg: matrix products (tf.linalg)."""
from ._ops import eye, matmul, transpose  # noqa: F401
