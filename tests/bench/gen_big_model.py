#!/usr/bin/python3
"""Writes a large tf.keras 2 style .h5 model for the speed benchmark: stacked LSTMs and a Dense,
float32 weights, sized to about the number of megabytes asked for.

usage: /usr/bin/python3 tests/bench/gen_big_model.py [--form FORM] OUT MEGABYTES [FEATURES] [LAYERS]

FORM: h5 (default: contiguous datasets), h5-gzip (chunked datasets through the deflate filter,
level 4, as h5py's compression="gzip" writes them), keras (a Keras 3 .keras archive, members
stored, as Keras saves it) or keras-deflated (the same archive with deflated members).

With 201 MB, 512 features and 3 layers the LSTMs have 1536 units (the shape of the model in the
benchmark's headline row). The weights are a fixed pseudo-random pattern (no numpy RNG cost).
"""
import json
import os
import sys
import tempfile
import zipfile

import h5py
import numpy as np


def lstm_floats(inp, units):
    return 4 * units * (inp + units + 1)


def model_floats(features, layers, units, out):
    return lstm_floats(features, units) + (layers - 1) * lstm_floats(units, units) + units * out + out


def units_for(megabytes, features, layers, out):
    """The largest unit count whose weights fit in the size asked for."""
    target = megabytes * 1e6 / 4
    lo, hi = 1, 1 << 16
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if model_floats(features, layers, mid, out) <= target:
            lo = mid
        else:
            hi = mid - 1
    return lo


def pattern(shape, seed):
    n = int(np.prod(shape))
    v = (np.arange(n, dtype=np.uint32) * np.uint32(2654435761) + np.uint32(seed * 40503)) >> np.uint32(9)
    return ((v.astype(np.float32) / np.float32(1 << 23)) - np.float32(0.5)).reshape(shape) * np.float32(0.1)


def keras3_config(features, names, units, out):
    def dtype():
        return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    layers = [{"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
               "config": {"batch_shape": [None, None, features], "dtype": "float32", "sparse": False, "ragged": False,
                          "name": "input_layer"}}]
    for i, name in enumerate(names):
        layers.append({"module": "keras.layers", "class_name": "LSTM", "registered_name": None, "config": {
            "name": name, "trainable": True, "dtype": dtype(), "return_sequences": i + 1 < len(names),
            "return_state": False, "go_backwards": False, "stateful": False, "unroll": False, "zero_output_for_mask": False,
            "units": units, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
            "unit_forget_bias": True, "dropout": 0.0, "recurrent_dropout": 0.0, "seed": None}})
    layers.append({"module": "keras.layers", "class_name": "Dense", "registered_name": None, "config": {
        "name": "dense", "trainable": True, "dtype": dtype(), "units": out, "activation": "linear", "use_bias": True}})
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "sequential", "trainable": True, "dtype": dtype(), "layers": layers}}


def write_keras3(path, form, features, names, units, out, weights):
    """A .keras archive: config.json, metadata.json and model.weights.h5 in Keras 3's layout."""
    fd, tmp = tempfile.mkstemp(suffix=".h5")
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            for name, ws in weights:
                g = f.create_group("layers/%s/%s" % (name, "vars" if name == "dense" else "cell/vars"))
                for i, w in enumerate(ws):
                    g.create_dataset(str(i), data=w)
        method = zipfile.ZIP_DEFLATED if form == "keras-deflated" else zipfile.ZIP_STORED
        with zipfile.ZipFile(path, "w", method) as z:
            z.writestr("metadata.json", json.dumps({"keras_version": "3.12.0", "date_saved": "2026-12-01@12:00:00"}))
            z.writestr("config.json", json.dumps(keras3_config(features, names, units, out)))
            z.write(tmp, "model.weights.h5")
    finally:
        os.remove(tmp)


def main(argv):
    form = "h5"
    if len(argv) > 2 and argv[1] == "--form":
        form = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) < 3 or form not in ("h5", "h5-gzip", "keras", "keras-deflated"):
        sys.stderr.write(__doc__)
        return 2
    path, megabytes = argv[1], float(argv[2])
    features = int(argv[3]) if len(argv) > 3 else 512
    layers = int(argv[4]) if len(argv) > 4 else 3
    out = 10
    units = units_for(megabytes, features, layers, out)
    cfg_layers = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, None, features], "dtype": "float32",
                                                          "sparse": False, "ragged": False, "name": "inputs"}}]
    names = []
    for i in range(layers):
        name = "lstm" if i == 0 else "lstm_%d" % i
        names.append(name)
        cfg_layers.append({"class_name": "LSTM", "config": {
            "name": name, "trainable": True, "dtype": "float32", "return_sequences": i + 1 < layers,
            "return_state": False, "go_backwards": False, "stateful": False, "unroll": False, "time_major": False,
            "units": units, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
            "unit_forget_bias": True, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}})
    cfg_layers.append({"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32",
                                                          "units": out, "activation": "linear", "use_bias": True}})
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": cfg_layers}}
    if form.startswith("keras"):
        weights, inp = [], features
        for i, name in enumerate(names):
            weights.append((name, [pattern((inp, 4 * units), 3 * i), pattern((units, 4 * units), 3 * i + 1),
                                   pattern((4 * units,), 3 * i + 2)]))
            inp = units
        weights.append(("dense", [pattern((units, out), 100), pattern((out,), 101)]))
        write_keras3(path, form, features, names, units, out, weights)
        print("%s: %d LSTM layers of %d units over %d features, Dense(%d)" % (path, layers, units, features, out))
        return 0
    gzip = {"compression": "gzip", "compression_opts": 4} if form == "h5-gzip" else {}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        w = f.create_group("model_weights")
        w.attrs["layer_names"] = np.array([n.encode() for n in names + ["dense"]])
        w.attrs["backend"] = "tensorflow"
        w.attrs["keras_version"] = "2.11.0"
        inp = features
        for i, name in enumerate(names):
            g = w.create_group(name)
            wn = ["%s/lstm_cell/kernel:0" % name, "%s/lstm_cell/recurrent_kernel:0" % name, "%s/lstm_cell/bias:0" % name]
            g.attrs["weight_names"] = np.array([n.encode() for n in wn])
            g.create_dataset(wn[0], data=pattern((inp, 4 * units), 3 * i), **gzip)
            g.create_dataset(wn[1], data=pattern((units, 4 * units), 3 * i + 1), **gzip)
            g.create_dataset(wn[2], data=pattern((4 * units,), 3 * i + 2), **gzip)
            inp = units
        g = w.create_group("dense")
        wn = ["dense/kernel:0", "dense/bias:0"]
        g.attrs["weight_names"] = np.array([n.encode() for n in wn])
        g.create_dataset(wn[0], data=pattern((units, out), 100), **gzip)
        g.create_dataset(wn[1], data=pattern((out,), 101), **gzip)
    print("%s: %d LSTM layers of %d units over %d features, Dense(%d)" % (path, layers, units, features, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
