#!/usr/bin/env node
// Reference outputs for the k2onnx fixtures, computed with tfjs-layers (the JS port of Keras), or
// with tests/ref_numpy.py where tfjs lacks a feature.
//
//   node tests/ref_tfjs.js [workdir] [outdir]
//        workdir: where tests/gen_fixtures.py left <name>.work.json (default tests/fixtures/_work)
//        outdir:  where <name>.ref.json goes (default tests/fixtures)
//   node tests/ref_tfjs.js --selftest
//        checks tfjs' hard_sigmoid against Keras 2's clip(0.2x + 0.5, 0, 1) and exits.
//
// Each .work.json holds what gen_fixtures.py read back from the .h5 (or .keras archive) with h5py:
// the Keras model_config, the weights (by layer_names / weight_names order) and seeded inputs.
//
// Up to three independent computations per fixture:
//   A "tfjs-layers": tf.models.modelFromJSON(<Keras model_config>) — the Keras-2 topology,
//     including RNN initial states passed as extra inbound tensors — then setWeights() per layer
//     and model.predict(). This is the reference wherever tfjs can build the model.
//   B "tfjs-ops": a small interpreter of the same config that evaluates every layer with tfjs
//     ops (tf.matMul, tf.sigmoid, ...) following the Keras 2 / tf.keras cell formulas
//     (keras/layers/recurrent.py: SimpleRNNCell, GRUCell with reset_after False and True,
//     LSTMCell; Dense; Activation; Embedding; RepeatVector, Flatten, Reshape, Permute; Masking
//     and masked steps; go_backwards; Bidirectional merged by concat/sum/ave/mul), for chains of
//     those layers only (it refuses return_state, time_major, Bidirectional initial states and
//     stacked cells; moreLayerOp adds the advanced activation layers, the identity-at-inference
//     layers, Cropping1D/ZeroPadding1D/UpSampling1D, Conv1D channels_first, SeparableConv1D,
//     BatchNormalization over axis 1 or on 2-D tensors, Dot, and TimeDistributed around Conv1D,
//     Flatten and recurrent layers; a model used as a layer, called once, runs as a graph of its
//     own, its weights split among its layers by name; initial states passed as tf.keras
//     initial_state keyword tensors follow the inputs). Its activations are written out with
//     tfjs ops (gelu through tf.erf, mish, leaky_relu 0.2, log_sigmoid, tanh_shrink, Keras 3
//     hard_sigmoid and hard_silu), so it checks the numpy formulas also for the activations
//     tfjs-layers does not have.
//     tfjs-layers has no GRU reset_after=True (GRUCell throws), so for models with such a GRU
//     that B runs, B is the reference; on every other model B runs it is compared with A,
//     which checks the hand-written step formulas against tfjs' own GRU/LSTM/SimpleRNN.
//   Keras GRU, reset_after=True (tf.keras GRUCell.call, the reference used here):
//     mx = x·kernel + bias[0]          (bias has shape (2, 3H): [input bias; recurrent bias])
//     mh = h·recurrent_kernel + bias[1]
//     z = rec_act(mx_z + mh_z);  r = rec_act(mx_r + mh_r)
//     hh = act(mx_h + r ⊙ mh_h);  h' = z ⊙ h + (1 − z) ⊙ hh
//   reset_after=False: hh = act(x·K_h + b_h + (r ⊙ h)·R_h), otherwise the same.
//   C "numpy": tests/ref_numpy.py, run first by make_fixtures.sh, leaves <name>.numpy.json next to
//     each .work.json: the same model in float64 numpy. It is the reference where tfjs lacks a
//     feature the model uses (tfjsGaps below, or a GRU reset_after=True model that B cannot run)
//     or runs it only in an adapted form (tfjsAdaptation: then A on the adapted model is the
//     cross-check), and a cross-check of A or B everywhere else.
//   Keras 3 files (keras_version 3.x, .h5 or .keras): numpy is the reference; A and B run on the
//     same model written as a Keras 2 config (fromKeras3) and cross-check it; A not where the
//     model uses an activation tfjs-layers lacks (the Keras 3 hard_sigmoid, relu6(x + 3) / 6,
//     among them) or a GRU reset_after=True.
//   Keras 1 files (keras_version 1.x): the same, on the Keras 2 form fromKeras1 writes (units,
//     recurrent_activation, per-gate weights joined in Keras 2 gate order).
//   Masks: tfjs-layers follows standalone Keras 2.2, without zero_output_for_mask. For tf.keras
//     and Keras 3 files a masked Bidirectional that returns sequences is zero-filled at masked
//     steps, so numpy is the reference there and tfjs-layers checks it with its output zeroed.
// The reference written to <name>.ref.json says which method produced it ("reference") and how
// far the others are from it ("crosscheck"). The script fails if A and B differ by more than
// 1e-5, or numpy and the tfjs reference by more than 1e-5 + 1e-5·|y| anywhere.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const ATTN = require('./ref_tfjs_attn');   // attention layers and ConvLSTM1D/2D in the tfjs-ops interpreter

const ROOT = path.resolve(__dirname, '..');
const TOL = 1e-5;

// ----------------------------------------------------------------------------------------------
// B: interpreter with tfjs ops
// ----------------------------------------------------------------------------------------------
// keras3: hard_sigmoid is relu6(x + 3) / 6 (and hard_silu exists), not Keras 1/2's 0.2x + 0.5
function activation(name, x, keras3) {
  switch (name) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'hard_sigmoid':
      return keras3 ? tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1) : tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'softmax': return tf.softmax(x, -1);
    case 'log_softmax': return tf.logSoftmax(x, -1);
    case 'elu': return tf.elu(x);
    case 'selu': return tf.selu(x);
    case 'softplus': return tf.softplus(x);
    case 'softsign': return tf.div(x, tf.add(1, tf.abs(x)));
    case 'exponential': return tf.exp(x);
    case 'swish': case 'silu': return tf.mul(x, tf.sigmoid(x));
    case 'gelu': return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));   // the exact form
    case 'mish': return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'leaky_relu': return tf.leakyRelu(x, 0.2);   // Keras 3's default negative_slope
    case 'log_sigmoid': return tf.logSigmoid(x);
    case 'tanh_shrink': return tf.sub(x, tf.tanh(x));
    // Keras 3 keras.ops.nn, default parameters
    case 'celu': return tf.elu(x);   // alpha 1
    case 'hard_tanh': return tf.clipByValue(x, -1, 1);
    case 'hard_shrink': return tf.where(tf.greater(tf.abs(x), 0.5), x, tf.zerosLike(x));
    case 'soft_shrink':
      return tf.where(tf.greater(x, 0.5), tf.sub(x, 0.5), tf.where(tf.less(x, -0.5), tf.add(x, 0.5), tf.zerosLike(x)));
    case 'sparse_plus':
      return tf.where(tf.lessEqual(x, -1), tf.zerosLike(x), tf.where(tf.greaterEqual(x, 1), x, tf.mul(0.25, tf.square(tf.add(x, 1)))));
    case 'squareplus': return tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2);
    case 'sparse_sigmoid':
      return tf.where(tf.lessEqual(x, -1), tf.zerosLike(x), tf.where(tf.greaterEqual(x, 1), tf.onesLike(x), tf.mul(0.5, tf.add(x, 1))));
    case 'glu': { const [a, b] = tf.split(x, 2, -1); return tf.mul(a, tf.sigmoid(b)); }
    case 'sparsemax': {   // Keras 3's formula: sort, prefix sums, tau from the sum of the support's prefix sums
      const D = x.shape[x.shape.length - 1];
      const z = tf.topk(x, D).values, cs = tf.cumsum(z, x.shape.length - 1);
      const support = tf.greater(tf.sub(z, tf.div(tf.sub(cs, 1), tf.range(1, D + 1))), 0);
      const k = tf.sum(tf.cast(support, 'float32'), -1, true);
      const tau = tf.div(tf.sub(tf.sum(tf.where(support, cs, tf.zerosLike(cs)), -1, true), 1), k);
      return tf.maximum(tf.sub(x, tau), 0);
    }
    case 'hard_silu': case 'hard_swish':
      if (!keras3) throw new Error(`activation ${name} before Keras 3`);
      return tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1));
    default: throw new Error(`activation ${name} not in the reference interpreter`);
  }
}

function denseOp(cfg, w, x, keras3) {
  const [kernel, bias] = w;
  const shp = x.shape;
  const x2 = x.reshape([-1, shp[shp.length - 1]]);
  let y = tf.matMul(x2, kernel);
  if (cfg.use_bias !== false) y = tf.add(y, bias);
  y = y.reshape(shp.slice(0, -1).concat([kernel.shape[1]]));
  return activation(cfg.activation, y, keras3);
}

// tfjs' conv1d has neither causal padding (left-pad, then valid) nor groups (one conv per
// block of channels and filters); 'same' puts the odd element on the right as TensorFlow does.
function conv1dOp(cfg, w, x) {
  const [kernel, bias] = w;
  const groups = cfg.groups || 1;
  const s = cfg.strides[0], d = cfg.dilation_rate[0];
  let pad = cfg.padding;
  if (pad === 'causal') {
    x = tf.pad(x, [[0, 0], [d * (kernel.shape[0] - 1), 0], [0, 0]]);
    pad = 'valid';
  }
  const xs = groups > 1 ? tf.split(x, groups, 2) : [x];
  const ks = groups > 1 ? tf.split(kernel, groups, 2) : [kernel];
  const ys = xs.map((xg, g) => tf.conv1d(xg, ks[g], s, pad, 'NWC', d));
  let y = ys.length > 1 ? tf.concat(ys, 2) : ys[0];
  if (cfg.use_bias !== false) y = tf.add(y, bias);
  return y;
}

const MERGE_OPS = {
  Add: (xs) => tf.addN(xs),
  Subtract: (xs) => tf.sub(xs[0], xs[1]),
  Multiply: (xs) => xs.slice(1).reduce((a, b) => tf.mul(a, b), xs[0]),
  Average: (xs) => tf.div(tf.addN(xs), xs.length),
  Maximum: (xs) => xs.slice(1).reduce((a, b) => tf.maximum(a, b), xs[0]),
  Minimum: (xs) => xs.slice(1).reduce((a, b) => tf.minimum(a, b), xs[0]),
};

// split the last axis into n equal blocks
function blocks(t, n) { return tf.split(t, n, t.shape.length - 1); }

// mask: [batch, time] booleans (true where the step counts) or null. A masked step keeps the
// states and outputs the previous output (zeros before the first one), or zeros with
// zero_output_for_mask, as tf.keras and Keras 3 do; Keras 2.2's states[0] is the same for these
// cells as long as the initial state is zero.
function recurrentOp(kind, cfg, w, x, initial, mask, keras3) {
  const H = cfg.units;
  const actName = cfg.activation;
  const ractName = cfg.recurrent_activation;
  const act = (n, v) => activation(n, v, keras3);
  const [kernel, rec] = w;
  const useBias = cfg.use_bias !== false;
  const bias = useBias ? w[2] : null;
  const N = x.shape[0];
  const T = x.shape[1];
  for (const opt of ['return_state', 'time_major', 'stateful']) {
    if (cfg[opt]) throw new Error(`${opt} not in the reference interpreter`);
  }
  const nStates = kind === 'lstm' ? 2 : 1;
  let states = initial && initial.length ? initial.slice() : [];
  while (states.length < nStates) states.push(tf.zeros([N, H]));
  const outs = [];
  let prev = tf.zeros([N, H]);
  for (let step = 0; step < T; step++) {
    const t = cfg.go_backwards ? T - 1 - step : step;
    const xt = x.slice([0, t, 0], [N, 1, x.shape[2]]).reshape([N, x.shape[2]]);
    const h = states[0];
    const old = states;
    if (kind === 'simple') {
      let z = tf.add(tf.matMul(xt, kernel), tf.matMul(h, rec));
      if (useBias) z = tf.add(z, bias);
      states = [act(actName, z)];
    } else if (kind === 'lstm') {
      let z = tf.add(tf.matMul(xt, kernel), tf.matMul(h, rec));
      if (useBias) z = tf.add(z, bias);
      const [zi, zf, zc, zo] = blocks(z, 4);
      const i = act(ractName, zi), f = act(ractName, zf), o = act(ractName, zo);
      const c = tf.add(tf.mul(f, states[1]), tf.mul(i, act(actName, zc)));
      states = [tf.mul(o, act(actName, c)), c];
    } else if (kind === 'gru') {
      const [kz, kr, kh] = blocks(kernel, 3);
      const [rz, rr, rh] = blocks(rec, 3);
      let z, r, hh;
      if (cfg.reset_after) {
        let bi = null, br = null;
        if (useBias) {
          if (bias.shape.length === 2) {
            [bi, br] = tf.split(bias, 2, 0).map((b) => b.reshape([3 * H]));
          } else { bi = bias; br = tf.zeros([3 * H]); }
        }
        let mx = tf.matMul(xt, kernel);
        let mh = tf.matMul(h, rec);
        if (useBias) { mx = tf.add(mx, bi); mh = tf.add(mh, br); }
        const [xz, xr, xh] = blocks(mx, 3);
        const [hz, hr, hhh] = blocks(mh, 3);
        z = act(ractName, tf.add(xz, hz));
        r = act(ractName, tf.add(xr, hr));
        hh = act(actName, tf.add(xh, tf.mul(r, hhh)));
      } else {
        let xz = tf.matMul(xt, kz), xr = tf.matMul(xt, kr), xh = tf.matMul(xt, kh);
        if (useBias) {
          const [bz, br, bh] = blocks(bias, 3);
          xz = tf.add(xz, bz); xr = tf.add(xr, br); xh = tf.add(xh, bh);
        }
        z = act(ractName, tf.add(xz, tf.matMul(h, rz)));
        r = act(ractName, tf.add(xr, tf.matMul(h, rr)));
        hh = act(actName, tf.add(xh, tf.matMul(tf.mul(r, h), rh)));
      }
      states = [tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh))];
    }
    let y = states[0];
    if (mask) {
      const m = mask.slice([0, t], [N, 1]).cast('float32');
      const blend = (a, b) => tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m)));
      y = blend(y, cfg.zero_output_for_mask ? tf.zerosLike(y) : prev);
      states = states.map((st, i) => blend(st, old[i]));
    }
    prev = y;
    outs.push(y);
  }
  return cfg.return_sequences ? tf.stack(outs, 1) : outs[outs.length - 1];
}

const RNN_KIND = { SimpleRNN: 'simple', GRU: 'gru', LSTM: 'lstm' };
const CELL_KIND = { SimpleRNNCell: 'simple', GRUCell: 'gru', LSTMCell: 'lstm' };

// The initial states a Keras 2 node passes by keyword, in the kwargs of its first entry:
// [[x, 0, 0, {"initial_state": [[h, 0, 0], [c, 0, 0]]}]] (or one [h, 0, 0]); they follow the
// positional tensors, as when they are extra inbound tensors.
function keras2InitialState(node) {
  const kw = Array.isArray(node) && Array.isArray(node[0]) && node[0][3] && typeof node[0][3] === 'object' ? node[0][3] : {};
  const st = kw.initial_state;
  if (!Array.isArray(st) || !st.length) return [];
  return typeof st[0] === 'string' ? [st] : st.filter(Array.isArray);
}

// Normalise a Keras model_config into a functional layer list (Sequential → chain).
function functionalLayers(cfg) {
  if (cfg.class_name === 'Sequential') {
    const layers = Array.isArray(cfg.config) ? cfg.config : cfg.config.layers;
    const out = [];
    let prev = null;
    for (const L of layers) {
      const name = L.config.name;
      if (L.class_name === 'InputLayer') { out.push({ class_name: 'InputLayer', name, config: L.config, inbound: [] }); prev = name; continue; }
      if (prev === null) {
        const iname = name + '_input';
        out.push({ class_name: 'InputLayer', name: iname, config: { batch_input_shape: L.config.batch_input_shape }, inbound: [] });
        prev = iname;
      }
      out.push({ class_name: L.class_name, name, config: L.config, inbound: [[prev, 0]] });
      prev = name;
    }
    return { layers: out, inputs: [out[0].name], outputs: [[prev, 0]] };
  }
  const c = cfg.config;
  return {
    layers: c.layers.map((L) => (L.class_name === 'TFOpLambda' || L.class_name === 'SlicingOpLambda' ? tfLambdaLayer(L) : {
      class_name: L.class_name, name: L.name, config: L.config,
      inbound: L.inbound_nodes.length ? L.inbound_nodes[0].concat(keras2InitialState(L.inbound_nodes[0])).map((e) => {
        if (e[1] !== 0) throw new Error('only node 0 in the interpreter');
        return [e[0], e[2]];
      }) : [],
    })),
    inputs: c.input_layers.map((e) => e[0]),
    outputs: c.output_layers.map((e) => [e[0], e[2]]),
  };
}

// A TFOpLambda layer (called once): its first argument's entries (a lone one, a list, or a
// constant), then the Keras tensors among its keyword arguments.
function tfLambdaLayer(L) {
  if (L.inbound_nodes.length !== 1) throw new Error('TFOpLambda called more than once not in the interpreter');
  const node = L.inbound_nodes[0];
  const entries = typeof node[0] === 'string' ? [node] : node;
  const kw = entries[0][3] || {};
  const inbound = [];
  let firstConstant = null;
  for (const e of entries) {
    if (e[0] === '_CONSTANT_VALUE') firstConstant = e[2];
    else inbound.push([e[0], e[2]]);
  }
  const npos = inbound.length, keys = [];
  for (const [k, v] of Object.entries(kw)) {
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && Number.isInteger(v[1])) { inbound.push([v[0], v[2]]); keys.push(k); }
  }
  return { class_name: L.class_name, name: L.name, config: Object.assign({}, L.config, { call: { firstConstant, kw, npos, keys } }), inbound };
}

// A TFOpLambda: its function on the first argument and the keyword arguments.
function tfOpLambda(cfg, ins) {
  const { firstConstant, kw, npos, keys } = cfg.call;
  const named = {};
  keys.forEach((k, i) => { named[k] = ins[npos + i]; });
  const arg = (k) => (k in named ? named[k] : tf.tensor(kw[k]));
  const x = firstConstant !== null ? tf.tensor(firstConstant) : ins[0];
  const binary = {
    '__operators__.add': tf.add, 'math.add': tf.add, 'math.subtract': tf.sub, 'math.multiply': tf.mul, 'math.truediv': tf.div,
    'math.divide': tf.div, 'math.maximum': tf.maximum, 'math.minimum': tf.minimum, 'math.pow': tf.pow,
    'math.squared_difference': tf.squaredDifference,
  };
  const reduce = { 'math.reduce_mean': tf.mean, 'math.reduce_sum': tf.sum, 'math.reduce_max': tf.max, 'math.reduce_min': tf.min, 'math.reduce_prod': tf.prod };
  const fn = cfg.function;
  if (fn in binary) return binary[fn](x, arg('y'));
  if (fn in reduce) return reduce[fn](x, kw.axis, !!(kw.keepdims || kw.keep_dims));
  switch (fn) {
    case 'math.tanh': return tf.tanh(x);
    case 'math.exp': return tf.exp(x);
    case 'math.sigmoid': return tf.sigmoid(x);
    case 'nn.relu': return tf.relu(x);
    case 'nn.softmax': return tf.softmax(x, -1);
    case 'reshape': return tf.reshape(x, kw.shape);
    case 'transpose': return tf.transpose(x, kw.perm);
    case 'expand_dims': return tf.expandDims(x, kw.axis);
    case 'squeeze': case 'compat.v1.squeeze': return tf.squeeze(x, kw.axis === undefined ? kw.squeeze_dims : kw.axis);
    case 'concat': return tf.concat(ins.slice(0, npos), kw.axis);
    default: throw new Error(`TensorFlow function ${fn} not in the reference interpreter`);
  }
}

// x[spec] with integers, {start, stop, step} slices (step 1) and an ellipsis: tf.slice, then the
// indexed axes squeezed out.
function tfGetitem(spec, x) {
  const items = Array.isArray(spec) ? spec : [spec];
  const isEllipsis = (e) => e && typeof e === 'object' && e.class_name === '__ellipsis__';
  const named = items.filter((e) => !isEllipsis(e)).length;
  const perAxis = [];
  for (const e of items) {
    if (isEllipsis(e)) for (let k = 0; k < x.rank - named; k++) perAxis.push(null);
    else perAxis.push(e);
  }
  while (perAxis.length < x.rank) perAxis.push(null);
  const begin = [], size = [], drop = [];
  perAxis.forEach((e, k) => {
    const n = x.shape[k];
    const norm = (v, d) => (v === null || v === undefined ? d : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
    if (e === null) { begin.push(0); size.push(n); } else if (typeof e === 'number') {
      begin.push(e < 0 ? e + n : e); size.push(1); drop.push(k);
    } else {
      if (e.step !== null && e.step !== undefined && e.step !== 1) throw new Error('slice steps not in the reference interpreter');
      const b = norm(e.start, 0), t = norm(e.stop, n);
      begin.push(b); size.push(Math.max(t - b, 0));
    }
  });
  const y = tf.slice(x, begin, size);
  return drop.length ? tf.squeeze(y, drop) : y;
}

// The model outputs as [layer, tensor]; Keras 3 writes a lone output as [name, node, tensor].
function outputRefs(cfg) {
  if (cfg.class_name === 'Sequential') return functionalLayers(cfg).outputs;
  const v = cfg.config.output_layers;
  return (v.length === 3 && typeof v[0] === 'string' ? [v] : v).map((e) => [e[0], e[2]]);
}

// A model output's name in the .ref.json: the layer name, `layer:K` for its K-th extra tensor.
function outName(ref) { return ref[1] === 0 ? ref[0] : `${ref[0]}:${ref[1]}`; }

// A layer's output tensor as the interpreter keys it: its name, "name:k" for output k > 0.
function tensorKey(ref) {
  return ref[1] === 0 ? ref[0] : `${ref[0]}:${ref[1]}`;
}

// opts.keras3: Keras 3 activations; opts.legacy: standalone Keras before 2.3, whose masked
// Bidirectional repeats outputs instead of zero-filling them (see legacyMasking); opts.names:
// each layer's weight names (weightNames), which split a nested model's weights among its layers.
function runOps(work, weights, inputs, opts = {}) {
  return tf.tidy(() => evalOps(work.model_config, weights, inputs, opts).map((t) => tf.keep(t)));
}

const NESTED_MODELS = ['Sequential', 'Functional', 'Model'];

// The weight names of each layer of a fixture, as its .work.json lists them.
function weightNames(work) {
  return Object.fromEntries(Object.entries(work.weights).map(([name, ws]) => [name, ws.map((w) => w.name || '')]));
}

// A nested model's weights by the layer that owns them: the first part of each weight name that
// names one of its layers ("lstm/lstm_cell/kernel:0", "multi_head_attention/query/kernel:0",
// Keras 3's "sequential/lstm/lstm_cell/kernel"), as ref_numpy.py's nested_weights.
function nestedWeights(L, ws, names) {
  if (names.length !== ws.length) throw new Error(`the weight names of nested model ${L.name} are unknown`);
  const list = Array.isArray(L.config) ? L.config : L.config.layers;
  const inner = new Set(list.map((l) => l.name || l.config.name));
  const weights = {}, owners = {};
  names.forEach((n, i) => {
    const parts = n.split('/');
    const owner = parts.slice(0, -1).find((p) => inner.has(p)) || parts[0];
    (weights[owner] = weights[owner] || []).push(ws[i]);
    (owners[owner] = owners[owner] || []).push(n);
  });
  return { weights, names: owners };
}

// The outputs of a model config computed with tfjs ops (inside runOps' tidy).
function evalOps(config, weights, inputs, opts) {
  const k3 = !!opts.keras3;
  const g = functionalLayers(config);
  const val = {};
  const masks = {};   // layer name -> [batch, time] mask of its output, where it has one
  if (g.inputs.length !== inputs.length) throw new Error(`${g.inputs.length} model inputs, ${inputs.length} given`);
  g.inputs.forEach((n, i) => { val[n] = inputs[i]; });
  for (const L of g.layers) {
    if (L.class_name === 'InputLayer') continue;
    const srcs = L.inbound.map(tensorKey);
    const ins = srcs.map((n) => { if (!(n in val)) throw new Error(`no value for ${n}`); return val[n]; });
    const mask = srcs.length ? masks[srcs[0]] || null : null;
    const w = weights[L.name] || [];
    const N = ins.length ? ins[0].shape[0] : 0;
    masks[L.name] = null;
    if (NESTED_MODELS.includes(L.class_name)) {
      // a model used as a layer (called once): its own graph on the inputs, its weights split
      // among its layers by name
      if (srcs.some((n) => masks[n])) throw new Error(`a masked input into nested model ${L.name} not in the reference interpreter`);
      const sub = nestedWeights(L, w, (opts.names || {})[L.name] || []);
      const ys = evalOps({ class_name: L.class_name, config: L.config }, sub.weights, ins, Object.assign({}, opts, { names: sub.names }));
      ys.forEach((y, t) => { val[tensorKey([L.name, t])] = y; });
      continue;
    }
    const mine = ATTN.runOp(L, w, ins, srcs.map((n) => masks[n] || null), activation, k3);
    if (mine) {
      val[L.name] = mine.value;
      masks[L.name] = mine.mask;
      (mine.more || []).forEach((t, k) => { val[`${L.name}:${k + 1}`] = t; });
      continue;
    }
    const more = moreLayerOp(L, w, ins, mask, k3);
    if (more) {
      val[L.name] = more.y;
      masks[L.name] = more.mask;
    } else if (L.class_name === 'Masking') {
      const mv = L.config.mask_value === undefined ? 0 : L.config.mask_value;
      masks[L.name] = tf.any(tf.notEqual(ins[0], mv), -1);
      val[L.name] = tf.mul(ins[0], tf.expandDims(masks[L.name].cast('float32'), -1));
    } else if (L.class_name === 'Dense') {
      val[L.name] = denseOp(L.config, w, ins[0], k3);
      masks[L.name] = mask;
    } else if (L.class_name === 'Activation') {
      val[L.name] = activation(L.config.activation, ins[0], k3);
      masks[L.name] = mask;
    } else if (L.class_name === 'Embedding') {
      // Keras casts the indices to int32; with mask_zero index 0 is a masked step
      const idx = tf.cast(ins[0], 'int32');
      val[L.name] = tf.gather(w[0], idx);
      if (L.config.mask_zero) masks[L.name] = tf.notEqual(idx, 0);
    } else if (L.class_name === 'Conv1D') {
      val[L.name] = activation(L.config.activation, conv1dOp(L.config, w, ins[0]), k3);
    } else if (L.class_name in MERGE_OPS) {
      val[L.name] = MERGE_OPS[L.class_name](ins);
    } else if (L.class_name === 'LeakyReLU') {
      val[L.name] = tf.leakyRelu(ins[0], L.config.alpha);
      masks[L.name] = mask;
    } else if (L.class_name === 'GlobalAveragePooling1D') {
      // Keras (2.2.3 on) averages over the unmasked steps only
      if (mask) {
        const m = tf.expandDims(mask.cast('float32'), -1);
        val[L.name] = tf.div(tf.sum(tf.mul(ins[0], m), 1), tf.sum(m, 1));
      } else val[L.name] = tf.mean(ins[0], 1);
    } else if (L.class_name === 'RepeatVector') {
      val[L.name] = tf.tile(tf.expandDims(ins[0], 1), [1, L.config.n, 1]);
    } else if (L.class_name === 'Flatten') {
      val[L.name] = ins[0].reshape([N, -1]);
    } else if (L.class_name === 'Reshape') {
      val[L.name] = ins[0].reshape([N].concat(L.config.target_shape));
    } else if (L.class_name === 'Permute') {
      val[L.name] = tf.transpose(ins[0], [0].concat(L.config.dims));
    } else if (L.class_name === 'TensorFlowOpLayer') {
      val[L.name] = tfOpLayer(L.config, ins);
    } else if (L.class_name === 'TFOpLambda') {
      val[L.name] = tfOpLambda(L.config, ins);
    } else if (L.class_name === 'SlicingOpLambda') {
      val[L.name] = tfGetitem(L.config.call.kw.slice_spec, ins[0]);
    } else if (L.class_name in RNN_KIND) {
      val[L.name] = recurrentOp(RNN_KIND[L.class_name], L.config, w, ins[0], ins.slice(1), mask, k3);
      masks[L.name] = L.config.return_sequences ? mask : null;
    } else if (L.class_name === 'RNN') {
      const cell = L.config.cell;
      if (!(cell.class_name in CELL_KIND)) throw new Error(`cell ${cell.class_name}`);
      const cfg = Object.assign({}, cell.config, {
        return_sequences: L.config.return_sequences, go_backwards: L.config.go_backwards,
        zero_output_for_mask: L.config.zero_output_for_mask,
      });
      val[L.name] = recurrentOp(CELL_KIND[cell.class_name], cfg, w, ins[0], ins.slice(1), mask, k3);
      masks[L.name] = L.config.return_sequences ? mask : null;
    } else if (L.class_name === 'Bidirectional') {
      val[L.name] = bidirectionalOp(L.config, w, ins, mask, k3, !!opts.legacy);
      masks[L.name] = L.config.layer.config.return_sequences ? mask : null;
    } else throw new Error(`layer ${L.class_name} not in the reference interpreter`);
  }
  return g.outputs.map(tensorKey).map((n) => { if (!(n in val)) throw new Error(`no value for ${n}`); return val[n]; });
}

// A tf.keras TensorFlowOpLayer: its NodeDef's op on the call's tensors, the config's constants
// put at their input positions.
function tfOpLayer(cfg, ins) {
  const nd = cfg.node_def;
  const consts = cfg.constants || {};
  const n = (nd.input || []).filter((i) => !i.startsWith('^')).length;
  const a = [];
  let next = 0;
  for (let i = 0; i < n; i++) a.push(String(i) in consts ? consts[String(i)] : ins[next++]);
  const t = (v) => (v instanceof tf.Tensor ? v : tf.tensor(v));
  const attr = nd.attr || {};
  const binary = {
    AddV2: tf.add, Add: tf.add, Sub: tf.sub, Mul: tf.mul, RealDiv: tf.div, Maximum: tf.maximum, Minimum: tf.minimum,
    Pow: tf.pow, SquaredDifference: tf.squaredDifference,
  };
  const unary = {
    Relu: tf.relu, Sigmoid: tf.sigmoid, Tanh: tf.tanh, Exp: tf.exp, Log: tf.log, Sqrt: tf.sqrt, Rsqrt: tf.rsqrt,
    Square: tf.square, Abs: tf.abs, Neg: tf.neg, Reciprocal: tf.reciprocal, Softmax: (v) => tf.softmax(v, -1),
    Identity: (v) => v, Relu6: tf.relu6, Elu: tf.elu, Selu: tf.selu, Softplus: tf.softplus,
    Softsign: (v) => tf.div(v, tf.add(1, tf.abs(v))), Erf: tf.erf, Floor: tf.floor, Ceil: tf.ceil,
  };
  const reduce = { Mean: tf.mean, Sum: tf.sum, Max: tf.max, Min: tf.min, Prod: tf.prod };
  if (nd.op in binary) return binary[nd.op](t(a[0]), t(a[1]));
  if (nd.op in unary) return unary[nd.op](a[0]);
  if (nd.op === 'Reshape') return tf.reshape(a[0], a[1].map(Number));
  if (nd.op === 'Transpose') return tf.transpose(a[0], a[1].map(Number));
  if (nd.op === 'ExpandDims') return tf.expandDims(a[0], Number(a[1]));
  if (nd.op === 'Squeeze') return tf.squeeze(a[0], attr.squeeze_dims.list.i.map(Number));
  if (nd.op === 'ConcatV2') return tf.concat(a.slice(0, -1), Number(a[a.length - 1]));
  if (nd.op in reduce) return reduce[nd.op](a[0], Number(a[1]), !!(attr.keep_dims && attr.keep_dims.b));
  throw new Error(`TensorFlow op ${nd.op} not in the reference interpreter`);
}

// Bidirectional over a SimpleRNN/GRU/LSTM: the backward copy has go_backwards flipped and its
// sequence is reversed back before the merge; tf.keras and Keras 3 zero-fill masked steps of both
// halves when returning sequences (zero_output_for_mask forced to return_sequences).
function bidirectionalOp(cfg, w, ins, mask, keras3, legacy) {
  const inner = cfg.layer;
  if (!(inner.class_name in RNN_KIND)) throw new Error(`Bidirectional(${inner.class_name}) not in the reference interpreter`);
  if (ins.length > 1) throw new Error('Bidirectional initial states not in the reference interpreter');
  const kind = RNN_KIND[inner.class_name];
  const rs = !!inner.config.return_sequences;
  const fcfg = Object.assign({}, inner.config, { zero_output_for_mask: !legacy && rs });
  const bcfg = Object.assign({}, fcfg, { go_backwards: !inner.config.go_backwards });
  const half = w.length / 2;
  const y = recurrentOp(kind, fcfg, w.slice(0, half), ins[0], [], mask, keras3);
  let yRev = recurrentOp(kind, bcfg, w.slice(half), ins[0], [], mask, keras3);
  if (rs) yRev = tf.reverse(yRev, 1);
  switch (cfg.merge_mode) {
    case 'concat': return tf.concat([y, yRev], -1);
    case 'sum': return tf.add(y, yRev);
    case 'ave': return tf.div(tf.add(y, yRev), 2);
    case 'mul': return tf.mul(y, yRev);
    default: throw new Error(`merge_mode ${cfg.merge_mode} not in the reference interpreter`);
  }
}

// ----------------------------------------------------------------------------------------------
// A: tfjs-layers model built from the Keras config
// ----------------------------------------------------------------------------------------------
function needsOps(cfg) {
  let found = false;
  JSON.stringify(cfg, (k, v) => { if (k === 'reset_after' && v === true) found = true; return v; });
  return found;
}

// Keras activation names tfjs-layers 4.22 does not know (it has swish, not its Keras 3 name silu).
const TFJS_MISSING_ACTIVATIONS = [
  'exponential', 'silu', 'hard_silu', 'hard_swish', 'leaky_relu', 'log_sigmoid', 'tanh_shrink',
  'celu', 'glu', 'hard_tanh', 'hard_shrink', 'soft_shrink', 'sparse_plus', 'squareplus', 'sparse_sigmoid',
  'sparsemax',
];

// Keras layers tfjs-layers 4.22 cannot build from a config (its MultiHeadAttention is not exported).
const TFJS_MISSING_LAYERS = ['Attention', 'AdditiveAttention', 'MultiHeadAttention', 'ConvLSTM1D', 'TensorFlowOpLayer', 'TFOpLambda', 'SlicingOpLambda'];

// Keras features tfjs-layers does not have. time_major must be caught here: tfjs would ignore the
// key and read the input batch-major. The others would only make modelFromJSON throw.
function tfjsGaps(cfg) {
  const gaps = new Set();
  // tfjs' GlobalAveragePooling1D takes the plain mean whatever the mask
  const masks = /"mask_zero": *true|"Masking"/.test(JSON.stringify(cfg));
  JSON.stringify(cfg, (k, v) => {
    if (k === 'groups' && v !== 1) gaps.add('Conv1D groups');
    if (k === 'padding' && v === 'causal') gaps.add("Conv1D padding 'causal'");
    if (k === 'class_name' && v === 'Subtract') gaps.add('Subtract');
    if (masks && k === 'class_name' && v === 'GlobalAveragePooling1D') gaps.add('masked GlobalAveragePooling1D');
    if (k === 'time_major' && v === true) gaps.add('time_major');
    if (k === 'class_name' && (v === 'CuDNNLSTM' || v === 'CuDNNGRU')) gaps.add(v);
    if (k === 'class_name' && TFJS_MISSING_LAYERS.includes(v)) gaps.add(v);
    if ((k === 'activation' || k === 'recurrent_activation') && TFJS_MISSING_ACTIVATIONS.includes(v)) gaps.add(`activation '${v}'`);
    return v;
  });
  // tfjs-layers 4.22 SeparableConv2D adds its bias in channels_first order to its NHWC result
  const layers = (cfg.config && (Array.isArray(cfg.config) ? cfg.config : cfg.config.layers)) || [];
  for (const L of layers) {
    const c = L.config || {};
    // tfjs-layers 4.22 takes a StackedRNNCells' initial states last cell first (Keras before 2.2.3)
    const stacked = L.config && L.config.cell && L.config.cell.class_name === 'StackedRNNCells';
    const nodes = L.inbound_nodes || [];
    if (stacked && nodes.length && Array.isArray(nodes[0]) && nodes[0].length > 1) gaps.add('initial_state of StackedRNNCells in cell order');
    // tfjs-layers 4.22 reports "graph disconnected" for a model nested in a functional one
    if (cfg.class_name !== 'Sequential' && ['Sequential', 'Functional', 'Model'].includes(L.class_name)) {
      gaps.add('a model nested in a functional model');
    }
    if (L.class_name === 'Conv2DTranspose' && c.output_padding) gaps.add('Conv2DTranspose output_padding (tfjs-layers ignores it)');
    // a layer's own zero_output_for_mask=True: tfjs-layers 4.22 repeats the previous output there
    if (c.zero_output_for_mask === true) gaps.add('zero_output_for_mask on a recurrent layer (tfjs-layers ignores it)');
    if (L.class_name === 'SeparableConv2D' && c.data_format === 'channels_first' && c.use_bias !== false) {
      gaps.add("SeparableConv2D's bias with channels_first (tfjs-layers adds it along the rows)");
    }
  }
  moreTfjsGaps(cfg, gaps);
  return [...gaps];
}

// ----------------------------------------------------------------------------------------------
// B for the advanced activations, the identity-at-inference layers, Cropping1D / ZeroPadding1D /
// UpSampling1D, Conv1D channels_first, SeparableConv1D, BatchNormalization on another axis than the
// last or on a 2-D tensor, Dot, and TimeDistributed around Conv1D, Flatten or a recurrent layer.
// Returns {y, mask} or null for any other layer (left to the interpreter's own cases).
// ----------------------------------------------------------------------------------------------
const IDENTITY_AT_INFERENCE = ['ActivityRegularization', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout',
  'AlphaDropout'];

// Keras relu(x, negative_slope, max_value, threshold) in its backends' order of operations
function kerasReluOp(x, c) {
  const thr = c.threshold || 0, slope = c.negative_slope || 0;
  let y = thr !== 0 ? tf.mul(x, tf.cast(tf.greater(x, thr), 'float32')) : tf.relu(x);
  if (c.max_value !== null && c.max_value !== undefined) y = tf.clipByValue(y, 0, c.max_value);
  if (slope !== 0) y = tf.sub(y, tf.mul(slope, tf.relu(tf.sub(thr, x))));
  return y;
}

function softmaxAxisOp(x, axis) {
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : null) : axis;
  if (a === null) throw new Error('Softmax over several axes');
  const e = tf.exp(tf.sub(x, tf.max(x, a, true)));
  return tf.div(e, tf.sum(e, a, true));
}

function sepConv1dOp(c, w, x) {
  const [dk, pk, bias] = w;
  const s = c.strides[0], d = c.dilation_rate[0];
  let pad = c.padding;
  if (pad === 'causal') {
    x = tf.pad(x, [[0, 0], [d * (dk.shape[0] - 1), 0], [0, 0]]);
    pad = 'valid';
  }
  const y = tf.separableConv2d(tf.expandDims(x, 1), tf.expandDims(dk, 0), tf.expandDims(pk, 0), [1, s], pad, [1, d]);
  const out = tf.squeeze(y, [1]);
  return c.use_bias !== false ? tf.add(out, bias) : out;
}

function dotOp(c, x, y) {
  const ax = Array.isArray(c.axes) ? c.axes : [c.axes, c.axes];
  const mod = (a, n) => ((a % n) + n) % n;
  const a0 = mod(ax[0], x.shape.length), a1 = mod(ax[1], y.shape.length);
  if (c.normalize) {
    const l2 = (t, a) => tf.div(t, tf.sqrt(tf.maximum(tf.sum(tf.square(t), a, true), 1e-12)));
    x = l2(x, a0);
    y = l2(y, a1);
  }
  if (x.shape.length === 2 && y.shape.length === 2) return tf.sum(tf.mul(x, y), 1, true);
  if (x.shape.length !== 3 || y.shape.length !== 3) throw new Error('Dot beyond 2-D and 3-D inputs');
  // bring x's summed axis last and y's to axis 1, then a batched matMul
  const xt = a0 === 2 ? x : tf.transpose(x, [0, 2, 1]);
  const yt = a1 === 1 ? y : tf.transpose(y, [0, 2, 1]);
  return tf.matMul(xt, yt);
}

function moreLayerOp(L, w, ins, mask, keras3) {
  const c = L.config, x = ins[0];
  const cls = L.class_name;
  if (cls === 'ReLU') return { y: kerasReluOp(x, c), mask };
  if (cls === 'PReLU') return { y: tf.sub(tf.relu(x), tf.mul(w[0], tf.relu(tf.neg(x)))), mask };
  if (cls === 'ELU') {
    const a = c.alpha === undefined ? 1 : c.alpha;
    return { y: tf.where(tf.greater(x, 0), x, tf.mul(a, tf.sub(tf.exp(tf.minimum(x, 0)), 1))), mask };
  }
  if (cls === 'ThresholdedReLU') return { y: tf.mul(x, tf.cast(tf.greater(x, c.theta), 'float32')), mask };
  if (cls === 'Softmax') {
    if (mask) throw new Error('masked Softmax not in the reference interpreter');
    return { y: softmaxAxisOp(x, c.axis === undefined ? -1 : c.axis), mask: null };
  }
  if (IDENTITY_AT_INFERENCE.includes(cls)) return { y: tf.add(x, 0), mask };
  const pair = (v) => (Array.isArray(v) ? v : [v, v]);
  if (cls === 'Cropping1D') {
    const [a, b] = pair(c.cropping);
    return { y: x.slice([0, a, 0], [x.shape[0], x.shape[1] - a - b, x.shape[2]]), mask: null };
  }
  if (cls === 'ZeroPadding1D') return { y: tf.pad(x, [[0, 0], pair(c.padding), [0, 0]]), mask: null };
  if (cls === 'UpSampling1D') {
    const [N, T, F] = x.shape;
    return { y: tf.tile(tf.expandDims(x, 2), [1, 1, c.size, 1]).reshape([N, T * c.size, F]), mask: null };
  }
  if (cls === 'Conv1D' && c.data_format === 'channels_first') {
    const y = conv1dOp(Object.assign({}, c, { data_format: 'channels_last' }), w, tf.transpose(x, [0, 2, 1]));
    return { y: tf.transpose(activation(c.activation, y, keras3), [0, 2, 1]), mask: null };
  }
  if (cls === 'SeparableConv1D') return { y: activation(c.activation, sepConv1dOp(c, w, x), keras3), mask: null };
  if (cls === 'BatchNormalization') {
    const nd = x.shape.length;
    const axes = Array.isArray(c.axis) ? c.axis : [c.axis === undefined ? -1 : c.axis];
    const a = ((axes[0] % nd) + nd) % nd;
    if (axes.length !== 1 || (nd !== 2 && a === nd - 1)) return null;
    const shape = x.shape.map((n, i) => (i === a ? n : 1));
    let k = 0;
    const gamma = c.scale !== false ? w[k++].reshape(shape) : null;
    const beta = c.center !== false ? w[k++].reshape(shape) : null;
    let y = tf.div(tf.sub(x, w[k].reshape(shape)), tf.sqrt(tf.add(w[k + 1].reshape(shape), c.epsilon)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return { y, mask };
  }
  if (cls === 'Dot') return { y: dotOp(c, ins[0], ins[1]), mask: null };
  if (cls === 'TimeDistributed') {
    const inner = c.layer, ic = inner.config;
    const [N, T] = x.shape;
    const xs = x.reshape([N * T].concat(x.shape.slice(2)));
    let y;
    if (inner.class_name === 'Conv1D') y = activation(ic.activation, conv1dOp(ic, w, xs), keras3);
    else if (inner.class_name === 'Flatten') y = xs.reshape([N * T, -1]);
    else if (inner.class_name in RNN_KIND) y = recurrentOp(RNN_KIND[inner.class_name], ic, w, xs, [], null, keras3);
    else if (inner.class_name === 'Reshape') y = xs.reshape([N * T].concat(ic.target_shape));
    else return null;
    // tf.keras keeps a [batch, time] input mask (the wrapped layer gives none of its own), Keras 3
    // passes it on
    return { y: y.reshape([N, T].concat(y.shape.slice(1))), mask };
  }
  return null;
}

// What tfjs-layers 4.22 lacks among the layers above: it has no ActivityRegularization, Cropping1D,
// ZeroPadding1D, UpSampling1D or SeparableConv1D; its ReLU only reads maxValue (negative_slope and
// threshold would be ignored); its ELU refuses alpha other than 1; its Conv1D with channels_first
// transposes the input but not the output; its Softmax takes the last axis only; its
// BatchNormalization over axis 1 of a 3-D input gives wrong results (so axis 1 is left to numpy,
// even where the input is 2-D and tfjs would be right).
const TFJS_MISSING_1D_LAYERS = ['ActivityRegularization', 'Cropping1D', 'ZeroPadding1D', 'UpSampling1D',
  'SeparableConv1D', 'Conv1DTranspose'];

function moreTfjsGaps(cfg, gaps) {
  JSON.stringify(cfg, (k, v) => {
    if (k === 'class_name' && TFJS_MISSING_1D_LAYERS.includes(v)) gaps.add(v);
    if (v && typeof v === 'object' && v.config && typeof v.config === 'object') {
      const c = v.config;
      if (v.class_name === 'ReLU' && ((c.negative_slope || 0) !== 0 || (c.threshold || 0) !== 0)) gaps.add('ReLU negative_slope/threshold');
      if (v.class_name === 'ELU' && c.alpha !== undefined && c.alpha !== 1) gaps.add('ELU alpha != 1');
      if (v.class_name === 'Conv1D' && c.data_format === 'channels_first') gaps.add('Conv1D channels_first');
      const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis;
      if (v.class_name === 'Softmax' && axis !== undefined && axis !== -1) gaps.add('Softmax over another axis than -1');
      if (v.class_name === 'BatchNormalization' && axis === 1) gaps.add('BatchNormalization axis 1 (it broadcasts the statistics along the wrong axis of a 3-D input)');
    }
    return v;
  });
}

const LAYER_OF_CELL = { SimpleRNNCell: 'SimpleRNN', GRUCell: 'GRU', LSTMCell: 'LSTM' };

// Standalone Keras up to 2.2.x (tfjs-layers follows it) has no zero_output_for_mask: its
// Bidirectional repeats the previous output at masked steps like any RNN. tf.keras from TF 1.13
// ('2.2.4-tf' on) and Keras 3 zero-fill both halves there when returning sequences. The same rule
// as Semantics in ref_numpy.py.
function legacyMasking(kerasVersion) {
  const v = String(kerasVersion || '');
  const [major, minor] = v.split('-')[0].split('.').map((p) => parseInt(p, 10) || 0);
  const tfKeras = v.endsWith('-tf') && (major > 2 || (major === 2 && minor >= 2));
  return (major < 2 || (major === 2 && minor < 3)) && !tfKeras;
}

// Where a masked Bidirectional returns sequences (and the file is not legacy), tfjs' output must
// be zeroed at the masked steps. Supported for Input -> Masking -> Bidirectional and Input ->
// Embedding(mask_zero) -> Bidirectional with the Bidirectional's sequence a model output.
// Returns [{output index, input index, mask value, indices: the input holds Embedding indices}].
function zeroFills(config, kerasVersion) {
  if (config.class_name === 'Sequential' || legacyMasking(kerasVersion)) return [];
  const layers = config.config.layers;
  const masking = (L) => L.class_name === 'Masking' || (L.class_name === 'Embedding' && L.config.mask_zero);
  if (!layers.some(masking)) return [];
  const byName = Object.fromEntries(layers.map((L) => [L.name, L]));
  const inputs = config.config.input_layers.map((e) => e[0]);
  const src = (L) => L.inbound_nodes[0][0][0];
  const fills = [];
  for (const L of layers) {
    if (L.class_name !== 'Bidirectional' || !L.config.layer.config.return_sequences) continue;
    const m = byName[src(L)];
    if (!m || !masking(m) || !inputs.includes(src(m))) {
      throw new Error(`a masked Bidirectional '${L.name}' fed other than Input -> Masking or Embedding(mask_zero): zero-filling its tfjs output is not implemented`);
    }
    const outs = config.config.output_layers;
    const k = outs.findIndex((o) => o[0] === L.name && o[2] === 0);
    if (k < 0) throw new Error(`masked Bidirectional '${L.name}' is not a model output: zero-filling its tfjs output is not implemented`);
    // an Embedding masks index 0 of its [batch, time] input: one feature whose value is 0
    const mv = m.class_name === 'Embedding' ? 0 : m.config.mask_value === undefined ? 0 : m.config.mask_value;
    fills.push({ output: k, input: inputs.indexOf(src(m)), maskValue: mv, indices: m.class_name === 'Embedding' });
  }
  return fills;
}

function applyZeroFills(fills, ys, inputs) {
  for (const f of fills) {
    const x = inputs[f.input], y = ys[f.output];
    const [N, T] = x.shape, F = f.indices ? 1 : x.shape[2], W = y.shape[2];
    const value = (i) => (f.indices ? Math.trunc(x.data[i]) : x.data[i]);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) {
        let masked = true;
        for (let c = 0; c < F; c++) if (value((n * T + t) * F + c) !== f.maskValue) masked = false;
        if (masked) for (let c = 0; c < W; c++) y.data[(n * T + t) * W + c] = 0;
      }
    }
  }
  return ys;
}

// Models tfjs-layers runs only in an equivalent form; numpy is their reference and tfjs checks it
// through the adapted model. Returns null or {config, note, finish(outputs, inputs)}:
//   Bidirectional(RNN(<cell>)): tfjs cannot clone a generic RNN's cell (getConfig keeps the cell
//     object), so the wrapped layer becomes the plain layer of that cell (same math and weights).
//   RNN(StackedRNNCells) with return_state: tfjs returns the states of the last cell first (the
//     standalone Keras order before keras-team/keras#11021); tf.keras 2.x returns them in cell
//     order, so the tfjs states are put back in cell order.
//   masked Bidirectional returning sequences (tf.keras, Keras 3): tfjs has no zero_output_for_mask,
//     so its output is zeroed at the masked steps.
function tfjsAdaptation(cfg, kerasVersion) {
  const notes = [];
  const config = JSON.parse(JSON.stringify(cfg));
  const layers = config.class_name === 'Sequential' ? [] : config.config.layers;
  const permutes = {};
  for (const L of layers) {
    const inner = L.class_name === 'Bidirectional' ? L.config.layer : null;
    if (inner && inner.class_name === 'RNN' && LAYER_OF_CELL[inner.config.cell.class_name]) {
      const { cell, ...flags } = inner.config;
      const { name, trainable, dtype, ...body } = cell.config;
      inner.class_name = LAYER_OF_CELL[cell.class_name];
      inner.config = Object.assign({}, flags, body);
      notes.push(`Bidirectional(${inner.class_name}) for Bidirectional(RNN(${cell.class_name}))`);
    }
    if (L.class_name === 'RNN' && L.config.cell.class_name === 'StackedRNNCells' && L.config.return_state) {
      const counts = L.config.cell.config.cells.map((c) => (c.class_name === 'LSTMCell' ? 2 : 1));
      const start = [];   // where each cell's states sit in the tfjs list (last cell first)
      let k = 0;
      for (let j = counts.length - 1; j >= 0; j--) { start[j] = k; k += counts[j]; }
      const order = [];
      counts.forEach((n, j) => { for (let i = 0; i < n; i++) order.push(start[j] + i); });
      permutes[L.name] = order;
      notes.push('StackedRNNCells states put back in cell order');
    }
  }
  const fills = zeroFills(config, kerasVersion);
  if (fills.length) notes.push('Bidirectional outputs zeroed at masked steps (zero_output_for_mask)');
  if (!notes.length) return null;
  const outs = config.class_name === 'Sequential' ? [] : config.config.output_layers;
  const reorder = (ys) => ys.map((y, i) => {
    const [name, , t] = outs[i] || [null, 0, 0];
    if (!(name in permutes) || t === 0) return y;
    const j = outs.findIndex((o) => o[0] === name && o[2] === 1 + permutes[name][t - 1]);
    if (j < 0) throw new Error(`state ${t} of ${name} is not a model output`);
    return ys[j];
  });
  return { config, note: notes.join('; '), finish: (ys, inputs) => applyZeroFills(fills, reorder(ys), inputs) };
}

// ----------------------------------------------------------------------------------------------
// Keras 3 files: numpy is the reference; tfjs checks it on the same model written as Keras 2
// ----------------------------------------------------------------------------------------------
function isKeras3(kerasVersion) { return parseInt(String(kerasVersion || ''), 10) >= 3; }

const KERAS3_KEYS = new Set(['module', 'registered_name', 'build_config', 'quantization_config', 'optional',
  'seed', 'zero_output_for_mask']);

// The Keras 2 form of a Keras 3 model_config, the one tfjs-layers reads: serialized objects lose
// module/registered_name/build_config, a DTypePolicy becomes its name, InputLayer batch_shape
// becomes batch_input_shape, {"args": [__keras_tensor__...]} nodes become [[name, node, tensor,
// {}]] lists, a single [name, node, tensor] endpoint becomes a list of one, and Bidirectional loses
// its backward_layer when that is the layer with go_backwards flipped (what tfjs builds itself).
// zero_output_for_mask is dropped, so this refuses masked models.
function fromKeras3(cfg) {
  const strip = (v) => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    if (v.class_name === 'DTypePolicy') return v.config.name;
    const out = {};
    for (const [k, x] of Object.entries(v)) if (!KERAS3_KEYS.has(k)) out[k] = strip(x);
    return out;
  };
  const history = (v) => {
    if (Array.isArray(v)) return v.flatMap(history);
    if (v === null || typeof v !== 'object') return [];
    if (v.class_name === '__keras_tensor__') return [v.config.keras_history];
    return Object.values(v).flatMap(history);
  };
  const endpoints = (v) => (v.length === 3 && typeof v[0] === 'string' ? [v] : v);
  const layer = (L) => {
    if (L.class_name === 'Masking') throw new Error('Masking in a Keras 3 model: the Keras 2 form would lose zero_output_for_mask');
    const out = { class_name: L.class_name, config: strip(L.config) };
    if (['Sequential', 'Functional', 'Model'].includes(L.class_name)) out.config = fromKeras3(L).config;
    const wrapped = L.class_name === 'TimeDistributed' && L.config.layer;
    if (wrapped && ['Sequential', 'Functional', 'Model'].includes(wrapped.class_name)) {
      out.config.layer = { class_name: wrapped.class_name, config: fromKeras3(wrapped).config };
    }
    if (L.class_name === 'InputLayer') {
      out.config.batch_input_shape = out.config.batch_shape;
      delete out.config.batch_shape;
    }
    if (L.class_name === 'Bidirectional' && L.config.backward_layer) {
      const fw = strip(L.config.layer), bw = strip(L.config.backward_layer);
      const same = Object.assign({}, fw.config, { name: bw.config.name, go_backwards: !fw.config.go_backwards });
      if (fw.class_name !== bw.class_name || JSON.stringify(same) !== JSON.stringify(bw.config)) {
        throw new Error(`Bidirectional '${L.config.name}': backward_layer is not the layer with go_backwards flipped`);
      }
      delete out.config.backward_layer;
    }
    if (L.name !== undefined) out.name = L.name;
    if (L.inbound_nodes !== undefined) {
      out.inbound_nodes = L.inbound_nodes.map((node) => {
        if (Array.isArray(node)) return node;
        const refs = history(node.args).concat(history((node.kwargs || {}).initial_state || []));
        return refs.map((h) => [h[0], h[1], h[2], {}]);
      });
    }
    return out;
  };
  const c = cfg.config;
  if (cfg.class_name === 'Sequential') {
    return { class_name: 'Sequential', config: { name: c.name, layers: c.layers.map(layer) } };
  }
  return {
    class_name: cfg.class_name,
    config: {
      name: c.name, layers: c.layers.map(layer),
      input_layers: endpoints(c.input_layers), output_layers: endpoints(c.output_layers),
    },
  };
}

function usesActivation(cfg, name) {
  let found = false;
  JSON.stringify(cfg, (k, v) => { if ((k === 'activation' || k === 'recurrent_activation') && v === name) found = true; return v; });
  return found;
}

// numpy reference; tfjs-layers and/or tfjs-ops on the Keras 2 form as cross-checks.
async function keras3Reference(work, weights, inputs, np) {
  if (!np) throw new Error(`${work.file}: a Keras 3 file needs the numpy result`);
  let cfg = null, why = null;
  try { cfg = fromKeras3(work.model_config); } catch (e) { why = e.message; }
  const cross = cfg ? await crossChecks(work, cfg, weights, inputs, np.outputs, { keras3: true }) : [`none: ${why}`];
  return { ref: np.outputs, cross, method: 'numpy float64 (tests/ref_numpy.py); a Keras 3 file, which tfjs cannot read' };
}

// A Keras 1 file: numpy is the reference, tfjs checks it on the model in Keras 2 form.
async function keras1Reference(work, weights, inputs, np) {
  if (!np) throw new Error(`${work.file}: a Keras 1 file needs the numpy result`);
  // Keras 1 records no backend; TensorFlow names every variable with a ':0' suffix
  const names = Object.values(work.weights).flat().map((w) => w.name || '');
  const theano = names.length > 0 && !names[0].endsWith(':0');
  let k2 = null, why = null;
  try { k2 = fromKeras1(keras1Functional(work.model_config), weights, theano); } catch (e) { why = e.message; }
  if (!k2) return { ref: np.outputs, cross: [`none: ${why}`], method: 'numpy float64 (tests/ref_numpy.py); a Keras 1 file, which tfjs cannot read' };
  const cross = await crossChecks(work, k2.config, k2.weights, inputs, np.outputs, { legacy: true });
  tf.dispose(k2.created);
  return { ref: np.outputs, cross, method: 'numpy float64 (tests/ref_numpy.py); a Keras 1 file, which tfjs cannot read' };
}

// tfjs-layers where it has every feature of the (Keras 2 form) config, tfjs-ops where it runs, each
// compared with the reference; returns the crosscheck notes.
async function crossChecks(work, cfg, weights, inputs, ref, opts) {
  const cross = [];
  const check = (ys, what) => {
    const c = compareOutputs(plain(ys), ref, `${work.file}: ${what} against numpy`);
    if (!c.ok) throw new Error(`${work.file}: numpy and ${what} differ by up to ${c.maxAbs}`);
    cross.push(`${what} on the Keras 2 form max_abs=${c.maxAbs.toExponential(2)}`);
    tf.dispose(ys);
  };
  const gaps = tfjsGaps(cfg);
  if (opts.keras3 && usesActivation(cfg, 'hard_sigmoid')) gaps.push('the Keras 3 hard_sigmoid, relu6(x + 3) / 6');
  if (needsOps(cfg)) gaps.push('GRU reset_after=True');
  if (gaps.length) cross.push(`tfjs-layers none: it lacks ${gaps.join(', ')}`);
  else check(await runLayers(work, weights, inputs, cfg), 'tfjs-layers');
  let b = null, why = null;
  try { b = runOps({ model_config: cfg }, weights, inputs, Object.assign({ names: weightNames(work) }, opts)); } catch (e) { why = e.message; }
  if (b) check(b, 'tfjs-ops');
  else cross.push(`tfjs-ops none: ${why}`);
  return cross;
}

// A Keras 1 Sequential that starts with a Merge of models (its models' configs under the Merge's
// "layers") as the functional Keras 1 model it stands for: each model's layers in a chain from an
// input named after its first layer, the Merge on the chains' ends, the rest after it. Any other
// config is returned as it is.
function keras1Functional(cfg) {
  const list = Array.isArray(cfg.config) ? cfg.config : (cfg.config && cfg.config.layers);
  if (cfg.class_name !== 'Sequential' || !list || !list.length || list[0].class_name !== 'Merge' || !list[0].config.layers) return cfg;
  const layers = [], inputs = [];
  const chain = (ls) => {
    let prev = null;
    ls.forEach((L, i) => {
      const c = Object.assign({}, L.config);
      if (i === 0 && L.class_name === 'Merge' && c.layers) {
        const ends = c.layers.map((b) => {
          if (b.class_name !== 'Sequential') throw new Error(`a Merge of a ${b.class_name}`);
          return chain(Array.isArray(b.config) ? b.config : b.config.layers);
        });
        delete c.layers;
        layers.push({ class_name: 'Merge', name: c.name, config: c, inbound_nodes: [ends.map((e) => [e, 0, 0])] });
        prev = c.name;
        return;
      }
      if (i === 0) {
        const name = `${c.name}_input`;
        layers.push({ class_name: 'InputLayer', name, config: { name, batch_input_shape: c.batch_input_shape, input_dtype: 'float32', sparse: false }, inbound_nodes: [] });
        inputs.push([name, 0, 0]);
        prev = name;
      }
      delete c.batch_input_shape;
      layers.push({ class_name: L.class_name, name: c.name, config: c, inbound_nodes: [[[prev, 0, 0]]] });
      prev = c.name;
    });
    return prev;
  };
  const out = chain(list);
  return { class_name: 'Model', config: { name: 'model_1', layers, input_layers: inputs, output_layers: [[out, 0, 0]] } };
}

// Keras 1 gate order of per-gate weights, as indices for each Keras 2 gate (see ref_numpy.py).
const KERAS1_GATES = { LSTM: [0, 2, 1, 3], GRU: [0, 1, 2] };

// The Keras 2 form of a Keras 1.x Sequential (a bare list of layers) and its weights: output_dim
// -> units, inner_activation -> recurrent_activation, bias -> use_bias, and per-gate recurrent
// weights (W_g, U_g, b_g per gate) joined into kernel, recurrent_kernel, bias. The input is float32
// whatever input_dtype says: the inputs are float tensors here, and Embedding casts them.
function fromKeras1(cfg, weights, theano) {
  const created = [];
  const keep = (t) => { created.push(t); return t; };
  // Convolution1D keeps the kernel of a 2-D convolution, [k, 1, C, F] (Keras 1.1: [F, C, k, 1]);
  // a Theano-trained one convolved, which is a correlation with the kernel reversed.
  const convKernel = (c, ws) => {
    let W = ws[0];
    if (!(W.shape[0] === c.filter_length && W.shape[1] === 1 && W.shape[3] === c.nb_filter)) W = keep(tf.transpose(W, [2, 3, 1, 0]));
    W = keep(tf.squeeze(W, [1]));
    if (theano) W = keep(tf.reverse(W, 0));
    return [W].concat(ws.slice(1));
  };
  // Convolution2D: th keeps the kernel [F, C, rows, cols]; Theano reverses it on both axes
  const conv2Kernel = (c, ws) => {
    let W = ws[0];
    if (c.dim_ordering === 'th') W = keep(tf.transpose(W, [2, 3, 1, 0]));
    if (theano) W = keep(tf.reverse(W, [0, 1]));
    return [W].concat(ws.slice(1));
  };
  const joinGates = (cls, ws) => {
    const order = KERAS1_GATES[cls];
    if (!order || ws.length === 3) return ws;
    if (ws.length !== 3 * order.length) throw new Error(`Keras 1 ${cls} with ${ws.length} weights`);
    return [0, 1, 2].map((k) => {
      const t = tf.concat(order.map((g) => ws[3 * g + k]), -1);
      created.push(t);
      return t;
    });
  };
  const layerCfg = (cls, c) => {
    const out = { name: c.name, trainable: c.trainable };
    if (c.batch_input_shape) { out.batch_input_shape = c.batch_input_shape; out.dtype = 'float32'; }
    if (cls in RNN_KIND) {
      Object.assign(out, {
        return_sequences: c.return_sequences, go_backwards: c.go_backwards, stateful: c.stateful,
        units: c.output_dim, activation: c.activation, use_bias: true,
      });
      if (c.inner_activation) out.recurrent_activation = c.inner_activation;
    } else if (cls === 'Dense') {
      Object.assign(out, { units: c.output_dim, activation: c.activation, use_bias: c.bias !== false });
    } else if (cls === 'Embedding') {
      Object.assign(out, { input_dim: c.input_dim, output_dim: c.output_dim, input_length: c.input_length, mask_zero: c.mask_zero });
    } else if (cls === 'Convolution1D' || cls === 'AtrousConvolution1D') {
      if (theano && c.border_mode === 'same') throw new Error("no tfjs form of Theano's border_mode 'same' (pads both sides, then cuts)");
      Object.assign(out, {
        filters: c.nb_filter, kernel_size: [c.filter_length], strides: [c.subsample_length || 1], padding: c.border_mode,
        dilation_rate: [c.atrous_rate || 1], activation: c.activation, use_bias: c.bias !== false,
      });
    } else if (cls === 'Convolution2D' || cls === 'AtrousConvolution2D') {
      if (theano && c.border_mode === 'same') throw new Error("no tfjs form of Theano's border_mode 'same' (pads both sides, then cuts)");
      Object.assign(out, {
        filters: c.nb_filter, kernel_size: [c.nb_row, c.nb_col], strides: c.subsample || [1, 1], padding: c.border_mode,
        data_format: c.dim_ordering === 'th' ? 'channels_first' : 'channels_last', dilation_rate: c.atrous_rate || [1, 1],
        activation: c.activation, use_bias: c.bias !== false,
      });
    } else if (cls === 'SeparableConvolution2D') {
      Object.assign(out, {
        filters: c.nb_filter, kernel_size: [c.nb_row, c.nb_col], strides: c.subsample || [1, 1], padding: c.border_mode,
        data_format: c.dim_ordering === 'th' ? 'channels_first' : 'channels_last', depth_multiplier: c.depth_multiplier,
        activation: c.activation, use_bias: c.bias !== false,
      });
    } else if (cls === 'MaxPooling2D') {
      Object.assign(out, { pool_size: c.pool_size, strides: c.strides || c.pool_size, padding: c.border_mode,
        data_format: c.dim_ordering === 'th' ? 'channels_first' : 'channels_last' });
    } else if (cls === 'Flatten') {
      // nothing to carry over
    } else if (cls === 'MaxPooling1D' || cls === 'AveragePooling1D') {
      Object.assign(out, { pool_size: [c.pool_length], strides: [c.stride || c.pool_length], padding: c.border_mode });
    } else throw new Error(`Keras 1 layer ${cls} not converted`);
    return out;
  };
  const layers = Array.isArray(cfg.config) ? cfg.config : cfg.config.layers;
  const outWeights = {};
  const outLayers = layers.map((L, i) => {
    const c = L.config, ws = weights[c.name] || [];
    // a first layer that gives input_dim and input_length instead of batch_input_shape
    if (i === 0 && !c.batch_input_shape && c.input_dim && L.class_name in RNN_KIND) {
      const out = fromKeras1({ class_name: 'Sequential', config: [{ class_name: L.class_name, config: Object.assign({}, c, {
        batch_input_shape: [null, c.input_length === undefined ? null : c.input_length, c.input_dim] }) }] }, weights, theano);
      created.push(...out.created);
      Object.assign(outWeights, out.weights);
      return out.config.config.layers[0];
    }
    if (L.class_name === 'Bidirectional') {
      const inner = c.layer;
      const half = ws.length / 2;
      outWeights[c.name] = joinGates(inner.class_name, ws.slice(0, half)).concat(joinGates(inner.class_name, ws.slice(half)));
      const bc = {
        name: c.name, trainable: c.trainable,
        layer: { class_name: inner.class_name, config: layerCfg(inner.class_name, inner.config) }, merge_mode: c.merge_mode,
      };
      if (c.batch_input_shape) { bc.batch_input_shape = c.batch_input_shape; bc.dtype = 'float32'; }
      return { class_name: 'Bidirectional', config: bc };
    }
    if (L.class_name === 'InputLayer') {
      return { class_name: 'InputLayer', name: c.name, config: { name: c.name, batch_input_shape: c.batch_input_shape, dtype: 'float32', sparse: false } };
    }
    if (L.class_name === 'Merge') return fromKeras1Merge(c);
    const conv = L.class_name === 'Convolution1D' || L.class_name === 'AtrousConvolution1D';
    const conv2 = L.class_name === 'Convolution2D' || L.class_name === 'AtrousConvolution2D';
    const sep2 = L.class_name === 'SeparableConvolution2D';
    // SeparableConvolution2D th: both kernels [out, in, rows, cols] as TensorFlow's [rows, cols, in, out]
    const sepKernels = () => (c.dim_ordering === 'th' ? ws.slice(0, 2).map((W) => keep(tf.transpose(W, [2, 3, 1, 0]))).concat(ws.slice(2)) : ws);
    outWeights[c.name] = L.class_name in RNN_KIND ? joinGates(L.class_name, ws) : conv ? convKernel(c, ws) : conv2 ? conv2Kernel(c, ws) : sep2 ? sepKernels() : ws;
    return { class_name: conv ? 'Conv1D' : conv2 ? 'Conv2D' : sep2 ? 'SeparableConv2D' : L.class_name, config: layerCfg(L.class_name, c) };
  });
  if (cfg.class_name === 'Model') {
    // functional: the same layers with their inbound nodes (a cos Merge became Dot + Reshape)
    const layersOut = [];
    outLayers.forEach((L, i) => {
      const src = layers[i];
      const parts = Array.isArray(L) ? L : [L];
      parts.forEach((P, k) => layersOut.push(Object.assign({ name: P.config.name, inbound_nodes: k === 0 ? src.inbound_nodes : [[[parts[k - 1].config.name, 0, 0, {}]]] }, P)));
    });
    return { config: { class_name: 'Model', config: { name: cfg.config.name, layers: layersOut, input_layers: cfg.config.input_layers, output_layers: cfg.config.output_layers } }, weights: outWeights, created };
  }
  if (cfg.class_name !== 'Sequential') throw new Error('only Keras 1 Sequential and functional models are converted');
  return { config: { class_name: 'Sequential', config: { name: 'sequential_1', layers: outLayers } }, weights: outWeights, created };
}

// A Keras 1 Merge as the Keras 2 layer that replaced its mode; cos is Dot(normalize) reshaped
// to [batch, 1, 1], as Keras 1 expands its result (the epsilons differ, far below the tolerance).
function fromKeras1Merge(c) {
  const simple = { sum: 'Add', mul: 'Multiply', ave: 'Average', max: 'Maximum' };
  if (simple[c.mode]) return { class_name: simple[c.mode], config: { name: c.name } };
  if (c.mode === 'concat') return { class_name: 'Concatenate', config: { name: c.name, axis: c.concat_axis } };
  if (c.mode === 'dot') return { class_name: 'Dot', config: { name: c.name, axes: c.dot_axes, normalize: false } };
  if (c.mode === 'cos') {
    return [{ class_name: 'Dot', config: { name: `${c.name}__dot`, axes: c.dot_axes, normalize: true } },
      { class_name: 'Reshape', config: { name: c.name, target_shape: [1, 1] } }];
  }
  throw new Error(`Keras 1 merge mode ${c.mode} not converted`);
}

function isKeras1(kerasVersion) { return /^1\./.test(String(kerasVersion || '')); }

// tfjs has no float64 or float16: a set_floatx('float64') or ('float16') model is computed in
// float32 here (its stored weights and inputs are float32 values, so only the arithmetic's
// precision differs).
function asFloat32(v) {
  if (Array.isArray(v)) return v.map(asFloat32);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = k === 'dtype' && (x === 'float64' || x === 'float16') ? 'float32' : asFloat32(x);
    return o;
  }
  return v;
}

async function runLayers(work, weights, inputs, config) {
  const model = await tf.models.modelFromJSON({ modelTopology: asFloat32(config || work.model_config) });
  for (const [name, ws] of Object.entries(weights)) {
    if (!ws.length) continue;
    const layer = model.getLayer(name);
    const expect = layer.weights.map((v) => JSON.stringify(v.shape));
    const got = ws.map((t) => JSON.stringify(t.shape));
    if (JSON.stringify(expect) !== JSON.stringify(got)) throw new Error(`weights of ${name}: tfjs wants ${expect}, file has ${got}`);
    layer.setWeights(ws);
  }
  if (model.inputs.length !== inputs.length) throw new Error('input count');
  let y = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(y)) y = [y];
  model.dispose();
  return y;
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function readNumpy(workFile) {
  const f = workFile.replace(/\.work\.json$/, '.numpy.json');
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
}

// Largest |a − b| over all outputs and whether every element is within 1e-5 + 1e-5·|b|.
function compareOutputs(a, b, what) {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} outputs against ${b.length}`);
  let m = 0, ok = true;
  for (let i = 0; i < a.length; i++) {
    if (JSON.stringify(a[i].shape) !== JSON.stringify(b[i].shape)) throw new Error(`${what}: output ${i} shape [${a[i].shape}] against [${b[i].shape}]`);
    const x = a[i].data, y = b[i].data;
    for (let j = 0; j < y.length; j++) {
      const d = Math.abs(x[j] - y[j]);
      if (!(d <= TOL + TOL * Math.abs(y[j]))) ok = false;
      m = Math.max(m, d);
    }
  }
  return { maxAbs: m, ok };
}

const plain = (ts) => ts.map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));

async function processOne(workFile, outdir) {
  const work = JSON.parse(fs.readFileSync(workFile, 'utf8'));
  work.model_config = ATTN.normalize(work.model_config);
  const weights = {};
  for (const [name, ws] of Object.entries(work.weights)) weights[name] = ws.map((w) => tf.tensor(w.data, w.shape, 'float32'));
  const inputs = work.inputs.map((x) => tf.tensor(x.data, x.shape, 'float32'));
  let b = null, bWhy = null;
  // (fixtures of Keras 3 and Keras 1 files run it on their Keras 2 form instead)
  const kv = work.keras_version;
  if (work.check_only || !(isKeras3(kv) || isKeras1(kv))) {
    try { b = runOps(work, weights, inputs, { keras3: isKeras3(kv), legacy: legacyMasking(kv), names: weightNames(work) }); } catch (e) { bWhy = e.message; }
  }
  if (work.check_only) {
    // a corpus model with an outside reference (../shared/corpus/ref): compare tfjs-ops with it
    if (!b) throw new Error(`${work.file}: tfjs-ops cannot run it: ${bWhy}`);
    let m = 0, ymax = 0;
    work.expected.forEach((e, i) => {
      if (JSON.stringify(b[i].shape) !== JSON.stringify(e.shape)) throw new Error(`shape ${b[i].shape} vs ${e.shape}`);
      m = Math.max(m, maxAbsDiff(b[i].dataSync(), e.data));
      ymax = Math.max(ymax, ...e.data.map(Math.abs));
    });
    if (!(m <= TOL)) throw new Error(`${work.file}: tfjs-ops differs from the corpus reference by ${m}`);
    return { name: work.file, method: 'check (tfjs-ops vs corpus ref)', cross: `max_abs=${m.toExponential(2)} (max|y|=${ymax.toPrecision(2)})` };
  }
  const np = readNumpy(workFile);
  const k3 = isKeras3(work.keras_version), k1 = isKeras1(work.keras_version);
  const gaps = k3 || k1 ? [] : tfjsGaps(work.model_config);
  const adapted = k3 || k1 || gaps.length || needsOps(work.model_config) ? null : tfjsAdaptation(work.model_config, work.keras_version);
  const outRefs = outputRefs(work.model_config);
  let ref, method, short;
  let cross = [];
  if (k3) {
    ({ ref, method, cross } = await keras3Reference(work, weights, inputs, np));
    short = 'numpy';
  } else if (k1) {
    ({ ref, method, cross } = await keras1Reference(work, weights, inputs, np));
    short = 'numpy';
  } else if (adapted) {
    if (!np) throw new Error(`${workFile}: tfjs-layers runs it only adapted and there is no numpy result`);
    ref = np.outputs;
    method = `numpy float64 (tests/ref_numpy.py); tfjs-layers only runs an adapted model (${adapted.note})`;
    short = 'numpy';
    const a = await runLayers(work, weights, inputs, adapted.config);
    const c = compareOutputs(adapted.finish(plain(a), work.inputs), ref, `${workFile}: adapted tfjs-layers against numpy`);
    if (!c.ok) throw new Error(`${workFile}: numpy and the adapted tfjs-layers model differ by up to ${c.maxAbs}`);
    cross.push(`tfjs-layers on the adapted model max_abs=${c.maxAbs.toExponential(2)}`);
    tf.dispose(a);
    if (b) {
      const o = compareOutputs(plain(b), ref, `${workFile}: tfjs-ops against numpy`);
      if (!o.ok) throw new Error(`${workFile}: numpy and tfjs-ops differ by up to ${o.maxAbs}`);
      cross.push(`tfjs-ops max_abs=${o.maxAbs.toExponential(2)}`);
    }
  } else if (gaps.length || (needsOps(work.model_config) && !b)) {
    const lacks = gaps.length ? gaps.join(', ') : 'GRU reset_after=True';
    if (!np) throw new Error(`${workFile}: tfjs-layers lacks ${lacks} and there is no numpy result`);
    ref = np.outputs;
    method = `numpy float64 (tests/ref_numpy.py); tfjs-layers lacks ${lacks}`;
    short = 'numpy';
    cross.push(`tfjs-layers none: it lacks ${lacks}`);
    if (b) {
      const c = compareOutputs(plain(b), ref, `${workFile}: tfjs-ops against numpy`);
      if (!c.ok) throw new Error(`${workFile}: numpy and tfjs-ops differ by up to ${c.maxAbs}`);
      cross.push(`tfjs-ops max_abs=${c.maxAbs.toExponential(2)}`);
    } else {
      cross.push(`tfjs-ops none: ${bWhy}`);
    }
  } else if (needsOps(work.model_config)) {
    ref = plain(b);
    method = 'tfjs-ops (GRU reset_after=True step from tfjs ops, Keras formula; tfjs-layers GRUCell lacks reset_after)';
    short = 'ops';
    cross.push('tfjs-layers none (cannot build reset_after=True)');
  } else {
    const a = await runLayers(work, weights, inputs);
    ref = plain(a);
    method = 'tfjs-layers modelFromJSON + setWeights + predict';
    short = 'layers';
    if (b) {
      const c = compareOutputs(plain(b), ref, `${workFile}: tfjs-ops against tfjs-layers`);
      if (!(c.maxAbs <= TOL)) throw new Error(`${workFile}: tfjs-layers and tfjs-ops differ by ${c.maxAbs}`);
      cross.push(`tfjs-ops max_abs=${c.maxAbs.toExponential(2)}`);
    } else {
      cross.push(`tfjs-ops n/a (${bWhy})`);
    }
    tf.dispose(a);
  }
  if (short !== 'numpy') {
    if (!np) throw new Error(`${workFile}: no numpy result to cross-check`);
    const c = compareOutputs(np.outputs, ref, `${workFile}: numpy against ${short}`);
    if (!c.ok) throw new Error(`${workFile}: numpy and tfjs differ by up to ${c.maxAbs}`);
    cross.push(`numpy max_abs=${c.maxAbs.toExponential(2)}`);
  }
  const out = {
    file: work.file,
    opsets: work.opsets,
    keras_version: work.keras_version,
    reference: method,
    crosscheck: cross.join('; '),
    inputs: work.inputs.map((x) => ({ name: x.name, shape: x.shape, data: x.data })),
    outputs: ref.map((t, i) => ({ name: outName(outRefs[i]), shape: t.shape, data: t.data })),
  };
  for (const k of ['expect_ops', 'forbid_ops']) if (work[k]) out[k] = work[k];
  const dest = path.join(outdir, work.file.replace(/\.(h5|keras)$/, '.ref.json'));
  fs.writeFileSync(dest, JSON.stringify(out) + '\n');
  tf.dispose([...(b || []), ...inputs, ...Object.values(weights).flat()]);
  return { name: work.file, method: short, cross: cross.join('; ') };
}

function selftest() {
  // tfjs-layers' own hard_sigmoid (what GRU/LSTM use for recurrent_activation 'hard_sigmoid')
  // against Keras 2's definition clip(0.2 x + 0.5, 0, 1).
  const xs = [];
  for (let v = -4; v <= 4; v += 0.125) xs.push(v);
  const act = tf.layers.activation({ activation: 'hardSigmoid' });
  const y = act.apply(tf.tensor1d(xs)).dataSync();
  let m = 0;
  xs.forEach((x, i) => { m = Math.max(m, Math.abs(y[i] - Math.min(1, Math.max(0, 0.2 * x + 0.5)))); });
  console.log(`tfjs hardSigmoid vs clip(0.2x+0.5,0,1): max_abs=${m}`);
  return m < 1e-7;
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--selftest') process.exit(selftest() ? 0 : 1);
  if (!selftest()) { console.error('hard_sigmoid mismatch'); process.exit(1); }
  const work = path.resolve(args[0] || path.join(ROOT, 'tests', 'fixtures', '_work'));
  const outdir = path.resolve(args[1] || path.join(ROOT, 'tests', 'fixtures'));
  const files = fs.readdirSync(work).filter((f) => f.endsWith('.work.json')).sort();
  if (!files.length) { console.error(`no .work.json in ${work}`); process.exit(1); }
  let fail = 0;
  for (const f of files) {
    try {
      const r = await processOne(path.join(work, f), outdir);
      console.log(`${r.name}: ${r.method}; crosscheck ${r.cross}`);
    } catch (e) {
      fail++;
      console.error(`FAIL ${f}: ${e.message}`);
    }
  }
  console.log(`${files.length - fail} of ${files.length} done (references written, corpus checks passed), ${fail} failed`);
  process.exit(fail ? 1 : 0);
}

main();
