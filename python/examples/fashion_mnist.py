"""Fashion-MNIST with tapegrad from Python: a Keras-style MLP trained with a GradientTape loop,
on the data of Debian's dataset-fashion-mnist package (gzip'd IDX files, read with gzip and
numpy). Batches reach tapegrad without copies (tg.from_numpy over contiguous numpy slices).

  /usr/bin/python3 python/examples/fashion_mnist.py [--epochs 5] [--batch-size 128]
      [--learning-rate 0.001] [--hidden 256,128] [--seed 1] [--limit N] [--data DIR]
      [--checkpoint PATH]

--limit N uses the first N training and test images (smoke tests).
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tapegrad as tg  # noqa: E402

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]


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


def load_split(data_dir, prefix, limit):
    images = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % prefix))
    labels = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % prefix))
    if limit:
        images, labels = images[:limit], labels[:limit]
    # (N, 784) float32 in [0, 1], labels (N,) int32
    return (images.reshape(len(images), -1).astype(np.float32) / 255.0,
            labels.astype(np.int32))


def build_model(hidden):
    model = tg.keras.Sequential(name="fashion_mlp")
    for units in hidden:
        model.add(tg.layers.Dense(units, activation="relu"))
    model.add(tg.layers.Dense(len(CLASSES)))
    return model


def evaluate(model, x, y, batch_size):
    accuracy = tg.metrics.SparseCategoricalAccuracy()
    for start in range(0, len(x), batch_size):
        logits = model(tg.from_numpy(x[start:start + batch_size]))
        accuracy.update_state(tg.from_numpy(y[start:start + batch_size]), logits)
    return float(accuracy.result())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=0.001)
    p.add_argument("--hidden", default="256,128")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--checkpoint", default="")
    args = p.parse_args(argv)

    tg.random.set_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = load_split(args.data, "train", args.limit)
    x_test, y_test = load_split(args.data, "t10k", args.limit)
    print("tapegrad %s (%s): %d training and %d test images"
          % (tg.version(), tg.library_path(), len(x_train), len(x_test)))

    model = build_model([int(h) for h in args.hidden.split(",") if h])
    loss_object = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = tg.optimizers.Adam(learning_rate=args.learning_rate)
    train_accuracy = tg.metrics.SparseCategoricalAccuracy()

    test_accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        start_time = time.perf_counter()
        order = rng.permutation(len(x_train))
        x_epoch, y_epoch = x_train[order], y_train[order]  # contiguous copies, batches are views
        train_accuracy.reset_state()
        total_loss, batches = 0.0, 0
        for start in range(0, len(x_epoch), args.batch_size):
            xb = tg.from_numpy(x_epoch[start:start + args.batch_size])
            yb = tg.from_numpy(y_epoch[start:start + args.batch_size])
            with tg.GradientTape() as tape:
                logits = model(xb, training=True)
                loss = loss_object(yb, logits)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            train_accuracy.update_state(yb, logits)
            total_loss += float(loss)
            batches += 1
        test_accuracy = evaluate(model, x_test, y_test, 1000)
        print("epoch %d/%d  loss %.4f  train accuracy %.4f  test accuracy %.4f  (%.1f s)"
              % (epoch, args.epochs, total_loss / max(batches, 1), float(train_accuracy.result()),
                 test_accuracy, time.perf_counter() - start_time), flush=True)

    if args.checkpoint:
        model.save_weights(args.checkpoint, optimizer)
        print("saved %s" % args.checkpoint)
    return test_accuracy


if __name__ == "__main__":
    main()
