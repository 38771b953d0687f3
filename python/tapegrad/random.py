# SPDX-License-Identifier: Apache-2.0
"""tg.random: seeded random tensors (tf.random). Without set_seed each run differs; after
tg.random.set_seed(s) a program draws the same numbers on every run (Philox4x32-10)."""
from ._core import seeds
from ._ops import random_normal as normal  # noqa: F401
from ._ops import random_uniform as uniform  # noqa: F401
from ._ops import truncated_normal  # noqa: F401


def set_seed(seed):
    """Sets the global seed from which ops without an explicit seed derive theirs."""
    seeds.set(seed)
