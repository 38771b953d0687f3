# SPDX-License-Identifier: Apache-2.0
"""Keras's convolution, pooling and normalization layers, as layers of the C library (tg_layer):
Conv1D, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
BatchNormalization, LayerNormalization. Channels last only (data_format='channels_last').

A Sequential made of them (and of Dense, Dropout, Flatten, Reshape) is a C model: fit, evaluate
and predict run in C. BatchNormalization uses the batch's statistics and updates its moving ones
in training calls (fit, or training=True), and the moving statistics otherwise."""
from .base_layer import unsupported
from .layers import CLayer, KernelLayer

TG_LAYER_CONV1D, TG_LAYER_CONV2D = 4, 5
TG_LAYER_MAX_POOLING2D, TG_LAYER_AVERAGE_POOLING2D = 6, 7
TG_LAYER_GLOBAL_AVERAGE_POOLING2D, TG_LAYER_GLOBAL_MAX_POOLING2D = 8, 9
TG_LAYER_BATCH_NORMALIZATION, TG_LAYER_LAYER_NORMALIZATION = 10, 11

_PADDINGS = {"valid": 0, "same": 1, "causal": 2}


def _tuple(value, n, name):
    """Keras's conv_utils.normalize_tuple: an int repeated n times, or n ints."""
    if isinstance(value, int):
        return (value,) * n
    try:
        values = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        values = ()
    if len(values) != n:
        raise ValueError("The `%s` argument must be a tuple of %d integers. Received %s=%r"
                         % (name, n, name, value))
    return values


def _padding(value, allowed):
    padding = str(value).lower()
    if padding not in allowed:
        raise ValueError("The `padding` argument must be a list/tuple or one of %s. Received: %s"
                         % (", ".join(allowed), value))
    return padding


def _channels_last(owner, data_format):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError("%s: tapegrad implements data_format='channels_last' only, "
                                  "got %r" % (owner, data_format))


class _Conv(KernelLayer):
    _rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        owner = type(self).__name__
        _channels_last(owner, data_format)
        unsupported(owner, kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                    activity_regularizer=activity_regularizer,
                    kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        super().__init__(**kwargs)
        r = self._rank
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, r, "kernel_size")
        self.strides = _tuple(strides, r, "strides")
        paddings = ("valid", "same", "causal") if r == 1 else ("valid", "same")
        self.padding = _padding(padding, paddings)
        self.dilation_rate = _tuple(dilation_rate, r, "dilation_rate")
        self.groups = int(groups)
        config = self._config()
        c = config.conv
        c.filters, c.groups, c.padding = self.filters, self.groups, _PADDINGS[self.padding]
        for i in range(r):
            c.kernel_size[i] = self.kernel_size[i]
            c.strides[i] = self.strides[i]
            c.dilation_rate[i] = self.dilation_rate[i]
        self._create(self._kernel_options(config, activation, use_bias, kernel_initializer,
                                          bias_initializer))


class Conv1D(_Conv):
    """Conv1D(filters, kernel_size, strides=1, padding='valid', dilation_rate=1, groups=1,
    activation=None, use_bias=True, kernel_initializer='glorot_uniform',
    bias_initializer='zeros'): (N, W, C) -> (N, OW, filters), kernel (K, C/groups, filters);
    padding 'causal' pads on the left only."""

    _type, _rank = TG_LAYER_CONV1D, 1


class Conv2D(_Conv):
    """Conv2D(filters, kernel_size, strides=(1, 1), padding='valid', dilation_rate=(1, 1),
    groups=1, activation=None, use_bias=True, kernel_initializer='glorot_uniform',
    bias_initializer='zeros'): (N, H, W, C) -> (N, OH, OW, filters), kernel
    (KH, KW, C/groups, filters); 'same' pads as TensorFlow (the odd cell after)."""

    _type, _rank = TG_LAYER_CONV2D, 2


class _Pooling2D(CLayer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        _channels_last(type(self).__name__, data_format)
        super().__init__(**kwargs)
        self.pool_size = _tuple(pool_size, 2, "pool_size")
        self.strides = self.pool_size if strides is None else _tuple(strides, 2, "strides")
        self.padding = _padding(padding, ("valid", "same"))
        config = self._config()
        p = config.pool
        for i in range(2):
            p.pool_size[i], p.strides[i] = self.pool_size[i], self.strides[i]
        p.padding = _PADDINGS[self.padding]
        self._create(config)


class MaxPooling2D(_Pooling2D):
    """MaxPooling2D(pool_size=(2, 2), strides=None (= pool_size), padding='valid')."""

    _type = TG_LAYER_MAX_POOLING2D


class AveragePooling2D(_Pooling2D):
    """AveragePooling2D(pool_size=(2, 2), strides=None (= pool_size), padding='valid'); with
    'same', padded cells are not counted in a window's mean."""

    _type = TG_LAYER_AVERAGE_POOLING2D


class _GlobalPooling2D(CLayer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        _channels_last(type(self).__name__, data_format)
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)
        config = self._config()
        config.pool.keepdims = int(self.keepdims)
        self._create(config)


class GlobalAveragePooling2D(_GlobalPooling2D):
    """(N, H, W, C) -> (N, C) (keepdims: (N, 1, 1, C)), the mean over H and W."""

    _type = TG_LAYER_GLOBAL_AVERAGE_POOLING2D


class GlobalMaxPooling2D(_GlobalPooling2D):
    """(N, H, W, C) -> (N, C) (keepdims: (N, 1, 1, C)), the maximum over H and W."""

    _type = TG_LAYER_GLOBAL_MAX_POOLING2D


def _norm_config(layer, config, axis, epsilon, center, scale, beta_initializer,
                 gamma_initializer):
    axes = [axis] if isinstance(axis, int) else [int(a) for a in axis]
    n = config.norm
    if not 1 <= len(axes) <= len(n.axis):
        raise ValueError("axis must list 1 to %d axes, got %r" % (len(n.axis), axis))
    for i, a in enumerate(axes):
        n.axis[i] = a
    n.num_axes = len(axes)
    n.epsilon, n.center, n.scale = float(epsilon), int(bool(center)), int(bool(scale))
    layer._set_initializer(n.beta_initializer, "beta", beta_initializer)
    layer._set_initializer(n.gamma_initializer, "gamma", gamma_initializer)
    return axis if isinstance(axis, int) else list(axes)


class BatchNormalization(CLayer):
    """BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
    beta_initializer='zeros', gamma_initializer='ones', moving_mean_initializer='zeros',
    moving_variance_initializer='ones', fused=None).

    Training calls (fit, training=True) normalize with the batch's mean and biased variance and
    move moving_mean / moving_variance towards them by Keras's formula (the fused path for 4-D
    float32 inputs feeds the Bessel-corrected variance, as TensorFlow's FusedBatchNorm); other
    calls, and every call of a frozen layer, use the moving statistics. Weights: gamma, beta,
    moving_mean, moving_variance; the last two are not trainable."""

    _type = TG_LAYER_BATCH_NORMALIZATION

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 fused=None, virtual_batch_size=None, adjustment=None, synchronized=False,
                 **kwargs):
        unsupported("BatchNormalization", beta_regularizer=beta_regularizer,
                    gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                    gamma_constraint=gamma_constraint, renorm_clipping=renorm_clipping,
                    virtual_batch_size=virtual_batch_size, adjustment=adjustment,
                    renorm=renorm, synchronized=synchronized)
        super().__init__(**kwargs)
        config = self._config()
        self.axis = _norm_config(self, config, axis, epsilon, center, scale, beta_initializer,
                                 gamma_initializer)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale, self.fused = bool(center), bool(scale), fused
        config.norm.momentum = self.momentum
        config.norm.fused = -1 if fused is None else int(bool(fused))
        self._set_initializer(config.norm.moving_mean_initializer, "moving_mean",
                              moving_mean_initializer)
        self._set_initializer(config.norm.moving_variance_initializer, "moving_variance",
                              moving_variance_initializer)
        self._create(config)

    gamma = property(lambda self: self._weight("gamma"))
    beta = property(lambda self: self._weight("beta"))
    moving_mean = property(lambda self: self._weight("moving_mean"))
    moving_variance = property(lambda self: self._weight("moving_variance"))


class LayerNormalization(CLayer):
    """LayerNormalization(axis=-1, epsilon=0.001, center=True, scale=True,
    beta_initializer='zeros', gamma_initializer='ones'): per example over `axis`, biased
    variance; the same in training and inference."""

    _type = TG_LAYER_LAYER_NORMALIZATION

    def __init__(self, axis=-1, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        unsupported("LayerNormalization", beta_regularizer=beta_regularizer,
                    gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                    gamma_constraint=gamma_constraint)
        super().__init__(**kwargs)
        config = self._config()
        self.axis = _norm_config(self, config, axis, epsilon, center, scale, beta_initializer,
                                 gamma_initializer)
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self._create(config)

    gamma = property(lambda self: self._weight("gamma"))
    beta = property(lambda self: self._weight("beta"))
