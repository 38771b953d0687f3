# SPDX-License-Identifier: Apache-2.0
"""tg.nn: activations, softmax and the fused cross-entropies (tf.nn)."""
from ._ops import (elu, gelu, leaky_relu, log_softmax, relu, relu6, selu, sigmoid, silu,  # noqa: F401
                   softmax, softmax_cross_entropy_with_logits, softplus,
                   sparse_softmax_cross_entropy_with_logits, swish, tanh)
