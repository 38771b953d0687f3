# SPDX-License-Identifier: Apache-2.0
"""Fashion-MNIST with tapegrad from Python, as Keras would: an MLP (784-256-128-10) trained with
compile / fit / evaluate on the data of Debian's dataset-fashion-mnist package (gzip'd IDX files,
read with gzip and numpy). The model is a Sequential of Dense layers, so fit runs in the C
library, as examples/fashion_mnist.c does.

  /usr/bin/python3 python/examples/fashion_mnist.py [--epochs 8] [--batch-size 128] [--seed 1]
      [--limit N] [--data DIR] [--checkpoint PATH] [--verbose 0|1|2]

--limit N uses the first N training and test images (smoke tests).
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--checkpoint", default="")
    p.add_argument("--verbose", type=int, default=1 if sys.stdout.isatty() else 2)
    args = p.parse_args(argv)

    x_train, y_train = load_split(args.data, "train", args.limit)
    x_test, y_test = load_split(args.data, "t10k", args.limit)
    print("tapegrad %s: Fashion-MNIST MLP 784-256-128-10, batch %d, seed %d"
          % (tg.version(), args.batch_size, args.seed))

    model = mlp(args.seed)
    model.compile(optimizer="adam",
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
