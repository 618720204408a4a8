#!/usr/bin/python3
"""Write the k2onnx test fixtures: small Keras .h5 models in four dialects, and .keras archives.

    /usr/bin/python3 tests/gen_fixtures.py [--outdir tests/fixtures] [--workdir DIR]

Needs h5py and numpy (Debian's /usr/bin/python3). No TensorFlow/Keras: the files are written
directly with h5py, imitating byte-for-byte conventions observed in real files of the corpus
(../shared/corpus/keras, see tests/README-fixtures notes below):

  k22   standalone Keras 2.2.4 saved with h5py 2.x (e.g. cbarlow6-CIS8392__gru_model.h5,
        modelimport_keras_tfkeras_batchNormError2.h5, frugally-deep keras_export_lstm):
        - root attrs keras_version/backend/model_config/training_config: vlen ASCII strings
        - /model_weights attrs backend, keras_version (vlen ASCII), layer_names: fixed-length
          NULLPAD ASCII string array (|S<n>, n = longest name)
        - weight_names: fixed-length NULLPAD array; weightless layers: float64 array shape (0,)
        - weight names `simple_rnn_1/kernel:0` (generic RNN: `rnn_1/kernel:0`; its second stacked
          cell `rnn_1/kernel_1:0`), Bidirectional `bidirectional_1/forward_lstm_1/kernel:0` then
          `.../backward_lstm_1/...` (frugally-deep keras_export_lstm, cbarlow6 bi_gru_model),
          CuDNN `cu_dnnlstm_1/kernel:0`
        - class_name "Model"/"Sequential", functional layer entries ordered
          name, class_name, config, inbound_nodes; Sequential config {"name", "layers"} without
          InputLayer, first layer carrying batch_input_shape + dtype
        - LSTM/GRU recurrent_activation "hard_sigmoid", GRU "reset_after": false
  tfk2  tf.keras 2.11 saved with h5py 3.x (e.g. modelimport_keras_weights_keras-attention.h5,
        mrmidi wavelet_lstm_model.h5):
        - root keras_version/backend vlen UTF-8, model_config/training_config vlen ASCII
        - /model_weights attrs backend/keras_version vlen ASCII, layer_names vlen ASCII array
        - weight_names vlen ASCII; weightless layers: float64 array shape (0,)
        - extra group /model_weights/top_level_model_weights (not listed in layer_names)
        - weight names `simple_rnn/simple_rnn_cell/kernel:0`, `rnn/lstm_cell/kernel:0`,
          `rnn/stacked_rnn_cells/gru_cell/kernel:0`, `bidirectional/forward_lstm/lstm_cell/kernel:0`
        - class_name "Functional"/"Sequential"; layer entries ordered class_name, config, name,
          inbound_nodes; Sequential config lists an InputLayer first (not in layer_names)
        - recurrent_activation "sigmoid", GRU "reset_after": true (plus reset_after=false variants)
  k3    Keras 3.13 `model.save("x.h5")` (the legacy H5 writer; see the k3 section below and the
        corpus files Rajeevydvv-Stock-Price-Forecasting-RNN-LSTM-GRU__{gru,lstm,rnn}_model.h5):
        weight names are variable paths without ':0', functional configs use Keras 3 inbound
        nodes ({"args": [__keras_tensor__], "kwargs"}), nested objects carry module and
        registered_name, Bidirectional writes its backward_layer
  k1    Keras 1.2.2 (see the k1 section): bare-list Sequential configs, per-gate recurrent
        weights; corpus KonduitAI-dl4j-test-resources__modelimport_keras_weights_*_1.h5
  .keras Keras 3 archives (see the `.keras` section): config.json, metadata.json and
        model.weights.h5 in a ZIP, stored or deflated

Every fixture is `<outdir>/<flavour>_<model>.h5` (`.keras` for the archives). For the reference
step, the script reads each file back with h5py (by layer_names / weight_names, or an archive's
layer paths, as a converter would) and writes
`<workdir>/<name>.work.json` with the model config, the weights, seeded inputs and the opsets to
test; tests/ref_numpy.py and tests/ref_tfjs.js turn those into `<outdir>/<name>.ref.json`.
Besides the plain layers, option_models() covers Bidirectional, go_backwards, time_major,
RNN(StackedRNNCells), CuDNNLSTM/CuDNNGRU, stacked layers and activations outside the ONNX
recurrent ops' lists; mask_models() puts Masking in front of recurrent layers and masks steps of
the test inputs (mask_steps); shape_models() has a dynamic time axis and single-feature inputs;
layer_models() has Embedding (mask_zero too), RepeatVector, Flatten, Reshape and Permute around
recurrent layers; activation_models() and k3_activation_models() the activations on
Dense/Activation (grid inputs over [-8, 8]) and inside SimpleRNN/GRU; k3_models() the Keras 3
files; k1_models() the Keras 1 ones; more_layer_models() and k3_more_layer_models() (MORE_LAYER_MODELS,
one LayerKit model function per fixture for k22, tfk2 and k3) ReLU/PReLU/ELU/ThresholdedReLU/Softmax
layers, the noise and regularization layers, Cropping1D/ZeroPadding1D/UpSampling1D, Conv1D
channels_first, SeparableConv1D, BatchNormalization over axis 1 and on 2-D tensors, Dot, and
TimeDistributed around Conv1D, Flatten and LSTM on 4-D inputs.
Deterministic: fixed numpy seeds, no timestamps in the files (h5py default, track_times off), fixed
dates in the archives.
"""
import argparse
import io
import json
import os
import re
import struct
import sys
import zipfile
import zlib

import h5py
import numpy as np

BATCH = 3
INP = 2
HID = 5
VOCAB = 10      # Embedding input_dim
EMB = 3         # Embedding output_dim
K3_VERSION = '3.13.2'


# ---------------------------------------------------------------------------------------------
# dialects
# ---------------------------------------------------------------------------------------------
class Flavour:
    def __init__(self, tag):
        self.tag = tag
        self.k22 = tag == 'k22'
        self.keras_version = {'k22': '2.2.4', 'tfk2': '2.11.0', 'k3': K3_VERSION}[tag]
        self.counts = {}

    def reset(self):
        self.counts = {}

    def uid(self, base):
        """Auto layer name the way each Keras names layers in a fresh session."""
        n = self.counts.get(base, 0) + 1
        self.counts[base] = n
        if self.k22:
            return '%s_%d' % (base, n)
        return base if n == 1 else '%s_%d' % (base, n - 1)

    # initializers ---------------------------------------------------------------------------
    def glorot(self):
        if self.k22:
            return {"class_name": "VarianceScaling",
                    "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
        return {"class_name": "GlorotUniform", "config": {"seed": None}}

    def orthogonal(self):
        return {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}}

    def zeros(self):
        return {"class_name": "Zeros", "config": {}}

    def base(self, name, batch_input_shape=None):
        c = {"name": name, "trainable": True}
        if self.k22:
            if batch_input_shape is not None:   # Keras 2.2: dtype only with an input shape
                c["batch_input_shape"] = batch_input_shape
                c["dtype"] = "float32"
        else:
            if batch_input_shape is not None:
                c["batch_input_shape"] = batch_input_shape
            c["dtype"] = "float32"
        return c

    # layer configs --------------------------------------------------------------------------
    def input_layer(self, name, batch_input_shape, dtype="float32"):
        c = {"batch_input_shape": batch_input_shape, "dtype": dtype, "sparse": False}
        if not self.k22:
            c["ragged"] = False
        c["name"] = name
        return c

    def dense(self, name, units, activation, batch_input_shape=None):
        c = self.base(name, batch_input_shape)
        c.update({"units": units, "activation": activation, "use_bias": True,
                  "kernel_initializer": self.glorot(), "bias_initializer": self.zeros(),
                  "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                  "kernel_constraint": None, "bias_constraint": None})
        return c

    def rnn_base(self, name, return_sequences, batch_input_shape=None, return_state=False,
                 go_backwards=False, time_major=False, zero_output_for_mask=False):
        """tf.keras RNN.get_config writes zero_output_for_mask only when it is set."""
        c = self.base(name, batch_input_shape)
        c.update({"return_sequences": return_sequences, "return_state": return_state,
                  "go_backwards": go_backwards, "stateful": False, "unroll": False})
        if not self.k22:
            c["time_major"] = time_major
        if zero_output_for_mask:
            c["zero_output_for_mask"] = True
        return c

    def cell_body(self, kind, units, activation, recurrent_activation, reset_after, layer):
        """The per-cell part of a config; `layer` adds activity_regularizer (layers have it,
        cells do not)."""
        c = {"units": units, "activation": activation}
        if kind != 'simple':
            c["recurrent_activation"] = recurrent_activation
        c.update({"use_bias": True, "kernel_initializer": self.glorot(),
                  "recurrent_initializer": self.orthogonal(), "bias_initializer": self.zeros()})
        if kind == 'lstm':
            c["unit_forget_bias"] = True
        c.update({"kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None})
        if layer:
            c["activity_regularizer"] = None
        c.update({"kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
                  "dropout": 0.0, "recurrent_dropout": 0.0})
        if kind != 'simple':
            c["implementation"] = 1 if self.k22 else 2
        if kind == 'gru':
            c["reset_after"] = bool(reset_after)
        return c

    def rnn_layer(self, kind, name, units, activation, recurrent_activation, reset_after,
                  return_sequences, batch_input_shape=None):
        c = self.rnn_base(name, return_sequences, batch_input_shape)
        c.update(self.cell_body(kind, units, activation, recurrent_activation, reset_after, True))
        return c

    def generic_rnn(self, kind, name, cell_name, units, activation, recurrent_activation,
                    reset_after, return_sequences):
        c = self.rnn_base(name, return_sequences)
        cc = self.base(cell_name)
        cc.update(self.cell_body(kind, units, activation, recurrent_activation, reset_after, False))
        c["cell"] = {"class_name": CELL_CLASS[kind], "config": cc}
        return c

    def bidirectional(self, name, inner_class, inner_config, merge_mode):
        """Keras 2.2.4 Wrapper/Bidirectional.get_config: name, trainable, layer, merge_mode
        (cbarlow6-CIS8392__bi_gru_model.h5); tf.keras adds dtype after trainable."""
        c = self.base(name)
        c["layer"] = {"class_name": inner_class, "config": inner_config}
        c["merge_mode"] = merge_mode
        return c

    def masking(self, name, mask_value):
        """Masking.get_config: the Layer base config, then mask_value as the user gave it (an int
        stays an int in the JSON: masking_two_lstm.h5 of the corpus has 2.0, Masking(-1) gives -1)."""
        c = self.base(name)
        c["mask_value"] = mask_value
        return c

    def embedding(self, name, input_length, mask_zero):
        """Embedding.get_config after the base config; the layer always carries batch_input_shape
        (its __init__ turns input_length into input_shape), so dtype float32 comes with it in
        Keras 2.2.4 too (cbarlow6-CIS8392__lstm_model.h5)."""
        c = self.base(name, [None, input_length])
        c.update({"input_dim": VOCAB, "output_dim": EMB,
                  "embeddings_initializer": {"class_name": "RandomUniform",
                                             "config": {"minval": -0.05, "maxval": 0.05, "seed": None}},
                  "embeddings_regularizer": None, "activity_regularizer": None, "embeddings_constraint": None,
                  "mask_zero": mask_zero, "input_length": input_length})
        return c

    def simple_layer(self, name, **cfg):
        """A layer whose get_config adds its own keys to the base config: Activation (activation),
        RepeatVector (n), Flatten (data_format), Reshape (target_shape), Permute (dims)."""
        c = self.base(name)
        c.update(cfg)
        return c

    def stacked_cells(self, name, cells):
        c = self.base(name)
        c["cells"] = cells
        return c

    def cudnn(self, kind, name, units, return_sequences, return_state):
        """keras/layers/cudnn_recurrent.py: Layer base config, then _CuDNNRNN's
        return_sequences/return_state/go_backwards (there since Keras 2.1.0)/stateful, then the
        layer's own keys. No activations: CuDNN fixes tanh/sigmoid."""
        c = self.base(name)
        c.update({"return_sequences": return_sequences, "return_state": return_state,
                  "go_backwards": False, "stateful": False, "units": units,
                  "kernel_initializer": self.glorot(),
                  "recurrent_initializer": self.orthogonal(), "bias_initializer": self.zeros()})
        if kind == 'lstm':
            c["unit_forget_bias"] = True
        c.update({"kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
                  "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                  "bias_constraint": None})
        return c

    def weight_name(self, layer, cell, w):
        if self.k22 or cell is None:
            return '%s/%s:0' % (layer, w)
        return '%s/%s/%s:0' % (layer, cell, w)

    def functional_entry(self, cls, name, config, inbound):
        if self.k22:
            return {"name": name, "class_name": cls, "config": config, "inbound_nodes": inbound}
        return {"class_name": cls, "config": config, "name": name, "inbound_nodes": inbound}


LAYER_CLASS = {'simple': 'SimpleRNN', 'gru': 'GRU', 'lstm': 'LSTM'}
CELL_CLASS = {'simple': 'SimpleRNNCell', 'gru': 'GRUCell', 'lstm': 'LSTMCell'}
LAYER_BASE = {'simple': 'simple_rnn', 'gru': 'gru', 'lstm': 'lstm'}
CELL_BASE = {'simple': 'simple_rnn_cell', 'gru': 'gru_cell', 'lstm': 'lstm_cell'}
GATES = {'simple': 1, 'gru': 3, 'lstm': 4}
NSTATES = {'simple': 1, 'gru': 1, 'lstm': 2}


def rnd(rng, shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype('<f4')


def rnn_weights(rng, kind, inp, units, reset_after, scale=0.5):
    g = GATES[kind]
    ws = [('kernel', rnd(rng, (inp, g * units), scale)),
          ('recurrent_kernel', rnd(rng, (units, g * units), scale))]
    if kind == 'gru' and reset_after:
        ws.append(('bias', rnd(rng, (2, g * units), scale)))
    else:
        ws.append(('bias', rnd(rng, (g * units,), scale)))
    return ws


def dense_weights(rng, inp, units):
    return [('kernel', rnd(rng, (inp, units))), ('bias', rnd(rng, (units,)))]


# ---------------------------------------------------------------------------------------------
# model description: a list of layers, each {cls, name, config, inbound, weights, cell}
#   inbound / outputs entries: a layer name (its tensor 0) or (layer name, tensor index), the
#   latter for the extra outputs of return_state and merge_mode=None layers.
#   weights entries: (weight, array) named by Flavour.weight_name, or (prefix, weight, array)
#   named `<prefix>/<weight>:0` for layers whose names do not follow one layer/cell pattern
#   (Bidirectional halves, StackedRNNCells).
# ---------------------------------------------------------------------------------------------
def tensor_ref(x):
    return (x, 0) if isinstance(x, str) else (x[0], x[1])


class Model:
    def __init__(self, fl, sequential=False):
        self.fl = fl
        self.sequential = sequential
        self.layers = []
        self.inputs = []     # (layer name, batch_input_shape with None where the test batch goes)
        self.outputs = []
        self.data_shapes = {}   # input name -> shape of its test data, where not the batch_input_shape
        self.masked = {}        # input name -> (mask value, pattern) for mask_steps()
        self.data_fns = {}      # input name -> fn(rng, shape) giving its test data (default: normal)
        self.dtypes = {}        # input name -> dtype, where not float32

    def add(self, cls, name, config, inbound=(), weights=(), cell=None):
        self.layers.append(dict(cls=cls, name=name, config=config, inbound=list(inbound),
                                weights=list(weights), cell=cell))
        return name

    def input(self, name, shape, batch_shape=None, data_shape=None, dtype='float32'):
        bshape = list(batch_shape) if batch_shape is not None else [None] + list(shape)
        self.inputs.append((name, bshape))
        if data_shape is not None:
            self.data_shapes[name] = list(data_shape)
        if dtype != 'float32':
            self.dtypes[name] = dtype
        return self.add('InputLayer', name, self.fl.input_layer(name, bshape, dtype))

    def source(self, shape, mask=None, **kw):
        """The model input, followed by Masking(mask[0]) when mask = (mask value, pattern) is given;
        returns the tensor the first recurrent layer reads."""
        x = self.input('inputs', shape, **kw)
        if mask is None:
            return x
        self.masked[x] = mask
        name = self.fl.uid('masking')
        return self.add('Masking', name, self.fl.masking(name, mask[0]), [x])

    def config(self, model_name):
        fl = self.fl
        if self.sequential:
            layers = []
            if not fl.k22:
                name, bshape = self.inputs[0]
                layers.append({"class_name": "InputLayer",
                               "config": fl.input_layer(name, bshape, self.dtypes.get(name, 'float32'))})
            for L in self.layers:
                if L['cls'] == 'InputLayer':
                    continue
                layers.append({"class_name": L['cls'], "config": L['config']})
            return {"class_name": "Sequential", "config": {"name": model_name, "layers": layers}}
        layers = []
        for L in self.layers:
            # L['node']: the inbound_nodes as written, where they are not [[[src, 0, t, {}], ...]]
            inbound = L['node'] if 'node' in L else [] if not L['inbound'] else \
                [[[src, 0, t, {}] for src, t in map(tensor_ref, L['inbound'])]]
            layers.append(fl.functional_entry(L['cls'], L['name'], L['config'], inbound))
        cfg = {"class_name": "Model" if fl.k22 else "Functional",
               "config": {"name": model_name, "layers": layers,
                          "input_layers": [[n, 0, 0] for n, _ in self.inputs],
                          "output_layers": [[n, 0, t] for n, t in map(tensor_ref, self.outputs)]}}
        for fix in getattr(self, 'config_fixes', []):
            fix(cfg)
        return cfg

    def weight_layers(self):
        """Layers in the order Keras' model.layers lists them (what layer_names holds)."""
        if self.sequential:
            return [L for L in self.layers if L['cls'] != 'InputLayer']
        return self.layers


def weight_names(fl, L):
    return ['%s/%s:0' % (w[0], w[1]) if len(w) == 3 else fl.weight_name(L['name'], L['cell'], w[0])
            for w in L['weights']]


def training_config(fl):
    if fl.k22:
        return {"optimizer_config": {"class_name": "Adam", "config": {
            "lr": 0.0010000000474974513, "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033,
            "decay": 0.0, "epsilon": 1e-07, "amsgrad": False}},
            "loss": "mse", "metrics": [], "sample_weight_mode": None, "loss_weights": None}
    return {"loss": "mse", "metrics": None, "weighted_metrics": None, "loss_weights": None,
            "sample_weight_mode": None,
            "optimizer_config": {"class_name": "Adam", "config": {
                "name": "Adam", "learning_rate": 0.0010000000474974513, "decay": 0.0,
                "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033, "epsilon": 1e-07,
                "amsgrad": False}}}


# ---------------------------------------------------------------------------------------------
# HDF5 writing
# ---------------------------------------------------------------------------------------------
VLEN_ASCII = h5py.string_dtype('ascii')
VLEN_UTF8 = h5py.string_dtype('utf-8')


def put_str(obj, key, value, utf8=False):
    obj.attrs.create(key, value.encode('utf-8') if not utf8 else value,
                     dtype=VLEN_UTF8 if utf8 else VLEN_ASCII)


def put_names(obj, key, names, fl):
    if not names:
        obj.attrs.create(key, np.zeros((0,), dtype='<f8'))
    elif fl.k22:
        obj.attrs.create(key, np.array([n.encode('ascii') for n in names]))   # |S<max>, NULLPAD
    else:
        obj.attrs.create(key, [n.encode('ascii') for n in names], dtype=VLEN_ASCII)


def put_names_split(obj, key, names, fl):
    """Keras' save_attributes_to_hdf5_group for a list over HDF5_OBJECT_HEADER_LIMIT (64 KiB):
    np.array_split into chunks stored as <key>0, <key>1, ..., each written like the whole list."""
    for k, chunk in enumerate(np.array_split(np.array(names, dtype=object), 2)):
        put_names(obj, '%s%d' % (key, k), [str(n) for n in chunk], fl)


def with_floatx(model, floatx):
    """The model as keras.backend.set_floatx(floatx) builds it: every dtype that says float32
    says floatx (inputs, layers, their cells)."""
    def walk(v):
        if isinstance(v, dict):
            return {k: (floatx if k == 'dtype' and x == 'float32' else walk(x)) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v
    for L in model.layers:
        L['config'] = walk(L['config'])
    for name, _ in model.inputs:       # the InputLayer tf.keras writes first in a Sequential
        if model.dtypes.get(name, 'float32') == 'float32':
            model.dtypes[name] = floatx
    return model


def write_h5(path, model, fl, model_name, big_endian=False, optimizer=False, split_names=(), floatx='float32'):
    cfg = model.config(model_name)
    with h5py.File(path, 'w') as f:
        put_str(f, 'keras_version', fl.keras_version, utf8=not fl.k22)
        put_str(f, 'backend', 'tensorflow', utf8=not fl.k22)
        put_str(f, 'model_config', json.dumps(cfg))
        mw = f.create_group('model_weights')
        layers = model.weight_layers()
        put_names(mw, 'layer_names', [L['name'] for L in layers], fl)
        put_str(mw, 'backend', 'tensorflow')
        put_str(mw, 'keras_version', fl.keras_version)
        for L in layers:
            g = mw.create_group(L['name'])
            names = weight_names(fl, L)
            (put_names_split if L['name'] in split_names else put_names)(g, 'weight_names', names, fl)
            for n, arr in zip(names, [w[-1] for w in L['weights']]):
                data = arr.astype(('>' if big_endian else '<') + {'float64': 'f8', 'float16': 'f2'}.get(floatx, 'f4'))
                g.create_dataset(n, data=data)          # slashes make the nested groups
        if not fl.k22:
            g = mw.create_group('top_level_model_weights')
            put_names(g, 'weight_names', [], fl)
        put_str(f, 'training_config', json.dumps(training_config(fl)))
        if optimizer:
            # a few optimizer slots, as Keras writes them: a converter must not read these.
            og = f.create_group('optimizer_weights')
            onames, oarrs = [], []
            if fl.k22:
                onames.append('Adam/iterations:0')
                oarrs.append(np.array(7, dtype='<i8'))
                slots = [w[-1] for L in layers for w in L['weights']]
                for j, a in enumerate(slots):
                    onames.append('training/Adam/Variable%s:0' % ('_%d' % j if j else ''))
                    oarrs.append(np.zeros(a.shape, '<f4'))
            else:
                onames.append('Adam/iter:0')
                oarrs.append(np.array(7, dtype='<i8'))
                for L in layers:
                    for n, w in zip(weight_names(fl, L), L['weights']):
                        onames.append('Adam/' + n[:-2] + '/m:0')
                        oarrs.append(np.zeros(w[-1].shape, '<f4'))
            put_names(og, 'weight_names', onames, fl)
            for n, a in zip(onames, oarrs):
                og.create_dataset(n, data=a)
    return cfg


def read_back(path):
    """Read a fixture the way a converter would: config + weights by layer_names/weight_names."""
    def s(x):
        return x.decode('utf-8') if isinstance(x, bytes) else str(x)
    with h5py.File(path, 'r') as f:
        cfg = json.loads(s(f.attrs['model_config']))
        kv = s(f.attrs['keras_version'])
        mw = f['model_weights']
        weights = {}
        for ln in mw.attrs['layer_names']:
            ln = s(ln)
            at = mw[ln].attrs
            if 'weight_names' in at:
                wn = list(at['weight_names'])
            else:
                wn, k = [], 0
                while 'weight_names%d' % k in at:
                    wn += list(at['weight_names%d' % k])
                    k += 1
            lst = []
            for n in wn:
                d = mw[ln][s(n)][()]
                lst.append({"name": s(n), "shape": list(d.shape),
                            "data": [float(v) for v in np.asarray(d, dtype='<f4').ravel()]})
            weights[ln] = lst
    return cfg, kv, weights


# ---------------------------------------------------------------------------------------------
# the models
# ---------------------------------------------------------------------------------------------
def finish_recurrent(m, fl, rng, name, kind, hid, dense, return_state):
    """Ends a one-recurrent-layer model: a Dense head, or the layer's outputs (and states)."""
    if dense:
        d = fl.uid('dense')
        m.add('Dense', d, fl.dense(d, INP, 'linear'), [name], dense_weights(rng, hid, INP))
        m.outputs = [d]
    else:
        m.outputs = layer_outputs(name, 1 + (NSTATES[kind] if return_state else 0))
    return m


def m_rnn_state(fl, rng, kind, seq=1, hid=HID, reset_after=None, activation='relu',
                out_act='sigmoid', return_sequences=True, with_state=True, generic=False):
    """Input(seq, INP) [+ state inputs] -> <kind>(hid, ..., initial_state) -> Dense(INP)."""
    if reset_after is None:
        reset_after = not fl.k22
    rec_act = 'hard_sigmoid' if fl.k22 else 'sigmoid'
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    states = []
    if with_state:
        names = ['state'] if NSTATES[kind] == 1 else ['state_h', 'state_c']
        states = [m.input(n, [hid]) for n in names]
    if generic:
        name = fl.uid('rnn')
        cell = fl.uid(CELL_BASE[kind])
        cfg = fl.generic_rnn(kind, name, cell, hid, activation, rec_act, reset_after, return_sequences)
        m.add('RNN', name, cfg, [x] + states, rnn_weights(rng, kind, INP, hid, reset_after), cell=cell)
    else:
        name = fl.uid(LAYER_BASE[kind])
        fl.uid(CELL_BASE[kind])            # the layer's own cell takes a uid too
        cfg = fl.rnn_layer(kind, name, hid, activation, rec_act, reset_after, return_sequences)
        m.add(LAYER_CLASS[kind], name, cfg, [x] + states, rnn_weights(rng, kind, INP, hid, reset_after),
              cell=CELL_BASE[kind])
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, INP, out_act), [name], dense_weights(rng, hid, INP))
    m.outputs = [d]
    return m


def m_sequential(fl, rng, seq=1, hid=HID):
    """Sequential SimpleRNN(hid, relu, return_sequences, input_shape=(seq, INP)) -> Dense."""
    m = Model(fl, sequential=True)
    name = fl.uid('simple_rnn')
    fl.uid('simple_rnn_cell')
    in_name = 'simple_rnn_input' if not fl.k22 else 'simple_rnn_1_input'
    m.input(in_name, [seq, INP])
    cfg = fl.rnn_layer('simple', name, hid, 'relu', None, None, True, batch_input_shape=[None, seq, INP])
    m.add('SimpleRNN', name, cfg, [in_name], rnn_weights(rng, 'simple', INP, hid, False), cell='simple_rnn_cell')
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, INP, 'sigmoid'), [name], dense_weights(rng, hid, INP))
    m.outputs = [d]
    return m


def m_dense2d(fl, rng, feat=6):
    """Input(feat,) -> Dense linear -> relu -> tanh -> softmax (2-D Dense chain)."""
    m = Model(fl)
    prev = m.input('features', [feat])
    n_in = feat
    for units, act in [(7, 'linear'), (6, 'relu'), (5, 'tanh'), (4, 'softmax')]:
        d = fl.uid('dense')
        m.add('Dense', d, fl.dense(d, units, act), [prev], dense_weights(rng, n_in, units))
        prev, n_in = d, units
    m.outputs = [prev]
    return m


def m_dense3d(fl, rng, seq=4, hid=HID):
    """Input(seq, INP) -> LSTM(return_sequences) -> Dense relu -> Dense tanh -> Dense softmax."""
    rec_act = 'hard_sigmoid' if fl.k22 else 'sigmoid'
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    name = fl.uid('lstm')
    fl.uid('lstm_cell')
    m.add('LSTM', name, fl.rnn_layer('lstm', name, hid, 'tanh', rec_act, None, True), [x],
          rnn_weights(rng, 'lstm', INP, hid, False), cell='lstm_cell')
    prev, n_in = name, hid
    for units, act in [(6, 'relu'), (5, 'tanh'), (3, 'softmax')]:
        d = fl.uid('dense')
        m.add('Dense', d, fl.dense(d, units, act), [prev], dense_weights(rng, n_in, units))
        prev, n_in = d, units
    m.outputs = [prev]
    return m


# ---------------------------------------------------------------------------------------------
# recurrent-layer options: Bidirectional, go_backwards, time_major, StackedRNNCells, CuDNN*,
# stacked layers, activations outside the ONNX RNN/GRU/LSTM activation lists
# ---------------------------------------------------------------------------------------------
STATE_NAMES = {'simple': ['h'], 'gru': ['h'], 'lstm': ['h', 'c']}


def recurrent(fl, rng, kind, inp, units, generic=False, reset_after=None, activation='tanh',
              recurrent_activation=None, scale=0.5, return_sequences=True, **flags):
    """One recurrent layer as Keras serializes it: a dict with cls, name, config, weights
    [(w, array)], cell (the cell name tf.keras puts in weight names) and the reset_after used.
    flags: return_state, go_backwards, time_major."""
    if reset_after is None:
        reset_after = not fl.k22
    ract = recurrent_activation or ('hard_sigmoid' if fl.k22 else 'sigmoid')
    if generic:
        name = fl.uid('rnn')
        cell = fl.uid(CELL_BASE[kind])
        cfg = fl.rnn_base(name, return_sequences, **flags)
        cc = fl.base(cell)
        cc.update(fl.cell_body(kind, units, activation, ract, reset_after, False))
        cfg["cell"] = {"class_name": CELL_CLASS[kind], "config": cc}
        cls = 'RNN'
    else:
        name = fl.uid(LAYER_BASE[kind])
        fl.uid(CELL_BASE[kind])
        cell = CELL_BASE[kind]     # tf.keras layers name their cell explicitly, whatever uids say
        cfg = fl.rnn_base(name, return_sequences, **flags)
        cfg.update(fl.cell_body(kind, units, activation, ract, reset_after, True))
        cls = LAYER_CLASS[kind]
    return dict(cls=cls, name=name, config=cfg, cell=cell, reset_after=reset_after,
                weights=rnn_weights(rng, kind, inp, units, reset_after, scale))


def add_recurrent(m, spec, inbound):
    return m.add(spec['cls'], spec['name'], spec['config'], inbound, spec['weights'], cell=spec['cell'])


def layer_outputs(name, n):
    return [name] if n == 1 else [(name, i) for i in range(n)]


def add_bidi(m, fl, rng, kind, inp, hid, inbound, merge='concat', scale=0.5, **kw):
    """Adds Bidirectional(<kind>(hid)) reading `inbound`; kw go to recurrent(). Returns its name."""
    bname = fl.uid('bidirectional')
    spec = recurrent(fl, rng, kind, inp, hid, scale=scale, **kw)
    backward = rnn_weights(rng, kind, inp, hid, spec['reset_after'], scale)

    def half(direction, ws):
        prefix = '%s/%s_%s' % (bname, direction, spec['name'])
        if not fl.k22:
            prefix += '/' + spec['cell']
        return [(prefix, w, a) for w, a in ws]
    cfg = fl.bidirectional(bname, spec['cls'], spec['config'], merge)
    return m.add('Bidirectional', bname, cfg, inbound, half('forward', spec['weights']) + half('backward', backward))


def m_bidi(fl, rng, kind, merge='concat', seq=5, hid=4, return_sequences=True, return_state=False,
           generic=False, reset_after=None, init_state=False, dense=False, scale=0.5, mask=None,
           batch_shape=None, **kw):
    """Input(seq, INP) [+ forward then backward initial states] -> Bidirectional(<kind>) [-> Dense].

    Weight names as the corpus shows them: Keras 2.2.x `bidirectional_1/forward_lstm_1/kernel:0`
    (Dobiasd-frugally-deep keras_export_lstm, cbarlow6-CIS8392 bi_gru/bi_lstm); tf.keras 2.x
    `bidirectional/forward_lstm/lstm_cell/kernel:0` (the layer builds each half under
    name_scope('forward_'/'backward_' + name), the RNN its cell under name_scope(cell.name)).
    All forward weights come first, then the backward ones."""
    m = Model(fl)
    x = m.source([seq, INP], mask, batch_shape=batch_shape)
    states = []
    if init_state:
        for d in ('fw', 'bw'):
            states += [m.input('%s_%s' % (d, s), [hid]) for s in STATE_NAMES[kind]]
    bname = add_bidi(m, fl, rng, kind, INP, hid, [x] + states, merge, generic=generic, reset_after=reset_after,
                     scale=scale, return_sequences=return_sequences, return_state=return_state, **kw)
    n_out = (1 if merge else 2) + (2 * NSTATES[kind] if return_state else 0)
    if dense:
        d = fl.uid('dense')
        feat = 2 * hid if merge == 'concat' else hid
        m.add('Dense', d, fl.dense(d, INP, 'linear'), [bname], dense_weights(rng, feat, INP))
        m.outputs = [d]
    else:
        m.outputs = layer_outputs(bname, n_out)
    return m


def m_single(fl, rng, kind, seq=5, hid=4, return_state=False, dense=False, batch_shape=None, inp=INP,
             mask=None, data_shape=None, **kw):
    """Input [-> Masking] -> one recurrent layer (go_backwards / time_major / activation options in
    kw) [-> Dense]; with return_state the outputs are the layer's output then its final states."""
    m = Model(fl)
    x = m.source([seq, inp], mask, batch_shape=batch_shape, data_shape=data_shape)
    spec = recurrent(fl, rng, kind, inp, hid, return_state=return_state, **kw)
    name = add_recurrent(m, spec, [x])
    return finish_recurrent(m, fl, rng, name, kind, hid, dense, return_state)


def m_stacked_cells(fl, rng, kinds, units=(4, 3), seq=5, return_sequences=True, return_state=False,
                    reset_after=None, mask=None, batch_shape=None, data_shape=None, initial=False):
    """Input -> RNN(StackedRNNCells([cells])).

    Weight names: Keras 2.2.4 builds every cell inside the RNN layer's name scope with no scope
    of its own, so TensorFlow uniquifies the repeated names: `rnn_1/kernel:0` for the first
    cell, `rnn_1/kernel_1:0` for the second (the pattern public Keras 2.0-era Bidirectional files
    show, `bidirectional_1/kernel_1:0`; no corpus file has stacked cells). tf.keras 2.x nests name
    scopes: `rnn/stacked_rnn_cells/lstm_cell/kernel:0` (base_rnn.RNN.build and
    StackedRNNCells.build each enter name_scope(cell.name)). States with return_state: every
    cell's states in cell order (tf.keras 2.x; standalone Keras since keras-team/keras#11021;
    tfjs-layers still returns the last cell's first)."""
    m = Model(fl)
    x = m.source([seq, INP], mask, batch_shape=batch_shape, data_shape=data_shape)
    ract = 'hard_sigmoid' if fl.k22 else 'sigmoid'
    if reset_after is None:
        reset_after = not fl.k22
    cell_names = [fl.uid(CELL_BASE[k]) for k in kinds]
    sname = fl.uid('stacked_rnn_cells')
    name = fl.uid('rnn')
    cells, weights, inp = [], [], INP
    for j, (kind, cname, n) in enumerate(zip(kinds, cell_names, units)):
        cc = fl.base(cname)
        cc.update(fl.cell_body(kind, n, 'tanh', ract, reset_after, False))
        cells.append({"class_name": CELL_CLASS[kind], "config": cc})
        for w, a in rnn_weights(rng, kind, inp, n, reset_after):
            if fl.k22:
                weights.append((name, w + ('_%d' % j if j else ''), a))
            else:
                weights.append(('%s/%s/%s' % (name, sname, cname), w, a))
        inp = n
    cfg = fl.rnn_base(name, return_sequences, return_state=return_state)
    cfg["cell"] = {"class_name": "StackedRNNCells", "config": fl.stacked_cells(sname, cells)}
    states = []
    if initial:   # initial_state: every cell's states in cell order (h, then c for an LSTM)
        for j, (kind, n) in enumerate(zip(kinds, units)):
            for part in (('h', 'c') if kind == 'lstm' else ('h',)):
                states.append(m.input('cell%d_%s0' % (j, part), [n]))
    m.add('RNN', name, cfg, [x] + states, weights)
    m.outputs = layer_outputs(name, 1 + (sum(NSTATES[k] for k in kinds) if return_state else 0))
    return m


def m_cudnn(fl, rng, kind, seq=5, hid=4, return_sequences=True, return_state=False, dense=False):
    """Input -> CuDNNLSTM / CuDNNGRU (Keras 2.2.4). Auto names come from Keras' _to_snake_case:
    CuDNNLSTM -> cu_dnnlstm_1, CuDNNGRU -> cu_dnngru_1. Weights kernel (I, gH), recurrent_kernel
    (H, gH) in the Keras gate order (LSTM i,f,c,o; GRU z,r,h) and bias (2gH): the input biases,
    then the recurrent ones."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    name = fl.uid({'lstm': 'cu_dnnlstm', 'gru': 'cu_dnngru'}[kind])
    g = GATES[kind]
    ws = [('kernel', rnd(rng, (INP, g * hid))), ('recurrent_kernel', rnd(rng, (hid, g * hid))),
          ('bias', rnd(rng, (2 * g * hid,)))]
    cls = {'lstm': 'CuDNNLSTM', 'gru': 'CuDNNGRU'}[kind]
    m.add(cls, name, fl.cudnn(kind, name, hid, return_sequences, return_state), [x], ws)
    return finish_recurrent(m, fl, rng, name, kind, hid, dense, return_state)


def m_deep(fl, rng, seq=6):
    """Input -> LSTM(5, return_sequences) -> GRU(4, return_sequences) -> SimpleRNN(3) -> Dense(2)."""
    m = Model(fl)
    prev = m.input('inputs', [seq, INP])
    inp = INP
    for kind, hid, rs in (('lstm', 5, True), ('gru', 4, True), ('simple', 3, False)):
        prev = add_recurrent(m, recurrent(fl, rng, kind, inp, hid, return_sequences=rs), [prev])
        inp = hid
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, INP, 'linear'), [prev], dense_weights(rng, inp, INP))
    m.outputs = [d]
    return m


def m_masked_chain(fl, rng, seq=6, mask=(0.0, 'pad')):
    """Input -> Masking -> LSTM(4, return_sequences) -> Dense(3, tanh) -> LSTM(4, return_sequences).
    Dense hands its input's mask on unchanged, so the second LSTM skips the same steps although the
    Dense output there is not zero (the first LSTM repeated its previous output)."""
    m = Model(fl)
    x = m.source([seq, INP], mask)
    a = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, 4), [x])
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, 3, 'tanh'), [a], dense_weights(rng, 4, 3))
    m.outputs = [add_recurrent(m, recurrent(fl, rng, 'lstm', 3, 4), [d])]
    return m


def mask_steps(data, value, pattern):
    """Sets whole time steps of a [3, T, F] input to the mask value: sample 0 post-padded (its last
    two steps), sample 1 masked at one step in the middle, sample 2 pre-padded (its first two steps)
    or, with pattern 'full', masked at every step. Sample 1 also gets a step where only the first
    feature equals the mask value, which Keras does not mask (it masks a step when all features
    equal the value)."""
    d = data.copy()
    T, F = d.shape[1], d.shape[2]
    d[0, T - 2:, :] = value
    d[1, T // 2 - 1, :] = value
    if F > 1:
        d[1, T // 2 + 1, 0] = value
    if pattern == 'full':
        d[2, :, :] = value
    else:
        d[2, :2, :] = value
    return d


def mask_models():
    """(tag, builder, kw) for Masking in front of recurrent layers. The converter runs masked
    layers as Scan loops, so each fixture expects Scan. Keras semantics: a masked step keeps the
    states and outputs the previous step's output (zeros before the first unmasked step);
    Bidirectional with return_sequences zero-fills its halves at masked steps from tf.keras on
    (it forces zero_output_for_mask = return_sequences on both layers), while standalone Keras
    2.2.4 has no zero_output_for_mask and repeats outputs there too.

    RNN(StackedRNNCells) with a mask is tf.keras only: the Keras 2.2.4 backend fills masked steps
    of the output with states[0], which for a stack in cell order is the first cell's h, not the
    stack's output (a shape error unless the cells have equal units)."""
    L = []

    def add(tag, fn, **kw):
        L.append((tag, fn, dict(kw, expect_ops=['Scan'])))
    pad, full = (0.0, 'pad'), (-1, 'full')
    for tag, kind in (('lstm', 'lstm'), ('gru', 'gru'), ('rnn', 'simple')):
        for end, rs in (('seq', True), ('last', False)):
            add('mask_%s_%s' % (tag, end),
                lambda fl, r, k=kind, rs=rs: m_single(fl, r, k, seq=6, mask=pad, return_sequences=rs))
    add('mask_m1_lstm_last', lambda fl, r: m_single(fl, r, 'lstm', seq=6, mask=full, return_sequences=False))
    add('mask_m1_gru_seq', lambda fl, r: m_single(fl, r, 'gru', seq=6, mask=full))
    add('mask_lstm_state', lambda fl, r: m_single(fl, r, 'lstm', seq=6, mask=pad, return_state=True))
    for end, rs in (('seq', True), ('last', False)):
        add('mask_back_lstm_%s' % end,
            lambda fl, r, rs=rs: m_single(fl, r, 'lstm', seq=6, mask=pad, go_backwards=True, return_sequences=rs))
        add('mask_bidi_lstm_concat_%s' % end,
            lambda fl, r, rs=rs: m_bidi(fl, r, 'lstm', seq=6, mask=pad, return_sequences=rs))
    add('mask_m1_bidi_lstm_concat_seq', lambda fl, r: m_bidi(fl, r, 'lstm', seq=6, mask=full))
    # GRUCell reset_after=False lets tfjs-layers check the stack; the second one is numpy only
    add('mask_stack_lstm_gru_seq',
        lambda fl, r: m_stacked_cells(fl, r, ('lstm', 'gru'), seq=6, mask=pad, reset_after=False), only='tfk2')
    add('mask_m1_stack_lstm_gru_ra_last',
        lambda fl, r: m_stacked_cells(fl, r, ('lstm', 'gru'), seq=6, mask=full, reset_after=True,
                                      return_sequences=False), only='tfk2')
    add('mask_lstm_dense_lstm', lambda fl, r: m_masked_chain(fl, r))
    add('mask_f1_gru_seq', lambda fl, r: m_single(fl, r, 'gru', seq=6, inp=1, mask=pad))
    # a layer created with zero_output_for_mask=True outputs zeros at masked steps (tf.keras)
    add('mask_zero_lstm_seq', lambda fl, r: m_single(fl, r, 'lstm', seq=6, mask=pad, zero_output_for_mask=True),
        only='tfk2')
    add('mask_zero_gru_last', lambda fl, r: m_single(fl, r, 'gru', seq=6, mask=pad, return_sequences=False,
                                                      zero_output_for_mask=True), only='tfk2')
    return L


def shape_models():
    """(tag, builder, kw): a dynamic time axis, Input(shape=(None, 2)) with 6 steps in the test data
    (the stateio suite then also runs the sequence in two halves, feeding the final states back),
    and recurrent layers over a single input feature (1-row kernels)."""
    L = []
    dyn = dict(batch_shape=[None, None, INP], data_shape=[BATCH, 6, INP])
    for tag, kind in (('lstm', 'lstm'), ('gru', 'gru'), ('rnn', 'simple')):
        L.append(('dyn_%s_last' % tag, lambda fl, r, k=kind: m_single(fl, r, k, return_sequences=False, **dyn), {}))
    L.append(('dyn_stack_lstm_gru_last',
              lambda fl, r: m_stacked_cells(fl, r, ('lstm', 'gru'), return_sequences=False, **dyn), {}))
    L.append(('dyn_lstm_seq', lambda fl, r: m_single(fl, r, 'lstm', **dyn), {}))
    for tag, kind in (('lstm', 'lstm'), ('gru', 'gru')):
        L.append(('f1_%s_seq' % tag, lambda fl, r, k=kind: m_single(fl, r, k, inp=1), {}))
        L.append(('f1_%s_last' % tag, lambda fl, r, k=kind: m_single(fl, r, k, inp=1, return_sequences=False,
                                                                     dense=True), {}))
    return L


def option_models():
    """(tag, builder, kw) for the recurrent-option fixtures; kw may hold only='k22'/'tfk2'."""
    L = []

    def add(tag, fn, **kw):
        L.append((tag, fn, kw))
    ends = (('seq', True), ('last', False))
    # 1. Bidirectional
    kinds = [('rnn', 'simple', False), ('gru', 'gru', False), ('lstm', 'lstm', False),
             ('cell_lstm', 'lstm', True), ('cell_gru', 'gru', True)]
    for tag, kind, generic in kinds:
        for end, rs in ends:
            add('bidi_%s_concat_%s' % (tag, end),
                lambda fl, r, k=kind, g=generic, rs=rs: m_bidi(fl, r, k, generic=g, return_sequences=rs))
    for end, rs in ends:
        add('bidi_gru_r0_concat_%s' % end,
            lambda fl, r, rs=rs: m_bidi(fl, r, 'gru', reset_after=False, return_sequences=rs), only='tfk2')
    # (an LSTM under mul saturates with the larger weights, products fall to ~0.03: SimpleRNN there)
    for merge, tag, kind, generic, rs in (('sum', 'lstm', 'lstm', False, True), ('sum', 'rnn', 'simple', False, False),
                                          ('mul', 'gru', 'gru', False, True), ('mul', 'rnn', 'simple', False, False),
                                          ('ave', 'lstm', 'lstm', False, False),
                                          ('ave', 'cell_gru', 'gru', True, True)):
        add('bidi_%s_%s_%s' % (tag, merge, 'seq' if rs else 'last'),
            lambda fl, r, k=kind, g=generic, rs=rs, mm=merge: m_bidi(fl, r, k, merge=mm, generic=g,
                                                                     return_sequences=rs,
                                                                     scale=1.5 if mm == 'mul' else 0.5))
    add('bidi_lstm_none_seq', lambda fl, r: m_bidi(fl, r, 'lstm', merge=None))
    add('bidi_gru_none_last', lambda fl, r: m_bidi(fl, r, 'gru', merge=None, return_sequences=False))
    add('bidi_lstm_state_seq', lambda fl, r: m_bidi(fl, r, 'lstm', return_state=True))
    add('bidi_gru_state_last', lambda fl, r: m_bidi(fl, r, 'gru', return_state=True, return_sequences=False))
    add('bidi_lstm_init_state', lambda fl, r: m_bidi(fl, r, 'lstm', init_state=True))
    add('bidi_lstm_dense', lambda fl, r: m_bidi(fl, r, 'lstm', dense=True))
    # 2. go_backwards
    for tag, kind, generic in kinds[:4]:
        for end, rs in ends:
            add('back_%s_%s' % (tag, end),
                lambda fl, r, k=kind, g=generic, rs=rs: m_single(fl, r, k, generic=g, go_backwards=True,
                                                                 return_sequences=rs))
    add('back_lstm_state', lambda fl, r: m_single(fl, r, 'lstm', go_backwards=True, return_state=True))
    # 3. time_major (tf.keras only): the model input itself is [time, batch, features]
    for kind in ('lstm', 'gru'):
        for end, rs in ends:
            add('tmajor_%s_%s' % (kind, end),
                lambda fl, r, k=kind, rs=rs: m_single(fl, r, k, seq=6, batch_shape=[6, None, INP],
                                                      time_major=True, return_sequences=rs,
                                                      dense=(k == 'lstm' and rs)), only='tfk2')
    # time_major with go_backwards (the sequence stays in processing order, time-major), and
    # inside Bidirectional (the backward half re-aligned along axis 0, as Bidirectional.call does)
    for kind, end, rs in (('lstm', 'seq', True), ('gru', 'last', False), ('simple', 'seq', True)):
        add('tmajor_back_%s_%s' % (kind, end),
            lambda fl, r, k=kind, rs=rs: m_single(fl, r, k, seq=6, batch_shape=[6, None, INP], time_major=True,
                                                  go_backwards=True, return_sequences=rs), only='tfk2')
    for kind, end, rs in (('lstm', 'seq', True), ('gru', 'last', False)):
        add('bidi_tmajor_%s_%s' % (kind, end),
            lambda fl, r, k=kind, rs=rs: m_bidi(fl, r, k, seq=6, batch_shape=[6, None, INP], time_major=True,
                                                return_sequences=rs), only='tfk2')
    add('bidi_tmajor_lstm_state',
        lambda fl, r: m_bidi(fl, r, 'lstm', seq=6, batch_shape=[6, None, INP], time_major=True, merge='ave',
                             return_state=True), only='tfk2')
    # 4. RNN(StackedRNNCells)
    for tag, kinds_ in (('lstm_gru', ('lstm', 'gru')), ('rnn_lstm', ('simple', 'lstm'))):
        for end, rs in ends:
            add('stack_%s_%s' % (tag, end),
                lambda fl, r, ks=kinds_, rs=rs: m_stacked_cells(fl, r, ks, return_sequences=rs))
    # States of a stack: tf.keras 2.11 returns them in cell order (its stacked_rnn_cells.py).
    # Standalone Keras switched from last-cell-first to cell order in keras-team/keras#11021,
    # reviewed 2018-09-04 and merged before 2.2.3 (2018-10-01), so 2.2.4 uses cell order too.
    add('stack_lstm_gru_state',
        lambda fl, r: m_stacked_cells(fl, r, ('lstm', 'gru'), return_sequences=False, return_state=True))
    add('stack_rnn_lstm_state',
        lambda fl, r: m_stacked_cells(fl, r, ('simple', 'lstm'), return_state=True), only='tfk2')
    add('stack_lstm_gru_init', lambda fl, r: m_stacked_cells(fl, r, ('lstm', 'gru'), initial=True))
    add('stack_gru_lstm_init_state',
        lambda fl, r: m_stacked_cells(fl, r, ('gru', 'lstm'), return_sequences=False, return_state=True, initial=True))
    # 5. CuDNNLSTM / CuDNNGRU (Keras 2.2 only)
    add('cudnn_lstm_seq', lambda fl, r: m_cudnn(fl, r, 'lstm', dense=True), only='k22')
    add('cudnn_lstm_last', lambda fl, r: m_cudnn(fl, r, 'lstm', return_sequences=False), only='k22')
    add('cudnn_gru_seq', lambda fl, r: m_cudnn(fl, r, 'gru'), only='k22')
    add('cudnn_gru_last', lambda fl, r: m_cudnn(fl, r, 'gru', return_sequences=False), only='k22')
    add('cudnn_lstm_state', lambda fl, r: m_cudnn(fl, r, 'lstm', return_state=True), only='k22')
    # 6. stacked recurrent layers
    add('deep_lstm_gru_rnn', lambda fl, r: m_deep(fl, r))
    # 7. activations ONNX RNN/GRU/LSTM cannot take (so the e2e runner expects a Scan loop);
    #    Keras 2.2.4 has neither swish nor relu6
    scan = dict(expect_ops=['Scan'])
    for end, rs in ends:
        add('act_rnn_selu_%s' % end, lambda fl, r, rs=rs: m_single(fl, r, 'simple', activation='selu',
                                                                   return_sequences=rs), **scan)
        add('act_lstm_swish_%s' % end, lambda fl, r, rs=rs: m_single(fl, r, 'lstm', activation='swish',
                                                                     return_sequences=rs), only='tfk2', **scan)
        add('act_gru_exp_%s' % end, lambda fl, r, rs=rs: m_single(fl, r, 'gru', recurrent_activation='exponential',
                                                                  scale=0.25, return_sequences=rs),
            only='tfk2', **scan)
        add('act_lstm_selu_%s' % end, lambda fl, r, rs=rs: m_single(fl, r, 'lstm', activation='selu',
                                                                    return_sequences=rs), only='k22', **scan)
        add('act_gru_selu_%s' % end, lambda fl, r, rs=rs: m_single(fl, r, 'gru', activation='selu',
                                                                   return_sequences=rs), only='k22', **scan)
    # hard_sigmoid = clip(0.2x + 0.5, 0, 1) in both; larger weights so the clipping is reached
    add('act_rnn_hsig', lambda fl, r: m_single(fl, r, 'simple', activation='hard_sigmoid', scale=1.5),
        only='k22')
    add('act_lstm_hsig', lambda fl, r: m_single(fl, r, 'lstm', recurrent_activation='hard_sigmoid', scale=1.5),
        only='tfk2')
    return L


# ---------------------------------------------------------------------------------------------
# activations on Dense and Activation layers, and as the activation of a recurrent layer
# ---------------------------------------------------------------------------------------------
def grid_data(rng, shape, lo=-8.0, hi=8.0):
    """Every value of an even grid over [lo, hi], shuffled: the saturating and clipping regions
    of the activations (hard_sigmoid's knees at ±2.5 or ±3, relu6 at 6) are all reached."""
    n = int(np.prod(shape))
    return rng.permutation(np.linspace(lo, hi, n)).reshape(shape).astype('<f4')


def uniform_data(rng, shape, lo=-8.0, hi=8.0):
    return rng.uniform(lo, hi, shape).astype('<f4')


# Dense pre-activations reach about ±12 with this kernel scale on grid inputs; 'exponential'
# gets a smaller one so that its outputs stay within a few thousand
DENSE_ACT_SCALE = {'exponential': 0.15}


def m_act_dense(fl, rng, act, seq=2, feat=8, units=5):
    """Input(seq, feat) -> Dense(units, activation=act), and Input -> Activation(act): two outputs,
    the second applying the activation straight to the grid inputs."""
    m = Model(fl)
    x = m.input('inputs', [seq, feat])
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, units, act), [x],
          [('kernel', rnd(rng, (feat, units), DENSE_ACT_SCALE.get(act, 0.4))), ('bias', rnd(rng, (units,)))])
    a = fl.uid('activation')
    m.add('Activation', a, fl.simple_layer(a, activation=act), [x])
    m.outputs = [d, a]
    m.data_fns[x] = grid_data
    return m


# tf.keras 2.11 serializes each of these by name (gelu is its exact, erf form by default)
TFK2_ACTIVATIONS = ['gelu', 'swish', 'selu', 'exponential', 'softmax', 'softplus', 'softsign', 'elu',
                    'hard_sigmoid', 'relu', 'tanh', 'sigmoid', 'linear']


def activation_models():
    """(tag, builder, kw): tf.keras 2.11 activations on Dense/Activation (opset 10 too: Clip with
    attributes, Softmax before opset 13), and gelu as a SimpleRNN activation (a Scan loop)."""
    L = []
    for act in TFK2_ACTIVATIONS:
        L.append(('act_dense_%s' % act, lambda fl, r, a=act: m_act_dense(fl, r, a),
                  dict(only='tfk2', opsets=[None, 10])))
    for end, rs in (('seq', True), ('last', False)):
        L.append(('act_rnn_gelu_%s' % end,
                  lambda fl, r, rs=rs: with_data(m_single(fl, r, 'simple', activation='gelu', scale=0.8,
                                                          return_sequences=rs), uniform_data),
                  dict(only='tfk2', expect_ops=['Scan'])))
    return L


def with_data(m, fn):
    for name, _ in m.inputs:
        m.data_fns[name] = fn
    return m


# ---------------------------------------------------------------------------------------------
# Embedding (float indices from a Sequential, int32 from an InputLayer; mask_zero), RepeatVector,
# Flatten, Reshape, Permute around recurrent layers
# ---------------------------------------------------------------------------------------------
def token_data(rng, shape, zeros=False):
    """Indices 1..VOCAB-1 as floats (the ref.json holds numbers; an int32 model input takes them
    as they are). With zeros: sample 0 post-padded (last two steps 0), sample 1 with a 0 in the
    middle, sample 2 pre-padded (first two steps 0)."""
    d = rng.integers(1, VOCAB, shape).astype('<f4')
    if zeros:
        T = shape[1]
        d[0, T - 2:] = 0
        d[1, T // 2] = 0
        d[2, :2] = 0
    return d


def m_embedding(fl, rng, kind, seq=6, hid=4, sequential=True, int_input=False, mask_zero=False, bidi=False,
                return_sequences=True):
    """[Input(seq) ->] Embedding(VOCAB, EMB, input_length=seq[, mask_zero]) -> <kind> or
    Bidirectional(<kind>). A Sequential's input is the float32 one Keras builds from the
    Embedding's batch_input_shape/dtype (tf.keras lists it as an InputLayer named
    `<layer>_input`); a functional model's is Input(dtype='int32')."""
    m = Model(fl, sequential=sequential)
    ename = fl.uid('embedding')
    src = m.input('%s_input' % ename if sequential else 'tokens', [seq], dtype='int32' if int_input else 'float32')
    m.add('Embedding', ename, fl.embedding(ename, seq, mask_zero), [src], [('embeddings', rnd(rng, (VOCAB, EMB), 1.0))])
    if bidi:
        out = add_bidi(m, fl, rng, kind, EMB, hid, [ename], return_sequences=return_sequences)
    else:
        out = add_recurrent(m, recurrent(fl, rng, kind, EMB, hid, return_sequences=return_sequences), [ename])
    m.outputs = [out]
    m.data_fns[src] = lambda r, shape: token_data(r, shape, zeros=mask_zero)
    return m


def dense_head(m, fl, rng, src, width, activation):
    """A Dense(INP) output layer reading `width` features of `src`."""
    d = fl.uid('dense')
    return m.add('Dense', d, fl.dense(d, INP, activation), [src], dense_weights(rng, width, INP))


def m_repeat(fl, rng, seq=5, hid=4, n=3):
    """Sequential encoder-decoder: LSTM(hid) -> RepeatVector(n) -> LSTM(hid, return_sequences)
    -> Dense(INP)."""
    m = Model(fl, sequential=True)
    src = m.input('%s_input' % ('lstm_1' if fl.k22 else 'lstm'), [seq, INP])
    enc = recurrent(fl, rng, 'lstm', INP, hid, return_sequences=False, batch_input_shape=[None, seq, INP])
    prev = add_recurrent(m, enc, [src])
    r = fl.uid('repeat_vector')
    prev = m.add('RepeatVector', r, fl.simple_layer(r, n=n), [prev])
    prev = add_recurrent(m, recurrent(fl, rng, 'lstm', hid, hid), [prev])
    m.outputs = [dense_head(m, fl, rng, prev, hid, 'linear')]
    return m


def m_flatten(fl, rng, seq=5, hid=3):
    """Input(seq, INP) -> LSTM(hid, return_sequences) -> Flatten -> Dense(INP, tanh)."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    prev = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid), [x])
    f = fl.uid('flatten')
    prev = m.add('Flatten', f, fl.simple_layer(f, data_format='channels_last'), [prev])
    m.outputs = [dense_head(m, fl, rng, prev, seq * hid, 'tanh')]
    return m


def m_reshape(fl, rng, steps=6, hid=4):
    """Input(steps * INP) -> Reshape((-1, INP)) -> LSTM(hid) -> Dense(INP)."""
    m = Model(fl)
    x = m.input('inputs', [steps * INP])
    r = fl.uid('reshape')
    prev = m.add('Reshape', r, fl.simple_layer(r, target_shape=[-1, INP]), [x])
    prev = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid, return_sequences=False), [prev])
    m.outputs = [dense_head(m, fl, rng, prev, hid, 'linear')]
    return m


def m_permute(fl, rng, steps=6, hid=4):
    """Input(INP, steps), features first -> Permute((2, 1)) -> LSTM(hid, return_sequences)."""
    m = Model(fl)
    x = m.input('inputs', [INP, steps])
    p = fl.uid('permute')
    prev = m.add('Permute', p, fl.simple_layer(p, dims=[2, 1]), [x])
    m.outputs = [add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid), [prev])]
    return m


def layer_models():
    """(tag, builder, kw) for the non-recurrent layers around recurrent ones. Masks from
    Embedding(mask_zero=True) make the recurrent layers Scan loops."""
    scan = dict(expect_ops=['Scan'])
    L = [
        ('emb_lstm_seq', lambda fl, r: m_embedding(fl, r, 'lstm'), {}),
        ('emb_gru_last', lambda fl, r: m_embedding(fl, r, 'gru', return_sequences=False), dict(only='k22')),
        # tf.keras: Input(dtype='int32') -> Embedding, GRU reset_after=True
        ('emb_i32_gru_last', lambda fl, r: m_embedding(fl, r, 'gru', sequential=False, int_input=True,
                                                      return_sequences=False), dict(only='tfk2')),
        ('emb_i32_lstm_last', lambda fl, r: m_embedding(fl, r, 'lstm', sequential=False, int_input=True,
                                                       return_sequences=False), dict(only='tfk2')),
        ('repeat_lstm', m_repeat, {}),
        ('flatten_lstm', m_flatten, {}),
        ('reshape_lstm', m_reshape, {}),
        ('permute_lstm', m_permute, {}),
    ]
    # Keras 2.2.4 in a Sequential (float indices); tf.keras with an int32 Input, which also lets
    # the tfjs check zero-fill a Bidirectional's masked steps
    for end, rs in (('seq', True), ('last', False)):
        for flav, seqtl in (('k22', True), ('tfk2', False)):
            kw = dict(sequential=seqtl, int_input=not seqtl, mask_zero=True, return_sequences=rs)
            L.append(('emb_mask_lstm_%s' % end, lambda fl, r, kw=kw: m_embedding(fl, r, 'lstm', **kw),
                      dict(scan, only=flav)))
            L.append(('emb_mask_bidi_lstm_%s' % end, lambda fl, r, kw=kw: m_embedding(fl, r, 'lstm', bidi=True, **kw),
                      dict(scan, only=flav)))
    return L


# ---------------------------------------------------------------------------------------------
# Conv1D, 1-D pooling, normalization, LeakyReLU, merge layers, TimeDistributed. Several variants
# share one model as separate outputs: each model file is some 16 KB, the variants a few numbers.
# ---------------------------------------------------------------------------------------------
def conv1d_config(fl, name, filters, kernel, strides=1, padding='valid', dilation=1, groups=1,
                  activation='linear', use_bias=True, batch_input_shape=None):
    """Conv1D.get_config: Keras 2.2.4 as in KonduitAI-..._tfkeras_batchNormError2.h5; tf.keras
    (2.3 on) adds groups after dilation_rate (..._tfkeras_cnn_1d_doublecount.h5.h5)."""
    c = fl.base(name, batch_input_shape)
    c.update({"filters": filters, "kernel_size": [kernel], "strides": [strides], "padding": padding,
              "data_format": "channels_last", "dilation_rate": [dilation]})
    if not fl.k22:
        c["groups"] = groups
    elif groups != 1:
        raise ValueError('Keras 2.2.4 Conv1D has no groups')
    c.update({"activation": activation, "use_bias": use_bias,
              "kernel_initializer": fl.glorot(), "bias_initializer": fl.zeros(),
              "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
              "kernel_constraint": None, "bias_constraint": None})
    return c


def add_conv1d(m, fl, rng, src, cin, filters, kernel, **kw):
    name = fl.uid('conv1d')
    ws = [('kernel', rnd(rng, (kernel, cin // kw.get('groups', 1), filters)))]
    if kw.get('use_bias', True):
        ws.append(('bias', rnd(rng, (filters,))))
    return m.add('Conv1D', name, conv1d_config(fl, name, filters, kernel, **kw), [src], ws)


def m_conv1d_pad(fl, rng, seq=7, filters=4):
    """Input(seq, INP) -> Conv1D(k=3) with padding valid, same, and causal (relu): three outputs."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    m.outputs = [add_conv1d(m, fl, rng, x, INP, filters, 3, padding='valid'),
                 add_conv1d(m, fl, rng, x, INP, filters, 3, padding='same'),
                 add_conv1d(m, fl, rng, x, INP, filters, 3, padding='causal', activation='relu')]
    return m


def m_conv1d_stride(fl, rng, seq=7, filters=3):
    """Odd length 7, so that stride 2 'same' pads unevenly: strides 2 valid and same, dilation 2,
    use_bias False."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    m.outputs = [add_conv1d(m, fl, rng, x, INP, filters, 3, strides=2, padding='valid'),
                 add_conv1d(m, fl, rng, x, INP, filters, 4, strides=2, padding='same'),
                 add_conv1d(m, fl, rng, x, INP, filters, 3, dilation=2, padding='valid'),
                 add_conv1d(m, fl, rng, x, INP, filters, 2, dilation=2, padding='same'),
                 add_conv1d(m, fl, rng, x, INP, filters, 3, use_bias=False)]
    return m


def m_conv1d_groups(fl, rng, seq=6, cin=4, filters=6, groups=2):
    """Conv1D(filters, 3, groups, same) over cin channels (groups=cin: one input channel per group)."""
    m = Model(fl)
    x = m.input('inputs', [seq, cin])
    m.outputs = [add_conv1d(m, fl, rng, x, cin, filters, 3, groups=groups, padding='same')]
    return m


def m_conv1d_lstm(fl, rng, seq=8, hid=4):
    """Sequential: Conv1D(5, 3, same, relu) -> MaxPooling1D(2) -> LSTM(hid) -> Dense(INP)."""
    m = Model(fl, sequential=True)
    c = 'conv1d_1' if fl.k22 else 'conv1d'
    src = m.input('%s_input' % c, [seq, INP])
    prev = add_conv1d(m, fl, rng, src, INP, 5, 3, padding='same', activation='relu',
                      batch_input_shape=[None, seq, INP])
    prev = add_pool(m, fl, 'MaxPooling1D', prev, 2)
    prev = add_recurrent(m, recurrent(fl, rng, 'lstm', 5, hid, return_sequences=False), [prev])
    m.outputs = [dense_head(m, fl, rng, prev, hid, 'linear')]
    return m


POOL_BASE = {'MaxPooling1D': 'max_pooling1d', 'AveragePooling1D': 'average_pooling1d',
             'GlobalAveragePooling1D': 'global_average_pooling1d', 'GlobalMaxPooling1D': 'global_max_pooling1d'}


def add_pool(m, fl, cls, src, pool=None, strides=None, padding='valid'):
    name = fl.uid(POOL_BASE[cls])
    c = fl.base(name)
    if pool is None:
        c["data_format"] = "channels_last"
        if not fl.k22:
            c["keepdims"] = False
    else:
        c.update({"strides": [strides or pool], "pool_size": [pool], "padding": padding,
                  "data_format": "channels_last"})
    return m.add(cls, name, c, [src])


def m_pool1d(fl, rng, seq=7, feat=3):
    m = Model(fl)
    x = m.input('inputs', [seq, feat])
    m.outputs = [add_pool(m, fl, 'MaxPooling1D', x, 2),
                 add_pool(m, fl, 'MaxPooling1D', x, 3, 2, 'same'),
                 add_pool(m, fl, 'AveragePooling1D', x, 2),
                 add_pool(m, fl, 'GlobalAveragePooling1D', x),
                 add_pool(m, fl, 'GlobalMaxPooling1D', x)]
    return m


def m_emb_mask_gap(fl, rng, seq=6):
    """Int32 Input(seq) -> Embedding(mask_zero) -> GlobalAveragePooling1D -> Dense(INP), with 0
    tokens (token_data zeros): the average runs over the unmasked steps only (Keras 2.2.3 on)."""
    m = Model(fl)
    src = m.input('tokens', [seq], dtype='int32')
    e = fl.uid('embedding')
    m.add('Embedding', e, fl.embedding(e, seq, True), [src], [('embeddings', rnd(rng, (VOCAB, EMB), 1.0))])
    g = add_pool(m, fl, 'GlobalAveragePooling1D', e)
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, INP, 'linear'), [g], dense_weights(rng, EMB, INP))
    m.outputs = [g, d]
    m.data_fns[src] = lambda r, shape: token_data(r, shape, zeros=True)
    return m


def norm_weights(rng, feat, center, scale):
    """gamma (around 1) and beta of a normalization layer, in Keras' order, as its flags say."""
    ws = []
    if scale:
        ws.append(('gamma', (1.0 + rnd(rng, (feat,))).astype('<f4')))
    if center:
        ws.append(('beta', rnd(rng, (feat,))))
    return ws


def add_batchnorm(m, fl, rng, src, feat, center=True, scale=True, rank=3):
    """Keras 2.2.4 keeps axis as given (-1); tf.keras 2.x stores the list build() made of it,
    turned positive ([2] for a 3-D input)."""
    name = fl.uid('batch_normalization')
    c = fl.base(name)
    c.update({"axis": -1 if fl.k22 else [rank - 1], "momentum": 0.99, "epsilon": 0.001, "center": center,
              "scale": scale, "beta_initializer": fl.zeros(), "gamma_initializer": {"class_name": "Ones", "config": {}},
              "moving_mean_initializer": fl.zeros(),
              "moving_variance_initializer": {"class_name": "Ones", "config": {}},
              "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
              "gamma_constraint": None})
    ws = norm_weights(rng, feat, center, scale)
    ws.append(('moving_mean', rnd(rng, (feat,), 1.0)))
    ws.append(('moving_variance', rng.uniform(0.3, 2.5, (feat,)).astype('<f4')))
    return m.add('BatchNormalization', name, c, [src], ws)


def norm_variants(m, add, fl, rng, x, feat):
    """A normalization layer three times on x: with center and scale, without center, without scale."""
    return [add(m, fl, rng, x, feat), add(m, fl, rng, x, feat, center=False),
            add(m, fl, rng, x, feat, scale=False)]


def m_batchnorm(fl, rng, seq=5, feat=4):
    m = Model(fl)
    x = m.input('inputs', [seq, feat])
    m.outputs = norm_variants(m, add_batchnorm, fl, rng, x, feat)
    return m


def add_layernorm(m, fl, rng, src, feat, center=True, scale=True):
    name = fl.uid('layer_normalization')
    c = fl.base(name)
    c.update({"axis": [2], "epsilon": 0.001, "center": center, "scale": scale,
              "beta_initializer": fl.zeros(), "gamma_initializer": {"class_name": "Ones", "config": {}},
              "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
              "gamma_constraint": None})
    ws = norm_weights(rng, feat, center, scale)
    return m.add('LayerNormalization', name, c, [src], ws)


def m_layernorm(fl, rng, seq=5, feat=4):
    """Inputs scaled by 3 and shifted, so the per-step mean and variance are far from 0 and 1."""
    m = Model(fl)
    x = m.input('inputs', [seq, feat])
    m.outputs = norm_variants(m, add_layernorm, fl, rng, x, feat)
    m.data_fns[x] = lambda r, shape: (r.standard_normal(shape) * 3.0 + 1.0).astype('<f4')
    return m


MERGES = [('Add', 'add'), ('Subtract', 'subtract'), ('Multiply', 'multiply'), ('Average', 'average'),
          ('Maximum', 'maximum'), ('Minimum', 'minimum')]


def m_merge(fl, rng, seq=5, hid=4):
    """Two LSTM(hid) on one input, merged by each of MERGES, and LeakyReLU(0.1) on a Dense
    reading the first (pre-activations of both signs)."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    a = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid, return_sequences=False), [x])
    b = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid, return_sequences=False), [x])
    outs = []
    for cls, base in MERGES:
        n = fl.uid(base)
        outs.append(m.add(cls, n, fl.base(n), [a, b]))
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, hid, 'linear'), [a],
          [('kernel', rnd(rng, (hid, hid), 2.0)), ('bias', rnd(rng, (hid,)))])
    n = fl.uid('leaky_re_lu')
    # tf.keras stores alpha as the float32 it holds
    outs.append(m.add('LeakyReLU', n, fl.simple_layer(n, alpha=0.1 if fl.k22 else float(np.float32(0.1))), [d]))
    m.outputs = outs
    return m


def m_concat(fl, rng, seq=5):
    """Concatenate(axis=-1) of LSTM sequences of 4 and 3 features, Concatenate(axis=1) of two
    4-feature sequences (time axis of 2 * seq)."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    a = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, 4), [x])
    b = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, 3), [x])
    c = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, 4), [x])
    outs = []
    for axis, src in ((-1, [a, b]), (1, [a, c])):
        n = fl.uid('concatenate')
        outs.append(m.add('Concatenate', n, fl.simple_layer(n, axis=axis), src))
    m.outputs = outs
    return m


def m_timedist(fl, rng, seq=5, hid=4, units=3):
    """LSTM(hid, return_sequences) -> TimeDistributed(Dense(units)) -> TimeDistributed(Activation
    relu); both TimeDistributed outputs."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    prev = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid), [x])
    t1 = fl.uid('time_distributed')
    inner = fl.uid('dense')
    c = fl.base(t1)
    c["layer"] = {"class_name": "Dense", "config": fl.dense(inner, units, 'linear')}
    m.add('TimeDistributed', t1, c, [prev], dense_weights(rng, hid, units))
    t2 = fl.uid('time_distributed')
    inner = fl.uid('activation')
    c = fl.base(t2)
    c["layer"] = {"class_name": "Activation", "config": fl.simple_layer(inner, activation='relu')}
    m.add('TimeDistributed', t2, c, [t1])
    m.outputs = [t1, t2]
    return m


# ---------------------------------------------------------------------------------------------
# 2-D convolution family (Keras 2.2.4 / tf.keras 2.x get_config; tf.keras adds Conv2D groups)
# ---------------------------------------------------------------------------------------------
def conv2d_common(fl, c, kernel, strides, padding, fmt, dilation, activation, use_bias):
    c.update({"kernel_size": list(kernel), "strides": list(strides), "padding": padding, "data_format": fmt,
              "dilation_rate": list(dilation)})
    c.update({"activation": activation, "use_bias": use_bias})
    return c


def add_conv2d(m, fl, rng, src, cin, filters, kernel, strides=(1, 1), padding='valid', fmt='channels_last',
               dilation=(1, 1), activation='linear', use_bias=True):
    name = fl.uid('conv2d')
    c = fl.base(name)
    c["filters"] = filters
    conv2d_common(fl, c, kernel, strides, padding, fmt, dilation, activation, use_bias)
    if not fl.k22:
        c["groups"] = 1
    c.update({"kernel_initializer": fl.glorot(), "bias_initializer": fl.zeros(), "kernel_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None})
    ws = [('kernel', rnd(rng, tuple(kernel) + (cin, filters)))]
    if use_bias:
        ws.append(('bias', rnd(rng, (filters,))))
    return m.add('Conv2D', name, c, [src], ws)


def add_conv2d_transpose(m, fl, rng, src, cin, filters, kernel, strides=(1, 1), padding='valid', fmt='channels_last',
                         output_padding=None, activation='linear', use_bias=True):
    """Conv2DTranspose: the Conv config plus output_padding (Keras 2.2.4 and tf.keras alike; tf.keras
    writes no groups for it); kernel [kh, kw, filters, in]."""
    name = fl.uid('conv2d_transpose')
    c = fl.base(name)
    c["filters"] = filters
    conv2d_common(fl, c, kernel, strides, padding, fmt, (1, 1), activation, use_bias)
    c.update({"kernel_initializer": fl.glorot(), "bias_initializer": fl.zeros(), "kernel_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
              "output_padding": list(output_padding) if output_padding else None})
    ws = [('kernel', rnd(rng, tuple(kernel) + (filters, cin)))]
    if use_bias:
        ws.append(('bias', rnd(rng, (filters,))))
    return m.add('Conv2DTranspose', name, c, [src], ws)


def m_conv2d_transpose(fl, rng, rows=4, cols=3, chans=2, fmt='channels_last', output_padding=False):
    """Conv2DTranspose on one image, each an output: strides 2 'same' (odd and even kernels), 'valid'
    with a kernel smaller than the stride, channels first; or, with output_padding (which
    tfjs-layers ignores), 'valid' and 'same' with it."""
    m = Model(fl)
    first = fmt == 'channels_first'
    x = m.input('inputs', [chans, rows, cols] if first else [rows, cols, chans])
    if output_padding:
        m.outputs = [add_conv2d_transpose(m, fl, rng, x, chans, 3, (3, 2), strides=(2, 2), fmt=fmt, output_padding=(1, 0)),
                     add_conv2d_transpose(m, fl, rng, x, chans, 2, (3, 3), strides=(2, 2), padding='same', fmt=fmt,
                                          output_padding=(1, 1))]
        return m
    m.outputs = [add_conv2d_transpose(m, fl, rng, x, chans, 3, (3, 3), strides=(2, 2), padding='same', fmt=fmt),
                 add_conv2d_transpose(m, fl, rng, x, chans, 2, (2, 3), strides=(2, 1), padding='same', fmt=fmt,
                                      activation='relu'),
                 add_conv2d_transpose(m, fl, rng, x, chans, 2, (1, 2), strides=(2, 3), fmt=fmt, use_bias=False)]
    return m


def add_depthwise2d(m, fl, rng, src, cin, kernel, multiplier, strides=(1, 1), padding='valid', fmt='channels_last',
                    activation='linear', use_bias=True):
    name = fl.uid('depthwise_conv2d')
    c = conv2d_common(fl, fl.base(name), kernel, strides, padding, fmt, (1, 1), activation, use_bias)
    c.update({"depth_multiplier": multiplier, "depthwise_initializer": fl.glorot(), "bias_initializer": fl.zeros(),
              "depthwise_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
              "depthwise_constraint": None, "bias_constraint": None})
    ws = [('depthwise_kernel', rnd(rng, tuple(kernel) + (cin, multiplier)))]
    if use_bias:
        ws.append(('bias', rnd(rng, (cin * multiplier,))))
    return m.add('DepthwiseConv2D', name, c, [src], ws)


def add_separable2d(m, fl, rng, src, cin, filters, kernel, multiplier=1, strides=(1, 1), padding='valid',
                    fmt='channels_last', activation='linear', use_bias=True):
    name = fl.uid('separable_conv2d')
    c = fl.base(name)
    c["filters"] = filters
    conv2d_common(fl, c, kernel, strides, padding, fmt, (1, 1), activation, use_bias)
    c.update({"depth_multiplier": multiplier, "depthwise_initializer": fl.glorot(), "pointwise_initializer": fl.glorot(),
              "bias_initializer": fl.zeros(), "depthwise_regularizer": None, "pointwise_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None, "depthwise_constraint": None,
              "pointwise_constraint": None, "bias_constraint": None})
    ws = [('depthwise_kernel', rnd(rng, tuple(kernel) + (cin, multiplier))),
          ('pointwise_kernel', rnd(rng, (1, 1, cin * multiplier, filters)))]
    if use_bias:
        ws.append(('bias', rnd(rng, (filters,))))
    return m.add('SeparableConv2D', name, c, [src], ws)


POOL2D_BASE = {'MaxPooling2D': 'max_pooling2d', 'AveragePooling2D': 'average_pooling2d',
               'GlobalAveragePooling2D': 'global_average_pooling2d', 'GlobalMaxPooling2D': 'global_max_pooling2d',
               'ZeroPadding2D': 'zero_padding2d', 'Cropping2D': 'cropping2d', 'UpSampling2D': 'up_sampling2d'}


def add_2d(m, fl, cls, src, fmt='channels_last', **cfg):
    """A weightless 2-D layer (pooling, padding, cropping, upsampling) with the given config."""
    name = fl.uid(POOL2D_BASE[cls])
    c = fl.base(name)
    c.update(cfg)
    c["data_format"] = fmt
    return m.add(cls, name, c, [src])


def pool2d_cfg(pool, strides=None, padding='valid'):
    return {"pool_size": list(pool), "padding": padding, "strides": list(strides or pool)}


def m_conv2d_lstm(fl, rng, rows=8, cols=6, chans=2, hid=5):
    """A CRNN: Input(rows, cols, chans) -> Conv2D(4, 3x3, same, relu) -> MaxPooling2D(2x2) ->
    Reshape(rows/2 steps of cols/2*4 features) -> LSTM(hid) -> Dense(INP)."""
    m = Model(fl)
    x = m.input('inputs', [rows, cols, chans])
    c = add_conv2d(m, fl, rng, x, chans, 4, (3, 3), padding='same', activation='relu')
    p = add_2d(m, fl, 'MaxPooling2D', c, **pool2d_cfg((2, 2)))
    r = fl.uid('reshape')
    m.add('Reshape', r, fl.simple_layer(r, target_shape=[rows // 2, cols // 2 * 4]), [p])
    h = add_recurrent(m, recurrent(fl, rng, 'lstm', cols // 2 * 4, hid, return_sequences=False), [r])
    m.outputs = [dense_head(m, fl, rng, h, hid, 'linear')]
    return m


def m_conv2d_layers(fl, rng, size=7, chans=3, fmt='channels_last'):
    """Every 2-D layer on one image input, each an output: Conv2D with strides, dilation and no
    bias, DepthwiseConv2D, SeparableConv2D, both poolings (valid, same, strides), the global
    poolings, ZeroPadding2D, Cropping2D, UpSampling2D and BatchNormalization over the channels
    (channels last only: tfjs-layers normalizes the last axis)."""
    m = Model(fl)
    first = fmt == 'channels_first'
    x = m.input('inputs', [chans, size, size] if first else [size, size, chans])
    outs = [add_conv2d(m, fl, rng, x, chans, 4, (3, 2), strides=(2, 1), fmt=fmt),
            add_conv2d(m, fl, rng, x, chans, 2, (2, 2), dilation=(2, 2), padding='same', fmt=fmt, use_bias=False),
            add_conv2d(m, fl, rng, x, chans, 3, (4, 3), strides=(2, 2), padding='same', fmt=fmt, activation='tanh'),
            add_depthwise2d(m, fl, rng, x, chans, (3, 3), 2, padding='same', fmt=fmt),
            # (tfjs-layers adds a SeparableConv2D bias along the wrong axis with channels_first)
            add_separable2d(m, fl, rng, x, chans, 4, (2, 2), multiplier=2, strides=(2, 2), padding='same', fmt=fmt,
                            use_bias=not first),
            add_2d(m, fl, 'MaxPooling2D', x, fmt, **pool2d_cfg((2, 2))),
            add_2d(m, fl, 'MaxPooling2D', x, fmt, **pool2d_cfg((3, 2), (2, 2), 'same')),
            add_2d(m, fl, 'AveragePooling2D', x, fmt, **pool2d_cfg((2, 3), (1, 2))),
            add_2d(m, fl, 'GlobalAveragePooling2D', x, fmt),
            add_2d(m, fl, 'GlobalMaxPooling2D', x, fmt),
            add_2d(m, fl, 'ZeroPadding2D', x, fmt, padding=[[1, 0], [2, 1]]),
            add_2d(m, fl, 'Cropping2D', x, fmt, cropping=[[1, 1], [0, 2]]),
            add_2d(m, fl, 'UpSampling2D', x, fmt, size=[2, 1], interpolation='nearest')]
    if not first:
        outs.append(add_batchnorm(m, fl, rng, x, chans, rank=4))
    m.outputs = outs
    return m


def m_timedist_conv2d(fl, rng, steps=4, size=6, hid=4):
    """A CNN-LSTM over frames: TimeDistributed(Conv2D(3, 3x3, relu)) -> TimeDistributed(
    MaxPooling2D(2x2)) -> TimeDistributed(Flatten) -> LSTM(hid) -> Dense(INP)."""
    m = Model(fl)
    x = m.input('inputs', [steps, size, size, 1])
    prev = x
    inner_conv = {}
    for cls in ('Conv2D', 'MaxPooling2D', 'Flatten'):
        t = fl.uid('time_distributed')
        c = fl.base(t)
        if cls == 'Conv2D':
            inner = fl.uid('conv2d')
            ic = conv2d_common(fl, dict(fl.base(inner), filters=3), (3, 3), (1, 1), 'valid', 'channels_last', (1, 1), 'relu', True)
            if not fl.k22:
                ic["groups"] = 1
            ws = [('kernel', rnd(rng, (3, 3, 1, 3))), ('bias', rnd(rng, (3,)))]
        elif cls == 'MaxPooling2D':
            inner = fl.uid('max_pooling2d')
            ic = dict(fl.base(inner), data_format='channels_last', **pool2d_cfg((2, 2)))
            ws = []
        else:
            inner = fl.uid('flatten')
            ic = dict(fl.base(inner), data_format='channels_last')
            ws = []
        c["layer"] = {"class_name": cls, "config": ic}
        inner_conv[cls] = inner
        prev = m.add('TimeDistributed', t, c, [prev], ws)
    h = add_recurrent(m, recurrent(fl, rng, 'lstm', 2 * 2 * 3, hid, return_sequences=False), [prev])
    m.outputs = [dense_head(m, fl, rng, h, hid, 'linear')]
    return m


# ---------------------------------------------------------------------------------------------
# nested models: a Sequential or functional model used as a layer. Its config is the model's own
# ({"class_name", "config"}); its weights sit in one group named after it, listed under the
# names of the layers that own them ("dense_1/kernel:0", tf.keras "lstm/lstm_cell/kernel:0").
# ---------------------------------------------------------------------------------------------
def add_nested(m, fl, inner, name, inbound):
    cfg = inner.config(name)
    ws = []
    for L in inner.weight_layers():
        for full, w in zip(weight_names(fl, L), L['weights']):
            head, tail = full.rsplit('/', 1)
            ws.append((head, tail[:-2], w[-1]))
    m.add(cfg['class_name'], name, cfg['config'], inbound, ws)
    m.layers[-1]['inner'] = inner
    return name


def nested_encoder(fl, rng, sequential, seq=5, hid=4, out=3):
    """The model used as a layer: LSTM(hid, return_sequences) -> Dense(out, tanh), as a Sequential
    (tf.keras with its InputLayer, Keras 2.2.4 with batch_input_shape on the LSTM) or functional."""
    inner = Model(fl, sequential=sequential)
    name = fl.uid('input') if not sequential else None
    x = inner.input(name or ('%s_input' % 'lstm'), [seq, INP])
    spec = recurrent(fl, rng, 'lstm', INP, hid)
    if sequential and fl.k22:
        spec['config']['batch_input_shape'] = [None, seq, INP]
        spec['config']['dtype'] = 'float32'
    h = add_recurrent(inner, spec, [x])
    d = fl.uid('dense')
    inner.outputs = [inner.add('Dense', d, fl.dense(d, out, 'tanh'), [h], dense_weights(rng, hid, out))]
    return inner


def m_nested(fl, rng, sequential, seq=5, hid=4):
    """inputs -> nested encoder (LSTM -> Dense, a model) -> LSTM(hid) -> Dense(INP)."""
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    inner = nested_encoder(fl, rng, sequential, seq)
    enc = add_nested(m, fl, inner, fl.uid('sequential' if sequential else 'model'), [x])
    h = add_recurrent(m, recurrent(fl, rng, 'lstm', 3, hid, return_sequences=False), [enc])
    m.outputs = [dense_head(m, fl, rng, h, hid, 'linear')]
    return m


def m_nested_shared(fl, rng, seq=5):
    """A siamese pair: one nested functional encoder called on two inputs (its inbound nodes 0
    and 1), the two encodings subtracted, then Dense(INP) on the last step's difference."""
    m = Model(fl)
    a = m.input('left', [seq, INP])
    b = m.input('right', [seq, INP])
    inner = nested_encoder(fl, rng, False, seq)
    name = fl.uid('model')
    enc = add_nested(m, fl, inner, name, [a])
    diff = fl.uid('subtract')
    m.add('Subtract', diff, fl.base(diff), [enc, enc])
    spec = recurrent(fl, rng, 'gru', 3, 4, return_sequences=False)
    h = add_recurrent(m, spec, [diff])
    m.outputs = [dense_head(m, fl, rng, h, 4, 'linear'), enc]

    def second_call(cfg):
        # the encoder's second inbound node reads `right`; the subtraction takes call 1 second
        for L in cfg['config']['layers']:
            if L['name'] == name:
                L['inbound_nodes'].append([[b, 0, 0, {}]])
            if L['name'] == diff:
                L['inbound_nodes'][0][1][1] = 1
    m.config_fixes = [second_call]
    return m


def m_nested_reuse(fl, rng, seq=5, hid=4):
    """A nested functional model that calls one of its layers twice: Dense(INP, tanh) on the input
    and again on its own output (inbound nodes 0 and 1), then LSTM(hid) -> Dense(3, tanh); the
    model is called on two inputs, so the Dense runs four times, then LSTM(hid) -> Dense(INP) on
    the sum."""
    inner = Model(fl)
    xi = inner.input(fl.uid('input'), [seq, INP])
    d = fl.uid('dense')
    inner.add('Dense', d, fl.dense(d, INP, 'tanh'), [xi], dense_weights(rng, INP, INP))
    h = add_recurrent(inner, recurrent(fl, rng, 'lstm', INP, hid), [d])
    e = fl.uid('dense')
    inner.outputs = [inner.add('Dense', e, fl.dense(e, 3, 'tanh'), [h], dense_weights(rng, hid, 3))]
    m = Model(fl)
    a = m.input('left', [seq, INP])
    b = m.input('right', [seq, INP])
    name = fl.uid('model')
    enc = add_nested(m, fl, inner, name, [a])
    total = fl.uid('add')
    m.add('Add', total, fl.base(total), [enc, enc])
    g = add_recurrent(m, recurrent(fl, rng, 'lstm', 3, hid, return_sequences=False), [total])
    m.outputs = [dense_head(m, fl, rng, g, hid, 'linear')]

    def reuse(cfg):
        for L in cfg['config']['layers']:
            if L['name'] == name:
                L['inbound_nodes'].append([[b, 0, 0, {}]])
                for inner_layer in L['config']['layers']:
                    if inner_layer['name'] == d:
                        inner_layer['inbound_nodes'].append([[d, 0, 0, {}]])
                    if inner_layer['name'] == h:
                        inner_layer['inbound_nodes'][0][0][1] = 1
            if L['name'] == total:
                L['inbound_nodes'][0][1][1] = 1
    m.config_fixes = [reuse]
    return m


def m_nested_in_sequential(fl, rng, seq=5, hid=4):
    """Sequential([Input, a nested Sequential encoder, LSTM(hid), Dense(INP)])."""
    m = Model(fl, sequential=True)
    x = m.input('input_1', [seq, INP])
    inner = nested_encoder(fl, rng, True, seq)
    enc = add_nested(m, fl, inner, fl.uid('sequential'), [x])
    h = add_recurrent(m, recurrent(fl, rng, 'lstm', 3, hid, return_sequences=False), [enc])
    m.outputs = [dense_head(m, fl, rng, h, hid, 'linear')]
    return m


def m_nested_lstm_initial_state(fl, rng, seq=5, hid=4):
    """A nested functional model of three inputs x [seq, hid], h, c [hid] whose LSTM(hid,
    return_sequences) gets its initial states as keyword tensors, in the node form
    [[["x", 0, 0, {"initial_state": [["h", 0, 0], ["c", 0, 0]]}]]] (what a tf.keras writer leaves
    when it keeps initial_state among the call kwargs rather than adding the states to the
    inputs), then Dense(3, tanh). The outer model: its sequence input through LSTM(hid,
    return_sequences), whose output and the two state inputs feed the nested model, then
    Dense(INP) on every step; the nested model's sequence is an output too. The states must
    reach the inner LSTM as they do at the top level (with --state-io the outer LSTM gains h0/c0
    inputs, the inner one keeps the model's state inputs)."""
    inner = Model(fl)
    xi = inner.input(fl.uid('input'), [seq, hid])
    hi = inner.input(fl.uid('input'), [hid])
    ci = inner.input(fl.uid('input'), [hid])
    lstm = add_recurrent(inner, recurrent(fl, rng, 'lstm', hid, hid), [xi])
    d = fl.uid('dense')
    inner.outputs = [inner.add('Dense', d, fl.dense(d, 3, 'tanh'), [lstm], dense_weights(rng, hid, 3))]

    def state_keywords(cfg):
        for L in cfg['config']['layers']:
            if L['name'] == lstm:
                L['inbound_nodes'] = [[[xi, 0, 0, {"initial_state": [[hi, 0, 0], [ci, 0, 0]]}]]]
    inner.config_fixes = [state_keywords]
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    h = m.input('state_h', [hid])
    c = m.input('state_c', [hid])
    g = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid), [x])
    enc = add_nested(m, fl, inner, fl.uid('model'), [g, h, c])
    m.outputs = [dense_head(m, fl, rng, enc, 3, 'linear'), enc]
    return m


def m_timedist_model(fl, rng, seq=4, frame=(3, 2), units=4, hid=4):
    """Frames [seq, 3, 2] -> TimeDistributed(Sequential([Flatten, Dense(units, tanh)])) -> LSTM(hid)
    -> Dense(INP): a per-frame encoder model wrapped whole. Its weights sit in the wrapper's group
    under the inner layers' names, as for any nested model."""
    inner = Model(fl, sequential=True)
    xi = inner.input('frame', list(frame))
    f = fl.uid('flatten')
    fc = fl.simple_layer(f, data_format='channels_last')
    if fl.k22:
        fc['batch_input_shape'] = [None] + list(frame)
        fc['dtype'] = 'float32'
    inner.add('Flatten', f, fc, [xi])
    d = fl.uid('dense')
    inner.outputs = [inner.add('Dense', d, fl.dense(d, units, 'tanh'), [f], dense_weights(rng, frame[0] * frame[1], units))]
    m = Model(fl)
    x = m.input('frames', [seq] + list(frame))
    t = fl.uid('time_distributed')
    name = fl.uid('sequential')
    c = fl.base(t)
    c["layer"] = inner.config(name)
    ws = []
    for L in inner.weight_layers():
        for full, w in zip(weight_names(fl, L), L['weights']):
            head, tail = full.rsplit('/', 1)
            ws.append((head, tail[:-2], w[-1]))
    m.add('TimeDistributed', t, c, [x], ws)
    m.layers[-1]['inner'] = inner
    h = add_recurrent(m, recurrent(fl, rng, 'lstm', units, hid, return_sequences=False), [t])
    m.outputs = [dense_head(m, fl, rng, h, hid, 'linear')]
    return m



# ---------------------------------------------------------------------------------------------
# TensorFlowOpLayer: tf.keras 2.2 / 2.3 wraps a TensorFlow op applied to Keras tensors in a layer
# whose config is the op's NodeDef (protobuf's JSON form: 64-bit integers as strings) and the
# values of its non-Keras inputs keyed by input position, as in
# KonduitAI-dl4j-test-resources__modelimport_keras_tfkeras_tfop_0.h5 of the corpus
# ---------------------------------------------------------------------------------------------
def add_tf_op(m, fl, op, inbound, constants=None, attr=None):
    """Adds tf_op_layer_<op> (a numbered suffix when repeated). constants: {position: value};
    inbound: the Keras tensors, which fill the other positions in order."""
    node = fl.uid(op)
    n_in = len(inbound) + len(constants or {})
    names, it = [], iter(inbound)
    for i in range(n_in):
        names.append('%s/%d' % (node, i) if constants and i in constants else next(it))
    a = {"T": {"type": "DT_FLOAT"}}
    a.update(attr or {})
    cfg = {"name": node, "trainable": True, "dtype": None,
           "node_def": {"name": node, "op": op, "input": names, "attr": a},
           "constants": {str(k): v for k, v in (constants or {}).items()}}
    return m.add('TensorFlowOpLayer', 'tf_op_layer_' + node, cfg, inbound)


def m_tf_ops(fl, rng, seq=5, feat=4):
    """Input(seq, feat) through TensorFlow ops: element-wise with constants of several shapes
    (before and after the tensor), unary ops, Transpose, a reduction, ExpandDims, Squeeze,
    Reshape, ConcatV2, Maximum of two tensors, then a Dense; Sum with keep_dims and Softmax as
    further outputs."""
    m = Model(fl)
    x = m.input('inputs', [seq, feat])
    bias = [round(float(v), 4) for v in rnd(rng, (feat,))]
    t = add_tf_op(m, fl, 'AddV2', [x], {1: bias})
    t = add_tf_op(m, fl, 'Mul', [t], {1: 0.5})
    t = add_tf_op(m, fl, 'Tanh', [t])
    t = add_tf_op(m, fl, 'Transpose', [t], {1: [0, 2, 1]}, {"Tperm": {"type": "DT_INT32"}})
    t = add_tf_op(m, fl, 'Mean', [t], {1: 2}, {"keep_dims": {"b": False}, "Tidx": {"type": "DT_INT32"}})
    t = add_tf_op(m, fl, 'ExpandDims', [t], {1: -1}, {"Tdim": {"type": "DT_INT32"}})
    t = add_tf_op(m, fl, 'Squeeze', [t], None, {"squeeze_dims": {"list": {"i": ["2"]}}})
    r = add_tf_op(m, fl, 'Reshape', [x], {1: [-1, seq * feat]}, {"Tshape": {"type": "DT_INT32"}})
    c = add_tf_op(m, fl, 'ConcatV2', [t, r], {2: -1}, {"N": {"i": "2"}, "Tidx": {"type": "DT_INT32"}})
    q = add_tf_op(m, fl, 'SquaredDifference', [c], {1: 0.25})
    c = add_tf_op(m, fl, 'Maximum', [c, q])
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, 3, 'linear'), [c], dense_weights(rng, feat + seq * feat, 3))
    scale = [[round(float(v), 4) + 2.0] for v in rnd(rng, (seq,))]
    u = add_tf_op(m, fl, 'Sub', [x], {0: 1.0})
    u = add_tf_op(m, fl, 'RealDiv', [u], {1: scale})
    s = add_tf_op(m, fl, 'Sum', [x], {1: 1}, {"keep_dims": {"b": True}, "Tidx": {"type": "DT_INT32"}})
    v = add_tf_op(m, fl, 'Square', [x])
    v = add_tf_op(m, fl, 'AddV2', [v], {1: 1.0})
    v = add_tf_op(m, fl, 'Rsqrt', [v])
    v = add_tf_op(m, fl, 'Softmax', [v])
    # the other unary ops, a power, a minimum of two tensors and the other reductions
    w = add_tf_op(m, fl, 'Abs', [x])
    w = add_tf_op(m, fl, 'AddV2', [w], {1: 0.5})
    w = add_tf_op(m, fl, 'Log', [w])
    for op in ('Neg', 'Exp', 'Sqrt', 'Reciprocal', 'Softsign', 'Erf', 'Softplus', 'Identity', 'Sigmoid'):
        w = add_tf_op(m, fl, op, [w])
    e = add_tf_op(m, fl, 'Mul', [x], {1: 3.0})
    for op in ('Elu', 'Selu', 'Relu6', 'Relu'):
        e = add_tf_op(m, fl, op, [e])
    f = add_tf_op(m, fl, 'Mul', [x], {1: 2.5})
    f = add_tf_op(m, fl, 'Floor', [f])
    g = add_tf_op(m, fl, 'Mul', [x], {1: 2.5})
    g = add_tf_op(m, fl, 'Ceil', [g])
    f = add_tf_op(m, fl, 'Minimum', [f, g])
    f = add_tf_op(m, fl, 'AddV2', [f, e])
    p = add_tf_op(m, fl, 'Pow', [w], {1: [2.0, 1.0, 3.0, 0.5]})
    outs = [d, u, s, v, f, p]
    for op, keep in (('Max', False), ('Min', True), ('Prod', False)):
        outs.append(add_tf_op(m, fl, op, [w], {1: -1}, {"keep_dims": {"b": keep}, "Tidx": {"type": "DT_INT32"}}))
    m.outputs = outs
    return m


# ---------------------------------------------------------------------------------------------
# TFOpLambda (tf.keras 2.4 on): a TensorFlow function applied to Keras tensors. Its inbound node
# keeps the structure of the first argument (keras/engine/node.py serialize with
# _preserve_input_structure_in_config): a lone tensor [name, 0, 0, kwargs] is the node itself, a
# constant is [_CONSTANT_VALUE, -1, value, kwargs], a list is a list of such entries, each with
# the kwargs; the other arguments are kwargs by name, Keras tensors among them as [name, 0, 0].
# ---------------------------------------------------------------------------------------------
def add_tf_lambda(m, fl, function, first, kwargs, cls='TFOpLambda'):
    """first: a layer name, a list of them, or ('const', value)."""
    name = fl.uid('tf.' + function)
    kw = dict(kwargs)
    kw.setdefault('name', None)
    if isinstance(first, tuple):
        node, inbound = ['_CONSTANT_VALUE', -1, first[1], kw], []
    elif isinstance(first, list):
        node, inbound = [[src, 0, 0, kw] for src in first], list(first)
    else:
        node, inbound = [first, 0, 0, kw], [first]
    inbound += [v[0] for v in kw.values() if isinstance(v, list) and v and isinstance(v[0], str)]
    cfg = {"name": name, "trainable": True, "dtype": "float32", "function": function}
    m.add(cls, name, cfg, inbound)
    m.layers[-1]['node'] = [node]
    return name


def m_tf_lambda(fl, rng, seq=5, feat=4):
    """The TFOpLambda forms of m_tf_ops: operators with constants on either side and a tensor as
    y, unary ops, reshape, a reduction, expand_dims, squeeze, concat of a list, transpose,
    softmax, then a Dense."""
    m = Model(fl)
    x = m.input('inputs', [seq, feat])
    bias = [round(float(v), 4) for v in rnd(rng, (feat,))]
    a = add_tf_lambda(m, fl, 'math.multiply', x, {"y": 0.5})
    b = add_tf_lambda(m, fl, '__operators__.add', a, {"y": bias})
    c = add_tf_lambda(m, fl, 'math.subtract', ('const', 1.0), {"y": [b, 0, 0]})
    c = add_tf_lambda(m, fl, 'math.maximum', c, {"y": [b, 0, 0]})
    e = add_tf_lambda(m, fl, 'math.tanh', c, {})
    f = add_tf_lambda(m, fl, 'reshape', e, {"shape": [-1, seq * feat]})
    g = add_tf_lambda(m, fl, 'math.reduce_mean', e, {"axis": 1, "keepdims": False})
    h = add_tf_lambda(m, fl, 'expand_dims', g, {"axis": -1})
    h = add_tf_lambda(m, fl, 'expand_dims', h, {"axis": 2})
    i = add_tf_lambda(m, fl, 'compat.v1.squeeze', h, {"axis": [3, 2]})
    j = add_tf_lambda(m, fl, 'concat', [i, f], {"axis": -1})
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, 3, 'linear'), [j], dense_weights(rng, feat + seq * feat, 3))
    k = add_tf_lambda(m, fl, 'transpose', x, {"perm": [0, 2, 1]})
    k = add_tf_lambda(m, fl, 'nn.softmax', k, {"axis": -1})
    scale = [[round(float(v), 4) + 2.0] for v in rnd(rng, (seq,))]
    n = add_tf_lambda(m, fl, 'math.truediv', x, {"y": scale})
    o = add_tf_lambda(m, fl, 'math.reduce_sum', x, {"axis": 1, "keepdims": True})
    m.outputs = [d, k, n, o]
    return m


def m_tf_slicing(fl, rng, seq=6, hid=3):
    """x[...] (SlicingOpLambda, tf.keras 2.4 on): the last step of an LSTM sequence into a Dense,
    and on the input an ellipsis with a slice of the features, a slice of the steps, an index, and
    a negative slice with an index."""
    def sl(start=None, stop=None):
        return {"start": start, "stop": stop, "step": None}

    def getitem(src, spec):
        return add_tf_lambda(m, fl, '__operators__.getitem', src, {"slice_spec": spec}, cls='SlicingOpLambda')
    m = Model(fl)
    x = m.input('inputs', [seq, INP])
    h = add_recurrent(m, recurrent(fl, rng, 'lstm', INP, hid), [x])
    last = getitem(h, [sl(), -1, sl()])
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, 2, 'linear'), [last], dense_weights(rng, hid, 2))
    m.outputs = [d, getitem(x, [{"class_name": "__ellipsis__"}, sl(1, 3)]), getitem(x, [sl(), sl(1, 4)]),
                 getitem(x, [sl(), 2]), getitem(x, [sl(), sl(-2), 0])]
    return m


def new_layer_models():
    return [
        ('conv1d_pad', m_conv1d_pad, {}),
        ('conv1d_stride', m_conv1d_stride, {}),
        ('conv1d_groups', m_conv1d_groups, dict(only='tfk2')),
        ('conv1d_groups_one', lambda fl, r: m_conv1d_groups(fl, r, cin=3, groups=3), dict(only='tfk2')),
        ('conv1d_lstm', m_conv1d_lstm, {}),
        ('pool1d', m_pool1d, {}),
        ('emb_mask_gap', m_emb_mask_gap, {}),
        ('batchnorm', m_batchnorm, {}),
        ('layernorm', m_layernorm, dict(only='tfk2')),
        ('merge_lstm', m_merge, {}),
        ('concat_lstm', m_concat, {}),
        ('timedist_lstm', m_timedist, {}),
        ('tf_ops', m_tf_ops, dict(only='tfk2')),
        ('tf_lambda', m_tf_lambda, dict(only='tfk2')),
        ('tf_slicing', m_tf_slicing, dict(only='tfk2')),
        ('conv2d_lstm', m_conv2d_lstm, {}),
        ('conv2d_layers', m_conv2d_layers, {}),
        ('conv2d_layers_cf', lambda fl, r: m_conv2d_layers(fl, r, fmt='channels_first'), {}),
        ('conv2d_transpose', m_conv2d_transpose, {}),
        ('conv2d_transpose_cf', lambda fl, r: m_conv2d_transpose(fl, r, fmt='channels_first'), dict(only='tfk2')),
        ('conv2d_transpose_op', lambda fl, r: m_conv2d_transpose(fl, r, output_padding=True), {}),
        ('timedist_conv2d', m_timedist_conv2d, {}),
        ('nested_seq', lambda fl, r: m_nested(fl, r, True), {}),
        ('nested_functional', lambda fl, r: m_nested(fl, r, False), {}),
        ('nested_shared', m_nested_shared, {}),
        ('nested_reuse', m_nested_reuse, {}),
        ('nested_in_sequential', m_nested_in_sequential, dict(only='tfk2')),
        ('nested_lstm_initial_state', m_nested_lstm_initial_state, dict(only='tfk2')),
        ('timedist_model', m_timedist_model, {}),
        # Keras splits an attribute over 64 KiB into weight_names0, weight_names1, ...; the
        # converter must join them back (one small layer is enough)
        ('timedist_lstm_split', m_timedist, dict(only='k22', split_names=['lstm_1'])),
        # the same nested models in tf.keras 2.13 .keras archives (write_tf213_archive)
        ('keras213_nested_functional', lambda fl, r: m_nested(fl, r, False), dict(only='tfk2', archive='stored', tf213=True)),
        ('keras213_nested_in_sequential', m_nested_in_sequential, dict(only='tfk2', archive='stored', tf213=True)),
        ('keras213_nested_reuse', m_nested_reuse, dict(only='tfk2', archive='stored', tf213=True)),
        ('keras213_timedist_model', m_timedist_model, dict(only='tfk2', archive='stored', tf213=True)),
    ]


def model_list():
    """(model tag, builder(fl, rng), opsets, extra options) for each flavour. Options: only
    (one flavour), big_endian, optimizer (write_h5), expect_ops / forbid_ops (ONNX op types the
    e2e runner wants in / out of the converted graph, copied into the .ref.json)."""
    L = []

    def add(tag, fn, opsets=(None,), **kw):
        L.append((tag, fn, list(opsets), kw))

    # a-c: two/three model inputs, SEQ = 1
    add('rnn_state', lambda fl, r: m_rnn_state(fl, r, 'simple'), optimizer=True)
    add('gru_state', lambda fl, r: m_rnn_state(fl, r, 'gru', reset_after=False))
    add('gru_ra_state', lambda fl, r: m_rnn_state(fl, r, 'gru', reset_after=True))
    add('lstm_state', lambda fl, r: m_rnn_state(fl, r, 'lstm'), optimizer=True)
    # d: generic RNN(cell), with and without initial_state (GRU: the flavour's reset_after default)
    for kind in ('simple', 'gru', 'lstm'):
        add('cell_%s_state' % kind, lambda fl, r, k=kind: m_rnn_state(fl, r, k, generic=True, activation='tanh'))
        add('cell_%s' % kind, lambda fl, r, k=kind: m_rnn_state(fl, r, k, generic=True, with_state=False,
                                                                 seq=4, activation='tanh'))
    add('cell_gru_ra_state', lambda fl, r: m_rnn_state(fl, r, 'gru', generic=True, reset_after=True,
                                                       activation='tanh'), only='k22')
    add('cell_gru_r0_state', lambda fl, r: m_rnn_state(fl, r, 'gru', generic=True, reset_after=False,
                                                       activation='tanh'), only='tfk2')
    # e: Sequential, tested at opset 8 and the default
    add('seq_rnn', lambda fl, r: m_sequential(fl, r), opsets=(None, 8))
    add('seq_rnn_s6_h16', lambda fl, r: m_sequential(fl, r, seq=6, hid=16), opsets=(None, 8))
    # keras.backend.set_floatx('float64'): float64 inputs, weights and outputs
    add('f64_lstm_state', lambda fl, r: m_rnn_state(fl, r, 'lstm', seq=4, activation='tanh'), floatx='float64',
        expect_ops=['Cast'])
    add('f64_seq_rnn', lambda fl, r: m_sequential(fl, r, seq=5), floatx='float64', expect_ops=['Cast'])
    # keras.backend.set_floatx('float16'): float16 inputs, weights and outputs (inputs drawn as
    # float16 values, so that the reference sees what the model is fed)
    add('f16_lstm_state', lambda fl, r: m_rnn_state(fl, r, 'lstm', seq=4, activation='tanh'), floatx='float16',
        expect_ops=['Cast'])
    add('f16_seq_rnn', lambda fl, r: m_sequential(fl, r, seq=5), floatx='float16', expect_ops=['Cast'])
    # longer sequences, larger hidden sizes, default (tanh) activations
    add('rnn_state_s5_h16', lambda fl, r: m_rnn_state(fl, r, 'simple', seq=5, hid=16, activation='tanh'))
    add('gru_state_s6_h16', lambda fl, r: m_rnn_state(fl, r, 'gru', seq=6, hid=16, reset_after=False,
                                                      activation='tanh'))
    add('gru_ra_state_s7_h16', lambda fl, r: m_rnn_state(fl, r, 'gru', seq=7, hid=16, reset_after=True,
                                                         activation='tanh'))
    add('lstm_state_s4_h32', lambda fl, r: m_rnn_state(fl, r, 'lstm', seq=4, hid=32, activation='tanh'))
    # return_sequences=False (Dense on the last output)
    add('rnn_last', lambda fl, r: m_rnn_state(fl, r, 'simple', seq=5, return_sequences=False,
                                              with_state=False, out_act='linear'))
    add('gru_last', lambda fl, r: m_rnn_state(fl, r, 'gru', seq=5, return_sequences=False,
                                              with_state=False, activation='tanh', out_act='tanh'))
    add('gru_ra_last', lambda fl, r: m_rnn_state(fl, r, 'gru', seq=5, return_sequences=False,
                                                 reset_after=True, with_state=False, activation='tanh',
                                                 out_act='relu'))
    add('lstm_last', lambda fl, r: m_rnn_state(fl, r, 'lstm', seq=5, return_sequences=False,
                                               with_state=False, activation='tanh', out_act='softmax'))
    add('lstm_last_state', lambda fl, r: m_rnn_state(fl, r, 'lstm', seq=6, return_sequences=False,
                                                     activation='tanh', out_act='linear'))
    # Dense activations, on 2-D and 3-D tensors
    add('dense_2d', lambda fl, r: m_dense2d(fl, r))
    add('dense_3d', lambda fl, r: m_dense3d(fl, r))
    # big-endian weights ('>f4') — one model
    add('lstm_state_be', lambda fl, r: m_rnn_state(fl, r, 'lstm', seq=3), big_endian=True)
    for tag, fn, kw in option_models() + mask_models() + shape_models() + layer_models() + activation_models() + \
            new_layer_models():
        add(tag, fn, **kw)
    for tag, fn, kw in more_layer_models():
        add(tag, fn, **kw)
    return L


# ---------------------------------------------------------------------------------------------
# k3: Keras 3 `model.save("x.h5")` (keras/src/legacy/saving/legacy_h5_format.py), imitating the
# Keras 3.13.2 files of the corpus (Rajeevydvv-Stock-Price-Forecasting-RNN-LSTM-GRU__{gru,lstm,
# rnn}_model.h5) and, for what those Sequential files cannot show, Keras 3 itself:
#   - root keras_version/backend vlen UTF-8, model_config/training_config vlen ASCII;
#     /model_weights layer_names, backend, keras_version and every weight_names vlen ASCII;
#     weightless layers and top_level_model_weights: float64 array shape (0,)
#   - weight names are variable paths without ':0': `sequential/gru/gru_cell/kernel` in a
#     Sequential (it builds its layers inside its own name scope), `lstm/lstm_cell/kernel` in a
#     functional model (layers are built when first called, outside any model scope),
#     `bidirectional/forward_lstm/lstm_cell/kernel` (Bidirectional.build builds both halves)
#   - layer entries are legacy serializations {class_name, config} (+ name, inbound_nodes in a
#     Functional config); objects nested in a config are serialize_keras_object dicts with
#     module/class_name/config/registered_name (dtype: DTypePolicy, initializers), and a nested
#     layer (Bidirectional's layer and backward_layer) also carries build_config
#   - InputLayer config batch_shape, dtype, sparse, ragged, name, optional
#   - Functional inbound nodes {"args": [__keras_tensor__ {shape, dtype, keras_history}],
#     "kwargs": {...}}: Layer.__call__ fills in the call-context argument training when the
#     signature default is not None (RNN layers: training=False) and mask when call() takes one,
#     and the node keeps that same kwargs dict; input_layers/output_layers are
#     tree.map_structure over the model's inputs/outputs: one [name, 0, 0] for a single tensor,
#     a list of them for Model([x], [y])
#   - RNN configs carry zero_output_for_mask (Bidirectional forces it to return_sequences on both
#     halves); LSTM and GRU end with seed, SimpleRNN has none; GRU reset_after=True, bias (2, 3H)
#   - a compiled and trained model adds training_config and optimizer_weights (adam/iteration,
#     adam/learning_rate, then momentum and velocity per trainable variable)
# ---------------------------------------------------------------------------------------------
def k3_object(module, cls, config):
    """serialization_lib.serialize_keras_object of a built-in object."""
    return {"module": module, "class_name": cls, "config": config, "registered_name": None}


def k3_dtype():
    return k3_object("keras", "DTypePolicy", {"name": "float32"})


def k3_initializers():
    return {"kernel_initializer": k3_object("keras.initializers", "GlorotUniform", {"seed": None}),
            "recurrent_initializer": k3_object("keras.initializers", "Orthogonal", {"seed": None, "gain": 1.0}),
            "bias_initializer": k3_object("keras.initializers", "Zeros", {})}


def k3_rnn_config(kind, name, units, return_sequences, go_backwards=False, recurrent_activation='sigmoid',
                  zero_output_for_mask=False, activation='tanh'):
    c = {"name": name, "trainable": True, "dtype": k3_dtype(), "return_sequences": return_sequences,
         "return_state": False, "go_backwards": go_backwards, "stateful": False, "unroll": False,
         "zero_output_for_mask": zero_output_for_mask, "units": units, "activation": activation}
    if kind != 'simple':
        c["recurrent_activation"] = recurrent_activation
    c["use_bias"] = True
    c.update(k3_initializers())
    if kind == 'lstm':
        c["unit_forget_bias"] = True
    c.update({"kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
              "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
              "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0})
    if kind == 'gru':
        c["reset_after"] = True
    if kind != 'simple':
        c["seed"] = None
    return c


def k3_dense_config(name, units, activation):
    init = k3_initializers()
    return {"name": name, "trainable": True, "dtype": k3_dtype(), "units": units, "activation": activation,
            "use_bias": True, "kernel_initializer": init["kernel_initializer"],
            "bias_initializer": init["bias_initializer"], "kernel_regularizer": None, "bias_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None, "quantization_config": None}


def k3_training_config():
    return {"loss": "mse", "loss_weights": None, "metrics": ["mae"], "weighted_metrics": None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False,
            "optimizer_config": {"class_name": "Adam", "config": {
                "name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None, "clipnorm": None,
                "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
                "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}


# the kwargs Layer.__call__ leaves in a node: RNN.call(sequences, initial_state=None, mask=None,
# training=False); Bidirectional.call(..., mask=None, training=None); Dense.call takes neither
RNN_CALL_KWARGS = {"training": False, "mask": None}
BIDI_CALL_KWARGS = {"mask": None}


class K3Model:
    """A Keras 3 model: layers {cls, name, config, inbound, kwargs, shape (output 0), weights
    [(variable path, array)]}, the input layers, the output layer names."""

    def __init__(self, sequential=False, compiled=False, nested_io=False):
        self.name = 'sequential' if sequential else 'functional'
        self.sequential = sequential
        self.compiled = compiled
        self.nested_io = nested_io
        self.layers = []
        self.inputs = []
        self.outputs = []
        self.data_shapes = {}
        self.masked = {}
        self.data_fns = {}
        self.node_fixes = []    # fn(functional config layers), for calls the builder cannot make

    def path(self, *parts):
        return '/'.join(((self.name,) if self.sequential else ()) + parts)

    def input(self, batch_shape, name='input_layer'):
        self.inputs.append((name, list(batch_shape)))
        cfg = {"batch_shape": list(batch_shape), "dtype": "float32", "sparse": False, "ragged": False,
               "name": name, "optional": False}
        return self.add('InputLayer', name, cfg, [], list(batch_shape))

    def add(self, cls, name, config, inbound, shape, weights=(), kwargs=None):
        self.layers.append(dict(cls=cls, name=name, config=config, inbound=list(inbound), shape=shape,
                                weights=list(weights), kwargs=kwargs or {}))
        return name

    def weight_layers(self):
        """model.layers: a Sequential leaves its InputLayer out, a Functional lists it."""
        return [L for L in self.layers if not (self.sequential and L['cls'] == 'InputLayer')]

    def config(self):
        if self.sequential:
            return {"class_name": "Sequential", "config": {
                "name": self.name, "trainable": True, "dtype": k3_dtype(),
                "layers": [{"class_name": L['cls'], "config": L['config']} for L in self.layers],
                "build_input_shape": self.inputs[0][1]}}
        shapes = {L['name']: L['shape'] for L in self.layers}
        layers = []
        for L in self.layers:
            nodes = []
            if L['inbound']:
                args = [{"class_name": "__keras_tensor__",
                         "config": {"shape": shapes[src], "dtype": "float32", "keras_history": [src, 0, 0]}}
                        for src in L['inbound']]
                nodes = [{"args": args, "kwargs": L['kwargs']}]
            layers.append({"class_name": L['cls'], "config": L['config'], "name": L['name'], "inbound_nodes": nodes})
        for fix in self.node_fixes:
            fix(layers)

        def refs(names):
            r = [[n, 0, 0] for n in names]
            return r if self.nested_io or len(r) != 1 else r[0]
        return {"class_name": "Functional", "config": {
            "name": self.name, "trainable": True, "layers": layers,
            "input_layers": refs([n for n, _ in self.inputs]), "output_layers": refs(self.outputs)}}


def write_h5_k3(path, model):
    fl = Flavour('k3')
    cfg = model.config()
    with h5py.File(path, 'w') as f:
        put_str(f, 'keras_version', K3_VERSION, utf8=True)
        put_str(f, 'backend', 'tensorflow', utf8=True)
        put_str(f, 'model_config', json.dumps(cfg))
        if model.compiled:
            put_str(f, 'training_config', json.dumps(k3_training_config()))
        mw = f.create_group('model_weights')
        layers = model.weight_layers()
        put_names(mw, 'layer_names', [L['name'] for L in layers], fl)
        put_str(mw, 'backend', 'tensorflow')
        put_str(mw, 'keras_version', K3_VERSION)
        for L in sorted(layers, key=lambda L: L['name']):
            g = mw.create_group(L['name'])
            put_names(g, 'weight_names', [n for n, _ in L['weights']], fl)
            for n, a in L['weights']:
                g.create_dataset(n, data=a.astype('<f4'))
        put_names(mw.create_group('top_level_model_weights'), 'weight_names', [], fl)
        if model.compiled:
            names, arrays = ['adam/iteration', 'adam/learning_rate'], [np.array(240, '<i8'), np.array(0.001, '<f4')]
            for L in layers:
                for n, a in L['weights']:
                    for slot in ('momentum', 'velocity'):
                        names.append('adam/%s_%s' % (n.replace('/', '_'), slot))
                        arrays.append(np.zeros(a.shape, '<f4'))
            og = f.create_group('optimizer_weights')
            put_names(og, 'weight_names', names, fl)
            for n, a in zip(names, arrays):
                og.create_dataset(n, data=a)
    return cfg


def k3_recurrent(m, rng, kind, src, seq, inp, hid, return_sequences=True, scale=0.5, name=None, **kw):
    name = name or LAYER_BASE[kind]
    cfg = k3_rnn_config(kind, name, hid, return_sequences, **kw)
    ws = [(m.path(name, CELL_BASE[kind], w), a) for w, a in rnn_weights(rng, kind, inp, hid, True, scale)]
    shape = [None, seq, hid] if return_sequences else [None, hid]
    return m.add(LAYER_CLASS[kind], name, cfg, [src], shape, ws, RNN_CALL_KWARGS)


def k3_single(rng, kind, seq=5, hid=4, nested_io=False, compiled=False, **kw):
    """keras.Input((seq, 2)) -> one recurrent layer, as keras.Model(inputs, outputs)."""
    m = K3Model(compiled=compiled, nested_io=nested_io)
    x = m.input([None, seq, INP])
    m.outputs = [k3_recurrent(m, rng, kind, x, seq, INP, hid, **kw)]
    return m


def k3_sequential_rnn(rng, seq=5, hid=4):
    """The corpus rnn_model.h5 in small: Sequential([Input, SimpleRNN, Dense(relu), Dense]),
    compiled with Adam and trained (so it has a training_config and optimizer weights)."""
    m = K3Model(sequential=True, compiled=True)
    x = m.input([None, seq, INP])
    prev = k3_recurrent(m, rng, 'simple', x, seq, INP, hid, return_sequences=False)
    n_in = hid
    for name, units, act in (('dense', 3, 'relu'), ('dense_1', 1, 'linear')):
        ws = [(m.path(name, w), a) for w, a in dense_weights(rng, n_in, units)]
        prev = m.add('Dense', name, k3_dense_config(name, units, act), [prev], [None, units], ws)
        n_in = units
    m.outputs = [prev]
    return m


def k3_bidi(rng, seq=5, hid=4, return_sequences=True):
    """keras.Input -> Bidirectional(LSTM(hid)): Keras 3 serializes both halves, the backward one as
    `backward_layer` (go_backwards=True), each with its build_config."""
    m = K3Model()
    x = m.input([None, seq, INP])
    name = 'bidirectional'

    def half(direction, go_backwards):
        cfg = k3_rnn_config('lstm', '%s_lstm' % direction, hid, return_sequences, go_backwards=go_backwards,
                            zero_output_for_mask=return_sequences)
        return dict(k3_object("keras.layers", "LSTM", cfg), build_config={"input_shape": [None, seq, INP]})
    cfg = {"name": name, "trainable": True, "dtype": k3_dtype(), "merge_mode": "concat",
           "layer": half('forward', False), "backward_layer": half('backward', True)}
    ws = [(m.path(name, '%s_lstm' % d, 'lstm_cell', w), a)
          for d in ('forward', 'backward') for w, a in rnn_weights(rng, 'lstm', INP, hid, True)]
    shape = [None, seq, 2 * hid] if return_sequences else [None, 2 * hid]
    m.outputs = [m.add('Bidirectional', name, cfg, [x], shape, ws, BIDI_CALL_KWARGS)]
    return m


# Keras 3 nested models: the model used as a layer is serialized with its whole config (legacy
# .h5: {class_name, config, name, inbound_nodes}; .keras: module keras / keras.src.models.functional,
# registered_name, build_config). Its variables, in the legacy .h5, sit in its group under their
# paths: `lstm/lstm_cell/kernel` for a Functional (built by its symbolic calls, outside any
# scope), `sequential/lstm/lstm_cell/kernel` for a Sequential (built inside its own name scope);
# in model.weights.h5 under layers/<its snake_case class>/layers/<inner layer's>/..., as
# saving_lib's _save_state walks Sequential and Functional `layers` first.
def k3_encoder(rng, sequential, name, seq=5, hid=4, out=3, first_dense=False):
    """keras.Input((seq, INP)) [-> Dense(INP, tanh)] -> LSTM(hid, return_sequences) ->
    Dense(out, tanh), built first in the session (input_layer, [dense,] lstm, dense[_1])."""
    inner = K3Model(sequential=sequential)
    inner.name = name
    x = inner.input([None, seq, INP])
    if first_dense:
        ws = [(inner.path('dense', w), a) for w, a in dense_weights(rng, INP, INP)]
        x = inner.add('Dense', 'dense', k3_dense_config('dense', INP, 'tanh'), [x], [None, seq, INP], ws)
    h = k3_recurrent(inner, rng, 'lstm', x, seq, INP, hid)
    last = 'dense_1' if first_dense else 'dense'
    ws = [(inner.path(last, w), a) for w, a in dense_weights(rng, hid, out)]
    inner.outputs = [inner.add('Dense', last, k3_dense_config(last, out, 'tanh'), [h], [None, seq, out], ws)]
    return inner


def k3_nested(rng, inner_sequential, outer_sequential=False, seq=5, hid=4):
    """An encoder model (k3_encoder) used as a layer: -> LSTM(hid) -> Dense(INP)."""
    inner = k3_encoder(rng, inner_sequential, 'sequential' if inner_sequential else 'functional', seq)
    m = K3Model(sequential=outer_sequential)
    m.name = 'sequential_1' if outer_sequential and inner_sequential else \
        'functional_1' if not outer_sequential and not inner_sequential else m.name
    x = m.input([None, seq, INP], name='input_layer_1')
    enc = m.add(inner.config()['class_name'], inner.name, inner.config()['config'], [x], [None, seq, 3],
                [(n, a) for L in inner.weight_layers() for n, a in L['weights']], {"mask": None})
    m.layers[-1]['inner'] = inner
    h = k3_recurrent(m, rng, 'lstm', enc, seq, 3, hid, return_sequences=False, name='lstm_1')
    ws = [(m.path('dense_1', w), a) for w, a in dense_weights(rng, hid, INP)]
    m.outputs = [m.add('Dense', 'dense_1', k3_dense_config('dense_1', INP, 'linear'), [h], [None, INP], ws)]
    return m


def k3_nested_reuse(rng, seq=5, hid=4):
    """k3 form of m_nested_reuse, called once: the functional encoder calls its Dense(INP, tanh)
    on the input and again on its own output (keras_history node 1) before LSTM(hid) ->
    Dense(3, tanh); then LSTM(hid) -> Dense(INP)."""
    inner = k3_encoder(rng, False, 'functional', seq, hid, first_dense=True)
    h = inner.layers[-2]['name']   # the LSTM, which reads the Dense's second call

    def reuse(layers):
        for L in layers:
            if L['name'] == 'dense':
                again = json.loads(json.dumps(L['inbound_nodes'][0]))
                again['args'][0]['config']['keras_history'] = ['dense', 0, 0]
                L['inbound_nodes'].append(again)
            if L['name'] == h:
                L['inbound_nodes'][0]['args'][0]['config']['keras_history'] = ['dense', 1, 0]
    inner.node_fixes.append(reuse)
    m = K3Model()
    m.name = 'functional_1'
    xo = m.input([None, seq, INP], name='input_layer_1')
    enc = m.add('Functional', inner.name, inner.config()['config'], [xo], [None, seq, 3],
                [(n, a) for L in inner.weight_layers() for n, a in L['weights']], {"mask": None})
    m.layers[-1]['inner'] = inner
    g = k3_recurrent(m, rng, 'lstm', enc, seq, 3, hid, return_sequences=False, name='lstm_1')
    ws = [(m.path('dense_2', w), a) for w, a in dense_weights(rng, hid, INP)]
    m.outputs = [m.add('Dense', 'dense_2', k3_dense_config('dense_2', INP, 'linear'), [g], [None, INP], ws)]
    return m


def k3_timedist_model(rng, seq=4, frame=(3, 2), units=4, hid=4):
    """k3 form of m_timedist_model: TimeDistributed(Sequential([Input, Flatten, Dense(tanh)]))."""
    inner = K3Model(sequential=True)
    xi = inner.input([None] + list(frame))
    fcfg = {"name": "flatten", "trainable": True, "dtype": k3_dtype(), "data_format": "channels_last"}
    f = inner.add('Flatten', 'flatten', fcfg, [xi], [None, frame[0] * frame[1]])
    ws = [(inner.path('dense', w), a) for w, a in dense_weights(rng, frame[0] * frame[1], units)]
    inner.outputs = [inner.add('Dense', 'dense', k3_dense_config('dense', units, 'tanh'), [f], [None, units], ws)]
    m = K3Model()
    x = m.input([None, seq] + list(frame), name='input_layer_1')
    cfg = {"name": "time_distributed", "trainable": True, "dtype": k3_dtype(),
           "layer": dict(keras_archive_config(inner), build_config={"input_shape": [None] + list(frame)})}
    t = m.add('TimeDistributed', 'time_distributed', cfg, [x], [None, seq, units],
              [(n, a) for L in inner.weight_layers() for n, a in L['weights']], {"mask": None})
    m.layers[-1]['inner'] = inner
    h = k3_recurrent(m, rng, 'lstm', t, seq, units, hid, return_sequences=False)
    ws = [(m.path('dense_1', w), a) for w, a in dense_weights(rng, hid, INP)]
    m.outputs = [m.add('Dense', 'dense_1', k3_dense_config('dense_1', INP, 'linear'), [h], [None, INP], ws)]
    return m


def k3_models():
    """(tag, builder(rng), kw) of the Keras 3 fixtures; every reference is numpy (Keras 3 semantics).
    kw: opsets, expect_ops, archive ('stored' or 'deflate': a .keras file instead of a legacy .h5)."""
    return [
        ('lstm_seq', lambda r: k3_single(r, 'lstm', compiled=True), {}),
        ('gru_seq', lambda r: k3_single(r, 'gru', nested_io=True), {}),
        ('rnn_last', lambda r: k3_sequential_rnn(r), {}),
        # Keras 3 hard_sigmoid = relu6(x + 3) / 6; weights large enough that the gates clip
        ('lstm_hsig_seq', lambda r: k3_single(r, 'lstm', recurrent_activation='hard_sigmoid', scale=1.5), {}),
        ('bidi_lstm_concat_seq', lambda r: k3_bidi(r), {}),
        ('bidi_lstm_concat_last', lambda r: k3_bidi(r, return_sequences=False), {}),
        ('back_gru_seq', lambda r: k3_single(r, 'gru', go_backwards=True), {}),
        ('nested_seq', lambda r: k3_nested(r, True), {}),
        ('nested_functional', lambda r: k3_nested(r, False), {}),
        ('nested_reuse', k3_nested_reuse, {}),
        ('keras_nested_seq', lambda r: k3_nested(r, True), dict(archive='stored')),
        ('keras_nested_functional', lambda r: k3_nested(r, False), dict(archive='deflate')),
        ('keras_nested_in_sequential', lambda r: k3_nested(r, True, outer_sequential=True), dict(archive='stored')),
        ('timedist_model', k3_timedist_model, {}),
        ('keras_timedist_model', k3_timedist_model, dict(archive='stored')),
    ] + k3_activation_models() + k3_archive_models() + k3_more_layer_models()


# Keras 3 activations the converter maps, on Dense and Activation; Keras 3 writes each function by
# its __name__ (silu for swish, hard_silu for hard_swish: the Activation layer gets the alias here,
# as a hand-written config may carry it), and its hard_sigmoid is relu6(x + 3) / 6
K3_ACTIVATIONS = ['relu6', 'gelu', 'mish', 'silu', 'hard_silu', 'log_softmax', 'leaky_relu', 'log_sigmoid',
                  'tanh_shrink', 'hard_sigmoid', 'celu', 'glu', 'hard_tanh', 'hard_shrink', 'soft_shrink', 'sparse_plus',
                  'squareplus', 'sparse_sigmoid', 'sparsemax']
K3_LAYER_ALIAS = {'hard_silu': 'hard_swish'}


def k3_act_dense(rng, act, seq=2, feat=8, units=5):
    """keras.Input((seq, feat)) -> Dense(units, activation=act), and Input -> Activation(act)."""
    m = K3Model()
    x = m.input([None, seq, feat])
    ws = [(m.path('dense', 'kernel'), rnd(rng, (feat, units), 0.4)), (m.path('dense', 'bias'), rnd(rng, (units,)))]
    d = m.add('Dense', 'dense', k3_dense_config('dense', units, act), [x], [None, seq, units], ws)
    cfg = {"name": "activation", "trainable": True, "dtype": k3_dtype(), "activation": K3_LAYER_ALIAS.get(act, act)}
    a = m.add('Activation', 'activation', cfg, [x], [None, seq, feat])
    m.outputs = [d, a]
    m.data_fns[x] = grid_data
    return m


def tie_data(rng, shape):
    return rng.integers(-2, 3, shape).astype('<f4')


def k3_act_dense_ties(rng, act):
    m = k3_act_dense(rng, act)
    m.data_fns[m.inputs[0][0]] = tie_data
    return m


def k3_act_recurrent(rng, kind, activation, return_sequences, **kw):
    m = k3_single(rng, kind, activation=activation, scale=0.8, return_sequences=return_sequences, **kw)
    m.data_fns[m.inputs[0][0]] = uniform_data
    return m


def k3_activation_models():
    # glu halves the last axis: Dense gets an even number of units
    L = [('act_dense_%s' % a, lambda r, a=a: k3_act_dense(r, a, units=6 if a == 'glu' else 5), dict(opsets=[None, 10]))
         for a in K3_ACTIVATIONS]
    scan = dict(expect_ops=['Scan'])
    for act, end, rs in (('relu6', 'seq', True), ('mish', 'last', False), ('hard_silu', 'seq', True),
                         ('gelu', 'last', False), ('leaky_relu', 'seq', True), ('soft_shrink', 'seq', True),
                         ('squareplus', 'last', False), ('sparse_plus', 'seq', True)):
        L.append(('act_rnn_%s_%s' % (act, end), lambda r, a=act, rs=rs: k3_act_recurrent(r, 'simple', a, rs), scan))
    # sparsemax on small integers: many ties, also where the support ends
    L.append(('act_sparsemax_ties', lambda r: k3_act_dense_ties(r, 'sparsemax'), dict(opsets=[None, 10])))
    L.append(('act_rnn_sparsemax_seq', lambda r: k3_act_recurrent(r, 'simple', 'sparsemax', True), scan))
    L.append(('act_gru_mish_hsig_seq',
              lambda r: k3_act_recurrent(r, 'gru', 'mish', True, recurrent_activation='hard_sigmoid'), scan))
    return L


# ---------------------------------------------------------------------------------------------
# More layers around recurrent ones, in k22, tfk2 and k3 alike: advanced activations (ReLU,
# PReLU, ELU, ThresholdedReLU, Softmax), the layers that are the identity at inference
# (SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization),
# Cropping1D / ZeroPadding1D / UpSampling1D, Conv1D channels_first, SeparableConv1D,
# BatchNormalization on another axis and on 2-D tensors, Dot, and TimeDistributed around Conv1D,
# Flatten and LSTM on 4-D inputs. One model function serves the three dialects through a
# LayerKit, which writes each layer's config the way that Keras version's get_config does:
#   - Keras 2.2.4 and tf.keras 2.11 keep the float32 they cast ReLU's max_value/negative_slope/
#     threshold, ELU's alpha and ThresholdedReLU's theta to (K.cast_to_floatx), so 0.1 is written
#     0.10000000149011612; Keras 3 keeps the Python floats
#   - Keras 3 ELU has no get_config: the Operation auto-config writes name, alpha, then the Layer
#     keys trainable and dtype; Keras 3 SpatialDropout1D (BaseSpatialDropout.get_config) writes
#     rate, seed, name and dtype as the plain string "float32", without trainable
#   - noise layers: Keras 2.2.4 GaussianNoise {stddev}, GaussianDropout/AlphaDropout {rate};
#     tf.keras 2.11 adds seed; Keras 3 AlphaDropout also noise_shape; SpatialDropout1D is a
#     Dropout (rate, noise_shape, seed) before Keras 3
#   - ZeroPadding1D and Cropping1D normalize an int to the pair [p, p] in every dialect
#   - SeparableConv1D: Keras 2.2.4 pops kernel_initializer/regularizer/constraint from the conv
#     config and appends depth_multiplier and the depthwise/pointwise keys; tf.keras 2.11 keeps the
#     whole Conv config (groups, kernel_*) and appends depth_multiplier and the depthwise/pointwise
#     keys; Keras 3 writes depth_multiplier first. Weights depthwise_kernel (k, cin, mult),
#     pointwise_kernel (1, cin * mult, filters), bias
#   - BatchNormalization axis: Keras 2.2.4 and Keras 3 as given (1, -1), tf.keras the positive list
#     build() made of it ([1] for axis 1 of a 3-D input, [1] for -1 of a 2-D one); Keras 3 adds
#     synchronized
#   - TimeDistributed weights: Keras 2.2.4 `time_distributed_1/kernel:0` (the wrapped layer builds
#     in the wrapper's name scope; a wrapped LSTM's cell too), tf.keras 2.11
#     `time_distributed/kernel:0` and `time_distributed/lstm_cell/kernel:0` (RNN.build opens
#     name_scope(cell.name)), Keras 3 `time_distributed/conv1d/kernel`,
#     `time_distributed/lstm/lstm_cell/kernel` (every build opens its layer's name scope); Keras 3
#     serializes the wrapped layer with module/registered_name and its build_config
#   - Keras 3 call kwargs in the nodes: training=False for the noise layers (their call default),
#     mask=None for Softmax, BatchNormalization and TimeDistributed; Dot is called on a list, so
#     its args hold one list of two tensors
# ---------------------------------------------------------------------------------------------
def f32(v):
    return None if v is None else float(np.float32(v))


def conv_out_len(L, k, s=1, d=1, padding='valid'):
    span = d * (k - 1) + 1
    if padding == 'same':
        return -(-L // s)
    return (L - span) // s + 1


class K3LayerModel(K3Model):
    """A functional K3Model whose `list_calls` layers were called on a list of tensors."""

    def __init__(self):
        super().__init__()
        self.list_calls = set()

    def config(self):
        cfg = super().config()
        for L in cfg['config']['layers']:
            if L['name'] in self.list_calls:
                L['inbound_nodes'][0]['args'] = [L['inbound_nodes'][0]['args']]
        return cfg


class LayerKit:
    """Builds one functional model in a dialect: flavour 'k22'/'tfk2' (a Model written by
    write_h5) or 'k3' (a K3LayerModel written by write_h5_k3). Tracks every tensor's shape
    (without the batch axis)."""

    def __init__(self, fl=None):
        self.fl = fl
        self.k3 = fl is None
        self.tag = 'k3' if self.k3 else fl.tag
        self.m = K3LayerModel() if self.k3 else Model(fl)
        self.counts = {}
        self.shapes = {}

    def uid(self, base):
        if not self.k3:
            return self.fl.uid(base)
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        return base if n == 0 else '%s_%d' % (base, n)

    def fval(self, v):
        """A float the layer casts to floatx before get_config (Keras 2), or keeps (Keras 3)."""
        return v if self.k3 else f32(v)

    def base(self, name):
        if self.k3:
            return {"name": name, "trainable": True, "dtype": k3_dtype()}
        return self.fl.base(name)

    def init(self, cls):
        """Initializer config: GlorotUniform, Zeros, Ones."""
        if self.k3:
            return k3_object("keras.initializers", cls, {"seed": None} if cls == 'GlorotUniform' else {})
        if cls == 'GlorotUniform':
            return self.fl.glorot()
        return {"class_name": cls, "config": {}}

    def input(self, shape, data_fn=None):
        if self.k3:
            x = self.m.input([None] + list(shape))
        else:
            x = self.m.input('inputs', list(shape))
        self.shapes[x] = list(shape)
        if data_fn is not None:
            self.m.data_fns[x] = data_fn
        return x

    def add(self, cls, name, cfg, inbound, shape, weights=(), cell=None, k3_scope=(), kwargs=None):
        """weights: [(w, array)]; tf.keras names them <layer>/<cell>/<w>:0 when cell is given,
        Keras 3 <layer>/<k3_scope...>/<w>."""
        inbound = [inbound] if isinstance(inbound, str) else list(inbound)
        self.shapes[name] = list(shape)
        if self.k3:
            ws = [('/'.join((name,) + tuple(k3_scope) + (w,)), a) for w, a in weights]
            return self.m.add(cls, name, cfg, inbound, [None] + list(shape), ws, kwargs)
        return self.m.add(cls, name, cfg, inbound, list(weights), cell=cell)

    def simple(self, cls, base, src, shape=None, kwargs=None, **cfg):
        name = self.uid(base)
        c = self.base(name)
        c.update(cfg)
        return self.add(cls, name, c, src, shape or self.shapes[src], kwargs=kwargs)

    # activations ------------------------------------------------------------------------------
    def relu(self, src, max_value=None, negative_slope=0.0, threshold=0.0):
        return self.simple('ReLU', 're_lu', src, max_value=self.fval(max_value),
                           negative_slope=self.fval(negative_slope), threshold=self.fval(threshold))

    def prelu(self, src, alpha, shared_axes=None):
        name = self.uid('p_re_lu')
        c = self.base(name)
        c.update({"alpha_initializer": self.init('Zeros'), "alpha_regularizer": None, "alpha_constraint": None,
                  "shared_axes": shared_axes})
        return self.add('PReLU', name, c, src, self.shapes[src], [('alpha', alpha)])

    def elu(self, src, alpha=1.0):
        if not self.k3:
            return self.simple('ELU', 'elu', src, alpha=f32(alpha))
        name = self.uid('elu')
        c = {"name": name, "alpha": alpha, "trainable": True, "dtype": k3_dtype()}
        return self.add('ELU', name, c, src, self.shapes[src])

    def thresholded_relu(self, src, theta):
        if self.k3:
            raise ValueError('Keras 3 has no ThresholdedReLU')
        return self.simple('ThresholdedReLU', 'thresholded_re_lu', src, theta=f32(theta))

    def softmax(self, src, axis=-1):
        return self.simple('Softmax', 'softmax', src, kwargs={"mask": None}, axis=axis)

    # identity at inference ----------------------------------------------------------------------
    def spatial_dropout1d(self, src, rate):
        if not self.k3:
            return self.simple('SpatialDropout1D', 'spatial_dropout1d', src, rate=rate, noise_shape=None, seed=None)
        name = self.uid('spatial_dropout1d')
        c = {"rate": rate, "seed": None, "name": name, "dtype": "float32"}
        return self.add('SpatialDropout1D', name, c, src, self.shapes[src], kwargs={"training": False})

    def gaussian_noise(self, src, stddev):
        seed = {} if self.tag == 'k22' else {"seed": None}
        return self.simple('GaussianNoise', 'gaussian_noise', src, kwargs={"training": False}, stddev=stddev, **seed)

    def gaussian_dropout(self, src, rate):
        seed = {} if self.tag == 'k22' else {"seed": None}
        return self.simple('GaussianDropout', 'gaussian_dropout', src, kwargs={"training": False}, rate=rate, **seed)

    def alpha_dropout(self, src, rate):
        extra = {} if self.tag == 'k22' else {"seed": None}
        if self.k3:
            extra["noise_shape"] = None
        return self.simple('AlphaDropout', 'alpha_dropout', src, kwargs={"training": False}, rate=rate, **extra)

    def activity_regularization(self, src, l1, l2):
        return self.simple('ActivityRegularization', 'activity_regularization', src, l1=l1, l2=l2)

    # 1-D reshaping ------------------------------------------------------------------------------
    def cropping1d(self, src, cropping):
        a, b = (cropping, cropping) if isinstance(cropping, int) else cropping
        T, F = self.shapes[src]
        return self.simple('Cropping1D', 'cropping1d', src, [T - a - b, F], cropping=[a, b])

    def zero_padding1d(self, src, padding):
        a, b = (padding, padding) if isinstance(padding, int) else padding
        T, F = self.shapes[src]
        return self.simple('ZeroPadding1D', 'zero_padding1d', src, [T + a + b, F], padding=[a, b])

    def up_sampling1d(self, src, size):
        T, F = self.shapes[src]
        return self.simple('UpSampling1D', 'up_sampling1d', src, [T * size, F], size=size)

    # convolutions --------------------------------------------------------------------------------
    def conv1d_cfg(self, name, filters, kernel, strides=1, padding='valid', dilation=1, activation='linear',
                   data_format='channels_last'):
        if not self.k3:
            c = conv1d_config(self.fl, name, filters, kernel, strides, padding, dilation, activation=activation)
            c["data_format"] = data_format
            return c
        c = self.base(name)
        c.update({"filters": filters, "kernel_size": [kernel], "strides": [strides], "padding": padding,
                  "data_format": data_format, "dilation_rate": [dilation], "groups": 1, "activation": activation,
                  "use_bias": True, "kernel_initializer": self.init('GlorotUniform'),
                  "bias_initializer": self.init('Zeros'), "kernel_regularizer": None, "bias_regularizer": None,
                  "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None})
        return c

    def conv1d(self, rng, src, filters, kernel, channels_first=False, **kw):
        name = self.uid('conv1d')
        shp = self.shapes[src]
        cin, L = (shp[0], shp[1]) if channels_first else (shp[1], shp[0])
        c = self.conv1d_cfg(name, filters, kernel, data_format='channels_first' if channels_first else 'channels_last',
                            **kw)
        n = conv_out_len(L, kernel, kw.get('strides', 1), kw.get('dilation', 1), kw.get('padding', 'valid'))
        ws = [('kernel', rnd(rng, (kernel, cin, filters))), ('bias', rnd(rng, (filters,)))]
        return self.add('Conv1D', name, c, src, [filters, n] if channels_first else [n, filters], ws)

    def conv1d_transpose(self, rng, src, filters, kernel, strides=1, padding='valid', output_padding=None,
                         channels_first=False, activation='linear', use_bias=True):
        """Conv1DTranspose (tf.keras 2.3 on, Keras 3): the Conv1D config; tf.keras adds output_padding
        ([p] or None), Keras 3's get_config leaves it out. Kernel [k, filters, in]."""
        name = self.uid('conv1d_transpose')
        shp = self.shapes[src]
        cin, L = (shp[0], shp[1]) if channels_first else (shp[1], shp[0])
        c = self.conv1d_cfg(name, filters, kernel, strides, padding, activation=activation,
                            data_format='channels_first' if channels_first else 'channels_last')
        c["use_bias"] = use_bias
        if self.k3:
            output_padding = None
        else:
            c["output_padding"] = None if output_padding is None else [output_padding]
        if output_padding is None:
            n = L * strides + max(kernel - strides, 0) if padding == 'valid' else L * strides
        else:
            n = (L - 1) * strides + kernel - 2 * (kernel // 2 if padding == 'same' else 0) + output_padding
        ws = [('kernel', rnd(rng, (kernel, filters, cin)))]
        if use_bias:
            ws.append(('bias', rnd(rng, (filters,))))
        return self.add('Conv1DTranspose', name, c, src, [filters, n] if channels_first else [n, filters], ws)

    def separable_conv1d(self, rng, src, filters, kernel, strides=1, padding='valid', dilation=1, mult=1,
                         use_bias=True, activation='linear'):
        name = self.uid('separable_conv1d')
        L, cin = self.shapes[src]
        ks, ss, ds = [kernel], [strides], [dilation]
        glorot, zeros = self.init('GlorotUniform'), self.init('Zeros')
        dw = {"depthwise_initializer": glorot, "pointwise_initializer": glorot}
        reg = {"depthwise_regularizer": None, "pointwise_regularizer": None}
        con = {"depthwise_constraint": None, "pointwise_constraint": None}
        c = self.base(name)
        if self.tag == 'k22':
            c.update({"filters": filters, "kernel_size": ks, "strides": ss, "padding": padding,
                      "data_format": "channels_last", "dilation_rate": ds, "activation": activation,
                      "use_bias": use_bias, "bias_initializer": zeros, "bias_regularizer": None,
                      "activity_regularizer": None, "bias_constraint": None, "depth_multiplier": mult})
            c.update(dw)
            c.update(reg)
            c.update(con)
        elif self.tag == 'tfk2':
            c.update({"filters": filters, "kernel_size": ks, "strides": ss, "padding": padding,
                      "data_format": "channels_last", "dilation_rate": ds, "groups": 1, "activation": activation,
                      "use_bias": use_bias, "kernel_initializer": glorot, "bias_initializer": zeros,
                      "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                      "kernel_constraint": None, "bias_constraint": None, "depth_multiplier": mult})
            c.update(dw)
            c.update(reg)
            c.update(con)
        else:
            c.update({"depth_multiplier": mult, "filters": filters, "kernel_size": ks, "strides": ss,
                      "padding": padding, "data_format": "channels_last", "dilation_rate": ds,
                      "activation": activation, "use_bias": use_bias})
            c.update(dw)
            c["bias_initializer"] = zeros
            c.update(reg)
            c.update({"bias_regularizer": None, "activity_regularizer": None})
            c.update(con)
            c["bias_constraint"] = None
        ws = [('depthwise_kernel', rnd(rng, (kernel, cin, mult), 0.7)),
              ('pointwise_kernel', rnd(rng, (1, cin * mult, filters), 0.7))]
        if use_bias:
            ws.append(('bias', rnd(rng, (filters,))))
        n = conv_out_len(L, kernel, strides, dilation, padding)
        return self.add('SeparableConv1D', name, c, src, [n, filters], ws)

    # normalization, Dense, recurrent, Dot ---------------------------------------------------------
    def batchnorm(self, rng, src, axis):
        shp = self.shapes[src]
        ndim = len(shp) + 1
        feat = shp[axis - 1 if axis > 0 else axis]
        if not self.k3:
            name = add_batchnorm(self.m, self.fl, rng, src, feat)
            self.m.layers[-1]['config']['axis'] = axis if self.tag == 'k22' else [axis % ndim]
            self.shapes[name] = list(shp)
            return name
        name = self.uid('batch_normalization')
        c = self.base(name)
        c.update({"axis": axis, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                  "beta_initializer": self.init('Zeros'), "gamma_initializer": self.init('Ones'),
                  "moving_mean_initializer": self.init('Zeros'), "moving_variance_initializer": self.init('Ones'),
                  "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                  "gamma_constraint": None, "synchronized": False})
        ws = norm_weights(rng, feat, True, True)
        ws.append(('moving_mean', rnd(rng, (feat,), 1.0)))
        ws.append(('moving_variance', rng.uniform(0.3, 2.5, (feat,)).astype('<f4')))
        return self.add('BatchNormalization', name, c, src, shp, ws, kwargs={"mask": None})

    def dense(self, rng, src, units, activation='linear', scale=0.5):
        name = self.uid('dense')
        n_in = self.shapes[src][-1]
        c = k3_dense_config(name, units, activation) if self.k3 else self.fl.dense(name, units, activation)
        ws = [('kernel', rnd(rng, (n_in, units), scale)), ('bias', rnd(rng, (units,)))]
        return self.add('Dense', name, c, src, self.shapes[src][:-1] + [units], ws)

    def recurrent_cfg(self, kind, units, return_sequences, rng, inp):
        """(class, name, config, weights, cell) of a SimpleRNN/GRU/LSTM layer."""
        if self.k3:
            name = self.uid(LAYER_BASE[kind])
            return (LAYER_CLASS[kind], name, k3_rnn_config(kind, name, units, return_sequences),
                    rnn_weights(rng, kind, inp, units, True), CELL_BASE[kind])
        spec = recurrent(self.fl, rng, kind, inp, units, return_sequences=return_sequences)
        return spec['cls'], spec['name'], spec['config'], spec['weights'], spec['cell']

    def lstm(self, rng, src, units, return_sequences=True):
        T, F = self.shapes[src]
        cls, name, c, ws, cell = self.recurrent_cfg('lstm', units, return_sequences, rng, F)
        return self.add(cls, name, c, src, [T, units] if return_sequences else [units], ws, cell=cell,
                        k3_scope=(cell,), kwargs=dict(RNN_CALL_KWARGS))

    def dot(self, a, b, axes, normalize=False):
        sa, sb = [None] + self.shapes[a], [None] + self.shapes[b]
        ax = [axes, axes] if isinstance(axes, int) else list(axes)
        ax = [ax[0] % len(sa), ax[1] % len(sb)]
        shape = [d for i, d in enumerate(sa) if i not in (0, ax[0])] + \
                [d for i, d in enumerate(sb) if i not in (0, ax[1])]
        name = self.uid('dot')
        c = self.base(name)
        c.update({"axes": axes, "normalize": normalize})
        if self.k3:
            self.m.list_calls.add(name)
        return self.add('Dot', name, c, [a, b], shape or [1])

    # TimeDistributed ------------------------------------------------------------------------------
    def wrapped(self, cls, cfg, build_shape):
        if self.k3:
            return dict(k3_object("keras.layers", cls, cfg), build_config={"input_shape": [None] + list(build_shape)})
        return {"class_name": cls, "config": cfg}

    def time_distributed(self, src, cls, inner_cfg, out_step_shape, weights=(), cell=None, k3_scope=()):
        name = self.uid('time_distributed')
        shp = self.shapes[src]
        c = self.base(name)
        c["layer"] = self.wrapped(cls, inner_cfg, shp[1:])
        return self.add('TimeDistributed', name, c, src, [shp[0]] + list(out_step_shape), weights, cell=cell,
                        k3_scope=k3_scope, kwargs={"mask": None})

    def td_conv1d(self, rng, src, filters, kernel, activation='linear'):
        S, F = self.shapes[src][1:]
        inner = self.uid('conv1d')
        c = self.conv1d_cfg(inner, filters, kernel, activation=activation)
        ws = [('kernel', rnd(rng, (kernel, F, filters))), ('bias', rnd(rng, (filters,)))]
        return self.time_distributed(src, 'Conv1D', c, [S - kernel + 1, filters], ws, k3_scope=(inner,))

    def td_flatten(self, src):
        inner = self.uid('flatten')
        c = self.base(inner)
        c["data_format"] = "channels_last"
        return self.time_distributed(src, 'Flatten', c, [int(np.prod(self.shapes[src][1:]))])

    def td_lstm(self, rng, src, units):
        cls, inner, c, ws, cell = self.recurrent_cfg('lstm', units, False, rng, self.shapes[src][-1])
        return self.time_distributed(src, cls, c, [units], ws, cell=cell, k3_scope=(inner, cell))


def kit_builder(fn, **kw):
    """The (fl, rng) builder model_list() takes and the (rng) one k3 takes, for a kit model fn."""
    def k2(fl, rng):
        kit = LayerKit(fl)
        fn(kit, rng, **kw)
        return kit.m

    def k3(rng):
        kit = LayerKit()
        fn(kit, rng, **kw)
        return kit.m
    return k2, k3


def mm_act_layers(kit, rng, seq=4, feat=6):
    """Input (grid over [-8, 8]) -> ReLU, ReLU(max_value=6), ELU, ThresholdedReLU(1.5) (not in
    Keras 3), Softmax, each an output; Dense(5) -> PReLU (alpha per step and feature) and
    PReLU(shared_axes=[1]) -> LSTM(3)."""
    x = kit.input([seq, feat], grid_data)
    outs = [kit.relu(x), kit.relu(x, max_value=6.0), kit.elu(x)]
    if not kit.k3:
        outs.append(kit.thresholded_relu(x, 1.5))
    outs.append(kit.softmax(x, -1))
    d = kit.dense(rng, x, 5, scale=0.4)
    outs.append(kit.prelu(d, rnd(rng, (seq, 5), 0.4)))
    p = kit.prelu(d, rnd(rng, (1, 5), 0.4), shared_axes=[1])
    outs.append(kit.lstm(rng, p, 3, return_sequences=False))
    kit.m.outputs = outs


def mm_act_opts(kit, rng, seq=4, feat=6):
    """ReLU(negative_slope=0.1), ReLU(threshold=1.5), ReLU(max_value=4, negative_slope=0.2,
    threshold=0.5), ELU(alpha=0.5), Softmax(axis=1) (over time) on the grid inputs (tfjs-layers has
    none of these options)."""
    x = kit.input([seq, feat], grid_data)
    kit.m.outputs = [kit.relu(x, negative_slope=0.1), kit.relu(x, threshold=1.5),
                     kit.relu(x, max_value=4.0, negative_slope=0.2, threshold=0.5), kit.elu(x, 0.5),
                     kit.softmax(x, 1)]


def mm_noise(kit, rng, seq=5, feat=3):
    """SpatialDropout1D(0.3) -> GaussianNoise(0.1) -> GaussianDropout(0.2) -> AlphaDropout(0.1) ->
    LSTM(4) -> Dense(2): identities at inference. Outputs: the AlphaDropout tensor and the Dense."""
    x = kit.input([seq, feat])
    h = kit.spatial_dropout1d(x, 0.3)
    h = kit.gaussian_noise(h, 0.1)
    h = kit.gaussian_dropout(h, 0.2)
    a = kit.alpha_dropout(h, 0.1)
    h = kit.lstm(rng, a, 4, return_sequences=False)
    kit.m.outputs = [a, kit.dense(rng, h, INP)]


def mm_pad_crop(kit, rng, seq=6, feat=3):
    """Cropping1D((1, 2)), ZeroPadding1D(2), ZeroPadding1D((1, 3)), UpSampling1D(2) on the input,
    and UpSampling1D(3) -> ActivityRegularization(l1=0.01, l2=0.001) (the identity at inference) ->
    LSTM(4) returning sequences."""
    x = kit.input([seq, feat])
    outs = [kit.cropping1d(x, (1, 2)), kit.zero_padding1d(x, 2), kit.zero_padding1d(x, (1, 3)),
            kit.up_sampling1d(x, 2)]
    a = kit.activity_regularization(kit.up_sampling1d(x, 3), 0.01, 0.001)
    outs.append(kit.lstm(rng, a, 4))
    kit.m.outputs = outs


def mm_conv1d_cf(kit, rng, channels=3, steps=7):
    """Input (channels, steps) -> Conv1D(data_format='channels_first'): k=3 valid; k=3 strides 2
    same (uneven padding); k=2 dilation 2 same, relu."""
    x = kit.input([channels, steps])
    kit.m.outputs = [kit.conv1d(rng, x, 4, 3, channels_first=True),
                     kit.conv1d(rng, x, 4, 3, channels_first=True, strides=2, padding='same'),
                     kit.conv1d(rng, x, 3, 2, channels_first=True, dilation=2, padding='same', activation='relu')]


def mm_conv1d_transpose(kit, rng, seq=5, feat=3):
    """Conv1DTranspose, each an output: k=3 strides 2 same; k=4 strides 2 same (even kernel); k=1
    strides 3 valid (kernel smaller than the stride), use_bias False; k=3 strides 2 valid with
    output_padding 1 (tf.keras; Keras 3 does not save it), relu; channels first k=2 strides 2 same;
    and k=3 same -> LSTM(3)."""
    x = kit.input([seq, feat])
    outs = [kit.conv1d_transpose(rng, x, 4, 3, strides=2, padding='same'),
            kit.conv1d_transpose(rng, x, 3, 4, strides=2, padding='same'),
            kit.conv1d_transpose(rng, x, 2, 1, strides=3, use_bias=False),
            kit.conv1d_transpose(rng, x, 3, 3, strides=2, output_padding=1, activation='relu')]
    h = kit.conv1d_transpose(rng, x, 4, 3, padding='same', activation='tanh')
    outs.append(kit.lstm(rng, h, 3, return_sequences=False))
    kit.m.outputs = outs


def mm_conv1d_transpose_cf(kit, rng, chans=3, steps=4):
    """Conv1DTranspose(data_format='channels_first'): k=2 strides 2 same; k=3 valid."""
    x = kit.input([chans, steps])
    kit.m.outputs = [kit.conv1d_transpose(rng, x, 4, 2, strides=2, padding='same', channels_first=True),
                     kit.conv1d_transpose(rng, x, 2, 3, channels_first=True)]


def mm_sepconv(kit, rng, seq=7, feat=3):
    """SeparableConv1D: (4, 3) valid; (5, 3) depth_multiplier 2, strides 2, same; (4, 2) dilation 2,
    same, depth_multiplier 2, use_bias False; (4, 3) same, relu -> LSTM(3)."""
    x = kit.input([seq, feat])
    outs = [kit.separable_conv1d(rng, x, 4, 3),
            kit.separable_conv1d(rng, x, 5, 3, strides=2, padding='same', mult=2),
            kit.separable_conv1d(rng, x, 4, 2, dilation=2, padding='same', mult=2, use_bias=False)]
    h = kit.separable_conv1d(rng, x, 4, 3, padding='same', activation='relu')
    outs.append(kit.lstm(rng, h, 3, return_sequences=False))
    kit.m.outputs = outs


def mm_conv1d_mono(kit, rng, seq=8):
    """A one-channel signal, the usual sensor input, so every kernel has one input channel:
    Conv1D(4, 3, same, relu) -> LSTM(3); SeparableConv1D(3, 3) (one-channel depthwise and pointwise
    kernels); SeparableConv1D(4, 2, same, depth_multiplier 2); Conv1DTranspose(3, 3)."""
    x = kit.input([seq, 1])
    c = kit.conv1d(rng, x, 4, 3, padding='same', activation='relu')
    kit.m.outputs = [kit.lstm(rng, c, 3, return_sequences=False), kit.separable_conv1d(rng, x, 3, 3),
                     kit.separable_conv1d(rng, x, 4, 2, padding='same', mult=2), kit.conv1d_transpose(rng, x, 3, 3)]


def mm_batchnorm_axes(kit, rng, seq=5, feat=4):
    """BatchNormalization(axis=1) on a [batch, seq, feat] tensor (one mean/variance per step), and
    LSTM(4) (last output) -> BatchNormalization on the 2-D tensor -> Dense(2)."""
    x = kit.input([seq, feat])
    b1 = kit.batchnorm(rng, x, 1)
    h = kit.lstm(rng, x, 4, return_sequences=False)
    b2 = kit.batchnorm(rng, h, -1)
    kit.m.outputs = [b1, b2, kit.dense(rng, b2, INP)]


def mm_dot(kit, rng, seq=4, hid=4):
    """Two LSTM(hid) sequences a, b of [batch, seq, hid] (seq == hid, so that axes [1, 2] is
    valid): Dot(axes=2) -> [seq, seq], Dot(axes=1) -> [hid, hid], Dot(axes=[1, 2]) -> [hid, seq],
    Dot(axes=[2, 2], normalize=True); on 2-D tensors (LSTM last output c, Dense(hid) of it):
    Dot(axes=1, normalize=True) (cosine) and Dot(axes=-1), both [batch, 1]."""
    x = kit.input([seq, INP])
    a = kit.lstm(rng, x, hid)
    b = kit.lstm(rng, x, hid)
    c = kit.lstm(rng, x, hid, return_sequences=False)
    d = kit.dense(rng, c, hid)
    kit.m.outputs = [kit.dot(a, b, 2), kit.dot(a, b, 1), kit.dot(a, b, [1, 2]), kit.dot(a, b, [2, 2], True),
                     kit.dot(c, d, 1, True), kit.dot(c, d, -1)]


def mm_td_conv(kit, rng, steps=3, sub=6, feat=2):
    """Input [batch, steps, sub, feat] -> TimeDistributed(Conv1D(4, 3, relu)) ->
    TimeDistributed(Flatten) -> LSTM(4) -> Dense(2); outputs the convolution and the Dense."""
    x = kit.input([steps, sub, feat])
    c = kit.td_conv1d(rng, x, 4, 3, activation='relu')
    f = kit.td_flatten(c)
    h = kit.lstm(rng, f, 4, return_sequences=False)
    kit.m.outputs = [c, kit.dense(rng, h, INP)]


def mm_td_lstm(kit, rng, steps=3, sub=5, feat=2):
    """Input [batch, steps, sub, feat] -> TimeDistributed(LSTM(4)) (one LSTM over each step's
    sub-sequence) -> LSTM(3) returning sequences."""
    x = kit.input([steps, sub, feat])
    t = kit.td_lstm(rng, x, 4)
    kit.m.outputs = [t, kit.lstm(rng, t, 3)]


# (tag, kit model fn, flavours); Keras 2.2.4 had all of these but Conv1D channels_first is only
# tested in tf.keras (and Keras 3)
MORE_LAYER_MODELS = [
    ('act_layers', mm_act_layers, ('k22', 'tfk2', 'k3')),
    ('act_opts', mm_act_opts, ('k22', 'tfk2', 'k3')),
    ('noise_lstm', mm_noise, ('k22', 'tfk2', 'k3')),
    ('pad_crop_lstm', mm_pad_crop, ('k22', 'tfk2', 'k3')),
    ('conv1d_cf', mm_conv1d_cf, ('tfk2', 'k3')),
    ('sepconv_lstm', mm_sepconv, ('k22', 'tfk2', 'k3')),
    ('conv1d_transpose', mm_conv1d_transpose, ('tfk2', 'k3')),
    ('conv1d_transpose_cf', mm_conv1d_transpose_cf, ('tfk2', 'k3')),
    ('conv1d_mono', mm_conv1d_mono, ('tfk2', 'k3')),
    ('batchnorm_axes', mm_batchnorm_axes, ('k22', 'tfk2', 'k3')),
    ('dot_lstm', mm_dot, ('k22', 'tfk2', 'k3')),
    ('timedist_conv', mm_td_conv, ('k22', 'tfk2', 'k3')),
    ('timedist_lstm4d', mm_td_lstm, ('k22', 'tfk2', 'k3')),
]


def more_layer_models():
    """(tag, builder(fl, rng), kw) of the k22/tfk2 fixtures of MORE_LAYER_MODELS."""
    L = []
    for tag, fn, flavours in MORE_LAYER_MODELS:
        k2 = [f for f in ('k22', 'tfk2') if f in flavours]
        if k2:
            L.append((tag, kit_builder(fn)[0], {} if len(k2) == 2 else dict(only=k2[0])))
    return L


def k3_more_layer_models():
    return [(tag, kit_builder(fn)[1], {}) for tag, fn, flavours in MORE_LAYER_MODELS if 'k3' in flavours]


# ---------------------------------------------------------------------------------------------
# Keras 3 `.keras` archives (keras/src/saving/saving_lib.py), imitating
# ../shared/corpus/keras/KeNKeNad-DIT5411-ProjectAssignment__{bilstm,lstm}_model*.keras (3.10/3.12):
#   - a ZIP of metadata.json ({"keras_version", "date_saved"}), config.json
#     (serialize_keras_object of the model: module, class_name, config, registered_name,
#     build_config, compile_config; every layer entry with module/registered_name and, once built,
#     build_config; Functional entries add name and inbound_nodes) and model.weights.h5; members
#     stored, 1980-01-01 on the JSON members, mode 0600
#   - model.weights.h5: each saveable's own variables at <path>/vars/<i> (a group with a `name`
#     attribute, empty for weightless layers), the model's at /vars, its layers at
#     layers/<to_snake_case(class)>[_<k>] with k counting the earlier layers of that class in
#     model.layers (a Sequential leaves its InputLayer out, a Functional lists it), an RNN's
#     weights under cell/vars, Bidirectional's halves under forward_layer/ and backward_layer/,
#     the optimizer's under /optimizer/vars
#   - the DEFLATE variant is what `unzip` then `zip -r` gives: members deflated, in name order,
#     Unix mode 0644, with Info-ZIP's extended-timestamp and uid/gid extra fields
# ---------------------------------------------------------------------------------------------
KERAS_ARCHIVE_VERSION = '3.12.0'
RNN_CLASSES = ('SimpleRNN', 'GRU', 'LSTM')


def to_snake_case(name):
    """keras/src/utils/naming.py to_snake_case."""
    name = re.sub(r'\W+', '', name)
    name = re.sub('(.)([A-Z][a-z]+)', r'\1_\2', name)
    return re.sub('([a-z])([A-Z])', r'\1_\2', name).lower()


def k3_plain_input(m, batch_shape):
    """The Keras 3.10/3.12 InputLayer config, without the later `optional`."""
    x = m.input(batch_shape)
    m.layers[-1]['config'].pop('optional')
    return x


def k3_archive_rnn(m, rng, kind, name, src, in_shape, hid, return_sequences):
    cfg = k3_rnn_config(kind, name, hid, return_sequences)
    ws = [(w, a) for w, a in rnn_weights(rng, kind, in_shape[-1], hid, True)]
    shape = in_shape[:2] + [hid] if return_sequences else [None, hid]
    return m.add(LAYER_CLASS[kind], name, cfg, [src], shape, ws, RNN_CALL_KWARGS)


def k3_archive_dense(m, rng, name, src, n_in, units):
    return m.add('Dense', name, k3_dense_config(name, units, 'linear'), [src], [None, units],
                 dense_weights(rng, n_in, units))


def k3_archive_sequential(rng, kinds, seq=5, hids=(4, 3)):
    """Sequential([Input((seq, INP)), <kind>(return_sequences=True), ..., <kind>, Dense(INP)]),
    compiled and trained: layer names lstm, lstm_1, ... as Keras gives them in a fresh session."""
    m = K3Model(sequential=True, compiled=True)
    prev = k3_plain_input(m, [None, seq, INP])
    shape, counts = [None, seq, INP], {}
    for j, (kind, hid) in enumerate(zip(kinds, hids)):
        base = LAYER_BASE[kind]
        k = counts.get(base, 0)
        counts[base] = k + 1
        rs = j + 1 < len(kinds)
        prev = k3_archive_rnn(m, rng, kind, base if k == 0 else '%s_%d' % (base, k), prev, shape, hid, rs)
        shape = m.layers[-1]['shape']
    m.outputs = [k3_archive_dense(m, rng, 'dense', prev, shape[-1], INP)]
    return m


def k3_archive_functional(rng, seq=5):
    """keras.Model(x, y): x = Input((seq, INP)); GRU(4, return_sequences=True) ->
    Bidirectional(GRU(3)) -> Dense(INP). GRU reset_after=True, bias (2, 3H)."""
    m = K3Model()
    x = k3_plain_input(m, [None, seq, INP])
    g = k3_archive_rnn(m, rng, 'gru', 'gru', x, [None, seq, INP], 4, True)

    def half(direction, go_backwards):
        cfg = k3_rnn_config('gru', '%s_gru_1' % direction, 3, False, go_backwards=go_backwards)
        return dict(k3_object("keras.layers", "GRU", cfg), build_config={"input_shape": [None, seq, 4]})
    cfg = {"name": "bidirectional", "trainable": True, "dtype": k3_dtype(), "merge_mode": "concat",
           "layer": half('forward', False), "backward_layer": half('backward', True)}
    ws = [(w, a) for _ in range(2) for w, a in rnn_weights(rng, 'gru', 4, 3, True)]
    b = m.add('Bidirectional', 'bidirectional', cfg, [g], [None, 6], ws, BIDI_CALL_KWARGS)
    m.outputs = [k3_archive_dense(m, rng, 'dense', b, 6, INP)]
    return m


def k3_archive_timedist(rng, seq=5):
    """Sequential([Input((seq, INP)), LSTM(4, return_sequences=True), TimeDistributed(Dense(INP))]):
    the wrapped Dense's variables live at layers/time_distributed/layer/vars (saving_lib walks the
    wrapper's `layer` attribute), the wrapper's own vars group is empty."""
    m = K3Model(sequential=True, compiled=True)
    prev = k3_plain_input(m, [None, seq, INP])
    prev = k3_archive_rnn(m, rng, 'lstm', 'lstm', prev, [None, seq, INP], 4, True)
    # TimeDistributed.build builds the inner layer on (batch,) + input_shape[2:]
    inner = dict(k3_object("keras.layers", "Dense", k3_dense_config('dense', INP, 'linear')),
                 build_config={"input_shape": [None, 4]})
    cfg = {"name": "time_distributed", "trainable": True, "dtype": k3_dtype(), "layer": inner}
    m.outputs = [m.add('TimeDistributed', 'time_distributed', cfg, [prev], [None, seq, INP], dense_weights(rng, 4, INP))]
    return m


def keras_archive_config(m):
    shapes = {L['name']: L['shape'] for L in m.layers}

    def entry(L):
        e = {"module": "keras.layers", "class_name": L['cls'], "config": L['config'], "registered_name": None}
        if 'inner' in L and L['cls'] != 'TimeDistributed':
            e = keras_archive_config(L['inner'])
            e.pop('compile_config', None)
        if L['weights']:
            e["build_config"] = {"input_shape": shapes[L['inbound'][0]]}
        if not m.sequential:
            e["name"] = L['name']
            e["inbound_nodes"] = [] if not L['inbound'] else [{"args": [
                {"class_name": "__keras_tensor__",
                 "config": {"shape": shapes[src], "dtype": "float32", "keras_history": [src, 0, 0]}}
                for src in L['inbound']], "kwargs": L['kwargs']}]
        return e
    if m.sequential:
        c = {"module": "keras", "class_name": "Sequential",
             "config": {"name": m.name, "trainable": True, "dtype": k3_dtype(),
                        "layers": [entry(L) for L in m.layers], "build_input_shape": m.inputs[0][1]},
             "registered_name": None, "build_config": {"input_shape": m.inputs[0][1]}}
    else:
        layers = [entry(L) for L in m.layers]
        for fix in m.node_fixes:
            fix(layers)
        c = {"module": "keras.src.models.functional", "class_name": "Functional",
             "config": {"name": m.name, "trainable": True, "layers": layers,
                        "input_layers": [m.inputs[0][0], 0, 0], "output_layers": [m.outputs[0], 0, 0]},
             "registered_name": "Functional"}
    if m.compiled:
        t = k3_training_config()
        c["compile_config"] = {"optimizer": k3_object("keras.optimizers", "Adam", t["optimizer_config"]["config"]),
                               "loss": t["loss"], "loss_weights": None, "metrics": None, "weighted_metrics": None,
                               "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
    return c


def archive_cell_name(cls):
    """The name of the cell a Keras 3 recurrent layer builds (ConvLSTM names its cell
    conv_lstm_cell)."""
    return 'conv_lstm_cell' if cls.startswith('ConvLSTM') else CELL_BASE[KIND_OF_CLASS[cls]]


def keras_archive_vars(L):
    """(group path under the layer's own path, name attribute, arrays) for each vars group."""
    arrays = [a for _, a in L['weights']]
    if L['cls'] in RNN_CLASSES or L['cls'].startswith('ConvLSTM'):
        return [('vars', L['name'], []), ('cell/vars', archive_cell_name(L['cls']), arrays)]
    if L['cls'] == 'Bidirectional':
        out = [('vars', L['name'], [])]
        for half, key, ws in (('forward_layer', 'layer', arrays[:3]), ('backward_layer', 'backward_layer', arrays[3:])):
            inner = L['config'][key]
            out += [('%s/vars' % half, inner['config']['name'], []),
                    ('%s/cell/vars' % half, archive_cell_name(inner['class_name']), ws)]
        return out
    if L['cls'] == 'TimeDistributed' and 'inner' in L:
        inner = dict(cls=L['config']['layer']['class_name'], name=L['inner'].name, weights=[], inner=L['inner'])
        return [('vars', L['name'], [])] + [('layer/' + sub, attr, ws) for sub, attr, ws in keras_archive_vars(inner)]
    if L['cls'] == 'TimeDistributed':
        return [('vars', L['name'], []), ('layer/vars', L['config']['layer']['config']['name'], arrays)]
    if 'inner' in L:
        out, counts = [('vars', L['name'], [])], {}
        for inner in L['inner'].weight_layers():
            snake = to_snake_case(inner['cls'])
            k = counts.get(snake, 0)
            counts[snake] = k + 1
            out += [('layers/%s/%s' % (snake if k == 0 else '%s_%d' % (snake, k), sub), attr, ws)
                    for sub, attr, ws in keras_archive_vars(inner)]
        return out
    return [('vars', L['name'], arrays)]


KIND_OF_CLASS = {cls: kind for kind, cls in LAYER_CLASS.items()}


def keras_weights_bytes(m):
    buf = io.BytesIO()
    with h5py.File(buf, 'w') as f:
        f.create_group('vars').attrs['name'] = m.name
        counts = {}
        for L in m.weight_layers():
            snake = to_snake_case(L['cls'])
            k = counts.get(snake, 0)
            counts[snake] = k + 1
            base = 'layers/%s' % (snake if k == 0 else '%s_%d' % (snake, k))
            for sub, attr, arrays in keras_archive_vars(L):
                g = f.create_group('%s/%s' % (base, sub))
                g.attrs['name'] = attr
                for i, a in enumerate(arrays):
                    g.create_dataset(str(i), data=a.astype('<f4'))
        if m.compiled:
            g = f.create_group('optimizer/vars')
            g.attrs['name'] = 'adam'
            slots = [np.array(120, '<i8'), np.array(0.001, '<f4')]
            for L in m.weight_layers():
                for _, a in L['weights']:
                    slots += [np.zeros(a.shape, '<f4'), np.zeros(a.shape, '<f4')]
            for i, a in enumerate(slots):
                g.create_dataset(str(i), data=a)
    return buf.getvalue()


def write_keras_archive(path, m, deflate=False, zip64=False):
    """zip64: Python's zipfile with its ZIP64 threshold lowered to 64 bytes, so that it writes
    what it writes for an archive past 4 GB: ZIP64 extra fields with the sizes and offsets (the
    32-bit fields all ones) and the ZIP64 end of central directory record and locator."""
    limit = zipfile.ZIP64_LIMIT
    if zip64:
        zipfile.ZIP64_LIMIT = 64
    try:
        write_keras_members(path, m, deflate)
    finally:
        zipfile.ZIP64_LIMIT = limit


def write_keras_members(path, m, deflate, config=None):
    """config: the model's config.json, when not keras_archive_config(m)'s."""
    members = [('metadata.json', json.dumps({"keras_version": KERAS_ARCHIVE_VERSION,
                                             "date_saved": "2025-12-01@12:00:00"}).encode()),
               ('config.json', json.dumps(config or keras_archive_config(m)).encode()),
               ('model.weights.h5', keras_weights_bytes(m))]
    with zipfile.ZipFile(path, 'w') as z:
        for name, data in (sorted(members) if deflate else members):
            if deflate:
                zi = zipfile.ZipInfo(name, date_time=(2025, 12, 2, 9, 30, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o100644 << 16
                zi.create_version = 30
                mtime = 1764667800
                zi.extra = (struct.pack('<HHBI', 0x5455, 5, 1, mtime) +
                            struct.pack('<HHBBIBI', 0x7875, 11, 1, 4, 1000, 4, 1000))
            else:
                stamp = (1980, 1, 1, 0, 0, 0) if name.endswith('.json') else (2025, 12, 1, 12, 0, 0)
                zi = zipfile.ZipInfo(name, date_time=stamp)
                zi.external_attr = 0o600 << 16
            z.writestr(zi, data)


# ---------------------------------------------------------------------------------------------
# tf.keras 2.13 .keras archives (keras/saving/saving_lib.py of TF 2.13), written from a tfk2 model:
#   - config.json: the model's config as the .h5 model_config holds it; metadata.json gives
#     keras_version 2.13.1
#   - model.weights.h5: _save_state walks dir(model), skipping ATTR_SKIPLIST; the first attribute
#     that reaches the layers is the property _layer_checkpoint_dependencies, a dict that lists a
#     layer with weights twice ('layer_with_weights-k', then 'layer-i') and one without once;
#     _save_container_state names every entry <to_snake_case(class)>[_N], N counting the earlier
#     entries of that name, and saves a layer where it first meets it. So a layer's group is
#     _layer_checkpoint_dependencies/<snake>[_N] with N twice the earlier weighted layers of its
#     class; its variables at <group>/vars/<i>, an RNN's at <group>/cell/vars/<i>; a nested model's
#     layers the same way below its group, and a wrapper's inner layer at <group>/layer
# ---------------------------------------------------------------------------------------------
TF213_VERSION = '2.13.1'


def tf213_groups(f, model, base):
    counts = {}
    for L in model.weight_layers():
        snake = to_snake_case(L['cls'])
        k = counts.get(snake, 0)
        counts[snake] = k + (2 if L['weights'] else 1)
        g = '%s_layer_checkpoint_dependencies/%s' % (base, snake if k == 0 else '%s_%d' % (snake, k))
        f.create_group(g + '/vars')
        if 'inner' in L:
            tf213_groups(f, L['inner'], g + ('/layer/' if L['cls'] == 'TimeDistributed' else '/'))
            continue
        vs = f.create_group(g + '/cell/vars') if L['cls'] in RNN_CLASSES else f[g + '/vars']
        for i, w in enumerate(L['weights']):
            vs.create_dataset(str(i), data=w[-1].astype('<f4'))


def write_tf213_archive(path, m, cfg):
    buf = io.BytesIO()
    with h5py.File(buf, 'w') as f:
        f.create_group('vars')
        tf213_groups(f, m, '')
    members = [('metadata.json', json.dumps({"keras_version": TF213_VERSION, "date_saved": "2023-09-23@10:58:29"}).encode()),
               ('config.json', json.dumps(cfg).encode()),
               ('model.weights.h5', buf.getvalue())]
    with zipfile.ZipFile(path, 'w') as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(2023, 9, 23, 10, 58, 28)), data)


def read_back_keras(path):
    """A .keras archive read as a converter would: config.json, metadata.json's keras_version and
    each layer's weights found by class name, in Keras' variable order (own vars by index, then
    forward_layer, backward_layer, then other children by name)."""
    with zipfile.ZipFile(path) as z:
        cfg = json.loads(z.read('config.json'))
        kv = json.loads(z.read('metadata.json'))['keras_version']
        raw = z.read('model.weights.h5')
    layers = cfg['config']['layers']
    if cfg['class_name'] == 'Sequential':
        layers = [L for L in layers if L['class_name'] != 'InputLayer']
    order = {'forward_layer': 0, 'backward_layer': 1}

    def collect(g):
        out = []
        if 'vars' in g:
            out += [g['vars'][k] for k in sorted(g['vars'], key=int)]
        for k in sorted((k for k in g if k != 'vars'), key=lambda k: (order.get(k, 2), k)):
            out += collect(g[k])
        return out
    def owned(g, L, prefix):
        """A layer's datasets; a nested model's by its own layers, named '<inner layer>/...'."""
        if L['class_name'] == 'TimeDistributed' and L['config']['layer']['class_name'] in ('Sequential', 'Functional'):
            return owned(g['layer'], L['config']['layer'], prefix)
        if L['class_name'] not in ('Sequential', 'Functional'):
            return [(prefix + d.name if not prefix else prefix + d.name.lstrip('/'), d) for d in collect(g)]
        out, counts = [], {}
        for inner in L['config']['layers']:
            if L['class_name'] == 'Sequential' and inner['class_name'] == 'InputLayer':
                continue
            snake = to_snake_case(inner['class_name'])
            k = counts.get(snake, 0)
            counts[snake] = k + 1
            sub = 'layers/%s' % (snake if k == 0 else '%s_%d' % (snake, k))
            if sub in g:
                out += owned(g[sub], inner, inner['config']['name'] + '/')
        return out
    weights, counts = {}, {}
    with h5py.File(io.BytesIO(raw), 'r') as f:
        for L in layers:
            snake = to_snake_case(L['class_name'])
            k = counts.get(snake, 0)
            counts[snake] = k + 1
            g = f['layers/%s' % (snake if k == 0 else '%s_%d' % (snake, k))]
            weights[L['config']['name']] = [{"name": n, "shape": list(d.shape),
                                             "data": [float(v) for v in np.asarray(d[()], dtype='<f4').ravel()]}
                                            for n, d in owned(g, L, '')]
    return cfg, kv, weights


def k3_archive_models():
    return [
        ('keras_seq_lstm_lstm', lambda r: k3_archive_sequential(r, ('lstm', 'lstm')), dict(archive='stored')),
        ('keras_gru_bidi_gru', lambda r: k3_archive_functional(r), dict(archive='stored')),
        ('keras_deflate_rnn_lstm', lambda r: k3_archive_sequential(r, ('simple', 'lstm')), dict(archive='deflate')),
        ('keras_timedist_dense', k3_archive_timedist, dict(archive='stored')),
        ('keras_zip64_lstm_lstm', lambda r: k3_archive_sequential(r, ('lstm', 'lstm')), dict(archive='stored', zip64=True)),
        ('keras_zip64_deflate_gru', lambda r: k3_archive_functional(r), dict(archive='deflate', zip64=True)),
        ('keras_conv1d_transpose', kit_builder(mm_conv1d_transpose)[1], dict(archive='deflate')),
        ('keras_nested_reuse', k3_nested_reuse, dict(archive='stored')),
    ]


# ---------------------------------------------------------------------------------------------
# k1: Keras 1.2.2 (keras/engine/topology.py save_model, keras/layers/recurrent.py), imitating
# ../shared/corpus/keras/KonduitAI-dl4j-test-resources__modelimport_keras_weights_*_1.h5:
#   - root attrs keras_version, model_config, training_config (vlen ASCII), no backend;
#     /model_weights has layer_names only; layer_names and weight_names fixed-length NULLPAD
#   - Sequential config as a bare list of layers; the first carries batch_input_shape and
#     input_dtype; recurrent configs have output_dim, init, inner_init, activation,
#     inner_activation (hard_sigmoid), consume_less "cpu", input_dim/input_length
#   - consume_less "cpu" layers keep one weight per gate, named <layer>_<W|U|b>_<gate>, with ':0'
#     under the TensorFlow backend and without under Theano; LSTM gates in the order i, c, f, o,
#     GRU z, r, h, SimpleRNN W, U, b; Bidirectional prefixes forward_/backward_ and lists all
#     forward weights first
#   - GRU step (Keras 1.2.2 GRU.step, consume_less cpu/mem): z = σ(x_z + h·U_z),
#     r = σ(x_r + h·U_r), hh = act(x_h + (r * h)·U_h), h' = z * h + (1 - z) * hh: the reset
#     gate multiplies h before U_h, as reset_after=False does in Keras 2
# ---------------------------------------------------------------------------------------------
K1_VERSION = '1.2.2'
K1_GATES = {'lstm': 'icfo', 'gru': 'zrh'}
K1_TRAINING = {"optimizer_config": {"class_name": "Adam", "config": {
    "lr": 0.0010000000474974513, "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033, "decay": 0.0,
    "epsilon": 1e-08}}, "loss": "mse", "metrics": None, "sample_weight_mode": None, "loss_weights": None}


class K1Model:
    def __init__(self, backend='tensorflow'):
        self.backend = backend
        self.layers = []
        self.inputs = []
        self.outputs = []
        self.data_shapes = {}
        self.masked = {}
        self.data_fns = {}

    def wname(self, prefix, w):
        return '%s_%s%s' % (prefix, w, ':0' if self.backend == 'tensorflow' else '')

    def add(self, cls, config, weights=()):
        self.layers.append(dict(cls=cls, name=config['name'], config=config, weights=list(weights)))
        if not self.inputs:
            self.inputs.append(('%s_input' % config['name'], config['batch_input_shape']))
        self.outputs = [config['name']]
        return config['name']

    def config(self):
        return {"class_name": "Sequential",
                "config": [{"class_name": L['cls'], "config": L['config']} for L in self.layers]}


def k1_base(name, batch_input_shape=None, input_dtype='float32'):
    c = {"name": name, "trainable": True}
    if batch_input_shape is not None:
        c["batch_input_shape"] = batch_input_shape
        c["input_dtype"] = input_dtype
    return c


def k1_rnn_config(kind, name, units, return_sequences, input_dim, batch_input_shape=None):
    c = k1_base(name, batch_input_shape)
    c.update({"return_sequences": return_sequences, "go_backwards": False, "stateful": False, "unroll": False,
              "consume_less": "cpu", "input_dim": input_dim, "input_length": None, "output_dim": units,
              "init": "glorot_uniform", "inner_init": "orthogonal"})
    if kind == 'lstm':
        c["forget_bias_init"] = "one"
    c["activation"] = "tanh"
    if kind != 'simple':
        c["inner_activation"] = "hard_sigmoid"
    c.update({"W_regularizer": None, "U_regularizer": None, "b_regularizer": None, "dropout_W": 0.0, "dropout_U": 0.0})
    return c


def k1_weights(m, rng, kind, prefix, inp, units, scale=1.0):
    if kind == 'simple':
        return [(m.wname(prefix, 'W'), rnd(rng, (inp, units), scale)),
                (m.wname(prefix, 'U'), rnd(rng, (units, units), scale)),
                (m.wname(prefix, 'b'), rnd(rng, (units,), scale))]
    ws = []
    for g in K1_GATES[kind]:
        ws += [(m.wname(prefix, 'W_' + g), rnd(rng, (inp, units), scale)),
               (m.wname(prefix, 'U_' + g), rnd(rng, (units, units), scale)),
               (m.wname(prefix, 'b_' + g), rnd(rng, (units,), scale))]
    return ws


K1_NAME = {'simple': 'simplernn', 'gru': 'gru', 'lstm': 'lstm'}


def k1_single(rng, kind, return_sequences, seq=5, hid=4, dense=False, backend='tensorflow'):
    """Sequential([<kind>(hid, input_shape=(seq, INP)) [, Dense(INP)]])."""
    m = K1Model(backend)
    name = '%s_1' % K1_NAME[kind]
    m.add(LAYER_CLASS[kind], k1_rnn_config(kind, name, hid, return_sequences, INP, [None, seq, INP]),
          k1_weights(m, rng, kind, name, INP, hid))
    if dense:
        c = k1_base('dense_1')
        c.update({"output_dim": INP, "init": "glorot_uniform", "activation": "linear", "W_regularizer": None,
                  "b_regularizer": None, "activity_regularizer": None, "W_constraint": None, "b_constraint": None,
                  "bias": True, "input_dim": hid})
        m.add('Dense', c, [(m.wname('dense_1', 'W'), rnd(rng, (hid, INP))),
                           (m.wname('dense_1', 'b'), rnd(rng, (INP,)))])
    return m


def k1_embedding(rng, seq=6, hid=4):
    """Sequential([Embedding(VOCAB, EMB, input_length=seq), LSTM(hid, return_sequences=True)])."""
    m = K1Model()
    c = k1_base('embedding_1', [None, seq], 'int32')
    c.update({"input_dim": VOCAB, "output_dim": EMB, "init": "uniform", "input_length": seq, "mask_zero": False,
              "activity_regularizer": None, "W_regularizer": None, "W_constraint": None, "dropout": 0.0})
    m.add('Embedding', c, [(m.wname('embedding_1', 'W'), rnd(rng, (VOCAB, EMB), 1.0))])
    m.add('LSTM', k1_rnn_config('lstm', 'lstm_1', hid, True, EMB), k1_weights(m, rng, 'lstm', 'lstm_1', EMB, hid))
    m.data_fns[m.inputs[0][0]] = token_data
    return m


def k1_bidi(rng, kind, return_sequences, seq=5, hid=4):
    """Sequential([Bidirectional(<kind>(hid), input_shape=(seq, INP))]), merge_mode concat."""
    m = K1Model()
    inner = '%s_1' % K1_NAME[kind]
    c = k1_base('bidirectional_1', [None, seq, INP])
    c["layer"] = {"class_name": LAYER_CLASS[kind], "config": k1_rnn_config(kind, inner, hid, return_sequences, None)}
    c["merge_mode"] = "concat"
    m.add('Bidirectional', c, k1_weights(m, rng, kind, 'forward_' + inner, INP, hid) +
          k1_weights(m, rng, kind, 'backward_' + inner, INP, hid))
    return m


def k1_conv_config(name, nb_filter, filter_length, border_mode='valid', subsample_length=1, atrous_rate=None,
                   activation='linear', bias=True, batch_input_shape=None, input_dim=None):
    """Keras 1.2.2 Convolution1D.get_config (AtrousConvolution1D adds atrous_rate)."""
    c = k1_base(name, batch_input_shape)
    c.update({"nb_filter": nb_filter, "filter_length": filter_length, "init": "glorot_uniform", "activation": activation,
              "border_mode": border_mode, "subsample_length": subsample_length, "W_regularizer": None,
              "b_regularizer": None, "activity_regularizer": None, "W_constraint": None, "b_constraint": None,
              "bias": bias, "input_dim": input_dim, "input_length": None})
    if atrous_rate is not None:
        c["atrous_rate"] = atrous_rate
    return c


def k1_add_conv(m, rng, name, cin, nb_filter, filter_length, legacy=False, **kw):
    """A Convolution1D/AtrousConvolution1D with its W as Keras 1.2 keeps it, [k, 1, C, F], or as
    Keras 1.1 did, Theano-ordered [F, C, k, 1]."""
    cls = 'AtrousConvolution1D' if kw.get('atrous_rate') is not None else 'Convolution1D'
    W = rnd(rng, (filter_length, 1, cin, nb_filter))
    if legacy:
        W = np.ascontiguousarray(np.transpose(W, (3, 2, 0, 1)))
    ws = [(m.wname(name, 'W'), W)]
    if kw.get('bias', True):
        ws.append((m.wname(name, 'b'), rnd(rng, (nb_filter,))))
    return m.add(cls, k1_conv_config(name, nb_filter, filter_length, **kw), ws)


def k1_add_pool(m, name, cls, pool_length, stride=None, border_mode='valid'):
    c = k1_base(name)
    c.update({"stride": stride, "pool_length": pool_length, "border_mode": border_mode})
    return m.add(cls, c)


def k1_conv_rnn(rng, kind, convs, pools, seq=10, hid=4, backend='tensorflow', dense=True):
    """Sequential([Convolution1D ... (each followed by its pooling, if any), <kind>(hid)
    [, Dense(INP)]]), as the spectrogram models of Keras 1 were built."""
    m = K1Model(backend)
    cin = INP
    for i, (conv, pool) in enumerate(zip(convs, pools)):
        kw = dict(conv)
        nb, fl_len = kw.pop('nb_filter'), kw.pop('filter_length')
        base = 'atrousconvolution1d' if kw.get('atrous_rate') is not None else 'convolution1d'
        if i == 0:
            kw['batch_input_shape'] = [None, seq, INP]
        k1_add_conv(m, rng, '%s_%d' % (base, i + 1), cin, nb, fl_len, **kw)
        cin = nb
        if pool:
            cls, pkw = pool
            k1_add_pool(m, '%s_%d' % (cls.lower(), i + 1), cls, **pkw)
    name = '%s_1' % K1_NAME[kind]
    m.add(LAYER_CLASS[kind], k1_rnn_config(kind, name, hid, False, cin), k1_weights(m, rng, kind, name, cin, hid))
    if dense:
        c = k1_base('dense_1')
        c.update({"output_dim": INP, "init": "glorot_uniform", "activation": "linear", "W_regularizer": None,
                  "b_regularizer": None, "activity_regularizer": None, "W_constraint": None, "b_constraint": None,
                  "bias": True, "input_dim": hid})
        m.add('Dense', c, [(m.wname('dense_1', 'W'), rnd(rng, (hid, INP))), (m.wname('dense_1', 'b'), rnd(rng, (INP,)))])
    return m


def k1_conv2d_config(name, nb_filter, rows, cols, border_mode='valid', subsample=(1, 1), dim_ordering='tf', atrous_rate=None,
                     activation='linear', batch_input_shape=None):
    """Keras 1.2.2 Convolution2D.get_config (AtrousConvolution2D adds atrous_rate)."""
    c = k1_base(name, batch_input_shape)
    c.update({"nb_filter": nb_filter, "nb_row": rows, "nb_col": cols, "init": "glorot_uniform", "activation": activation,
              "border_mode": border_mode, "subsample": list(subsample), "dim_ordering": dim_ordering, "W_regularizer": None,
              "b_regularizer": None, "activity_regularizer": None, "W_constraint": None, "b_constraint": None, "bias": True})
    if atrous_rate is not None:
        c["atrous_rate"] = list(atrous_rate)
    return c


def k1_conv2d_model(rng, backend, dim_ordering, convs, pools, size=(7, 6), chans=2):
    """Sequential([Convolution2D/AtrousConvolution2D ... (each with its MaxPooling2D, if any),
    Flatten, Dense(INP)]) on images in dim_ordering; W is [F, C, rows, cols] for th, [rows, cols,
    C, F] for tf, as Keras 1.2 kept them."""
    m = K1Model(backend)
    th = dim_ordering == 'th'
    shape = [chans, size[0], size[1]] if th else [size[0], size[1], chans]
    cin, h, w = chans, size[0], size[1]
    for i, (conv, pool) in enumerate(zip(convs, pools)):
        kw = dict(conv)
        nb, r, c = kw.pop('nb_filter'), kw.pop('rows'), kw.pop('cols')
        base = 'atrousconvolution2d' if kw.get('atrous_rate') else 'convolution2d'
        name = '%s_%d' % (base, i + 1)
        cfg = k1_conv2d_config(name, nb, r, c, dim_ordering=dim_ordering, batch_input_shape=[None] + shape if i == 0 else None, **kw)
        W = rnd(rng, (nb, cin, r, c) if th else (r, c, cin, nb))
        m.add('AtrousConvolution2D' if kw.get('atrous_rate') else 'Convolution2D', cfg,
              [(m.wname(name, 'W'), W), (m.wname(name, 'b'), rnd(rng, (nb,)))])
        cin = nb
        if pool:
            pc = k1_base('maxpooling2d_%d' % (i + 1))
            pc.update(dict(pool, dim_ordering=dim_ordering))
            m.add('MaxPooling2D', pc)
    m.add('Flatten', k1_base('flatten_1'))
    return m


def k1_separable2d(rng, dim_ordering, nb_filter=3, rows=3, cols=2, mult=2, border_mode='valid', subsample=(1, 1),
                   size=(6, 5), chans=2):
    """Sequential([SeparableConvolution2D, Flatten, Dense(INP)]) of Keras 1.2.2 (TensorFlow backend
    only): depthwise kernel [M, C, rows, cols] and pointwise [F, C*M, 1, 1] for th, [rows, cols, C,
    M] and [1, 1, C*M, F] for tf (its build()); weights <name>_depthwise_kernel,
    <name>_pointwise_kernel, <name>_b."""
    m = K1Model('tensorflow')
    th = dim_ordering == 'th'
    shape = [chans, size[0], size[1]] if th else [size[0], size[1], chans]
    name = 'separableconvolution2d_1'
    c = k1_base(name, [None] + shape)
    c.update({"nb_filter": nb_filter, "nb_row": rows, "nb_col": cols, "init": "glorot_uniform", "activation": "relu",
              "border_mode": border_mode, "subsample": list(subsample), "depth_multiplier": mult,
              "dim_ordering": dim_ordering, "depthwise_regularizer": None, "pointwise_regularizer": None,
              "b_regularizer": None, "activity_regularizer": None, "depthwise_constraint": None,
              "pointwise_constraint": None, "b_constraint": None, "bias": True})
    dk = rnd(rng, (mult, chans, rows, cols) if th else (rows, cols, chans, mult))
    pk = rnd(rng, (nb_filter, chans * mult, 1, 1) if th else (1, 1, chans * mult, nb_filter))
    m.add('SeparableConvolution2D', c, [(m.wname(name, 'depthwise_kernel'), dk), (m.wname(name, 'pointwise_kernel'), pk),
                                        (m.wname(name, 'b'), rnd(rng, (nb_filter,)))])
    m.add('Flatten', k1_base('flatten_1'))
    ho = size[0] if border_mode == 'same' else size[0] - rows + 1
    wo = size[1] if border_mode == 'same' else size[1] - cols + 1
    ho, wo = -(-ho // subsample[0]), -(-wo // subsample[1])
    return k1_conv2d_dense(m, rng, ho * wo * nb_filter)


def k1_conv2d_dense(m, rng, features):
    c = k1_base('dense_1')
    c.update({"output_dim": INP, "init": "glorot_uniform", "activation": "linear", "W_regularizer": None,
              "b_regularizer": None, "activity_regularizer": None, "W_constraint": None, "b_constraint": None,
              "bias": True, "input_dim": features})
    m.add('Dense', c, [(m.wname('dense_1', 'W'), rnd(rng, (features, INP), 0.3)), (m.wname('dense_1', 'b'), rnd(rng, (INP,)))])
    return m


def k1_input_dim(rng, seq=5, hid=4):
    """Sequential([LSTM(hid, input_dim=INP), Dense(INP)]) as a config that gives input_dim and
    input_length but no batch_input_shape (older Keras 1 writers and hand-written configs)."""
    m = k1_single(rng, 'lstm', False, seq=seq, hid=hid, dense=True)
    c = m.layers[0]['config']
    del c['batch_input_shape'], c['input_dtype']
    c['input_length'] = None
    m.data_shapes[m.inputs[0][0]] = [BATCH, seq, INP]
    m.inputs[0] = (m.inputs[0][0], [None, None, INP])
    return m


class K1Functional(K1Model):
    """A Keras 1.2 functional Model: layers with inbound_nodes [[[name, 0, 0], ...]]."""
    def __init__(self, backend='tensorflow'):
        K1Model.__init__(self, backend)
        self.inbound = {}

    def input(self, name, batch_input_shape):
        self.layers.append(dict(cls='InputLayer', name=name, weights=[], config={
            "batch_input_shape": batch_input_shape, "input_dtype": "float32", "sparse": False, "name": name}))
        self.inputs.append((name, batch_input_shape))
        return name

    def call(self, cls, config, inbound, weights=()):
        self.layers.append(dict(cls=cls, name=config['name'], config=config, weights=list(weights)))
        self.inbound[config['name']] = inbound
        return config['name']

    def config(self):
        return {"class_name": "Model", "config": {
            "name": "model_1",
            "layers": [{"class_name": L['cls'], "config": L['config'], "name": L['name'],
                        "inbound_nodes": [[[src, 0, 0] for src in self.inbound[L['name']]]] if L['name'] in self.inbound else []}
                       for L in self.layers],
            "input_layers": [[n, 0, 0] for n, _ in self.inputs],
            "output_layers": [[n, 0, 0] for n in self.outputs]}}


def k1_merge_config(name, mode, concat_axis=-1, dot_axes=-1):
    """Keras 1.2 Merge.get_config of merge([...], mode=mode): dot_axes as _arguments_validation
    leaves it (a pair for dot and cos)."""
    return {"name": name, "mode": mode, "mode_type": "raw", "concat_axis": concat_axis, "dot_axes": dot_axes,
            "output_shape": None, "output_shape_type": "raw", "output_mask": None, "output_mask_type": "raw",
            "arguments": {}}


def k1_merge(rng, return_sequences, modes, seq=5, hid=4):
    """Input -> two LSTM(hid) -> merge(..., mode=m) for each (mode, concat_axis, dot_axes)."""
    m = K1Functional()
    x = m.input('input_1', [None, seq, INP])
    lstms = []
    for i in (1, 2):
        name = 'lstm_%d' % i
        lstms.append(m.call('LSTM', k1_rnn_config('lstm', name, hid, return_sequences, INP), [x],
                            k1_weights(m, rng, 'lstm', name, INP, hid)))
    outs = []
    for i, (mode, axis, dot_axes) in enumerate(modes):
        outs.append(m.call('Merge', k1_merge_config('merge_%d' % (i + 1), mode, axis, dot_axes), lstms))
    m.outputs = outs
    return m


def k1_highway_maxout(rng, seq=5, hid=4, bias=True):
    """Sequential([LSTM(hid), Highway(activation='relu'), MaxoutDense(3, nb_feature=4), Dense(INP)])
    with Keras 1.2's weights: Highway W, W_carry, b, b_carry; MaxoutDense W [K, D, O], b [K, O]."""
    m = k1_single(rng, 'lstm', False, seq=seq, hid=hid)
    c = k1_base('highway_1')
    c.update({"init": "glorot_uniform", "activation": "relu", "W_regularizer": None, "b_regularizer": None,
              "activity_regularizer": None, "W_constraint": None, "b_constraint": None, "bias": bias, "input_dim": hid})
    ws = [(m.wname('highway_1', 'W'), rnd(rng, (hid, hid), 1.0)), (m.wname('highway_1', 'W_carry'), rnd(rng, (hid, hid), 1.0))]
    if bias:
        ws += [(m.wname('highway_1', 'b'), rnd(rng, (hid,))), (m.wname('highway_1', 'b_carry'), rnd(rng, (hid,)))]
    m.add('Highway', c, ws)
    c = k1_base('maxoutdense_1')
    c.update({"output_dim": 3, "init": "glorot_uniform", "nb_feature": 4, "W_regularizer": None, "b_regularizer": None,
              "activity_regularizer": None, "W_constraint": None, "b_constraint": None, "bias": bias, "input_dim": hid})
    ws = [(m.wname('maxoutdense_1', 'W'), rnd(rng, (4, hid, 3), 1.0))]
    if bias:
        ws.append((m.wname('maxoutdense_1', 'b'), rnd(rng, (4, 3))))
    m.add('MaxoutDense', c, ws)
    return m


class K1Merged(K1Model):
    """A Keras 1.2 Sequential whose first layer is a Merge of models (Merge([model_a, model_b],
    mode=...)): Sequential.get_config writes the models' configs under the Merge's "layers", and
    flattened_layers, what save_weights lists in layer_names, is the models' layers depth first,
    then the layers after the Merge (not the Merge itself)."""
    def __init__(self, models, merge_config, backend='tensorflow'):
        K1Model.__init__(self, backend)
        self.models, self.merge = models, merge_config
        for b in models:
            self.layers += b.layers
            self.inputs += b.inputs
            self.data_shapes.update(b.data_shapes)
        self.nmerged = len(self.layers)
        self.outputs = [merge_config['name']]

    def config(self):
        merge = dict(self.merge, layers=[b.config() for b in self.models])
        return {"class_name": "Sequential", "config": [{"class_name": "Merge", "config": merge}] +
                [{"class_name": L['cls'], "config": L['config']} for L in self.layers[self.nmerged:]]}


def k1_dense(m, rng, name, inp, out, activation='linear'):
    c = k1_base(name)
    c.update({"output_dim": out, "init": "glorot_uniform", "activation": activation, "W_regularizer": None,
              "b_regularizer": None, "activity_regularizer": None, "W_constraint": None, "b_constraint": None,
              "bias": True, "input_dim": inp})
    m.add('Dense', c, [(m.wname(name, 'W'), rnd(rng, (inp, out))), (m.wname(name, 'b'), rnd(rng, (out,)))])


def k1_rnn_model(rng, kind, name, hid, return_sequences, seq, feat, backend):
    """Sequential([<kind>(hid, input_shape=(seq, feat))]), a model to merge."""
    m = K1Model(backend)
    m.add(LAYER_CLASS[kind], k1_rnn_config(kind, name, hid, return_sequences, feat, [None, seq, feat]),
          k1_weights(m, rng, kind, name, feat, hid))
    return m


def k1_merged_concat(rng, seq=5):
    """Sequential([Merge([Sequential([LSTM(4)]), Sequential([GRU(3), Dense(2, tanh)])],
    mode='concat'), Dense(INP)]): two inputs of different widths."""
    a = k1_rnn_model(rng, 'lstm', 'lstm_1', 4, False, seq, INP, 'tensorflow')
    b = k1_rnn_model(rng, 'gru', 'gru_1', 3, False, seq, 3, 'tensorflow')
    k1_dense(b, rng, 'dense_1', 3, 2, 'tanh')
    m = K1Merged([a, b], k1_merge_config('merge_1', 'concat'))
    k1_dense(m, rng, 'dense_2', 4 + 2, INP)
    return m


def k1_merged_nested_th(rng, seq=5, hid=4):
    """Theano: Sequential([Merge([Sequential([Merge([Sequential([SimpleRNN(hid, seq)]),
    Sequential([LSTM(hid, seq)])], mode='sum'), LSTM(hid)]), Sequential([GRU(hid)])], mode='mul'),
    Dense(INP)]): a merged model that itself starts with a Merge of models."""
    r = k1_rnn_model(rng, 'simple', 'simplernn_1', hid, True, seq, INP, 'theano')
    lstm = k1_rnn_model(rng, 'lstm', 'lstm_1', hid, True, seq, 2, 'theano')
    inner = K1Merged([r, lstm], k1_merge_config('merge_1', 'sum'), 'theano')
    inner.add('LSTM', k1_rnn_config('lstm', 'lstm_2', hid, False, hid), k1_weights(inner, rng, 'lstm', 'lstm_2', hid, hid))
    g = k1_rnn_model(rng, 'gru', 'gru_1', hid, False, seq, 3, 'theano')
    m = K1Merged([inner, g], k1_merge_config('merge_2', 'mul'), 'theano')
    k1_dense(m, rng, 'dense_1', hid, INP)
    return m


def write_h5_k1(path, m):
    fl = Flavour('k22')          # the same fixed-length name lists
    with h5py.File(path, 'w') as f:
        put_str(f, 'keras_version', K1_VERSION)
        put_str(f, 'model_config', json.dumps(m.config()))
        mw = f.create_group('model_weights')
        put_names(mw, 'layer_names', [L['name'] for L in m.layers], fl)
        for L in m.layers:
            g = mw.create_group(L['name'])
            put_names(g, 'weight_names', [n for n, _ in L['weights']], fl)
            for n, a in L['weights']:
                g.create_dataset(n, data=a.astype('<f4'))
        put_str(f, 'training_config', json.dumps(K1_TRAINING))


def k1_models():
    """(tag, builder(rng), kw) of the Keras 1.2.2 fixtures; numpy is the reference (Keras 1 math),
    tfjs checks it on the same model in Keras 2 form."""
    return [
        ('lstm_last', lambda r: k1_single(r, 'lstm', False), {}),
        ('gru_seq', lambda r: k1_single(r, 'gru', True), {}),
        ('gru_dense_th', lambda r: k1_single(r, 'gru', False, dense=True, backend='theano'), {}),
        ('rnn_seq', lambda r: k1_single(r, 'simple', True), {}),
        ('emb_lstm_seq', k1_embedding, {}),
        ('bidi_lstm_seq', lambda r: k1_bidi(r, 'lstm', True), {}),
        ('bidi_gru_last', lambda r: k1_bidi(r, 'gru', False), {}),
        ('conv_pool_lstm', lambda r: k1_conv_rnn(r, 'lstm', [dict(nb_filter=4, filter_length=3, activation='relu')],
                                                 [('MaxPooling1D', dict(pool_length=2))]), {}),
        ('conv_same_th_gru', lambda r: k1_conv_rnn(r, 'gru', [dict(nb_filter=3, filter_length=4, border_mode='same'),
                                                              dict(nb_filter=4, filter_length=3, border_mode='same', activation='tanh')],
                                                   [('AveragePooling1D', dict(pool_length=3, stride=1)), None],
                                                   backend='theano'), {}),
        ('atrous_same_rnn', lambda r: k1_conv_rnn(r, 'simple', [dict(nb_filter=3, filter_length=3, border_mode='same', atrous_rate=2),
                                                                dict(nb_filter=4, filter_length=2, border_mode='same', subsample_length=2)],
                                                  [('MaxPooling1D', dict(pool_length=3, stride=2, border_mode='same')), None], seq=11), {}),
        ('conv_legacy_lstm', lambda r: k1_conv_rnn(r, 'lstm', [dict(nb_filter=3, filter_length=2, subsample_length=2, legacy=True,
                                                                    bias=False)], [None], backend='theano'), {}),
        ('input_dim_lstm', k1_input_dim, {}),
        # th ordering on Theano: kernels reversed, 'same' padded half on both sides (an even kernel cut)
        ('conv2d_th', lambda r: k1_conv2d_dense(k1_conv2d_model(
            r, 'theano', 'th', [dict(nb_filter=3, rows=3, cols=3, border_mode='same', activation='relu'),
                                dict(nb_filter=2, rows=2, cols=2, border_mode='same')],
            [dict(pool_size=[2, 2], strides=[2, 2], border_mode='valid'), None]), r, 2 * 3 * 3), {}),
        ('conv2d_th_valid', lambda r: k1_conv2d_dense(k1_conv2d_model(
            r, 'theano', 'th', [dict(nb_filter=3, rows=3, cols=2, subsample=(1, 2))],
            [dict(pool_size=[2, 2], strides=[1, 1], border_mode='valid')]), r, 3 * 4 * 2), {}),
        ('conv2d_tf', lambda r: k1_conv2d_dense(k1_conv2d_model(
            r, 'tensorflow', 'tf', [dict(nb_filter=4, rows=3, cols=2, subsample=(2, 1)),
                                    dict(nb_filter=3, rows=2, cols=2, border_mode='same', atrous_rate=(2, 2))],
            [None, dict(pool_size=[2, 2], strides=[1, 1], border_mode='same')]), r, 3 * 5 * 3), {}),
        ('sepconv2d_tf', lambda r: k1_separable2d(r, 'tf', subsample=(2, 1)), {}),
        ('sepconv2d_th', lambda r: k1_separable2d(r, 'th', mult=1, border_mode='same'), {}),
        ('merge_last', lambda r: k1_merge(r, False, [('sum', -1, -1), ('mul', -1, -1), ('ave', -1, -1), ('max', -1, -1),
                                                     ('concat', -1, -1), ('dot', -1, [1, 1]), ('cos', -1, [1, 1])]), {}),
        ('highway_maxout', k1_highway_maxout, {}),
        ('highway_maxout_nobias', lambda r: k1_highway_maxout(r, bias=False), {}),
        ('merge_seq', lambda r: k1_merge(r, True, [('concat', 1, -1), ('concat', 2, -1), ('dot', -1, [2, 2]),
                                                   ('dot', -1, [1, 1]), ('sum', -1, -1)]), {}),
        ('merged_models_concat', k1_merged_concat, {}),
        ('merged_models_nested_th', k1_merged_nested_th, {}),
    ]


# Corpus models with a GRU reset_after=True and a reference computed outside tfjs (see
# ../shared/corpus/ref/INDEX.tsv): ref_tfjs.js runs its tfjs-ops GRU on them and compares, which
# checks the reset_after=True formula it uses for our fixtures.
CORPUS_GRU_CHECKS = [
    'keras/Rajeevydvv-Stock-Price-Forecasting-RNN-LSTM-GRU__gru_model.h5',            # Keras 3.13, bias (2,3H)
    'keras/Dobiasd-frugally-deep__test_stateful_test_temp_stateless__at52fc9082.h5',  # 2.2.4-tf, initial state
]


def corpus_checks(corpus, work):
    n = 0
    for rel in CORPUS_GRU_CHECKS:
        h5 = os.path.join(corpus, rel)
        refdir = os.path.join(corpus, 'ref', os.path.basename(rel))
        if not (os.path.exists(h5) and os.path.exists(os.path.join(refdir, 'out_0.npy'))):
            continue
        cfg, kv, weights = read_back(h5)
        k = 0
        inputs = []
        while os.path.exists(os.path.join(refdir, 'in_%d.npy' % k)):
            a = np.load(os.path.join(refdir, 'in_%d.npy' % k)).astype('<f4')
            inputs.append({"name": "in_%d" % k, "shape": list(a.shape), "data": [float(v) for v in a.ravel()]})
            k += 1
        expected = []
        k = 0
        while os.path.exists(os.path.join(refdir, 'out_%d.npy' % k)):
            a = np.load(os.path.join(refdir, 'out_%d.npy' % k)).astype('<f4')
            expected.append({"shape": list(a.shape), "data": [float(v) for v in a.ravel()]})
            k += 1
        with open(os.path.join(work, 'corpus_check_%d.work.json' % n), 'w') as f:
            json.dump({"file": rel, "check_only": True, "keras_version": kv, "model_config": cfg,
                       "weights": weights, "inputs": inputs, "expected": expected}, f)
        n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--outdir', default=os.path.join(here, 'fixtures'))
    ap.add_argument('--workdir', default=None, help='where the .work.json files go (default <outdir>/_work)')
    ap.add_argument('--corpus', default=os.path.join(here, '..', '..', 'shared', 'corpus'),
                    help='corpus for the GRU reset_after=True cross-check (skipped if absent)')
    args = ap.parse_args()
    out = args.outdir
    work = args.workdir or os.path.join(out, '_work')
    os.makedirs(out, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    names = []
    jobs = [(flav, tag, fn, opsets, kw) for flav in ('k22', 'tfk2') for tag, fn, opsets, kw in model_list()
            if kw.get('only', flav) == flav]      # the other flavour's default already covers it
    jobs += [('k3', tag, fn, kw.get('opsets', [None]), kw) for tag, fn, kw in k3_models()]
    jobs += [('k1', tag, fn, [None], kw) for tag, fn, kw in k1_models()]
    import gen_fixtures_attn            # attention layers and convolutional LSTMs, own writers
    jobs += gen_fixtures_attn.jobs()
    for flav, tag, fn, opsets, kw in jobs:
        name = '%s_%s' % (flav, tag)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        fname = name + ('.keras' if kw.get('archive') else '.h5')
        path = os.path.join(out, fname)
        if 'write' in kw:
            m = fn(rng)
            kw['write'](path, m)
        elif flav == 'k1':
            m = fn(rng)
            write_h5_k1(path, m)
        elif flav == 'k3':
            m = fn(rng)
            if kw.get('archive'):
                write_keras_archive(path, m, deflate=kw['archive'] == 'deflate', zip64=kw.get('zip64', False))
            else:
                write_h5_k3(path, m)
        else:
            fl = Flavour(flav)
            m = fn(fl, rng)
            if kw.get('floatx'):
                m = with_floatx(m, kw['floatx'])
            model_name = ('sequential_1' if fl.k22 else 'sequential') if m.sequential else \
                         ('model_1' if fl.k22 else 'model')
            h5 = path + '.h5' if kw.get('tf213') else path
            write_h5(h5, m, fl, model_name, big_endian=kw.get('big_endian', False),
                     optimizer=kw.get('optimizer', False), split_names=kw.get('split_names', ()),
                     floatx=kw.get('floatx', 'float32'))
        if kw.get('tf213'):
            # the weights and config as the .h5 of the same model holds them, then the archive
            cfg, kv, weights = read_back(h5)
            os.remove(h5)
            write_tf213_archive(path, m, cfg)
        else:
            cfg, kv, weights = read_back_keras(path) if kw.get('archive') else read_back(path)
        inputs = []
        for in_name, bshape in m.inputs:
            shape = m.data_shapes.get(in_name) or [BATCH if d is None else d for d in bshape]
            if in_name in m.data_fns:
                data = m.data_fns[in_name](rng, shape)
            else:
                data = rnd(rng, shape, scale=1.0)
            if in_name in m.masked:
                data = mask_steps(data, *m.masked[in_name])
            if kw.get('floatx') == 'float16':
                data = data.astype(np.float16).astype(np.float64)
            inputs.append({"name": in_name, "shape": shape, "data": [float(v) for v in data.ravel()]})
        extra = {k: kw[k] for k in ('expect_ops', 'forbid_ops') if k in kw}
        with open(os.path.join(work, name + '.work.json'), 'w') as f:
            json.dump(dict({"file": fname, "opsets": opsets, "keras_version": kv,
                            "model_config": cfg, "weights": weights, "inputs": inputs}, **extra), f)
        names.append(name)
    nc = corpus_checks(args.corpus, work) if os.path.isdir(args.corpus) else 0
    print('wrote %d fixtures to %s (+%d corpus cross-check inputs in %s)' % (len(names), out, nc, work))
    return 0


if __name__ == '__main__':
    sys.exit(main())
