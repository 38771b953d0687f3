# SPDX-License-Identifier: Apache-2.0
"""How much Python's model.fit costs over the C library's tg_model_fit: one epoch of the
Fashion-MNIST MLP (784-256-128-10, Adam, sparse categorical cross-entropy from logits,
"accuracy"), timed both ways in the same process, alternating, on the same data.

  C:      tg_model_fit called through ctypes on a C model built with tg_model_add (no callback,
          nothing printed): the loop with no Python in it;
  Python: model.compile(...) and model.fit(x, y, epochs=1, batch_size=B, verbose=0) on a
          tg.keras.Sequential of Dense layers (the C loop, reached through the Python API,
          with Keras's History callback).

Prints, for each batch size, the median seconds per epoch of each and their ratio, in wall time
and in CPU time of the process (which other processes on a shared machine disturb less: with
one thread, time spent descheduled is not counted). Read medians of several repetitions, and
prefer one thread (the default here).

  /usr/bin/python3 python/benchmarks/fit_ratio.py [--batch-sizes 128,32] [--repeats 5]
      [--threads 1] [--limit 0] [--data /usr/share/datasets/fashion-mnist]
"""
import argparse
import ctypes
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import tapegrad as tg  # noqa: E402
from tapegrad._lib import FitOptions, LayerConfig, call, handle_array, lib  # noqa: E402
from fashion_mnist import load_split  # noqa: E402


def c_model(seed):
    """The same MLP as the Python one, made with the C API alone."""
    model = ctypes.c_void_p()
    call(lib.tg_model_create, b"c_mlp", ctypes.byref(model))
    for i, (units, relu) in enumerate(((256, True), (128, True), (10, False))):
        config = LayerConfig()
        call(lib.tg_layer_config_init, 0, ctypes.byref(config))
        config.units, config.activation = units, 1 if relu else 0
        config.kernel_initializer.seed = seed * 100 + i
        call(lib.tg_model_add, model, ctypes.byref(config), None)
    dims = (ctypes.c_int64 * 2)(-1, 784)
    call(lib.tg_model_build, model, dims, 2)
    return model


def python_model(seed):
    init = tg.initializers.GlorotUniform
    model = tg.keras.Sequential([
        tg.layers.Dense(256, "relu", input_shape=(784,), kernel_initializer=init(seed * 100)),
        tg.layers.Dense(128, "relu", kernel_initializer=init(seed * 100 + 1)),
        tg.layers.Dense(10, kernel_initializer=init(seed * 100 + 2))])
    model.compile(optimizer="adam",
                  loss=tg.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def time_c_epoch(model, loss, optimizer, metric, x, y, batch_size):
    options = FitOptions()
    call(lib.tg_fit_options_init, ctypes.byref(options))
    options.batch_size, options.epochs, options.seed = batch_size, 1, 1
    metrics = handle_array([metric.handle])
    return timed(lambda: call(lib.tg_model_fit, model, loss.handle, optimizer._handle(), metrics,
                              1, x.handle, y.handle, ctypes.byref(options), None))


def time_python_epoch(model, x, y, batch_size):
    return timed(lambda: model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0, seed=1))


def timed(run):
    """(wall seconds, CPU seconds of the process) of run()."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-sizes", default="128,32")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = p.parse_args(argv)

    tg.set_num_threads(args.threads)
    x, y = load_split(args.data, "train", args.limit)
    xt, yt = tg.from_numpy(x), tg.from_numpy(y)
    print("tapegrad %s, %d threads, %d samples, median of %d epochs each"
          % (tg.version(), tg.get_num_threads(), len(x), args.repeats))
    results = {}
    for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
        cm = c_model(1)
        loss = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
        optimizer, metric = tg.optimizers.Adam(), tg.metrics.SparseCategoricalAccuracy()
        pm = python_model(1)
        c_times, py_times = [], []
        for _ in range(args.repeats):  # alternating, so both see the same machine
            c_times.append(time_c_epoch(cm, loss, optimizer, metric, xt, yt, batch_size))
            py_times.append(time_python_epoch(pm, x, y, batch_size))
        lib.tg_model_free(cm)
        for k, clock in enumerate(("wall", "cpu")):
            cs, pys = [t[k] for t in c_times], [t[k] for t in py_times]
            c, py = statistics.median(cs), statistics.median(pys)
            results[(batch_size, clock)] = py / c
            print("batch %4d, %-4s: C fit %.3f s/epoch, Python fit %.3f s/epoch, ratio %.3f "
                  "(C %s; Python %s)" % (batch_size, clock, c, py, py / c,
                                         " ".join("%.3f" % t for t in cs),
                                         " ".join("%.3f" % t for t in pys)))
    return results


if __name__ == "__main__":
    main()
