# SPDX-License-Identifier: Apache-2.0
"""tg.math: elementwise math, comparisons and reductions (tf.math)."""
from ._ops import (abs, add, argmax, argmin, ceil, cos, divide, equal, exp, expm1,  # noqa: F401
                   floor, greater, greater_equal, less, less_equal, log, log1p, log_softmax,
                   logical_and, logical_not, logical_or, maximum, minimum, multiply, negative,
                   not_equal, pow, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
                   reduce_prod, reduce_std, reduce_sum, reduce_variance, round, rsqrt, sigmoid,
                   sign, sin, softplus, sqrt, square, squared_difference, subtract, tanh,
                   truediv)
