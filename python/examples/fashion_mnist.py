# SPDX-License-Identifier: Apache-2.0
"""Fashion-MNIST with tapegrad from Python, as Keras would: an MLP (784-256-128-10), or with
--model cnn a small CNN, trained with compile / fit / evaluate on the data of Debian's
dataset-fashion-mnist package (gzip'd IDX files, read with gzip and numpy). The model is a
Sequential of C layers, so fit runs in the C library, as examples/fashion_mnist.c does.

  /usr/bin/python3 python/examples/fashion_mnist.py [--model mlp|cnn] [--batch-norm]
      [--epochs N] [--batch-size 128] [--seed 1] [--limit N] [--data DIR] [--checkpoint PATH]
      [--verbose 0|1|2]

--epochs defaults to 8 for the MLP and 12 for the CNN; --batch-norm puts a BatchNormalization
after each convolution; --limit N uses the first N training and test images (smoke tests).
"""
import argparse
import gzip
import os
import sys

import numpy as np

try:  # the installed package, else the one in this repository
    import tapegrad  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tapegrad as tg  # noqa: E402


def read_idx(path):
    """An IDX file (big-endian magic, dims, then uint8 data) as a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic >> 8 != 0x08:  # unsigned bytes
        raise ValueError("%s: not an IDX file of unsigned bytes (magic %#x)" % (path, magic))
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError("%s: %d bytes of data for dims %s" % (path, data.size, dims))
    return data.reshape(dims)


def load_split(data_dir, prefix, limit=0):
    """(N, 784) float32 images in [0, 1] and (N,) int32 labels."""
    images = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % prefix))
    labels = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % prefix))
    if limit:
        images, labels = images[:limit], labels[:limit]
    return images.reshape(len(images), -1).astype(np.float32) / 255.0, labels.astype(np.int32)


def mlp(seed):
    """Dense(256, relu) -> Dense(128, relu) -> Dense(10), seeded kernels."""
    init = tg.initializers.GlorotUniform
    return tg.keras.Sequential([
        tg.layers.Dense(256, activation="relu", input_shape=(784,),
                        kernel_initializer=init(seed=seed * 100)),
        tg.layers.Dense(128, activation="relu", kernel_initializer=init(seed=seed * 100 + 1)),
        tg.layers.Dense(10, kernel_initializer=init(seed=seed * 100 + 2)),
    ], name="mlp")


def cnn(seed, batch_norm):
    """Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2) ->
    Flatten -> Dense(128, relu) -> Dropout(0.5) -> Dense(10), with a BatchNormalization after
    each convolution if batch_norm; the seeds of examples/fashion_mnist.c."""
    init = tg.initializers.GlorotUniform
    layers = [tg.layers.Reshape((28, 28, 1), input_shape=(784,))]
    for i, filters in enumerate((32, 64)):
        layers.append(tg.layers.Conv2D(filters, 3, activation="relu",
                                       kernel_initializer=init(seed=seed * 100 + i)))
        if batch_norm:
            layers.append(tg.layers.BatchNormalization())
        layers.append(tg.layers.MaxPooling2D(2))
    layers += [
        tg.layers.Flatten(),
        tg.layers.Dense(128, activation="relu", kernel_initializer=init(seed=seed * 100 + 2)),
        tg.layers.Dropout(0.5, seed=seed),
        tg.layers.Dense(10, kernel_initializer=init(seed=seed * 100 + 3)),
    ]
    return tg.keras.Sequential(layers, name="cnn_bn" if batch_norm else "cnn")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    p.add_argument("--batch-norm", action="store_true")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--checkpoint", default="")
    p.add_argument("--verbose", type=int, default=1 if sys.stdout.isatty() else 2)
    args = p.parse_args(argv)
    if args.batch_norm and args.model != "cnn":
        p.error("--batch-norm needs --model cnn")
    if args.epochs is None:
        args.epochs = 12 if args.model == "cnn" else 8

    x_train, y_train = load_split(args.data, "train", args.limit)
    x_test, y_test = load_split(args.data, "t10k", args.limit)
    name = {"mlp": "MLP 784-256-128-10", "cnn": "CNN"}[args.model]
    if args.batch_norm:
        name += " with batch normalization"
    print("tapegrad %s: Fashion-MNIST %s, batch %d, seed %d"
          % (tg.version(), name, args.batch_size, args.seed))

    model = cnn(args.seed, args.batch_norm) if args.model == "cnn" else mlp(args.seed)
    if args.model == "cnn":
        model.summary()
    optimizer = "adam"
    if args.model == "cnn":  # the learning rate falls from 1e-3 to 0 over the run
        steps = -(-len(x_train) // args.batch_size) * args.epochs
        optimizer = tg.keras.optimizers.Adam(
            tg.keras.optimizers.schedules.CosineDecay(1e-3, max(steps, 1)))
    model.compile(optimizer=optimizer,
                  loss=tg.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_data=(x_test, y_test), verbose=args.verbose,
              seed=args.seed)  # the shuffle of examples/fashion_mnist.c: the same numbers
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("test loss %.4f, test accuracy %.4f" % (loss, accuracy))
    if args.checkpoint:
        model.save_weights(args.checkpoint, optimizer=model.optimizer)
        print("saved %s" % args.checkpoint)
    return accuracy


if __name__ == "__main__":
    main()
