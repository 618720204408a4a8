// The attention layers and the convolutional LSTMs in the tfjs-ops interpreter of
// tests/ref_tfjs.js ("B"), written from the Keras sources with tfjs ops, to cross-check the numpy
// references of tests/ref_numpy_attn.py (tfjs-layers builds none of these but ConvLSTM2D):
//   normalize(config)  rewrites the inbound node of every Attention / AdditiveAttention /
//       MultiHeadAttention into a plain list [query, value, key?, attention_mask?] of
//       [layer, 0, tensor, {}] (from tf.keras' [[q, 0, 0, {"value": ...}]] or Keras 3's
//       {"args", "kwargs"}), the call arguments kept in config.__call__; also inside functional
//       models used as layers.
//   runOp(L, w, ins, masks, activation, keras3)  -> {value, mask} for those layers and
//       ConvLSTM1D/ConvLSTM2D (with [batch, time] masks), null for any other layer.
// Semantics as in ref_numpy_attn.py: masked scores get -1e9 added (a fully masked row is then
// uniform, as in float32 Keras), the value mask masks the keys, a masked query row is zeroed
// (Attention) or attends uniformly (MultiHeadAttention), causal masks j > i.
'use strict';

const tf = require('@tensorflow/tfjs');

const ATTENTION = ['Attention', 'AdditiveAttention', 'MultiHeadAttention'];

function k3Refs(v) {
  if (Array.isArray(v)) return v.flatMap(k3Refs);
  if (v && typeof v === 'object' && v.class_name === '__keras_tensor__') return [v.config.keras_history];
  return [];
}

function normalize(cfg) {
  if (cfg.class_name === 'Sequential') return cfg;
  const out = JSON.parse(JSON.stringify(cfg));
  for (const L of out.config.layers) {
    // a functional model used as a layer: its own layers the same way
    if (['Functional', 'Model'].includes(L.class_name) && L.config && Array.isArray(L.config.layers)) {
      L.config = normalize({ class_name: L.class_name, config: L.config }).config;
      continue;
    }
    if (!ATTENTION.includes(L.class_name) || L.inbound_nodes.length !== 1) continue;
    const node = L.inbound_nodes[0];
    const call = {};
    let refs;
    let kw;
    if (!Array.isArray(node)) {
      kw = Object.assign({}, node.kwargs || {});
      if (L.class_name === 'MultiHeadAttention') {
        const parts = {};
        ['query', 'value', 'key'].forEach((n, i) => { if (node.args[i] !== undefined) parts[n] = k3Refs(node.args[i]); });
        for (const n of ['query', 'value', 'key', 'attention_mask']) if (kw[n] !== undefined) parts[n] = k3Refs(kw[n]);
        refs = ['query', 'value', 'key', 'attention_mask'].filter((n) => parts[n] && parts[n].length).flatMap((n) => parts[n]);
        call.key = !!(parts.key && parts.key.length);
        call.attention_mask = !!(parts.attention_mask && parts.attention_mask.length);
      } else {
        refs = k3Refs(node.args);
        call.key = refs.length > 2;
      }
    } else {
      kw = node[0][3] || {};
      refs = node.map((e) => e.slice(0, 3));
      if (L.class_name === 'MultiHeadAttention') {
        for (const n of ['value', 'key', 'attention_mask']) if (kw[n]) refs.push(kw[n]);
        call.key = !!kw.key;
        call.attention_mask = !!kw.attention_mask;
      } else call.key = refs.length > 2;
    }
    for (const k of ['use_causal_mask', 'return_attention_scores']) if (kw[k] !== undefined) call[k] = kw[k];
    L.inbound_nodes = [refs.map((h) => [h[0], h[1], h[2], {}])];
    L.config.__call__ = call;
  }
  return out;
}

// softmax over the last axis; keep: boolean tensor broadcastable to s, or null
function maskedSoftmax(s, keep) {
  if (keep) s = tf.sub(s, tf.mul(tf.sub(1, tf.cast(keep, 'float32')), 1e9));
  return tf.softmax(s, -1);
}

function causal(tq, tv) {
  return tf.greaterEqual(tf.range(0, tq).reshape([tq, 1]), tf.range(0, tv).reshape([1, tv]));
}

function denseAttention(cls, cfg, w, ins, masks) {
  const call = cfg.__call__ || {};
  const [q, v] = ins;
  const k = call.key ? ins[2] : v;
  const ws = w.slice();
  let s;
  if (cls === 'Attention') {
    const scale = cfg.use_scale ? ws.shift() : null;
    if ((cfg.score_mode || 'dot') === 'dot') {
      s = tf.matMul(q, k, false, true);
      if (scale) s = tf.mul(s, scale);
    } else {
      const csw = ws.shift();
      let t = tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3));
      if (scale) t = tf.mul(t, scale);
      s = tf.mul(csw, tf.sum(tf.tanh(t), -1));
    }
  } else {
    const scale = cfg.use_scale !== false ? ws.shift() : tf.scalar(1);
    s = tf.sum(tf.mul(scale, tf.tanh(tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3)))), -1);
  }
  let keep = masks[1] ? tf.expandDims(masks[1], 1) : null;
  if (call.use_causal_mask || cfg.causal) {
    const c = causal(s.shape[s.shape.length - 2], s.shape[s.shape.length - 1]);
    keep = keep ? tf.logicalAnd(keep, c) : c;
  }
  const p = maskedSoftmax(s, keep);
  let out = tf.matMul(p, v);
  if (masks[0]) out = tf.mul(out, tf.expandDims(tf.cast(masks[0], 'float32'), -1));
  if (call.return_attention_scores) throw new Error('return_attention_scores: a second output, not in the interpreter');
  return { value: out, mask: masks[0] || null };
}

function multiHeadAttention(cfg, w, ins, masks) {
  const call = cfg.__call__ || {};
  const [q, v] = ins;
  let n = 2;
  let k = v, km = null;
  if (call.key) { k = ins[2]; km = masks[2]; n = 3; }
  const am = call.attention_mask ? ins[n] : null;
  const ws = w.slice();
  const bias = cfg.use_bias !== false;
  if (q.shape.length > 3) return multiHeadAttentionEinsum(cfg, ws, q, v, k, masks, am, call);
  // x [B, T, d] · kernel [d, H, D] (+ bias [H, D]) -> [B, T, H, D]
  const proj = (x) => {
    const K = ws.shift();
    const [d, H, D] = K.shape;
    let y = tf.matMul(x.reshape([-1, d]), K.reshape([d, H * D])).reshape([x.shape[0], x.shape[1], H, D]);
    if (bias) y = tf.add(y, ws.shift());
    return y;
  };
  const Q = tf.div(proj(q), Math.sqrt(cfg.key_dim));
  const K = proj(k), V = proj(v);
  const Wo = ws.shift();
  const bo = bias ? ws.shift() : null;
  // [B, H, T, S]
  const s = tf.matMul(tf.transpose(Q, [0, 2, 1, 3]), tf.transpose(K, [0, 2, 1, 3]), false, true);
  let keep = null;
  const and = (m) => { keep = keep ? tf.logicalAnd(keep, m) : m; };
  if (masks[0]) and(tf.expandDims(masks[0], 2));
  if (masks[1]) and(tf.expandDims(masks[1], 1));
  if (km) and(tf.expandDims(km, 1));
  if (call.use_causal_mask) and(tf.expandDims(causal(q.shape[1], v.shape[1]), 0));
  if (am) and(tf.cast(am, 'bool'));
  const p = maskedSoftmax(s, keep ? tf.expandDims(keep, 1) : null);
  const O = tf.transpose(tf.matMul(p, tf.transpose(V, [0, 2, 1, 3])), [0, 2, 1, 3]);   // [B, T, H, Dv]
  const [H, Dv, ...os] = Wo.shape;
  const d = os.reduce((a, b) => a * b, 1);
  let out = tf.matMul(O.reshape([-1, H * Dv]), Wo.reshape([H * Dv, d])).reshape([q.shape[0], q.shape[1], ...os]);
  if (bo) out = tf.add(out, bo);
  return { value: out, mask: masks[0] || null, more: call.return_attention_scores ? [p] : [] };
}

// Inputs of rank > 3 with attention_axes: the einsums Keras builds (_build_attention_equation),
// the softmax over all key attention axes at once; no masks.
function multiHeadAttentionEinsum(cfg, ws, q, v, k, masks, am, call) {
  if (masks.some(Boolean) || am || call.use_causal_mask) throw new Error('MultiHeadAttention masks on rank > 3 inputs not in the interpreter');
  const r = q.shape.length;
  const axes = cfg.attention_axes == null ? Array.from({ length: r - 2 }, (_, i) => i + 1)
    : (Array.isArray(cfg.attention_axes) ? cfg.attention_axes : [cfg.attention_axes]);
  const bias = cfg.use_bias !== false;
  const L = 'bcdefg'.slice(0, r - 1);                    // batch and inner axes of the query
  const S = L.split('').map((ch, i) => (axes.includes(i) ? ch.toUpperCase() : ch)).join('');
  const other = L.split('').filter((_, i) => !axes.includes(i)).join('');
  const attQ = L.split('').filter((_, i) => axes.includes(i)).join('');
  const proj = (x, letters) => {
    const K = ws.shift();
    let y = tf.einsum(`${letters}z,zhk->${letters}hk`, x, K);
    if (bias) y = tf.add(y, ws.shift());
    return y;
  };
  const Q = tf.div(proj(q, L), Math.sqrt(cfg.key_dim));
  const K = proj(k, S), V = proj(v, S);
  const Wo = ws.shift();
  const bo = bias ? ws.shift() : null;
  const sc = tf.einsum(`${S}hk,${L}hk->${other}h${attQ}${attQ.toUpperCase()}`, K, Q);
  const lead = sc.shape.slice(0, sc.shape.length - attQ.length);
  const p = tf.softmax(sc.reshape([...lead, -1]), -1).reshape(sc.shape);
  const O = tf.einsum(`${other}h${attQ}${attQ.toUpperCase()},${S}hv->${L}hv`, p, V);
  const [H, Dv, ...os] = Wo.shape;
  const d = os.reduce((a, b) => a * b, 1);
  let out = tf.matMul(O.reshape([-1, H * Dv]), Wo.reshape([H * Dv, d])).reshape([...q.shape.slice(0, r - 1), ...os]);
  if (bo) out = tf.add(out, bo);
  return { value: out, mask: null, more: call.return_attention_scores ? [p] : [] };
}

// ConvLSTM1D/2D with tf.conv1d / tf.conv2d (NWC / NHWC; channels_first transposed around it).
// mask [N, T] booleans or null: a masked step keeps h and c and outputs the previous output
// (zeros at first), or zeros with zeroOutput. Returns [output] (+ h, c with return_state).
function convLstm(cls, cfg, w, x, act, mask, zeroOutput) {
  const rank = cls === 'ConvLSTM1D' ? 1 : 2;
  const first = cfg.data_format === 'channels_first';
  if ((cfg.dilation_rate || []).some((d) => d !== 1)) throw new Error('ConvLSTM dilation not in the interpreter');
  if (first) x = tf.transpose(x, rank === 1 ? [0, 1, 3, 2] : [0, 1, 3, 4, 2]);
  const [kernel, rec] = w;
  const b = cfg.use_bias !== false ? w[2] : null;
  const F = cfg.filters;
  const conv = (t, k, s, pad) => (rank === 1 ? tf.conv1d(t, k, s, pad) : tf.conv2d(t, k, s, pad));
  const s = rank === 1 ? cfg.strides[0] : cfg.strides;
  const T = x.shape[1];
  const step = (t) => tf.squeeze(tf.slice(x, [0, t].concat(x.shape.slice(2).map(() => 0)), [x.shape[0], 1].concat(x.shape.slice(2))), [1]);
  let h = null, c = null, y = null;
  const outs = [];
  for (let i = 0; i < T; i++) {
    const t = cfg.go_backwards ? T - 1 - i : i;
    let z = conv(step(t), kernel, s, cfg.padding);
    if (b) z = tf.add(z, b);
    if (!h) { h = tf.zeros(z.shape.slice(0, -1).concat([F])); c = h; y = h; }
    z = tf.add(z, conv(h, rec, 1, 'same'));
    const [zi, zf, zc, zo] = tf.split(z, 4, -1);
    const cNew = tf.add(tf.mul(act(cfg.recurrent_activation, zf), c), tf.mul(act(cfg.recurrent_activation, zi), act(cfg.activation, zc)));
    const hNew = tf.mul(act(cfg.recurrent_activation, zo), act(cfg.activation, cNew));
    if (mask) {
      const keep = tf.slice(mask, [0, t], [x.shape[0], 1]).reshape([x.shape[0]].concat(hNew.shape.slice(1).map(() => 1)));
      const bk = tf.broadcastTo(keep, hNew.shape);
      y = tf.where(bk, hNew, zeroOutput ? tf.zerosLike(hNew) : y);
      c = tf.where(bk, cNew, c);
      h = tf.where(bk, hNew, h);
    } else {
      c = cNew;
      h = hNew;
      y = h;
    }
    outs.push(y);
  }
  const back = (v) => (first ? tf.transpose(v, rank === 1 ? [0, 2, 1] : [0, 3, 1, 2]) : v);
  const out = cfg.return_sequences ? tf.stack(outs.map(back), 1) : back(outs[outs.length - 1]);
  return cfg.return_state ? [out, back(h), back(c)] : [out];
}

function runOp(L, w, ins, masks, activation, keras3) {
  const act = (n, v) => activation(n, v, keras3);
  if (L.class_name === 'Attention' || L.class_name === 'AdditiveAttention') return denseAttention(L.class_name, L.config, w, ins, masks);
  if (L.class_name === 'MultiHeadAttention') return multiHeadAttention(L.config, w, ins, masks);
  const inner = L.class_name === 'Bidirectional' ? L.config.layer : null;
  const conv = (c) => c === 'ConvLSTM1D' || c === 'ConvLSTM2D';
  if (!conv(L.class_name) && !(inner && conv(inner.class_name))) return null;
  if (ins.length !== 1) throw new Error(`${L.class_name} with initial states not in the interpreter`);
  // Keras 3 passes zero_output_for_mask on (Bidirectional forces it to return_sequences); tf.keras'
  // ConvRNN does not
  const mask = masks[0] || null;
  if (!inner) {
    const ys = convLstm(L.class_name, L.config, w, ins[0], act, mask, keras3 && !!L.config.zero_output_for_mask);
    return { value: ys[0], mask: L.config.return_sequences ? mask : null, more: ys.slice(1) };
  }
  if (inner.config.return_state) throw new Error('Bidirectional(ConvLSTM) return_state not in the interpreter');
  const half = w.length / 2;
  const bcfg = L.config.backward_layer ? L.config.backward_layer.config
    : Object.assign({}, inner.config, { go_backwards: !inner.config.go_backwards });
  const zero = keras3 && !!inner.config.return_sequences;
  const y = convLstm(inner.class_name, inner.config, w.slice(0, half), ins[0], act, mask, zero)[0];
  let yr = convLstm(inner.class_name, bcfg, w.slice(half), ins[0], act, mask, zero)[0];
  if (inner.config.return_sequences) yr = tf.reverse(yr, 1);
  const merge = { concat: () => tf.concat([y, yr], -1), sum: () => tf.add(y, yr), ave: () => tf.div(tf.add(y, yr), 2), mul: () => tf.mul(y, yr) };
  if (!merge[L.config.merge_mode]) throw new Error(`merge_mode ${L.config.merge_mode} not in the interpreter`);
  return { value: merge[L.config.merge_mode](), mask: inner.config.return_sequences ? mask : null };
}

module.exports = { normalize, runOp };
