#!/usr/bin/python3
"""Fixtures for the attention layers and the convolutional LSTMs, written like gen_fixtures.py's
(imported by its main(); every job here carries its own writer in kw['write']).

  Attention, AdditiveAttention (tf.keras 2.11 `tfk2`, Keras 3.13 legacy h5 `k3`)
    tf.keras 2.11 keras/layers/attention/{base_dense_attention,attention,additive_attention}.py:
    - config: name, trainable, dtype, dropout, then Attention use_scale, score_mode /
      AdditiveAttention use_scale (BaseDenseAttention.get_config puts dropout first); tf.keras
      2.4-2.10 wrote `causal` before dropout, and 2.11 still reads it (__init__ pops it)
    - weights: Attention `attention/scale:0` (shape (), use_scale) then
      `attention/concat_score_weight:0` (shape (), score_mode 'concat'); AdditiveAttention
      `additive_attention/scale:0` of shape (dim,) when use_scale
    - inbound node: the first call argument is the list [query, value(, key)], so every tensor of
      it carries the call kwargs: [[["q", 0, 0, {}], ["v", 0, 0, {}]]], with
      {"use_causal_mask": true} or {"return_attention_scores": true} in each when passed
  Keras 3 keras/src/layers/attention/{attention,additive_attention}.py: config name, trainable,
    dtype (DTypePolicy), use_scale, score_mode, dropout (AdditiveAttention: use_scale, dropout);
    weight paths `attention/scale`, `attention/concat_score_weight`; the node is
    {"args": [[q, v]], "kwargs": {}} (the list argument makes Layer.__call__ convert the inputs,
    which rebinds its kwargs, so the node keeps only what the caller passed:
    use_causal_mask / return_attention_scores)
  MultiHeadAttention
    tf.keras 2.11 keras/layers/attention/multi_head_attention.py: config name, trainable, dtype,
    num_heads, key_dim, value_dim, dropout, use_bias, output_shape, attention_axes ([1] once
    built on 3-D inputs), kernel_initializer, bias_initializer, kernel_regularizer,
    bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, query_shape,
    key_shape, value_shape; weights `multi_head_attention/query/kernel:0` [d, heads, key_dim],
    `.../query/bias:0` [heads, key_dim], key (same, from the key's d), value [dv, heads, value_dim]
    + [heads, value_dim], `.../attention_output/kernel:0` [heads, value_dim, d_query] +
    `.../attention_output/bias:0` [d_query]; no bias arrays with use_bias=False. The node puts
    every argument after the query in the kwargs of the query entry:
    [[["q", 0, 0, {"value": ["v", 0, 0], "key": [...], "attention_mask": [...],
    "use_causal_mask": true}]]]
    Keras 3 keras/src/layers/attention/multi_head_attention.py: config ... bias_constraint, seed;
    paths `multi_head_attention/query/kernel` ...; node {"args": [q, v(, k)], "kwargs":
    {"attention_mask": tensor, "use_causal_mask": true}}, or, called mha(q, value=v, key=k),
    {"args": [q], "kwargs": {"value": tensor, "key": tensor, ..., "query_mask": null, ...}}
    (m_nested_mha_kwargs, inside a nested functional model)
  ConvLSTM2D / ConvLSTM1D
    `tf224` imitates ../shared/corpus/keras/KonduitAI-dl4j-test-resources__modelimport_keras_
    tfkeras_convlstm2d_{0,1}.h5 (keras_version 2.2.4-tf): root keras_version/backend vlen
    UTF-8, model_config vlen ASCII, no training_config; layer_names and weight_names fixed-length
    strings, no top_level_model_weights; class_name "Model", entries name, class_name, config,
    inbound_nodes; initializers carry dtype; names conv_lst_m2d, conv_lst_m2d_1 (tf.keras'
    to_snake_case); weights `conv_lst_m2d/kernel:0` [kh, kw, cin, 4F],
    `conv_lst_m2d/recurrent_kernel:0` [kh, kw, F, 4F], `conv_lst_m2d/bias:0` [4F], gates i, f, c, o;
    Bidirectional `bidirectional/forward_conv_lst_m2d/kernel:0` ... then backward_.
    tfk2 (2.11): the same names (ConvRNN.build builds the cell outside a name scope), config as
    the corpus with 2.11 initializers. k3: `conv_lstm2d` / `conv_lstm1d` (Keras 3's to_snake_case),
    paths `conv_lstm2d/conv_lstm_cell/kernel` (the RNN layer builds its cell in the cell's scope);
    a Keras 3 Bidirectional holds `bidirectional/forward_conv_lstm2d/conv_lstm_cell/kernel` ...
    Masks reach ConvLSTM as [batch, time] masks through TimeDistributed (m_convlstm_masked).
"""
import json

import h5py
import numpy as np

import gen_fixtures as G

T_SEQ = 4


# ---------------------------------------------------------------------------------------------
# writers and model classes with explicit inbound nodes
# ---------------------------------------------------------------------------------------------
class TF224(G.Flavour):
    """tf.keras as TF 1.13-1.15 saved it (keras_version '2.2.4-tf')."""

    def __init__(self):
        G.Flavour.__init__(self, 'tfk2')
        self.tag = 'tf224'
        self.keras_version = '2.2.4-tf'

    def init(self, cls, cfg):
        c = dict(cfg)
        c['dtype'] = 'float32'
        return {"class_name": cls, "config": c}

    def glorot(self):
        return self.init("GlorotUniform", {"seed": None})

    def orthogonal(self):
        return self.init("Orthogonal", {"gain": 1.0, "seed": None})

    def zeros(self):
        return self.init("Zeros", {})

    def functional_entry(self, cls, name, config, inbound):
        return {"name": name, "class_name": cls, "config": config, "inbound_nodes": inbound}


class AModel(G.Model):
    """A Keras 2 functional model whose layers may carry their own inbound_nodes (L['node'])."""

    def config(self, model_name):
        cfg = G.Model.config(self, model_name)
        for entry, L in zip(cfg['config']['layers'], self.layers):
            if 'node' in L:
                entry['inbound_nodes'] = L['node']
        if self.fl.tag == 'tf224':
            cfg['class_name'] = 'Model'
        return cfg


def write_keras2(path, m):
    fl = m.fl
    if fl.tag != 'tf224':
        G.write_h5(path, m, fl, 'model')
        return
    cfg = m.config('model')
    names = lambda obj, key, lst: obj.attrs.create(key, np.array([n.encode('ascii') for n in lst])) if lst \
        else obj.attrs.create(key, np.zeros((0,), dtype='<f8'))
    with h5py.File(path, 'w') as f:
        G.put_str(f, 'keras_version', fl.keras_version, utf8=True)
        G.put_str(f, 'backend', 'tensorflow', utf8=True)
        G.put_str(f, 'model_config', json.dumps(cfg))
        mw = f.create_group('model_weights')
        layers = m.weight_layers()
        names(mw, 'layer_names', [L['name'] for L in layers])
        G.put_str(mw, 'backend', 'tensorflow')
        G.put_str(mw, 'keras_version', fl.keras_version)
        for L in layers:
            g = mw.create_group(L['name'])
            wn = G.weight_names(fl, L)
            names(g, 'weight_names', wn)
            for n, w in zip(wn, L['weights']):
                g.create_dataset(n, data=w[-1].astype('<f4'))


class AK3Model(G.K3Model):
    """A Keras 3 functional model: named inputs of any dtype, layers with several outputs
    (L['shapes']) and nodes given as {"args", "kwargs"} structures holding ('T', layer, tensor)
    references."""

    def __init__(self):
        G.K3Model.__init__(self)
        self.dtypes = {}

    def tensor_input(self, shape, dtype='float32', name=None):
        name = name or ('input_layer' if not self.inputs else 'input_layer_%d' % len(self.inputs))
        bshape = [None] + list(shape)
        self.inputs.append((name, bshape))
        if dtype != 'float32':
            self.dtypes[name] = dtype
        cfg = {"batch_shape": bshape, "dtype": dtype, "sparse": False, "ragged": False, "name": name,
               "optional": False}
        return self.add('InputLayer', name, cfg, [], bshape)

    def config(self):
        cfg = G.K3Model.config(self)
        shapes = {}
        for L in self.layers:
            for t, s in enumerate(L.get('shapes') or [L['shape']]):
                shapes[(L['name'], t)] = s

        def ser(v):
            if isinstance(v, tuple) and v and v[0] == 'T':
                dtype = self.dtypes.get(v[1], 'float32') if v[1] in self.dtypes else 'float32'
                return {"class_name": "__keras_tensor__",
                        "config": {"shape": shapes[(v[1], v[2])], "dtype": dtype, "keras_history": [v[1], 0, v[2]]}}
            if isinstance(v, list):
                return [ser(x) for x in v]
            if isinstance(v, dict):
                return {k: ser(x) for k, x in v.items()}
            return v
        for entry, L in zip(cfg['config']['layers'], self.layers):
            if 'node' in L:
                entry['inbound_nodes'] = [ser(L['node'])]
            elif L['inbound']:
                for a in entry['inbound_nodes'][0]['args']:
                    src = a['config']['keras_history'][0]
                    a['config']['dtype'] = self.dtypes.get(src, 'float32')
        outs = [[n, 0, t] for n, t in map(G.tensor_ref, self.outputs)]
        cfg['config']['output_layers'] = outs if len(outs) != 1 else outs[0]
        ins = [[n, 0, 0] for n, _ in self.inputs]
        cfg['config']['input_layers'] = ins if len(ins) != 1 else ins[0]
        return cfg


def write_k3(path, m):
    G.write_h5_k3(path, m)


def write_k3_archive(path, m):
    """The model as a Keras 3 .keras archive with stored members: config.json is the functional
    config of the .h5 with what serialize_keras_object adds to each layer (module,
    registered_name, build_config of a layer with variables); model.weights.h5 holds each layer's
    variables at layers/<snake_case class>[_N]/vars, a recurrent layer's at .../cell/vars, a
    Bidirectional's at .../forward_layer/cell/vars and .../backward_layer/cell/vars."""
    cfg = m.config()
    shapes = {}
    for L in m.layers:
        for t, s in enumerate(L.get('shapes') or [L['shape']]):
            shapes[(L['name'], t)] = s
    for entry, L in zip(cfg['config']['layers'], m.layers):
        entry['module'] = 'keras.layers'
        entry['registered_name'] = None
        if L['weights']:
            entry['build_config'] = {"input_shape": shapes[(L['inbound'][0], 0)]}
    cfg.update(module='keras.src.models.functional', registered_name='Functional')
    G.write_keras_members(path, m, False, config=cfg)


def T(name, t=0):
    return ('T', name, t)


# ---------------------------------------------------------------------------------------------
# common pieces
# ---------------------------------------------------------------------------------------------
def k3_base(name):
    return {"name": name, "trainable": True, "dtype": G.k3_dtype()}


def tokens(rng, shape):
    """Token data with 0 (masked) steps: sample 0 post-padded, sample 1 a 0 in the middle, sample 2
    pre-padded, never a whole sequence."""
    return G.token_data(rng, shape, zeros=True)


def add_input(m, shape, name, dtype='float32'):
    if isinstance(m, G.K3Model):
        return m.tensor_input(shape, dtype)
    return m.input(name, shape, dtype=dtype)


def add_embedding(m, rng, src, seq, name=None):
    """Embedding(VOCAB, EMB, mask_zero=True) on an int32 input."""
    if isinstance(m, G.K3Model):
        name = name or m_uid(m, 'embedding')
        c = k3_base(name)
        c.update({"input_dim": G.VOCAB, "output_dim": G.EMB,
                  "embeddings_initializer": G.k3_object("keras.initializers", "RandomUniform",
                                                        {"seed": None, "minval": -0.05, "maxval": 0.05}),
                  "embeddings_regularizer": None, "activity_regularizer": None, "embeddings_constraint": None,
                  "mask_zero": True})
        return m.add('Embedding', name, c, [src], [None, seq, G.EMB],
                     [(m.path(name, 'embeddings'), G.rnd(rng, (G.VOCAB, G.EMB), 1.0))])
    fl = m.fl
    name = fl.uid('embedding')
    c = fl.embedding(name, seq, True)
    return m.add('Embedding', name, c, [src], [('embeddings', G.rnd(rng, (G.VOCAB, G.EMB), 1.0))])


def m_uid(m, base):
    n = getattr(m, '_uids', {}).get(base, 0)
    m._uids = dict(getattr(m, '_uids', {}), **{base: n + 1})
    return base if n == 0 else '%s_%d' % (base, n)


# ---------------------------------------------------------------------------------------------
# Attention / AdditiveAttention
# ---------------------------------------------------------------------------------------------
def attn_config(m, cls, name, use_scale, score_mode='dot', causal_cfg=None):
    if isinstance(m, G.K3Model):
        c = k3_base(name)
        c["use_scale"] = use_scale
        if cls == 'Attention':
            c["score_mode"] = score_mode
        c["dropout"] = 0.0
        return c
    c = m.fl.base(name)
    if causal_cfg is not None:
        c["causal"] = causal_cfg
    c["dropout"] = 0.0
    c["use_scale"] = use_scale
    if cls == 'Attention':
        c["score_mode"] = score_mode
    return c


def add_attention(m, rng, cls, srcs, dim, use_scale, score_mode='dot', call=None, causal_cfg=None,
                  out_shapes=None):
    """cls(...)(srcs = [query, value(, key)], **call); srcs entries: layer name or (name, tensor)."""
    call = call or {}
    base = 'attention' if cls == 'Attention' else 'additive_attention'
    k3 = isinstance(m, G.K3Model)
    name = m_uid(m, base) if k3 else m.fl.uid(base)
    ws = []
    if cls == 'Attention':
        if use_scale:
            ws.append(('scale', np.array(rng.uniform(0.5, 1.5), '<f4')))
        if score_mode == 'concat':
            ws.append(('concat_score_weight', np.array(rng.uniform(0.5, 1.5), '<f4')))
    elif use_scale:
        ws.append(('scale', G.rnd(rng, (dim,), 1.0)))
    cfg = attn_config(m, cls, name, use_scale, score_mode, causal_cfg)
    refs = [G.tensor_ref(s) for s in srcs]
    if k3:
        ws = [(m.path(name, w), a) for w, a in ws]
        m.add(cls, name, cfg, [r[0] for r in refs], out_shapes[0], ws)
        m.layers[-1]['node'] = {"args": [[T(*r) for r in refs]], "kwargs": dict(call)}
        m.layers[-1]['shapes'] = out_shapes
    else:
        m.add(cls, name, cfg, [r[0] for r in refs], ws)
        m.layers[-1]['node'] = [[[r[0], 0, r[1], dict(call)] for r in refs]]
    return name


def new_model(flav):
    if flav == 'k3':
        return AK3Model()
    return AModel(TF224() if flav == 'tf224' else G.Flavour(flav))


def masked_token_pair(m, rng, tq, tv):
    """Two int32 token inputs (data with padding zeros), each through its own
    Embedding(mask_zero=True)."""
    qi = add_input(m, [tq], 'query_tokens', 'int32')
    vi = add_input(m, [tv], 'value_tokens', 'int32')
    for n in (qi, vi):
        m.data_fns[n] = tokens
    return add_embedding(m, rng, qi, tq), add_embedding(m, rng, vi, tv)


def m_attn_dot(flav, rng, tq=4, tv=5, d=3):
    """Query [tq, d], value [tv, d], key [tv, d]: Attention dot without and with scale, with a key,
    concat score mode with and without scale; AdditiveAttention with and without scale."""
    m = new_model(flav)
    q = add_input(m, [tq, d], 'query')
    v = add_input(m, [tv, d], 'value')
    k = add_input(m, [tv, d], 'key')
    sh = [[None, tq, d]]
    m.outputs = [
        add_attention(m, rng, 'Attention', [q, v], d, False, out_shapes=sh),
        add_attention(m, rng, 'Attention', [q, v, k], d, True, out_shapes=sh),
        add_attention(m, rng, 'Attention', [q, v], d, False, 'concat', out_shapes=sh),
        add_attention(m, rng, 'Attention', [q, v, k], d, True, 'concat', out_shapes=sh),
        add_attention(m, rng, 'AdditiveAttention', [q, v], d, True, out_shapes=sh),
        add_attention(m, rng, 'AdditiveAttention', [q, v, k], d, False, out_shapes=sh),
    ]
    return m


def m_attn_causal(flav, rng, t=5, d=3, cfg_key=False, scores=False):
    """Self attention with a causal mask (call kwarg use_causal_mask; cfg_key: the older `causal`
    config key instead); scores: return_attention_scores alone."""
    m = new_model(flav)
    x = add_input(m, [t, d], 'inputs')
    sh = [[None, t, d]]
    if cfg_key:
        m.outputs = [add_attention(m, rng, 'Attention', [x, x], d, True, causal_cfg=True, out_shapes=sh),
                     add_attention(m, rng, 'AdditiveAttention', [x, x], d, True, causal_cfg=True, out_shapes=sh)]
        return m
    if scores:
        c = add_attention(m, rng, 'Attention', [x, x], d, False, call={"return_attention_scores": True},
                          out_shapes=[[None, t, d], [None, t, t]])
        m.outputs = [c, (c, 1)]
        return m
    a = add_attention(m, rng, 'Attention', [x, x], d, True, call={"use_causal_mask": True}, out_shapes=sh)
    b = add_attention(m, rng, 'AdditiveAttention', [x, x, x], d, True, call={"use_causal_mask": True}, out_shapes=sh)
    m.outputs = [a, b]
    return m


def m_attn_mask(flav, rng, tq=5, tv=6):
    """Two int32 token inputs through Embedding(mask_zero): Attention([q, v]) and
    AdditiveAttention([q, v]) (the value mask masks the keys, the query mask zeroes output rows),
    and causal self attention on the masked query sequence."""
    m = new_model(flav)
    d = G.EMB
    eq, ev = masked_token_pair(m, rng, tq, tv)
    m.outputs = [
        add_attention(m, rng, 'Attention', [eq, ev], d, True, out_shapes=[[None, tq, d]]),
        add_attention(m, rng, 'AdditiveAttention', [eq, ev], d, True, out_shapes=[[None, tq, d]]),
        add_attention(m, rng, 'Attention', [eq, eq], d, False, call={"use_causal_mask": True},
                      out_shapes=[[None, tq, d]]),
    ]
    return m


def m_attn_masking(flav, rng, t=5, d=3):
    """Input -> Masking(0.0) -> Attention([x, x]) and AdditiveAttention([x, x])."""
    m = new_model(flav)
    x = m.source([t, d], mask=(0.0, 'pad'))
    m.outputs = [add_attention(m, rng, 'Attention', [x, x], d, True),
                 add_attention(m, rng, 'AdditiveAttention', [x, x], d, True)]
    return m


def m_attn_2d(flav, rng, feat=6, width=4):
    """The corpus keras-attention.h5 in small: Input(feat) -> Dense(width, relu) -> Attention([d, d])
    on rank-2 tensors (softmax(d d^T) mixes the batch) -> Concatenate -> Dense(1, relu)."""
    m = new_model(flav)
    fl = m.fl
    x = m.input('inputs', [feat])
    d = fl.uid('dense')
    m.add('Dense', d, fl.dense(d, width, 'relu'), [x], G.dense_weights(rng, feat, width))
    a = add_attention(m, rng, 'Attention', [d, d], width, False)
    c = fl.uid('concatenate')
    m.add('Concatenate', c, fl.simple_layer(c, axis=-1), [d, a])
    o = fl.uid('dense')
    m.add('Dense', o, fl.dense(o, 1, 'linear'), [c], G.dense_weights(rng, 2 * width, 1))
    m.outputs = [a, o]
    return m


# ---------------------------------------------------------------------------------------------
# MultiHeadAttention
# ---------------------------------------------------------------------------------------------
def mha_config(m, name, heads, key_dim, value_dim, use_bias, shapes):
    if isinstance(m, G.K3Model):
        c = k3_base(name)
        init = G.k3_initializers()
        c.update({"num_heads": heads, "key_dim": key_dim, "value_dim": value_dim, "dropout": 0.0,
                  "use_bias": use_bias, "output_shape": None, "attention_axes": [1],
                  "kernel_initializer": init["kernel_initializer"], "bias_initializer": init["bias_initializer"],
                  "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                  "kernel_constraint": None, "bias_constraint": None, "seed": None})
        return c
    fl = m.fl
    c = fl.base(name)
    c.update({"num_heads": heads, "key_dim": key_dim, "value_dim": value_dim, "dropout": 0.0,
              "use_bias": use_bias, "output_shape": None, "attention_axes": [1],
              "kernel_initializer": fl.glorot(), "bias_initializer": fl.zeros(),
              "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
              "kernel_constraint": None, "bias_constraint": None,
              "query_shape": shapes[0], "key_shape": shapes[2], "value_shape": shapes[1]})
    return c


def add_mha(m, rng, query, value, key=None, heads=2, key_dim=3, value_dim=None, use_bias=True,
            dims=(None, None, None), seqs=(None, None), attention_mask=None, call=None,
            output_shape=None, attention_axes=None, inner=None, keywords=False):
    """MultiHeadAttention(heads, key_dim, value_dim, use_bias, output_shape, attention_axes)(query,
    value[, key], attention_mask=..., **call). dims: feature sizes of query, value, key; seqs: Tq,
    Tv; inner: the axes between batch and features of query and value, for inputs of rank > 3
    (seqs then unused). Keras writes attention_axes as built: every inner axis by default.
    keywords (Keras 3): the call mha(query, value=value, key=key, ...), its node
    {"args": [query], "kwargs": {"value", "key", "attention_mask", and the query_mask and
    value_mask (key_mask) of None that Layer.__call__ adds for each tensor argument with a
    <name>_mask parameter}}; tf.keras writes every tensor after the query by keyword anyway."""
    call = call or {}
    value_dim = value_dim or key_dim
    dq, dv, dk = dims
    dk = dk or dv
    qin, vin = inner or ([seqs[0]], [seqs[1]])
    out_dims = ([output_shape] if isinstance(output_shape, int) else list(output_shape)) if output_shape else [dq]
    k3 = isinstance(m, G.K3Model)
    name = m_uid(m, 'multi_head_attention') if k3 else m.fl.uid('multi_head_attention')
    ws = []
    for sub, din, width in (('query', dq, key_dim), ('key', dk, key_dim), ('value', dv, value_dim)):
        ws.append(('%s/kernel' % sub, G.rnd(rng, (din, heads, width), 0.6)))
        if use_bias:
            ws.append(('%s/bias' % sub, G.rnd(rng, (heads, width), 0.3)))
    ws.append(('attention_output/kernel', G.rnd(rng, (heads, value_dim) + tuple(out_dims), 0.6)))
    if use_bias:
        ws.append(('attention_output/bias', G.rnd(rng, tuple(out_dims), 0.3)))
    tq, tv = seqs
    shapes = [[None] + qin + [dq], [None] + vin + [dv], [None] + vin + [dk]]
    cfg = mha_config(m, name, heads, key_dim, value_dim, use_bias, shapes)
    cfg["output_shape"] = output_shape
    cfg["attention_axes"] = attention_axes if attention_axes is not None else list(range(1, len(qin) + 1))
    srcs = [query, value] + ([key] if key is not None else [])
    if k3:
        ws = [(m.path(name, w), a) for w, a in ws]
        m.add('MultiHeadAttention', name, cfg, srcs, [None] + qin + out_dims, ws)
        kw = {}
        args = [T(s) for s in srcs]
        if keywords:
            args = args[:1]
            kw["value"] = T(value)
            if key is not None:
                kw["key"] = T(key)
        if attention_mask is not None:
            kw["attention_mask"] = T(attention_mask)
        if keywords:
            kw.update({"%s_mask" % n: None for n in ('query', 'value', 'key')[:len(srcs)]})
        kw.update(call)
        m.layers[-1]['node'] = {"args": args, "kwargs": kw}
        if call.get('return_attention_scores'):
            # scores: [batch, the other inner axes, heads, the query's attention axes, the key's]
            axes = cfg["attention_axes"]
            inner_axes = range(1, len(qin) + 1)
            m.layers[-1]['shapes'] = [[None] + qin + out_dims,
                                      [None] + [qin[a - 1] for a in inner_axes if a not in axes] + [heads] +
                                      [qin[a - 1] for a in axes] + [vin[a - 1] for a in axes]]
    else:
        m.add('MultiHeadAttention', name, cfg, srcs, [(name, w, a) for w, a in ws])
        kw = {"value": [value, 0, 0]}
        if key is not None:
            kw["key"] = [key, 0, 0]
        if attention_mask is not None:
            kw["attention_mask"] = [attention_mask, 0, 0]
        kw.update(call)
        m.layers[-1]['node'] = [[[query, 0, 0, kw]]]
    return name


def m_mha_self(flav, rng, t=4, d=4):
    """Self attention: 2 heads key_dim 3; 1 head key_dim 2 value_dim 3 without biases, key given."""
    m = new_model(flav)
    x = add_input(m, [t, d], 'inputs')
    m.outputs = [add_mha(m, rng, x, x, heads=2, key_dim=3, dims=(d, d, d), seqs=(t, t)),
                 add_mha(m, rng, x, x, x, heads=1, key_dim=2, value_dim=3, use_bias=False, dims=(d, d, d),
                         seqs=(t, t))]
    return m


def m_mha_cross(flav, rng, tq=4, tv=5, dq=4, dv=3, dk=2):
    """Cross attention: query [tq, dq], value [tv, dv], key [tv, dk]."""
    m = new_model(flav)
    q = add_input(m, [tq, dq], 'query')
    v = add_input(m, [tv, dv], 'value')
    k = add_input(m, [tv, dk], 'key')
    m.outputs = [add_mha(m, rng, q, v, heads=2, key_dim=2, dims=(dq, dv, None), seqs=(tq, tv)),
                 add_mha(m, rng, q, v, k, heads=2, key_dim=2, value_dim=3, dims=(dq, dv, dk), seqs=(tq, tv))]
    return m


def m_mha_output_shape(flav, rng, t=4, d=4):
    """output_shape: an int (5) on self attention, and a pair (2, 3) on cross attention."""
    m = new_model(flav)
    x = add_input(m, [t, d], 'inputs')
    v = add_input(m, [t + 1, 3], 'value')
    m.outputs = [add_mha(m, rng, x, x, heads=2, key_dim=3, dims=(d, d, d), seqs=(t, t), output_shape=5),
                 add_mha(m, rng, x, v, heads=2, key_dim=2, dims=(d, 3, None), seqs=(t, t + 1), output_shape=[2, 3])]
    return m


def m_mha_axes(flav, rng, a=3, b=4, d=4):
    """Inputs [a, b, d]: attention over axis 2 only (axis 1 runs as a batch), over axis 1 only, and
    over both at once (the default), the last with output_shape."""
    m = new_model(flav)
    x = add_input(m, [a, b, d], 'inputs')
    v = add_input(m, [a, b + 1, 3], 'value')
    m.outputs = [add_mha(m, rng, x, v, heads=2, key_dim=2, dims=(d, 3, None), inner=([a, b], [a, b + 1]),
                         attention_axes=[2]),
                 add_mha(m, rng, x, x, heads=2, key_dim=3, dims=(d, d, d), inner=([a, b], [a, b]), attention_axes=[1]),
                 add_mha(m, rng, x, x, heads=1, key_dim=2, dims=(d, d, d), inner=([a, b], [a, b]), output_shape=[2])]
    return m


def attention_mask_data(rng, shape):
    """0/1 float mask [N, Tq, Tv], at least one 1 in every row."""
    a = (rng.uniform(size=shape) > 0.4).astype('<f4')
    a[..., 0] = 1.0
    return a


def m_mha_attn_mask(flav, rng, tq=4, tv=5, d=3):
    """An attention_mask model input [tq, tv] (0/1 floats), and use_causal_mask."""
    m = new_model(flav)
    q = add_input(m, [tq, d], 'query')
    v = add_input(m, [tv, d], 'value')
    am = add_input(m, [tq, tv], 'attention_mask')
    m.data_fns[am] = attention_mask_data
    m.outputs = [add_mha(m, rng, q, v, heads=2, key_dim=2, dims=(d, d, None), seqs=(tq, tv), attention_mask=am),
                 add_mha(m, rng, q, q, heads=2, key_dim=2, dims=(d, d, None), seqs=(tq, tq),
                         call={"use_causal_mask": True})]
    return m


def m_nested_mha_kwargs(flav, rng, tq=4, tv=5, d=3, dk=2):
    """A nested functional model of four inputs, query [tq, d], value [tv, d], key [tv, dk] and an
    attention_mask [tq, tv] (0/1 floats), whose MultiHeadAttention(2 heads, key_dim 2) is called
    mha(query, value=value, key=key, attention_mask=mask): tf.keras writes the node
    [[["query", 0, 0, {"value": [...], "key": [...], "attention_mask": [...]}]]], Keras 3
    {"args": [query], "kwargs": {"value": tensor, "key": tensor, "attention_mask": tensor, ...}}.
    The outer model feeds it its four inputs (tf.keras: one inbound node of four tensors; Keras 3:
    {"args": [[four tensors]], "kwargs": {"mask": [None] * 4}}), then Dense(INP) on its output.
    Each keyword tensor must reach the inner layer under its keyword, as at the top level."""
    k3 = flav == 'k3'
    inner = new_model(flav)
    if k3:
        inner.name = 'functional'
        qi, vi, ki, ai = [inner.tensor_input(s) for s in ([tq, d], [tv, d], [tv, dk], [tq, tv])]
    else:
        fl = inner.fl
        qi, vi, ki, ai = [inner.input(fl.uid('input'), s) for s in ([tq, d], [tv, d], [tv, dk], [tq, tv])]
    inner.outputs = [add_mha(inner, rng, qi, vi, ki, heads=2, key_dim=2, dims=(d, d, dk), seqs=(tq, tv),
                             attention_mask=ai, keywords=True)]
    shapes = ([tq, d], [tv, d], [tv, dk], [tq, tv])
    names = ('query', 'value', 'key', 'attention_mask')
    if k3:
        m = AK3Model()
        m.name = 'functional_1'
        q, v, k, am = [m.tensor_input(s, name='input_layer_%d' % (4 + j)) for j, s in enumerate(shapes)]
        ws = [(n, a) for L in inner.weight_layers() for n, a in L['weights']]
        enc = m.add('Functional', inner.name, inner.config()['config'], [q, v, k, am], [None, tq, d], ws)
        m.layers[-1]['inner'] = inner
        m.layers[-1]['node'] = {"args": [[T(q), T(v), T(k), T(am)]], "kwargs": {"mask": [None] * 4}}
        ws = [(m.path('dense', w), a) for w, a in G.dense_weights(rng, d, G.INP)]
        m.outputs = [m.add('Dense', 'dense', G.k3_dense_config('dense', G.INP, 'linear'), [enc], [None, tq, G.INP], ws)]
    else:
        m = AModel(fl)
        q, v, k, am = [m.input(n, s) for n, s in zip(names, shapes)]
        enc = G.add_nested(m, fl, inner, fl.uid('model'), [q, v, k, am])
        m.outputs = [G.dense_head(m, fl, rng, enc, d, 'linear')]
    m.data_fns[am] = attention_mask_data
    return m


def m_mha_emb_mask(flav, rng, tq=5, tv=6):
    """Embedding(mask_zero) masks: self attention (query & value masks), cross attention (query mask,
    value mask), causal self attention."""
    m = new_model(flav)
    d = G.EMB
    eq, ev = masked_token_pair(m, rng, tq, tv)
    m.outputs = [add_mha(m, rng, eq, eq, heads=2, key_dim=2, dims=(d, d, None), seqs=(tq, tq)),
                 add_mha(m, rng, eq, ev, heads=1, key_dim=3, dims=(d, d, None), seqs=(tq, tv)),
                 add_mha(m, rng, eq, eq, heads=2, key_dim=2, dims=(d, d, None), seqs=(tq, tq),
                         call={"use_causal_mask": True})]
    return m


def m_mha_axes_scores(flav, rng, a=3, b=4, d=4):
    """return_attention_scores on inputs [a, b, d]: cross attention over axis 2 (scores
    [batch, a, heads, b, b + 1]) and self attention over both inner axes (scores
    [batch, heads, a, b, a, b])."""
    m = new_model(flav)
    x = add_input(m, [a, b, d], 'inputs')
    v = add_input(m, [a, b + 1, 3], 'value')
    c = add_mha(m, rng, x, v, heads=2, key_dim=2, dims=(d, 3, None), inner=([a, b], [a, b + 1]), attention_axes=[2],
                call={"return_attention_scores": True})
    s = add_mha(m, rng, x, x, heads=1, key_dim=3, dims=(d, d, d), inner=([a, b], [a, b]),
                call={"return_attention_scores": True})
    m.outputs = [c, (c, 1), s, (s, 1)]
    return m


def m_mha_scores(flav, rng, tq=3, tv=4, d=3):
    """return_attention_scores: outputs [B, Tq, d] and scores [B, heads, Tq, Tv]."""
    m = new_model(flav)
    q = add_input(m, [tq, d], 'query')
    v = add_input(m, [tv, d], 'value')
    a = add_mha(m, rng, q, v, heads=2, key_dim=2, dims=(d, d, None), seqs=(tq, tv),
                call={"return_attention_scores": True})
    m.outputs = [a, (a, 1)]
    return m


# ---------------------------------------------------------------------------------------------
# ConvLSTM2D / ConvLSTM1D
# ---------------------------------------------------------------------------------------------
def convlstm_body(m, rank, name, filters, kernel, strides, padding, data_format, rec_act,
                  return_sequences, return_state, go_backwards):
    if isinstance(m, G.K3Model):
        c = k3_base(name)
        c.update({"return_sequences": return_sequences, "return_state": return_state,
                  "go_backwards": go_backwards, "stateful": False, "unroll": False,
                  "zero_output_for_mask": False})
        init = G.k3_initializers()
        c.update({"filters": filters, "kernel_size": [kernel] * rank, "strides": [strides] * rank,
                  "padding": padding, "data_format": data_format, "dilation_rate": [1] * rank,
                  "activation": "tanh", "recurrent_activation": rec_act, "use_bias": True,
                  "kernel_initializer": init["kernel_initializer"],
                  "recurrent_initializer": init["recurrent_initializer"],
                  "bias_initializer": init["bias_initializer"], "unit_forget_bias": True,
                  "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
                  "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                  "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "seed": None})
        return c
    fl = m.fl
    c = fl.base(name)
    c.update({"return_sequences": return_sequences, "return_state": return_state,
              "go_backwards": go_backwards, "stateful": False, "unroll": False, "time_major": False,
              "filters": filters, "kernel_size": [kernel] * rank, "strides": [strides] * rank,
              "padding": padding, "data_format": data_format, "dilation_rate": [1] * rank,
              "activation": "tanh", "recurrent_activation": rec_act, "use_bias": True,
              "kernel_initializer": fl.glorot(), "recurrent_initializer": fl.orthogonal(),
              "bias_initializer": fl.zeros(), "unit_forget_bias": True,
              "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
              "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
              "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0})
    return c


def convlstm_weights(rng, rank, kernel, cin, filters):
    k = (kernel,) * rank
    return [('kernel', G.rnd(rng, k + (cin, 4 * filters), 0.4)),
            ('recurrent_kernel', G.rnd(rng, k + (filters, 4 * filters), 0.4)),
            ('bias', G.rnd(rng, (4 * filters,), 0.3))]


def conv_out(n, kernel, strides, padding):
    return -(-n // strides) if padding == 'same' else (n - kernel) // strides + 1


def convlstm_shape(in_shape, rank, filters, kernel, strides, padding, data_format, return_sequences):
    """Output shape (without batch) for in_shape [T, spatial..., C] / [T, C, spatial...]."""
    t = in_shape[0]
    sp = in_shape[1:1 + rank] if data_format == 'channels_last' else in_shape[2:]
    sp = [conv_out(n, kernel, strides, padding) for n in sp]
    y = sp + [filters] if data_format == 'channels_last' else [filters] + sp
    return ([t] if return_sequences else []) + y, y


def add_convlstm(m, rng, src, in_shape, rank, filters=3, kernel=3, strides=1, padding='same',
                 data_format='channels_last', rec_act='sigmoid', return_sequences=True, return_state=False,
                 go_backwards=False):
    cls = 'ConvLSTM%dD' % rank
    cin = in_shape[-1] if data_format == 'channels_last' else in_shape[1]
    ws = convlstm_weights(rng, rank, kernel, cin, filters)
    out, st = convlstm_shape(in_shape, rank, filters, kernel, strides, padding, data_format, return_sequences)
    args = (rank, None, filters, kernel, strides, padding, data_format, rec_act, return_sequences, return_state,
            go_backwards)
    if isinstance(m, G.K3Model):
        name = m_uid(m, 'conv_lstm%dd' % rank)
        c = convlstm_body(m, *((rank, name) + args[2:]))
        kw = dict(G.RNN_CALL_KWARGS)
        m.add(cls, name, c, [src], [None] + out, [(m.path(name, 'conv_lstm_cell', w), a) for w, a in ws], kw)
        if return_state:
            m.layers[-1]['shapes'] = [[None] + out, [None] + st, [None] + st]
    else:
        name = m.fl.uid('conv_lst_m%dd' % rank)
        c = convlstm_body(m, *((rank, name) + args[2:]))
        m.add(cls, name, c, [src], ws)
    return name, out


def add_bidi_convlstm(m, rng, src, in_shape, rank, merge='concat', filters=3, kernel=3, padding='same',
                      data_format='channels_last', rec_act='hard_sigmoid', go_backwards=False):
    """Bidirectional(ConvLSTM<rank>D(return_sequences=True)), Keras 2 forms only."""
    fl = m.fl
    cin = in_shape[-1] if data_format == 'channels_last' else in_shape[1]
    name = fl.uid('bidirectional')
    inner = fl.uid('conv_lst_m%dd' % rank)
    ic = convlstm_body(m, rank, inner, filters, kernel, 1, padding, data_format, rec_act, True, False, go_backwards)
    if fl.tag == 'tf224':
        ic['dtype'] = None          # as in the corpus file: the wrapped layer's dtype is null
    c = fl.bidirectional(name, 'ConvLSTM%dD' % rank, ic, merge)
    ws = []
    for half in ('forward', 'backward'):
        ws += [('%s/%s_%s' % (name, half, inner), w, a) for w, a in convlstm_weights(rng, rank, kernel, cin, filters)]
    m.add('Bidirectional', name, c, [src], ws)
    return name


def m_convlstm2d(flav, rng, t=3, hw=(4, 5), cin=2, data_format='channels_last', rec_act='sigmoid',
                 go_backwards=False):
    """One input [t, h, w, cin] (channels_first: [t, cin, h, w]) feeding ConvLSTM2D with padding
    same returning sequences (and states), same returning the last output, valid strides 1 and
    valid strides 2."""
    m = new_model(flav)
    shape = [t] + list(hw) + [cin] if data_format == 'channels_last' else [t, cin] + list(hw)
    x = add_input(m, shape, 'inputs')
    kw = dict(data_format=data_format, rec_act=rec_act, go_backwards=go_backwards)
    a, _ = add_convlstm(m, rng, x, shape, 2, return_state=True, **kw)
    b, _ = add_convlstm(m, rng, x, shape, 2, return_sequences=False, **kw)
    c, _ = add_convlstm(m, rng, x, shape, 2, padding='valid', **kw)
    d, _ = add_convlstm(m, rng, x, shape, 2, padding='valid', strides=2, filters=2, return_sequences=False,
                        **dict(kw, go_backwards=not go_backwards))
    m.outputs = [a, (a, 1), (a, 2), b, c, d]
    return m


def m_convlstm2d_stack(flav, rng, t=3, hw=(4, 4), cin=2, data_format='channels_first'):
    """The corpus convlstm2d_1.h5 in small: two ConvLSTM2D(go_backwards, hard_sigmoid, same,
    return_sequences) in a row."""
    m = new_model(flav)
    shape = [t, cin] + list(hw) if data_format == 'channels_first' else [t] + list(hw) + [cin]
    x = add_input(m, shape, 'inputs')
    kw = dict(data_format=data_format, rec_act='hard_sigmoid', go_backwards=True)
    a, sa = add_convlstm(m, rng, x, shape, 2, **kw)
    b, _ = add_convlstm(m, rng, a, sa, 2, filters=2, **kw)
    m.outputs = [b]
    return m


def m_bidi_convlstm2d(flav, rng, t=3, hw=(4, 4), cin=2, data_format='channels_first'):
    """The corpus convlstm2d_0.h5 in small: Bidirectional(ConvLSTM2D(go_backwards=True)) concat (the
    concat is on the last axis, width for channels_first), then Bidirectional sum of a
    go_backwards=False layer on it."""
    m = new_model(flav)
    shape = [t, cin] + list(hw) if data_format == 'channels_first' else [t] + list(hw) + [cin]
    x = add_input(m, shape, 'inputs')
    a = add_bidi_convlstm(m, rng, x, shape, 2, data_format=data_format, go_backwards=True)
    if data_format == 'channels_first':
        sa = [t, 3, hw[0], 2 * hw[1]]
    else:
        sa = [t, hw[0], hw[1], 6]
    b = add_bidi_convlstm(m, rng, a, sa, 2, merge='sum', filters=2, data_format=data_format)
    m.outputs = [a, b]
    return m


def m_convlstm1d(flav, rng, t=4, length=5, cin=2, data_format='channels_last'):
    """ConvLSTM1D: same (hard_sigmoid), go_backwards last output, valid strides 2 (the return_state
    outputs are on ConvLSTM2D, where tfjs-layers checks them)."""
    m = new_model(flav)
    shape = [t, length, cin] if data_format == 'channels_last' else [t, cin, length]
    x = add_input(m, shape, 'inputs')
    kw = dict(data_format=data_format)
    a, _ = add_convlstm(m, rng, x, shape, 1, rec_act='hard_sigmoid', **kw)
    b, _ = add_convlstm(m, rng, x, shape, 1, return_sequences=False, go_backwards=True, **kw)
    c, _ = add_convlstm(m, rng, x, shape, 1, padding='valid', strides=2, kernel=2, **kw)
    m.outputs = [a, b, c]
    return m


def add_td_reshape(m, src, seq, in_step, target):
    """TimeDistributed(Reshape(target)) on [batch, seq] + in_step: frames from flat steps. Reshape
    does not support masking, so tf.keras' TimeDistributed keeps the input's [batch, time] mask as
    the output's; Keras 3's passes it on."""
    if isinstance(m, G.K3Model):
        name, inner = m_uid(m, 'time_distributed'), m_uid(m, 'reshape')
        ic = dict(k3_base(inner), target_shape=list(target))
        c = dict(k3_base(name), layer=dict(G.k3_object('keras.layers', 'Reshape', ic),
                                           build_config={"input_shape": [None] + list(in_step)}))
        return m.add('TimeDistributed', name, c, [src], [None, seq] + list(target), [], {"mask": None})
    fl = m.fl
    name, inner = fl.uid('time_distributed'), fl.uid('reshape')
    c = fl.base(name)
    c["layer"] = {"class_name": "Reshape", "config": fl.simple_layer(inner, target_shape=list(target))}
    return m.add('TimeDistributed', name, c, [src])


def add_bidi_convlstm_k3(m, rng, src, in_shape, rank, filters=3, kernel=3):
    """Keras 3 Bidirectional(ConvLSTM<rank>D(same, return_sequences)) concat, channels last: both
    halves serialized, with the zero_output_for_mask = return_sequences that Bidirectional forces
    on them; variables at bidirectional/<forward|backward>_conv_lstm<rank>d/conv_lstm_cell/."""
    name, inner = m_uid(m, 'bidirectional'), m_uid(m, 'conv_lstm%dd' % rank)

    def half(direction, go_backwards):
        c = convlstm_body(m, rank, '%s_%s' % (direction, inner), filters, kernel, 1, 'same', 'channels_last',
                          'sigmoid', True, False, go_backwards)
        c["zero_output_for_mask"] = True
        return dict(G.k3_object('keras.layers', 'ConvLSTM%dD' % rank, c), build_config={"input_shape": [None] + list(in_shape)})
    cfg = dict(k3_base(name), merge_mode='concat', layer=half('forward', False), backward_layer=half('backward', True))
    ws = [(m.path(name, '%s_%s' % (d, inner), 'conv_lstm_cell', w), a)
          for d in ('forward', 'backward') for w, a in convlstm_weights(rng, rank, kernel, in_shape[-1], filters)]
    out = list(in_shape[:-1]) + [2 * filters]
    return m.add('Bidirectional', name, cfg, [src], [None] + out, ws, G.BIDI_CALL_KWARGS)


def m_convlstm_masked(flav, rng, t=5):
    """Masked sequences of frames into ConvLSTM (a [batch, time] mask: padded steps, a masked step
    in the middle, pre-padding). tf.keras: float steps -> Masking(0.0); Keras 3: int32 tokens ->
    Embedding(mask_zero). Then TimeDistributed(Reshape) into frames -> ConvLSTM2D(same,
    return_sequences: masked steps keep the states and repeat the previous output) ->
    ConvLSTM2D(go_backwards, last output; the sequence handed the mask on), ConvLSTM1D(valid,
    return_state) on 1-D frames, and Bidirectional(ConvLSTM2D) concat (tf.keras repeats outputs
    at masked steps; Keras 3 zero-fills them, from the zero_output_for_mask it forces)."""
    m = new_model(flav)
    if flav == 'k3':
        x = add_input(m, [t], 'tokens', 'int32')
        m.data_fns[x] = tokens
        e, width = add_embedding(m, rng, x, t), G.EMB
        frames2, frames1 = [1, width, 1], [width, 1]
    else:
        width = 8
        e = m.source([t, width], mask=(0.0, 'pad'))
        frames2, frames1 = [2, 2, 2], [4, 2]
    f2 = add_td_reshape(m, e, t, [width], frames2)
    f1 = add_td_reshape(m, e, t, [width], frames1)
    a, sa = add_convlstm(m, rng, f2, [t] + frames2, 2)
    b, _ = add_convlstm(m, rng, a, sa, 2, filters=2, return_sequences=False, go_backwards=True)
    c, _ = add_convlstm(m, rng, f1, [t] + frames1, 1, filters=2, kernel=2, padding='valid', return_state=True)
    if flav == 'k3':
        d = add_bidi_convlstm_k3(m, rng, f2, [t] + frames2, 2)
    else:
        d = add_bidi_convlstm(m, rng, f2, [t] + frames2, 2, data_format='channels_last')
    m.outputs = [a, b, c, (c, 1), (c, 2), d]
    return m


# ---------------------------------------------------------------------------------------------
# the job list
# ---------------------------------------------------------------------------------------------
def models():
    """(flavour, tag, builder(flavour, rng), kw)."""
    L = []
    for flav in ('tfk2', 'k3'):
        L += [(flav, 'attn_dot', m_attn_dot, {}),
              (flav, 'attn_causal', m_attn_causal, {}),
              (flav, 'attn_emb_mask', m_attn_mask, {}),
              (flav, 'attn_scores', lambda f, r: m_attn_causal(f, r, scores=True), {}),
              (flav, 'mha_self', m_mha_self, {}),
              (flav, 'mha_cross', m_mha_cross, {}),
              (flav, 'mha_attn_mask', m_mha_attn_mask, {}),
              (flav, 'mha_emb_mask', m_mha_emb_mask, {}),
              (flav, 'mha_output_shape', m_mha_output_shape, {}),
              (flav, 'mha_axes', m_mha_axes, {}),
              (flav, 'mha_axes_scores', m_mha_axes_scores, {}),
              (flav, 'convlstm1d', m_convlstm1d, {}),
              (flav, 'convlstm1d_cf', lambda f, r: m_convlstm1d(f, r, data_format='channels_first'), {}),
              (flav, 'convlstm2d', m_convlstm2d, {}),
              (flav, 'convlstm_masked', m_convlstm_masked, {})]
    # the Keras 3 masked ConvLSTM model once more as a .keras archive
    L += [('k3', 'keras_convlstm_masked', m_convlstm_masked, {'archive': 'stored', 'write': write_k3_archive})]
    L += [('tfk2', 'attn_causal_cfg', lambda f, r: m_attn_causal(f, r, cfg_key=True), {}),
          ('tfk2', 'attn_masking', m_attn_masking, {}),
          ('tfk2', 'attn_2d', m_attn_2d, {}),
          ('tfk2', 'mha_scores', m_mha_scores, {}),
          # keyword tensors of a call inside a nested model (value=, key=, attention_mask=)
          ('tfk2', 'nested_mha_kwargs', m_nested_mha_kwargs, {}),
          ('k3', 'nested_mha_kwargs', m_nested_mha_kwargs, {}),
          ('tfk2', 'convlstm2d_cf_back', lambda f, r: m_convlstm2d(f, r, data_format='channels_first',
                                                                   go_backwards=True), {}),
          ('tf224', 'convlstm2d_hsig', lambda f, r: m_convlstm2d(f, r, rec_act='hard_sigmoid'), {}),
          ('tf224', 'convlstm2d_cf_stack', m_convlstm2d_stack, {}),
          ('tf224', 'convlstm2d_cl_stack', lambda f, r: m_convlstm2d_stack(f, r, data_format='channels_last'), {}),
          ('tf224', 'bidi_convlstm2d_cf', m_bidi_convlstm2d, {}),
          ('tfk2', 'bidi_convlstm2d', lambda f, r: m_bidi_convlstm2d(f, r, data_format='channels_last'), {})]
    return L


def jobs():
    """Jobs in gen_fixtures.main()'s form (flavour, tag, fn(rng), opsets, kw) with kw['write']."""
    out = []
    for flav, tag, fn, kw in models():
        write = kw.get('write') or (write_k3 if flav == 'k3' else write_keras2)
        if 'convlstm' in tag:   # always a Scan loop of convolutions
            kw = dict(kw, expect_ops=['Scan', 'Conv'])
        out.append((flav, tag, lambda rng, fn=fn, flav=flav: fn(flav, rng), kw.get('opsets', [None]),
                    dict(kw, write=write)))
    return out
