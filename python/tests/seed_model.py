# SPDX-License-Identifier: Apache-2.0
"""The seed notebook's model, shared by the tests: a subclassed Keras model with a Python call."""
import tapegrad as tg


class MyModel(tg.keras.Model):
    def __init__(self, num_classes=10):
        super().__init__(name="my_model")
        self.dense_1 = tg.keras.layers.Dense(32, activation="relu")
        self.dense_2 = tg.keras.layers.Dense(num_classes)

    def call(self, inputs):
        return self.dense_2(self.dense_1(inputs))
