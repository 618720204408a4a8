"""Float64 numpy references for Attention, AdditiveAttention, MultiHeadAttention, ConvLSTM1D/2D and
Bidirectional(ConvLSTM*), used by tests/ref_numpy.py (graph() takes the inbound tensors of the
attention layers from inbound(), evaluate() runs run_layer() before its own layers).

Semantics (tf.keras 2.11 keras/layers/attention/*.py, keras/layers/rnn/base_conv_*.py; Keras 3
keras/src/layers/attention/*.py, keras/src/layers/rnn/conv_lstm.py):
  Attention / AdditiveAttention, inputs [query, value(, key)], key = value when absent:
    dot       scores = q·kᵀ (× scale)
    concat    scores = concat_score_weight · Σ_d tanh(scale·(q_i + k_j))   (scale 1 without it)
    additive  scores = Σ_d scale_d · tanh(q_i + k_j)                      (scale 1 without it)
    masks: the value's mask masks keys (columns), use_causal_mask (or the older `causal` config
    key) masks j > i; masked scores get −1e9 added in float32 (emulated: a row with every key
    masked is then uniform), softmax over the keys, weights·value, then rows of a masked query
    are zeroed. The output keeps the query's mask; return_attention_scores adds the weights.
    The key's own mask is not used. Rank-2 inputs (the corpus keras-attention.h5) are one
    [batch, dim] matrix: q·kᵀ is batch × batch.
  MultiHeadAttention(query, value, key=None, attention_mask=None, use_causal_mask=False):
    Q = q·Wq + bq [B,T,H,kd] (× 1/√key_dim), K = k·Wk + bk, V = v·Wv + bv, scores = Q·K per
    head [B,H,T,S]; mask = query mask [B,T,1] & value mask [B,1,S] & key mask (only a key passed
    explicitly) & causal [1,T,S] & attention_mask (cast to bool); masked softmax; Σ_s p·V, then
    the output projection Σ_{h,v} O·Wo + bo. A masked score: tf.keras' Softmax adds −1e9 in
    float32 (emulated); Keras 3 (ops.dot_product_attention when no scores are returned) puts
    −0.7·float32 max in its place: either way a fully masked row (a masked query position)
    averages the values uniformly. Output mask: the query's.
  ConvLSTM<r>D: per step, z = conv(x_t, kernel, strides, padding) + bias + conv(h, recurrent_kernel,
    'same', stride 1), gates i, f, c, o along the filters axis; c' = ra(f)·c + ra(i)·act(c~),
    h' = ra(o)·act(c'); initial states zero, of the input convolution's output shape;
    go_backwards runs over x[T-1]…x[0] and returns that order; return_state adds h, c;
    channels_first inputs [N, T, C, spatial…]. Bidirectional: the backward copy flips
    go_backwards, its sequence is reversed back and merged on the last axis (for
    channels_first, the last spatial axis); states forward then backward.
"""
import math
import sys

import numpy as np

ATTENTION = ('Attention', 'AdditiveAttention', 'MultiHeadAttention')
CONV_LSTM = {'ConvLSTM1D': 1, 'ConvLSTM2D': 2}
NEG = np.float32(1e9)
F32_MAX = float(np.finfo(np.float32).max)


def _host():
    """ref_numpy's module (run as a script it is __main__): activation(), Unsupported."""
    for name in ('__main__', 'ref_numpy'):
        m = sys.modules.get(name)
        if m is not None and hasattr(m, 'Unsupported') and hasattr(m, 'activation'):
            return m
    import ref_numpy
    return ref_numpy


def _unsupported(msg):
    return _host().Unsupported(msg)


# ---------------------------------------------------------------------------------------------
# inbound tensors
# ---------------------------------------------------------------------------------------------
def _k3_refs(v):
    if isinstance(v, dict) and v.get('class_name') == '__keras_tensor__':
        return [v['config']['keras_history']]
    if isinstance(v, list):
        return [h for x in v for h in _k3_refs(x)]
    return []


def _ref(e):
    if not isinstance(e, list) or len(e) < 3 or e[1] != 0:
        raise _unsupported('inbound tensor %r' % (e,))
    return (e[0], e[2])


def inbound(L):
    """The inbound tensors of an attention layer in the order query, value[, key][,
    attention_mask], and its config with the call arguments under '__call__'."""
    nodes = L.get('inbound_nodes') or []
    if len(nodes) != 1:
        raise _unsupported('%s called %d times' % (L['name'], len(nodes)))
    node = nodes[0]
    call = {}
    if isinstance(node, dict):                  # Keras 3
        args, kw = node.get('args', []), dict(node.get('kwargs') or {})
        if L['class_name'] == 'MultiHeadAttention':
            pos = [_k3_refs(a) for a in args]
            names = ['query', 'value', 'key']
            parts = {}
            for n, r in zip(names, pos):
                parts[n] = r
            for n in names + ['attention_mask']:
                if n in kw:
                    parts[n] = _k3_refs(kw.pop(n))
            order = [n for n in ('query', 'value', 'key', 'attention_mask') if parts.get(n)]
            refs = [tuple(h) for n in order for h in parts[n]]
            call['key'] = bool(parts.get('key'))
            call['attention_mask'] = bool(parts.get('attention_mask'))
        else:
            refs = [tuple(h) for h in _k3_refs(args)]
            call['key'] = len(refs) > 2
        for h in refs:
            if h[1] != 0:
                raise _unsupported('inbound node index %r' % (h,))
        refs = [(h[0], h[2]) for h in refs]
        call.update({k: v for k, v in kw.items() if k in ('use_causal_mask', 'return_attention_scores')})
    else:                                       # Keras 2: [[name, node, tensor, kwargs], ...]
        kw = node[0][3] if len(node[0]) > 3 else {}
        refs = [_ref(e) for e in node]
        if L['class_name'] == 'MultiHeadAttention':
            if len(refs) != 1:
                raise _unsupported('MultiHeadAttention node %r' % (node,))
            call['key'] = 'key' in kw and kw['key'] is not None
            call['attention_mask'] = 'attention_mask' in kw and kw['attention_mask'] is not None
            refs += [_ref(kw[n]) for n in ('value', 'key', 'attention_mask') if kw.get(n) is not None]
        else:
            call['key'] = len(refs) > 2
        call.update({k: v for k, v in kw.items() if k in ('use_causal_mask', 'return_attention_scores')})
    return refs, dict(L['config'], __call__=call)


# ---------------------------------------------------------------------------------------------
# attention
# ---------------------------------------------------------------------------------------------
def _masked_softmax(s, keep, keras3_where=False):
    """softmax over the last axis with the masked scores replaced as Keras does (see above)."""
    if keep is not None:
        keep = np.broadcast_to(keep, s.shape)
        if keras3_where:
            s = np.where(keep, s, -0.7 * F32_MAX)
        else:
            s = np.where(keep, s, (s.astype(np.float32) - NEG).astype(np.float64))
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _causal(tq, tv):
    return np.arange(tq)[:, None] >= np.arange(tv)[None, :]


def dense_attention(cls, cfg, weights, ins, masks):
    call = cfg['__call__']
    q, v = ins[0], ins[1]
    k = ins[2] if call.get('key') else v
    qm, vm = masks[0], masks[1]
    w = list(weights)
    use_scale = cfg.get('use_scale', cls == 'AdditiveAttention')
    if cls == 'Attention':
        scale = w.pop(0) if use_scale else None
        mode = cfg.get('score_mode', 'dot')
        if mode == 'dot':
            s = np.matmul(q, np.swapaxes(k, -1, -2))
            if scale is not None:
                s = s * scale
        elif mode == 'concat':
            csw = w.pop(0)
            t = q[..., :, None, :] + k[..., None, :, :]
            s = csw * np.tanh(t * scale if scale is not None else t).sum(axis=-1)
        else:
            raise _unsupported('score_mode %r' % (mode,))
    else:
        scale = w.pop(0) if use_scale else 1.0
        s = (scale * np.tanh(q[..., :, None, :] + k[..., None, :, :])).sum(axis=-1)
    if w:
        raise _unsupported('%s with %d extra weights' % (cls, len(w)))
    keep = None
    if vm is not None:
        keep = vm[:, None, :]
    if call.get('use_causal_mask') or cfg.get('causal'):
        c = _causal(s.shape[-2], s.shape[-1])
        keep = c if keep is None else keep & c
    p = _masked_softmax(s, keep)
    out = np.matmul(p, v)
    if qm is not None:
        out = out * qm[..., None]
    if call.get('return_attention_scores'):
        return [out, p], [qm, None]
    return [out], [qm]


def multi_head_attention(cfg, weights, ins, masks, keras3):
    call = cfg['__call__']
    q, v = ins[0], ins[1]
    n = 2
    k, km = v, None
    if call.get('key'):
        k, km = ins[2], masks[2]
        n = 3
    am = ins[n] if call.get('attention_mask') else None
    qm, vm = masks[0], masks[1]
    r = q.ndim
    axes = cfg.get('attention_axes')
    axes = list(range(1, r - 1)) if axes is None else [axes] if isinstance(axes, int) else list(axes)
    if r != 3 and (qm is not None or vm is not None or km is not None or am is not None or call.get('use_causal_mask')):
        raise _unsupported('MultiHeadAttention masks on rank-%d inputs' % r)
    w = list(weights)
    bias = cfg.get('use_bias', True)

    def proj(x):
        K = w.pop(0)
        y = np.einsum('...d,dhk->...hk', x, K)
        return y + w.pop(0) if bias else y
    Q, Kt, V = proj(q), proj(k), proj(v)
    Wo = w.pop(0)
    bo = w.pop(0) if bias else None
    if w:
        raise _unsupported('MultiHeadAttention with %d extra weights' % len(w))
    Q = Q / math.sqrt(float(cfg['key_dim']))
    # the einsums Keras builds (_build_attention_equation): inner axes keep one letter in the query
    # and the key except the attention axes, whose key letters are new; scores put the other inner
    # axes first, then heads, the query's attention axes, the key's
    inner_q = 'cefgij'[:r - 2]
    inner_k = ''.join(ch.upper() if a + 1 in axes else ch for a, ch in enumerate(inner_q))
    other = ''.join(ch for a, ch in enumerate(inner_q) if a + 1 not in axes)
    att_q = ''.join(ch for a, ch in enumerate(inner_q) if a + 1 in axes)
    att_k = att_q.upper()
    s = np.einsum('b%shk,b%shk->b%sh%s%s' % (inner_k, inner_q, other, att_q, att_k), Kt, Q)
    if r != 3:
        scores_out = call.get('return_attention_scores')
        lead, n = s.shape[:s.ndim - len(att_k)], int(np.prod(s.shape[s.ndim - len(att_k):]))
        p = _masked_softmax(s.reshape(lead + (n,)), None).reshape(s.shape)
        O = np.einsum('b%sh%s%s,b%shv->b%shv' % (other, att_q, att_k, inner_k, inner_q), p, V)
        out = np.tensordot(O, Wo, axes=([O.ndim - 2, O.ndim - 1], [0, 1]))
        out = out + bo if bo is not None else out
        if scores_out:
            return [out, p], [qm, None]
        return [out], [qm]
    keep = None

    def add(m):
        nonlocal keep
        keep = m if keep is None else keep & m
    if qm is not None:
        add(qm[:, :, None])
    if vm is not None:
        add(vm[:, None, :])
    if km is not None:
        add(km[:, None, :])
    if call.get('use_causal_mask'):
        add(_causal(q.shape[1], v.shape[1])[None])
    if am is not None:
        keep = am.astype(bool) if keep is None else am.astype(bool) & keep
    scores_out = call.get('return_attention_scores')
    p = _masked_softmax(s, None if keep is None else keep[:, None], keras3_where=keras3 and not scores_out)
    O = np.einsum('bhts,bshv->bthv', p, V)
    out = np.tensordot(O, Wo, axes=([2, 3], [0, 1]))
    if bo is not None:
        out = out + bo
    if scores_out:
        return [out, p], [qm, None]
    return [out], [qm]


# ---------------------------------------------------------------------------------------------
# ConvLSTM
# ---------------------------------------------------------------------------------------------
def _same_pads(n, span, stride):
    out = -(-n // stride)
    total = max((out - 1) * stride + span - n, 0)
    return total // 2, total - total // 2


def conv_nd(x, K, strides, padding, dilation):
    """x [N, *spatial, C] (channels last), K [*k, C, F]."""
    r = K.ndim - 2
    ks = K.shape[:r]
    pads = []
    for a in range(r):
        span = dilation[a] * (ks[a] - 1) + 1
        pads.append(_same_pads(x.shape[1 + a], span, strides[a]) if padding == 'same' else (0, 0))
    if padding not in ('same', 'valid'):
        raise _unsupported('ConvLSTM padding %r' % (padding,))
    x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    outs = [(x.shape[1 + a] - dilation[a] * (ks[a] - 1) - 1) // strides[a] + 1 for a in range(r)]
    y = np.zeros((x.shape[0],) + tuple(outs) + (K.shape[-1],))
    for off in np.ndindex(*ks):
        sl = tuple(slice(off[a] * dilation[a], off[a] * dilation[a] + strides[a] * (outs[a] - 1) + 1, strides[a])
                   for a in range(r))
        y += np.tensordot(x[(slice(None),) + sl], K[off], axes=([r + 1], [0]))
    return y


def run_conv_lstm(cls, cfg, weights, x, sem, mask=None, zero_output=False):
    """[output] (+ h, c with return_state) of a ConvLSTM1D/2D on x [N, T, ...]. A [N, T] mask:
    a masked step keeps h and c and outputs the previous output (zeros before the first
    unmasked step), or zeros with zero_output."""
    r = CONV_LSTM[cls]
    host = _host()
    if cfg.get('stateful') or cfg.get('time_major'):
        raise _unsupported('%s stateful/time_major' % cls)
    K, R = weights[0], weights[1]
    b = weights[2] if cfg.get('use_bias', True) else np.zeros(K.shape[-1])
    F = cfg['filters']
    first = cfg.get('data_format', 'channels_last') == 'channels_first'
    if first:
        x = np.moveaxis(x, 2, -1)
    strides = list(cfg.get('strides', [1] * r))
    dil = list(cfg.get('dilation_rate', [1] * r))
    act = lambda v: host.activation(cfg.get('activation', 'tanh'), v, sem.keras3)
    ract = lambda v: host.activation(cfg.get('recurrent_activation', 'hard_sigmoid'), v, sem.keras3)
    N, T = x.shape[:2]
    xs = [conv_nd(x[:, t], K, strides, cfg['padding'], dil) + b for t in range(T)]
    h = np.zeros(xs[0].shape[:-1] + (F,))
    c = np.zeros_like(h)
    order = range(T - 1, -1, -1) if cfg.get('go_backwards') else range(T)
    outs = []
    y = np.zeros_like(h)
    for t in order:
        z = xs[t] + conv_nd(h, R, [1] * r, 'same', [1] * r)
        i, f, cc, o = (z[..., g * F:(g + 1) * F] for g in range(4))
        c_new = ract(f) * c + ract(i) * act(cc)
        h_new = ract(o) * act(c_new)
        keep = np.ones((N,) + (1,) * r + (1,), bool) if mask is None else \
            np.asarray(mask[:, t], bool).reshape((N,) + (1,) * (r + 1))
        c, h = np.where(keep, c_new, c), np.where(keep, h_new, h)
        y = np.where(keep, h_new, 0.0 if zero_output else y)
        outs.append(y)
    back = (lambda a: np.moveaxis(a, -1, 1)) if first else (lambda a: a)
    y = np.stack([back(o) for o in outs], axis=1) if cfg.get('return_sequences') else back(outs[-1])
    return [y] + ([back(h), back(c)] if cfg.get('return_state') else [])


def bidirectional_conv_lstm(cfg, weights, x, sem, mask=None):
    """Keras 3's Bidirectional forces zero_output_for_mask = return_sequences on both halves, which
    its ConvLSTM passes on; tf.keras' ConvRNN ignores it."""
    inner = cfg['layer']
    cls, lcfg = inner['class_name'], inner['config']
    bw = cfg.get('backward_layer')
    bcfg = bw['config'] if bw is not None else dict(lcfg, go_backwards=not lcfg.get('go_backwards', False))
    half = len(weights) // 2
    zero = sem.keras3 and bool(lcfg.get('return_sequences'))
    fw = run_conv_lstm(cls, lcfg, weights[:half], x, sem, mask, zero)
    bk = run_conv_lstm(cls, bcfg, weights[half:], x, sem, mask, zero)
    y, yr = fw[0], bk[0]
    if lcfg.get('return_sequences'):
        yr = np.flip(yr, axis=1)
    mode = cfg.get('merge_mode', 'concat')
    merged = {'concat': lambda: [np.concatenate([y, yr], axis=-1)], 'sum': lambda: [y + yr],
              'ave': lambda: [(y + yr) / 2.0], 'mul': lambda: [y * yr], None: lambda: [y, yr]}
    if mode not in merged:
        raise _unsupported('merge_mode %r' % (mode,))
    return merged[mode]() + (fw[1:] + bk[1:] if lcfg.get('return_state') else [])


# ---------------------------------------------------------------------------------------------
def run_layer(cls, cfg, weights, ins, sem, masks):
    """(outputs, masks) for the layers above, None for any other. masks: one per inbound tensor."""
    masks = list(masks) + [None] * (len(ins) - len(masks))
    if cls in ('Attention', 'AdditiveAttention'):
        return dense_attention(cls, cfg, weights, ins, masks)
    if cls == 'MultiHeadAttention':
        return multi_head_attention(cfg, weights, ins, masks, sem.keras3)
    conv = cls in CONV_LSTM or (cls == 'Bidirectional' and cfg['layer']['class_name'] in CONV_LSTM)
    if not conv:
        return None
    if len(ins) != 1:
        raise _unsupported('%s with initial states' % cls)
    if masks[0] is not None and sem.legacy_mask:
        raise _unsupported('%s with a mask in standalone Keras 2.2' % cls)
    if cls == 'Bidirectional':
        ys = bidirectional_conv_lstm(cfg, weights, ins[0], sem, masks[0])
        sequences = cfg['layer']['config'].get('return_sequences')
        nout = 1 if cfg.get('merge_mode', 'concat') is not None else 2
    else:
        zero = sem.keras3 and bool(cfg.get('zero_output_for_mask'))
        ys = run_conv_lstm(cls, cfg, weights, ins[0], sem, masks[0], zero)
        sequences, nout = cfg.get('return_sequences'), 1
    out_masks = [masks[0] if sequences else None] * nout
    return ys, out_masks + [None] * (len(ys) - nout)
