#!/usr/bin/python3
"""Float64 numpy reference outputs for the k2onnx fixtures: the Keras layer math, written out.

    /usr/bin/python3 tests/ref_numpy.py WORKDIR [--corpus DIR]

For every WORKDIR/<name>.work.json left by tests/gen_fixtures.py (model_config, weights by
layer, float32 inputs) it evaluates the model in float64 and writes WORKDIR/<name>.numpy.json.
tests/ref_tfjs.js then builds each <name>.ref.json: the tfjs-layers output where tfjs has every
feature the model uses, this numpy output where it does not (GRU reset_after=True beyond what
the tfjs-ops interpreter runs, time_major, CuDNNLSTM/CuDNNGRU, the 'exponential' activation,
Bidirectional(RNN(cell)), StackedRNNCells states, zero_output_for_mask, Keras 3 files), and it
records in the ref.json how far the two
are apart wherever both ran. A difference above 1e-5 (absolute, plus 1e-5 relative) fails the
fixture build.

Cross-checks against tfjs, on every fixture tfjs can run (max |numpy − tfjs| in each ref.json
"crosscheck", all below 6e-7 when written): SimpleRNN/GRU(reset_after=False)/LSTM/RNN(cell),
Dense, initial states, Bidirectional in every merge mode with return_state and initial states,
go_backwards with return_state, RNN(StackedRNNCells), stacked layers, selu/swish/hard_sigmoid
activations — against tfjs-layers; the GRU reset_after=True step against the tfjs-ops
interpreter of ref_tfjs.js; Bidirectional(RNN(cell)) and the StackedRNNCells state order against
tfjs-layers on an equivalent model (the plain layer of that cell; tfjs' states reordered, since
tfjs keeps the last-cell-first order standalone Keras had before keras-team/keras#11021). Not cross-checked by tfjs: time_major and
CuDNN* (transposes and bias folding around the checked cells), 'exponential', and GRU
reset_after=True inside Bidirectional or stacked cells (the step is checked alone, the wrapping on
the other GRU kinds). Masks: against tfjs-layers (Masking, masked SimpleRNN/GRU/LSTM, go_backwards,
return_state, Bidirectional, StackedRNNCells, a Dense between two LSTMs) and the tfjs-ops
interpreter (masked GRU reset_after=True); the tf.keras Bidirectional zero-fill against
tfjs-layers with its output zeroed at the masked steps (Masking or Embedding(mask_zero) in
front). Keras 3 and Keras 1 files: against tfjs on the same model written as a Keras 2 config
(tfjs-layers where it has the activations, the tfjs-ops interpreter for the rest: exponential,
silu, hard_silu, leaky_relu, log_sigmoid, tanh_shrink and the Keras 3 hard_sigmoid written with
tfjs ops).
The layers of gen_fixtures' MORE_LAYER_MODELS: against tfjs-layers where it has them (ReLU with
max_value, PReLU, ELU with alpha 1, ThresholdedReLU, Softmax over the last axis, SpatialDropout1D,
GaussianNoise, GaussianDropout, AlphaDropout, Dot, TimeDistributed around Conv1D, Flatten and LSTM), and against the tfjs-ops interpreter on every
one of them (also ReLU negative_slope/threshold, ELU alpha, Softmax over another axis,
ActivityRegularization, Cropping1D, ZeroPadding1D, UpSampling1D, Conv1D channels_first,
SeparableConv1D, BatchNormalization over axis 1).
With --corpus, the Keras models of ../shared/corpus that exercise the same options (Bidirectional
in both Keras dialects, return_state, initial states, Masking, Keras 1.2.2 per-gate weights,
Embedding, Reshape, Flatten, RepeatVector, Permute) are also evaluated and compared with their
stored reference outputs (ref/<file>/out_K.npy).

Semantics implemented (Keras 2.2.4 keras/layers/recurrent.py, wrappers.py, cudnn_recurrent.py;
tf.keras 2.11 keras/layers/rnn/*.py):
  SimpleRNN  h' = act(x·K + h·R + b)
  LSTM       z = x·K + h·R + b, blocks i, f, c, o:
             c' = ra(f)·c + ra(i)·act(c~);  h' = ra(o)·act(c')
  GRU        kernel blocks z, r, h.  reset_after=False:
               z = ra(x·Kz + bz + h·Rz);  r = ra(x·Kr + br + h·Rr);  hh = act(x·Kh + bh + (r·h)·Rh)
             reset_after=True, bias (2, 3H) = [input bias; recurrent bias]:
               mx = x·K + b0;  mh = h·R + b1;  z = ra(mx_z + mh_z);  r = ra(mx_r + mh_r)
               hh = act(mx_h + r·mh_h)
             h' = z·h + (1 − z)·hh
  CuDNNLSTM  an LSTM with tanh/sigmoid whose bias (8H) is the sum of its two halves
  CuDNNGRU   a GRU reset_after=True with tanh/sigmoid, bias (6H) read as (2, 3H)
  RNN(cell), RNN(StackedRNNCells): the cells above; a stack feeds each cell's output to the next
             and keeps the states flat in cell order ([h1, c1, h2, ...]).
  go_backwards  the loop runs over x[T-1] … x[0]; the returned sequence stays in that processing
             order (output[0] is the step on x[T-1]).
  time_major input and returned sequence are [time, batch, features].
  return_state  [output] + final states (LSTM: h, c).
  initial states  extra inbound tensors after the sequence.
  masks      Masking(mask_value) masks a step whose features all equal mask_value and zeroes it;
             Dense/Activation/Dropout hand a mask on, a recurrent layer returning sequences keeps
             it. At a masked step a recurrent layer keeps its states and outputs its previous
             output (zeros before the first unmasked step), or zeros with zero_output_for_mask;
             Keras up to 2.2 outputs states[0] instead (see Semantics).
  Bidirectional  the backward copy is the wrapped layer with go_backwards flipped; its sequence
             is reversed back onto the time axis before merging (concat on the last axis, sum,
             ave, mul, or None = two outputs [forward, backward]); return_state appends the
             forward states, then the backward states; initial states: first half forward.
             Keras 3 writes the backward layer (backward_layer); tf.keras and Keras 3 zero-fill
             both halves at masked steps when returning sequences, Keras 2.2 does not.
  Keras 3 configs: inbound nodes {"args": [__keras_tensor__ ...], "kwargs"}, and a single
             [name, node, tensor] for the inputs or outputs of a one-input / one-output model.
  Keras 1 configs: output_dim for units, inner_activation for recurrent_activation, Dense's bias
             for use_bias; recurrent weights one triple W_g, U_g, b_g per gate (consume_less
             cpu/mem), LSTM gates i, c, f, o and GRU z, r, h, joined into the Keras 2 layout.
             Keras 1.2.2 GRU.step has the reset gate before U_h, as reset_after=False.
  Embedding  indices cast to integers (truncated, as K.cast to int32 does), rows of the matrix;
             mask_zero masks the steps whose index is 0.
  Flatten, Reshape (one -1 allowed), Permute (1-based dims after the batch axis), RepeatVector:
             the batch axis stays first; none of them hands a mask on.
  ReLU       Keras' relu: x * (x > threshold) (relu when threshold is 0), clipped to
             [0, max_value], minus negative_slope * relu(threshold - x); PReLU relu(x) -
             alpha * relu(-x) with alpha broadcast (shared_axes give it 1s); ELU alpha * expm1(x)
             below 0; ThresholdedReLU x * (x > theta); Softmax over its axis (one int or [int]).
  SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization: the
             identity (inference), handing the mask on.
  Cropping1D, ZeroPadding1D (int or pair), UpSampling1D (np.repeat on the time axis).
  Conv1D channels_first: the channels_last convolution between two transposes.
  SeparableConv1D  depthwise kernel (k, cin, mult): channel c * mult + m of the depthwise output
             is input channel c convolved with [:, c, m]; then pointwise (1, cin * mult, filters),
             bias, activation; padding as Conv1D (valid, same, causal).
  BatchNormalization over another axis than the last (int or [int]), or of a 2-D tensor: the
             statistics broadcast along that axis.
  Dot        Keras' batch_dot: axes an int or a pair (negative from the end), normalize =
             x / sqrt(max(sum(x^2), 1e-12)) along the summed axis first; the output keeps the
             batch axis, then x's other axes, then y's; two 2-D inputs give [batch, 1].
  TimeDistributed  the wrapped layer on [batch * time, ...] (Dense, Activation, Conv1D,
             Flatten, SimpleRNN/GRU/LSTM), reshaped back.
  Activations: Keras 2 names; hard_sigmoid = clip(0.2x + 0.5, 0, 1) up to Keras 2.x and
             clip(x/6 + 0.5, 0, 1) from Keras 3; selu with Keras' alpha/scale; gelu exact (erf);
             softmax and log_softmax over the last axis; Keras 3's leaky_relu (negative_slope
             0.2), log_sigmoid = -softplus(-x), tanh_shrink = x - tanh(x), hard_silu (and its
             alias hard_swish) = x * hard_sigmoid(x) with the Keras 3 hard_sigmoid.
"""
import glob
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_numpy_attn  # noqa: E402  attention layers, ConvLSTM1D/2D

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Unsupported(Exception):
    pass


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))    # no overflow warning for large |x|


def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def activation(name, x, keras3=False):
    if name in (None, 'linear'):
        return x
    fns = {
        'relu': lambda v: np.maximum(v, 0.0),
        'relu6': lambda v: np.clip(v, 0.0, 6.0),
        'tanh': np.tanh,
        'sigmoid': sigmoid,
        'hard_sigmoid': (lambda v: np.clip(v / 6.0 + 0.5, 0.0, 1.0)) if keras3 else
                        (lambda v: np.clip(0.2 * v + 0.5, 0.0, 1.0)),
        'elu': elu,
        'selu': lambda v: SELU_SCALE * np.where(v > 0, v, SELU_ALPHA * np.expm1(np.minimum(v, 0.0))),
        'softplus': lambda v: np.logaddexp(0.0, v),
        'softsign': lambda v: v / (1.0 + np.abs(v)),
        'exponential': np.exp,
        'swish': lambda v: v * sigmoid(v),
        'silu': lambda v: v * sigmoid(v),
        'gelu': lambda v: 0.5 * v * (1.0 + _erf(v / math.sqrt(2.0))),
        'mish': lambda v: v * np.tanh(np.logaddexp(0.0, v)),
        'softmax': lambda v: (lambda e: e / e.sum(axis=-1, keepdims=True))(np.exp(v - v.max(axis=-1, keepdims=True))),
        'log_softmax': lambda v: v - v.max(axis=-1, keepdims=True) -
        np.log(np.exp(v - v.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)),
        'leaky_relu': lambda v: np.where(v > 0, v, 0.2 * v),
        'log_sigmoid': lambda v: -np.logaddexp(0.0, -v),
        'tanh_shrink': lambda v: v - np.tanh(v),
        # Keras 3 (keras.ops.nn), default parameters
        'celu': lambda v: np.where(v >= 0, v, np.expm1(np.minimum(v, 0.0))),
        'hard_tanh': lambda v: np.clip(v, -1.0, 1.0),
        'hard_shrink': lambda v: np.where(np.abs(v) > 0.5, v, 0.0),
        'soft_shrink': lambda v: np.where(v > 0.5, v - 0.5, np.where(v < -0.5, v + 0.5, 0.0)),
        'sparse_plus': lambda v: np.where(v <= -1, 0.0, np.where(v >= 1, v, 0.25 * (v + 1) ** 2)),
        'squareplus': lambda v: (v + np.sqrt(v * v + 4.0)) / 2.0,
        'sparse_sigmoid': lambda v: np.where(v <= -1, 0.0, np.where(v >= 1, 1.0, 0.5 * (v + 1))),
        'glu': lambda v: (lambda a, b: a * sigmoid(b))(*np.split(v, 2, axis=-1)),
        'sparsemax': sparsemax,
    }
    # Keras 3 only: x * hard_sigmoid(x), its hard_sigmoid being clip(x/6 + 1/2, 0, 1)
    fns['hard_silu'] = fns['hard_swish'] = lambda v: v * np.clip(v / 6.0 + 0.5, 0.0, 1.0)
    if not isinstance(name, str) or name not in fns:
        raise Unsupported('activation %r' % (name,))
    return fns[name](x)


def sparsemax(v):
    """Keras 3's sparsemax over the last axis, as its backends write it: tau is the sum of the
    prefix sums over the support, less one, over the support's size."""
    z = -np.sort(-v, axis=-1)
    cs = np.cumsum(z, axis=-1)
    r = np.arange(1, v.shape[-1] + 1, dtype=v.dtype)
    support = z - (cs - 1) / r > 0
    k = support.sum(axis=-1, keepdims=True)
    tau = (np.where(support, cs, 0.0).sum(axis=-1, keepdims=True) - 1) / k
    return np.maximum(v - tau, 0.0)


# ---------------------------------------------------------------------------------------------
# cells: step(x_t [N, I], states) -> (output [N, H], new states); weights consumed in Keras order
# ---------------------------------------------------------------------------------------------
class Cell:
    def __init__(self, kind, cfg, weights, keras3, cudnn=False):
        self.kind = kind
        self.units = cfg['units']
        self.keras3 = keras3
        if cudnn:
            self.act, self.ract = 'tanh', 'sigmoid'
        else:
            self.act = cfg.get('activation', 'tanh')
            self.ract = cfg.get('recurrent_activation', 'sigmoid')
        self.use_bias = cfg.get('use_bias', True)
        n = 3 if self.use_bias else 2
        if len(weights) < n:
            raise Unsupported('%s cell needs %d weights, got %d' % (kind, n, len(weights)))
        self.K, self.R = weights[0], weights[1]
        H = self.units
        g = {'simple': 1, 'gru': 3, 'lstm': 4}[kind]
        if self.K.shape[1] != g * H or self.R.shape != (H, g * H):
            raise Unsupported('%s kernel shapes %s %s for %d units' % (kind, self.K.shape, self.R.shape, H))
        b = weights[2] if self.use_bias else None
        self.reset_after = bool(cfg.get('reset_after', False))
        if cudnn and kind == 'lstm':
            b = b[:4 * H] + b[4 * H:]
        elif cudnn and kind == 'gru':
            b = b.reshape(2, 3 * H)
            self.reset_after = True
        if kind == 'gru' and self.reset_after:
            if b is None:
                b = np.zeros((2, 3 * H))
            elif b.ndim == 1:
                b = np.stack([b, np.zeros_like(b)])
        elif b is None:
            b = np.zeros(g * H)
        self.b = b
        self.n_weights = n
        self.state_sizes = [H, H] if kind == 'lstm' else [H]

    def a(self, v):
        return activation(self.act, v, self.keras3)

    def ra(self, v):
        return activation(self.ract, v, self.keras3)

    def step(self, x, states):
        H = self.units
        h = states[0]
        if self.kind == 'simple':
            y = self.a(x @ self.K + h @ self.R + self.b)
            return y, [y]
        if self.kind == 'lstm':
            z = x @ self.K + h @ self.R + self.b
            i, f, c_, o = (z[:, k * H:(k + 1) * H] for k in range(4))
            c = self.ra(f) * states[1] + self.ra(i) * self.a(c_)
            y = self.ra(o) * self.a(c)
            return y, [y, c]
        if self.reset_after:
            mx = x @ self.K + self.b[0]
            mh = h @ self.R + self.b[1]
            z = self.ra(mx[:, :H] + mh[:, :H])
            r = self.ra(mx[:, H:2 * H] + mh[:, H:2 * H])
            hh = self.a(mx[:, 2 * H:] + r * mh[:, 2 * H:])
        else:
            mx = x @ self.K + self.b
            z = self.ra(mx[:, :H] + h @ self.R[:, :H])
            r = self.ra(mx[:, H:2 * H] + h @ self.R[:, H:2 * H])
            hh = self.a(mx[:, 2 * H:] + (r * h) @ self.R[:, 2 * H:])
        y = z * h + (1.0 - z) * hh
        return y, [y]


class Stack:
    def __init__(self, cells):
        self.cells = cells
        self.state_sizes = [s for c in cells for s in c.state_sizes]

    def step(self, x, states):
        new, k = [], 0
        for c in self.cells:
            n = len(c.state_sizes)
            x, st = c.step(x, states[k:k + n])
            new += st
            k += n
        return x, new


CELL_KINDS = {'SimpleRNNCell': 'simple', 'GRUCell': 'gru', 'LSTMCell': 'lstm'}
LAYER_KINDS = {'SimpleRNN': 'simple', 'GRU': 'gru', 'LSTM': 'lstm'}
CUDNN_KINDS = {'CuDNNLSTM': 'lstm', 'CuDNNGRU': 'gru'}
RECURRENT = set(LAYER_KINDS) | set(CUDNN_KINDS) | {'RNN'}


def build_cell(cls, cfg, weights, keras3):
    """The cell of a recurrent layer config and the number of weights it took."""
    if cls in LAYER_KINDS:
        c = Cell(LAYER_KINDS[cls], cfg, weights, keras3)
        return c, c.n_weights
    if cls in CUDNN_KINDS:
        c = Cell(CUDNN_KINDS[cls], cfg, weights, keras3, cudnn=True)
        return c, c.n_weights
    if cls == 'RNN':
        cell = cfg['cell']
        if isinstance(cell, list):
            cell = {'class_name': 'StackedRNNCells', 'config': {'cells': cell}}
        if cell['class_name'] == 'StackedRNNCells':
            cells, k = [], 0
            for sub in cell['config']['cells']:
                if sub['class_name'] not in CELL_KINDS:
                    raise Unsupported('cell %s' % sub['class_name'])
                c = Cell(CELL_KINDS[sub['class_name']], sub['config'], weights[k:], keras3)
                cells.append(c)
                k += c.n_weights
            return Stack(cells), k
        if cell['class_name'] not in CELL_KINDS:
            raise Unsupported('cell %s' % cell['class_name'])
        c = Cell(CELL_KINDS[cell['class_name']], cell['config'], weights, keras3)
        return c, c.n_weights
    raise Unsupported('layer %s' % cls)


class Semantics:
    """What differs between the Keras versions a file may come from.
    keras3: hard_sigmoid is relu6(x + 3) / 6.
    legacy_mask: standalone Keras up to 2.2.x, whose backend fills a masked step's output with
    states[0] (for these cells the previous output, as long as the initial state is zero) and whose
    Bidirectional has no zero_output_for_mask. tf.keras (since TF 1.13, '2.2.4-tf') and Keras 3
    keep the previous output in a tensor of its own, zeros at first, and Bidirectional sets
    zero_output_for_mask = return_sequences on both halves. Standalone Keras 2.3 is taken to
    behave like tf.keras here (not checked against a real install)."""

    def __init__(self, keras_version):
        v = str(keras_version)
        nums = []
        for part in v.split('-')[0].split('.')[:2]:
            nums.append(int(part) if part.isdigit() else 0)
        major, minor = (nums + [0, 0])[:2]
        self.keras3 = major >= 3
        tf_keras = v.endswith('-tf') and (major, minor) >= (2, 2)
        self.legacy_mask = (major, minor) < (2, 3) and not tf_keras
        self.theano = False      # a Keras 1 file saved by Theano (its weight names lack ':0')


def run_recurrent(cls, cfg, weights, x, initial, sem, mask=None, zero_output=None):
    """One recurrent layer: returns the list [output] (+ final states with return_state).
    mask: [batch, time] booleans, True where the step counts."""
    cell, used = build_cell(cls, cfg, weights, sem.keras3)
    if used != len(weights):
        raise Unsupported('%s: %d weights, the cells take %d' % (cls, len(weights), used))
    time_major = bool(cfg.get('time_major', False))
    if time_major:
        if mask is not None:
            raise Unsupported('a mask on a time_major layer')
        x = np.transpose(x, (1, 0, 2))
    if zero_output is None:
        zero_output = bool(cfg.get('zero_output_for_mask', False))
    N, T = x.shape[0], x.shape[1]
    if initial:
        if len(initial) != len(cell.state_sizes):
            raise Unsupported('%d initial states for %d states' % (len(initial), len(cell.state_sizes)))
        states = [np.asarray(s, dtype=np.float64) for s in initial]
    else:
        states = [np.zeros((N, n)) for n in cell.state_sizes]
    order = range(T - 1, -1, -1) if cfg.get('go_backwards', False) else range(T)
    outs, prev = [], None
    for t in order:
        y, new = cell.step(x[:, t, :], states)
        if mask is not None:
            m = mask[:, t][:, None]
            if zero_output:
                keep = np.zeros_like(y)
            elif sem.legacy_mask:
                keep = states[0]
            else:
                keep = prev if prev is not None else np.zeros_like(y)
            if keep.shape != y.shape:
                raise Unsupported('masked step: states[0] %s is not the output %s' % (keep.shape, y.shape))
            y = np.where(m, y, keep)
            new = [np.where(m, a, b) for a, b in zip(new, states)]
        states, prev = new, y
        outs.append(y)
    if cfg.get('return_sequences', False):
        out = np.stack(outs, axis=1)
        if time_major:
            out = np.transpose(out, (1, 0, 2))
    else:
        out = outs[-1]
    return [out] + states if cfg.get('return_state', False) else [out]


def run_bidirectional(cfg, weights, x, initial, sem, mask=None):
    inner = cfg['layer']
    cls, lcfg = inner['class_name'], inner['config']
    bw = cfg.get('backward_layer')
    if bw is not None:
        # Keras 3 writes both halves; only a go_backwards copy of the same kind is supported here
        if bw['class_name'] != cls or not bw['config'].get('go_backwards', False):
            raise Unsupported('Bidirectional backward_layer %s' % bw['class_name'])
        bw_cls, bw_cfg = bw['class_name'], bw['config']
    else:
        bw_cls, bw_cfg = cls, dict(lcfg, go_backwards=not lcfg.get('go_backwards', False))
    half = len(weights) // 2
    ni = len(initial) // 2
    seqs = lcfg.get('return_sequences', False)
    zero = None if sem.legacy_mask else seqs
    y = run_recurrent(cls, lcfg, weights[:half], x, initial[:ni], sem, mask, zero)
    y_rev = run_recurrent(bw_cls, bw_cfg, weights[half:], x, initial[ni:], sem, mask, zero)
    states = y[1:] + y_rev[1:]
    y, y_rev = y[0], y_rev[0]
    if seqs:
        y_rev = np.flip(y_rev, axis=0 if lcfg.get('time_major', False) else 1)
    mode = cfg.get('merge_mode', 'concat')
    if mode == 'concat':
        out = [np.concatenate([y, y_rev], axis=-1)]
    elif mode == 'sum':
        out = [y + y_rev]
    elif mode == 'ave':
        out = [(y + y_rev) / 2.0]
    elif mode == 'mul':
        out = [y * y_rev]
    elif mode is None:
        out = [y, y_rev]
    else:
        raise Unsupported('merge_mode %r' % (mode,))
    return out + (states if lcfg.get('return_state', False) else [])


# Keras 1 gate order in the per-gate weights of consume_less "cpu"/"mem" layers, as indices into
# it for each Keras 2 gate: LSTM i, c, f, o -> i, f, c, o; GRU z, r, h unchanged
KERAS1_GATES = {'lstm': (0, 2, 1, 3), 'gru': (0, 1, 2)}


def keras1_form(cls, cfg, weights):
    """A Keras 1 SimpleRNN/GRU/LSTM config and weights in Keras 2 form: output_dim -> units,
    inner_activation -> recurrent_activation, and the per-gate W_g, U_g, b_g (three per gate, in
    the file's gate order) joined into kernel, recurrent_kernel and bias. A layer saved with
    consume_less "gpu" already has the three joined arrays."""
    kind = LAYER_KINDS[cls]
    c = dict(cfg, units=cfg['output_dim'])
    if 'inner_activation' in cfg:
        c['recurrent_activation'] = cfg['inner_activation']
    if kind == 'simple' or len(weights) == 3:
        return c, weights
    order = KERAS1_GATES[kind]
    if len(weights) != 3 * len(order):
        raise Unsupported('Keras 1 %s with %d weights' % (cls, len(weights)))
    joined = [np.concatenate([weights[3 * g + w] for g in order], axis=-1) for w in range(3)]
    return c, joined


def is_keras1(cls, cfg):
    return cls in LAYER_KINDS and 'output_dim' in cfg and 'units' not in cfg


MASK_PASSING = {'Dense', 'Activation', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout',
                'AlphaDropout'}


def same_pads(L, span, stride):
    """TensorFlow's SAME: ceil(L / stride) outputs, the odd padding element on the right."""
    out = -(-L // stride)
    total = max((out - 1) * stride + span - L, 0)
    return total // 2, total - total // 2


def pad_steps(x, pad, span, s, cls):
    """[N, T, C] padded along T for a window of `span` steps and stride `s`: causal all at the
    start, same as TensorFlow splits it (odd element at the end), valid not at all."""
    if pad == 'causal':
        return np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
    if pad == 'same':
        return np.pad(x, ((0, 0), same_pads(x.shape[1], span, s), (0, 0)))
    if pad != 'valid':
        raise Unsupported('%s padding %r' % (cls, pad))
    return x


def conv1d(cfg, weights, x):
    K = weights[0]
    k, cin_g, F = K.shape
    s, d = cfg['strides'][0], cfg['dilation_rate'][0]
    groups = cfg.get('groups', 1)
    span = d * (k - 1) + 1
    x = pad_steps(x, cfg['padding'], span, s, 'Conv1D')
    if x.shape[2] != cin_g * groups:
        raise Unsupported('Conv1D kernel %s for %d channels in %d groups' % (K.shape, x.shape[2], groups))
    T = (x.shape[1] - span) // s + 1
    fg = F // groups
    y = np.zeros((x.shape[0], T, F))
    for g in range(groups):
        xg = x[:, :, g * cin_g:(g + 1) * cin_g]
        Kg = K[:, :, g * fg:(g + 1) * fg]
        for t in range(T):
            win = xg[:, t * s + d * np.arange(k), :]
            y[:, t, g * fg:(g + 1) * fg] = np.einsum('nkc,kcf->nf', win, Kg)
    if cfg.get('use_bias', True):
        y = y + weights[1]
    return y


def keras1_conv1d(cfg, weights, x, theano):
    """Keras 1.2 Convolution1D/AtrousConvolution1D as it computed them: a 2-D convolution of the
    input with a dummy axis, kernel [k, 1, C, F] (Keras 1.1 kept it as [F, C, k, 1]). TensorFlow
    correlates with SAME padding; Theano convolves (the kernel runs backwards), pads half the
    dilated kernel on both sides for 'same' and Keras 1 cuts the surplus of an even kernel off."""
    k, F = cfg['filter_length'], cfg['nb_filter']
    W = weights[0]
    if W.shape[:2] != (k, 1) or W.shape[3] != F:
        W = np.transpose(W, (2, 3, 1, 0))
    W = W[:, 0, :, :]
    s, d = cfg.get('subsample_length', 1), cfg.get('atrous_rate', 1)
    span = d * (k - 1) + 1
    mode = cfg.get('border_mode', 'valid')
    T = x.shape[1]
    if theano:
        W = W[::-1]
        if mode == 'same':
            x = np.pad(x, ((0, 0), (span // 2, span // 2), (0, 0)))
    elif mode == 'same':
        x = np.pad(x, ((0, 0), same_pads(T, span, s), (0, 0)))
    if mode not in ('same', 'valid'):
        raise Unsupported('Keras 1 border_mode %r' % mode)
    n = (x.shape[1] - span) // s + 1
    y = np.stack([np.einsum('nkc,kcf->nf', x[:, t * s + d * np.arange(k), :], W) for t in range(n)], axis=1)
    if theano and mode == 'same' and k % 2 == 0:
        y = y[:, :(T + s - 1) // s]
    if cfg.get('bias', True):
        y = y + weights[1]
    return y


def to_nhwc(cfg, x):
    return np.transpose(x, (0, 2, 3, 1)) if cfg.get('data_format') == 'channels_first' else x


def from_nhwc(cfg, y):
    return np.transpose(y, (0, 3, 1, 2)) if cfg.get('data_format') == 'channels_first' else y


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_nhwc(x, K, strides, dilation, padding, groups=1):
    """x [N, H, W, C] with kernel [kh, kw, C/groups, F], TensorFlow's padding."""
    kh, kw, cg, F = K.shape
    (sh, sw), (dh, dw) = strides, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    if padding == 'same':
        x = np.pad(x, ((0, 0), same_pads(x.shape[1], span[0], sh), same_pads(x.shape[2], span[1], sw), (0, 0)))
    elif padding != 'valid':
        raise Unsupported('2-D padding %r' % padding)
    Ho, Wo = (x.shape[1] - span[0]) // sh + 1, (x.shape[2] - span[1]) // sw + 1
    fg = F // groups
    y = np.zeros((x.shape[0], Ho, Wo, F))
    for g in range(groups):
        for i in range(Ho):
            for j in range(Wo):
                win = x[:, i * sh + dh * np.arange(kh)][:, :, j * sw + dw * np.arange(kw)][..., g * cg:(g + 1) * cg]
                y[:, i, j, g * fg:(g + 1) * fg] = np.einsum('nabc,abcf->nf', win, K[..., g * fg:(g + 1) * fg])
    return y


def run_conv2d(cls, cfg, weights, x):
    """Conv2D, DepthwiseConv2D, SeparableConv2D (Keras 2 kernels [kh, kw, in, out])."""
    x = to_nhwc(cfg, x)
    st, dl, pad = pair(cfg.get('strides', 1)), pair(cfg.get('dilation_rate', 1)), cfg.get('padding', 'valid')
    C = x.shape[3]
    if cls == 'Conv2D':
        y = conv2d_nhwc(x, weights[0], st, dl, pad, cfg.get('groups', 1))
        rest = weights[1:]
    else:
        dk = weights[0]                       # [kh, kw, C, M]: channel c*M + m reads c
        y = conv2d_nhwc(x, dk.reshape(dk.shape[0], dk.shape[1], 1, C * dk.shape[3]), st, dl, pad, C)
        rest = weights[1:]
        if cls == 'SeparableConv2D':
            y = np.einsum('nhwc,cf->nhwf', y, rest[0][0, 0])
            rest = rest[1:]
    if cfg.get('use_bias', True):
        y = y + rest[0]
    return from_nhwc(cfg, activation(cfg.get('activation'), y))


def pool2d(cfg, x, reduce_max):
    x = to_nhwc(cfg, x)
    (ph, pw) = pair(cfg['pool_size'])
    (sh, sw) = pair(cfg.get('strides') or cfg['pool_size'])
    H, W = x.shape[1], x.shape[2]
    (t, b), (l, r) = ((same_pads(H, ph, sh), same_pads(W, pw, sw)) if cfg.get('padding', 'valid') == 'same'
                      else ((0, 0), (0, 0)))
    Ho, Wo = (H + t + b - ph) // sh + 1, (W + l + r - pw) // sw + 1
    y = np.zeros((x.shape[0], Ho, Wo, x.shape[3]))
    for i in range(Ho):
        for j in range(Wo):
            a0, a1 = max(i * sh - t, 0), min(i * sh - t + ph, H)
            b0, b1 = max(j * sw - l, 0), min(j * sw - l + pw, W)
            win = x[:, a0:a1, b0:b1, :]
            y[:, i, j, :] = win.max(axis=(1, 2)) if reduce_max else win.mean(axis=(1, 2))
    return from_nhwc(cfg, y)


def pairs2(v):
    """((top, bottom), (left, right)) of ZeroPadding2D/Cropping2D."""
    if isinstance(v, int):
        return (v, v), (v, v)
    return tuple(pair(e) if isinstance(e, int) else tuple(e) for e in v)


def deconv_length(n, k, padding, output_padding, stride, dilation):
    """Keras' conv_utils.deconv_output_length."""
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return n * stride + max(k - stride, 0) if padding == 'valid' else n * stride
    pad = k // 2 if padding == 'same' else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


def conv2d_transpose(cfg, weights, x):
    """Conv2DTranspose as TensorFlow's conv2d_backprop_input: every input pixel adds the kernel
    [kh, kw, F, C] times its channels at (i·s, j·s); the output of Keras' length starts where the
    forward convolution's padding would (valid: 0, same: max((n - 1)·s + k - L, 0) // 2)."""
    x = to_nhwc(cfg, x)
    K = weights[0]
    (sh, sw) = pair(cfg.get('strides', 1))
    if tuple(pair(cfg.get('dilation_rate', 1))) != (1, 1):
        raise Unsupported('Conv2DTranspose dilation')
    op = cfg.get('output_padding')
    op = (None, None) if op is None else pair(op)
    pad = cfg.get('padding', 'valid')
    N, H, W, C = x.shape
    kh, kw, F = K.shape[0], K.shape[1], K.shape[2]
    full = np.zeros((N, (H - 1) * sh + kh, (W - 1) * sw + kw, F))
    for i in range(H):
        for j in range(W):
            full[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += np.einsum('nc,abfc->nabf', x[:, i, j, :], K)
    L = (deconv_length(H, kh, pad, op[0], sh, 1), deconv_length(W, kw, pad, op[1], sw, 1))
    start = [max((n - 1) * s + k - l, 0) // 2 if pad == 'same' else 0 for n, s, k, l in ((H, sh, kh, L[0]), (W, sw, kw, L[1]))]
    y = np.zeros((N, L[0], L[1], F))
    part = full[:, start[0]:start[0] + L[0], start[1]:start[1] + L[1], :]
    y[:, :part.shape[1], :part.shape[2], :] = part
    if cfg.get('use_bias', True):
        y = y + weights[1]
    return from_nhwc(cfg, activation(cfg.get('activation'), y))


def conv1d_transpose(cfg, weights, x):
    """Conv1DTranspose as TensorFlow's conv1d_transpose computes it: the 2-D one over the steps as
    rows of one column, kernel [k, 1, F, C]."""
    first = cfg.get('data_format') == 'channels_first'
    op = cfg.get('output_padding')
    c2 = dict(cfg, strides=[pair(cfg.get('strides', 1))[0], 1], dilation_rate=[pair(cfg.get('dilation_rate', 1))[0], 1],
              output_padding=None if op is None else [pair(op)[0], 0])
    y = conv2d_transpose(c2, [weights[0][:, None]] + list(weights[1:]), x[:, :, :, None] if first else x[:, :, None, :])
    return y[:, :, :, 0] if first else y[:, :, 0, :]


def run_2d_layer(cls, cfg, weights, x):
    """The 2-D layers, or None for another class (and for Keras 1 configs)."""
    if 'dim_ordering' in cfg:
        return None
    if cls in ('Conv2D', 'DepthwiseConv2D', 'SeparableConv2D'):
        return run_conv2d(cls, cfg, weights, x)
    if cls == 'Conv2DTranspose':
        return conv2d_transpose(cfg, weights, x)
    if cls == 'Conv1DTranspose':
        return conv1d_transpose(cfg, weights, x)
    if cls in ('MaxPooling2D', 'AveragePooling2D'):
        return pool2d(cfg, x, cls == 'MaxPooling2D')
    if cls in ('GlobalAveragePooling2D', 'GlobalMaxPooling2D'):
        h = to_nhwc(cfg, x)
        return h.max(axis=(1, 2)) if 'Max' in cls else h.mean(axis=(1, 2))
    if cls == 'ZeroPadding2D':
        (t, b), (l, r) = pairs2(cfg['padding'])
        return from_nhwc(cfg, np.pad(to_nhwc(cfg, x), ((0, 0), (t, b), (l, r), (0, 0))))
    if cls == 'Cropping2D':
        (t, b), (l, r) = pairs2(cfg['cropping'])
        h = to_nhwc(cfg, x)
        return from_nhwc(cfg, h[:, t:h.shape[1] - b, l:h.shape[2] - r, :])
    if cls == 'UpSampling2D':
        if cfg.get('interpolation', 'nearest') != 'nearest':
            raise Unsupported('UpSampling2D interpolation %r' % cfg['interpolation'])
        sh, sw = pair(cfg.get('size', 2))
        return from_nhwc(cfg, np.repeat(np.repeat(to_nhwc(cfg, x), sh, axis=1), sw, axis=2))
    return None


def keras1_conv2d(cfg, weights, x, theano):
    """Keras 1.2 Convolution2D/AtrousConvolution2D: W [F, C, rows, cols] (th) or [rows, cols, C, F]
    (tf); TensorFlow correlates with SAME padding, Theano convolves (the kernel reversed on both
    axes), pads half the dilated kernel on both sides for 'same' and Keras 1 cuts an even kernel's
    surplus off the end."""
    th = cfg.get('dim_ordering') == 'th'
    W = np.transpose(weights[0], (2, 3, 1, 0)) if th else weights[0]
    if th:
        x = np.transpose(x, (0, 2, 3, 1))
    (sh, sw), (dh, dw) = pair(cfg.get('subsample', 1)), pair(cfg.get('atrous_rate', 1))
    mode = cfg.get('border_mode', 'valid')
    H, Wd = x.shape[1], x.shape[2]
    kh, kw = W.shape[0], W.shape[1]
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    if theano:
        W = W[::-1, ::-1]
        if mode == 'same':
            x = np.pad(x, ((0, 0), (span[0] // 2, span[0] // 2), (span[1] // 2, span[1] // 2), (0, 0)))
        y = conv2d_nhwc(x, W, (sh, sw), (dh, dw), 'valid')
        if mode == 'same':
            y = y[:, :(H + sh - 1) // sh, :(Wd + sw - 1) // sw, :]
    else:
        y = conv2d_nhwc(x, W, (sh, sw), (dh, dw), mode)
    if cfg.get('bias', True):
        y = y + weights[1]
    y = activation(cfg.get('activation'), y)
    return np.transpose(y, (0, 3, 1, 2)) if th else y


def keras1_batch_dot(x, y, axes):
    """Keras 1's K.batch_dot: per sample, x's axis axes[0] contracted with y's axis axes[1]
    (counted with the batch axis); a result of rank 1 becomes [batch, 1]."""
    if isinstance(axes, int):
        axes = [axes % x.ndim, axes % y.ndim] if axes < 0 else [axes, axes]
    out = np.stack([np.tensordot(x[i], y[i], axes=(axes[0] - 1, axes[1] - 1)) for i in range(x.shape[0])])
    return out[:, None] if out.ndim == 1 else out


def keras1_merge(cfg, xs):
    """Keras 1.2 Merge.call for a mode given by name."""
    mode = cfg['mode']
    if cfg.get('mode_type', 'raw') != 'raw':
        raise Unsupported('Merge mode given as a function')
    if mode in ('sum', 'ave'):
        s = sum(xs[1:], xs[0])
        return s / len(xs) if mode == 'ave' else s
    if mode == 'mul':
        return np.prod(np.stack(xs), axis=0)
    if mode == 'max':
        return np.max(np.stack(xs), axis=0)
    if mode == 'concat':
        return np.concatenate(xs, axis=cfg.get('concat_axis', -1))
    a, b = xs
    if mode == 'dot':
        return keras1_batch_dot(a, b, cfg['dot_axes'])
    if mode == 'cos':
        den = np.sqrt(keras1_batch_dot(a, a, cfg['dot_axes']) * keras1_batch_dot(b, b, cfg['dot_axes']))
        return np.expand_dims(keras1_batch_dot(a, b, cfg['dot_axes']) / np.maximum(den, 1e-7), 1)
    raise Unsupported('Merge mode %r' % mode)


def pool1d(cfg, x, reduce_max):
    """Padded positions take no part: max ignores them, the average divides by the real count
    (tf.nn.avg_pool SAME)."""
    p, s = cfg['pool_size'][0], cfg['strides'][0] if cfg.get('strides') else cfg['pool_size'][0]
    L = x.shape[1]
    lo, hi = same_pads(L, p, s) if cfg.get('padding', 'valid') == 'same' else (0, 0)
    T = (L + lo + hi - p) // s + 1
    out = []
    for t in range(T):
        a, b = max(t * s - lo, 0), min(t * s - lo + p, L)
        w = x[:, a:b, :]
        out.append(w.max(axis=1) if reduce_max else w.mean(axis=1))
    return np.stack(out, axis=1)


def norm_params(cfg, weights):
    """gamma and beta (only those the config has, in that order) and what follows them."""
    k = 0
    gamma = beta = None
    if cfg.get('scale', True):
        gamma, k = weights[0], 1
    if cfg.get('center', True):
        beta, k = weights[k], k + 1
    return gamma, beta, weights[k:]


def last_axis(cfg, ndim):
    ax = cfg.get('axis', -1)
    ax = ax if isinstance(ax, list) else [ax]
    if [a % ndim for a in ax] != [ndim - 1]:
        raise Unsupported('normalization axis %r' % (cfg.get('axis'),))


def batchnorm(cfg, weights, x):
    last_axis(cfg, x.ndim)
    gamma, beta, (mean, var) = norm_params(cfg, weights)
    y = (x - mean) / np.sqrt(var + cfg.get('epsilon', 1e-3))
    if gamma is not None:
        y = y * gamma
    return y + beta if beta is not None else y


def layernorm(cfg, weights, x):
    last_axis(cfg, x.ndim)
    gamma, beta, rest = norm_params(cfg, weights)
    if rest:
        raise Unsupported('LayerNormalization with %d extra weights' % len(rest))
    mu = x.mean(axis=-1, keepdims=True)
    y = (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + cfg.get('epsilon', 1e-3))
    if gamma is not None:
        y = y * gamma
    return y + beta if beta is not None else y


MERGE_FNS = {
    'Add': lambda xs: sum(xs[1:], xs[0]),
    'Subtract': lambda xs: xs[0] - xs[1],
    'Multiply': lambda xs: np.prod(np.stack(xs), axis=0),
    'Average': lambda xs: np.mean(np.stack(xs), axis=0),
    'Maximum': lambda xs: np.max(np.stack(xs), axis=0),
    'Minimum': lambda xs: np.min(np.stack(xs), axis=0),
}


def run_plain_layer(cls, cfg, weights, ins, sem, mask):
    """Conv1D, pooling, normalization, LeakyReLU, merge layers, TimeDistributed: (outputs, masks)
    or None for another class. Only TimeDistributed hands a mask on; the global poolings use it."""
    x = ins[0]
    y2 = run_2d_layer(cls, cfg, weights, x)
    if y2 is not None:
        return [y2], [None]
    if cls == 'Merge':
        return [keras1_merge(cfg, ins)], [None]
    if cls == 'Highway':      # Keras 1.2 Highway.call
        t = x @ weights[1] + (weights[3] if cfg.get('bias', True) else 0.0)
        t = 1.0 / (1.0 + np.exp(-t))
        h = activation(cfg.get('activation'), x @ weights[0] + (weights[2] if cfg.get('bias', True) else 0.0))
        return [h * t + (1.0 - t) * x], [None]
    if cls == 'MaxoutDense':  # Keras 1.2 MaxoutDense.call: max over nb_feature of x·W[k] + b[k]
        y = np.einsum('nd,kdo->nko', x, weights[0])
        if cfg.get('bias', True):
            y = y + weights[1]
        return [y.max(axis=1)], [None]
    if cls in ('Convolution2D', 'AtrousConvolution2D') and 'nb_filter' in cfg:
        return [keras1_conv2d(cfg, weights, x, sem.theano)], [None]
    if cls == 'SeparableConvolution2D':
        # Keras 1.2 tensorflow_backend.separable_conv2d: th kernels [out, in, rows, cols] go to
        # TensorFlow's [rows, cols, in, out] by transpose(2, 3, 1, 0) (_preprocess_conv2d_kernel)
        th = cfg.get('dim_ordering') == 'th'
        ws = [w.transpose(2, 3, 1, 0) if th else w for w in weights[:2]] + list(weights[2:])
        return [run_conv2d('SeparableConv2D', {'strides': cfg.get('subsample', [1, 1]), 'padding': cfg.get('border_mode', 'valid'),
                                               'data_format': 'channels_first' if th else 'channels_last',
                                               'use_bias': cfg.get('bias', True), 'activation': cfg.get('activation')},
                           ws, x)], [None]
    if cls == 'MaxPooling2D' and 'dim_ordering' in cfg:
        if sem.theano and cfg.get('border_mode') == 'same':
            raise Unsupported('Keras 1 Theano pooling with border_mode same')
        return [pool2d({'pool_size': cfg['pool_size'], 'strides': cfg.get('strides') or cfg['pool_size'],
                        'padding': cfg.get('border_mode', 'valid'),
                        'data_format': 'channels_first' if cfg['dim_ordering'] == 'th' else 'channels_last'},
                       x, True)], [None]
    if cls in ('Convolution1D', 'AtrousConvolution1D'):
        return [activation(cfg.get('activation'), keras1_conv1d(cfg, weights, x, sem.theano), False)], [None]
    if cls in ('MaxPooling1D', 'AveragePooling1D') and 'pool_length' in cfg:
        if sem.theano and cfg.get('border_mode') == 'same':
            raise Unsupported('Keras 1 Theano pooling with border_mode same')
        cfg = {'pool_size': [cfg['pool_length']], 'strides': [cfg.get('stride') or cfg['pool_length']],
               'padding': cfg.get('border_mode', 'valid')}
    if cls == 'Conv1D':
        return [activation(cfg.get('activation'), conv1d(cfg, weights, x), sem.keras3)], [None]
    if cls in ('MaxPooling1D', 'AveragePooling1D'):
        return [pool1d(cfg, x, cls == 'MaxPooling1D')], [None]
    if cls == 'GlobalAveragePooling1D':
        if mask is None:
            return [x.mean(axis=1)], [None]
        m = mask[..., None].astype(np.float64)
        return [(x * m).sum(axis=1) / m.sum(axis=1)], [None]
    if cls == 'GlobalMaxPooling1D':
        if mask is not None:
            raise Unsupported('masked GlobalMaxPooling1D')
        return [x.max(axis=1)], [None]
    if cls == 'BatchNormalization':
        return [batchnorm(cfg, weights, x)], [mask]
    if cls == 'LayerNormalization':
        return [layernorm(cfg, weights, x)], [mask]
    if cls == 'LeakyReLU':
        a = cfg.get('alpha', cfg.get('negative_slope', 0.3))
        return [np.where(x > 0, x, a * x)], [mask]
    if cls in MERGE_FNS:
        return [MERGE_FNS[cls](ins)], [None]
    if cls == 'Concatenate':
        return [np.concatenate(ins, axis=cfg.get('axis', -1))], [None]
    if cls == 'TimeDistributed':
        inner = cfg['layer']
        N, T = x.shape[:2]
        ys, _ = run_layer(inner['class_name'], inner['config'], weights,
                          [x.reshape((N * T,) + x.shape[2:])], sem)
        return [ys[0].reshape((N, T) + ys[0].shape[1:])], [mask]
    return None


def keras_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras' relu(x, alpha, max_value, threshold), in the order its backends compute it (Keras
    2.2.4 and tf.keras backend.relu, Keras 3 ReLU.static_call): x * (x > threshold) (or relu), then
    clip to [0, max_value], then minus negative_slope * relu(threshold - x)."""
    y = x * (x > threshold) if threshold != 0 else np.maximum(x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)
    if negative_slope != 0:
        y = y - negative_slope * np.maximum(threshold - x, 0.0)
    return y


def softmax_axis(x, axis):
    axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
    if isinstance(axis, list):
        raise Unsupported('Softmax over several axes %r' % (axis,))
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def l2_normalize(x, axis):
    """K.l2_normalize / tf.nn.l2_normalize: x / sqrt(max(sum(x^2), 1e-12))."""
    return x / np.sqrt(np.maximum((x * x).sum(axis=axis, keepdims=True), 1e-12))


def keras_dot(cfg, x, y):
    """Dot: axes an int (both inputs) or a pair, negative ones counted from the end; the batch
    axis stays, the other axes of x then of y follow (Keras' batch_dot); two 2-D inputs give
    [batch, 1]."""
    axes = cfg['axes']
    axes = [axes, axes] if isinstance(axes, int) else list(axes)
    a0, a1 = axes[0] % x.ndim, axes[1] % y.ndim
    if 0 in (a0, a1):
        raise Unsupported('Dot over the batch axis')
    if cfg.get('normalize', False):
        x, y = l2_normalize(x, a0), l2_normalize(y, a1)
    out = np.stack([np.tensordot(x[n], y[n], axes=(a0 - 1, a1 - 1)) for n in range(x.shape[0])])
    return out.reshape(x.shape[0], 1) if out.ndim == 1 else out


def separable_conv1d(cfg, weights, x):
    """Depthwise conv (channel c, multiplier m -> channel c * mult + m), then the pointwise 1x1
    conv and the bias; padding valid, same (TensorFlow's, odd element on the right) or causal."""
    if cfg.get('data_format', 'channels_last') != 'channels_last':
        raise Unsupported('SeparableConv1D channels_first')
    dk, pk = weights[0], weights[1]
    k, cin, mult = dk.shape
    s, d = cfg['strides'][0], cfg['dilation_rate'][0]
    span = d * (k - 1) + 1
    x = pad_steps(x, cfg['padding'], span, s, 'SeparableConv1D')
    if x.shape[2] != cin or pk.shape[:2] != (1, cin * mult):
        raise Unsupported('SeparableConv1D kernels %s %s for %d channels' % (dk.shape, pk.shape, x.shape[2]))
    T = (x.shape[1] - span) // s + 1
    y = np.zeros((x.shape[0], T, pk.shape[2]))
    for t in range(T):
        win = x[:, t * s + d * np.arange(k), :]
        dw = np.einsum('nkc,kcm->ncm', win, dk).reshape(x.shape[0], cin * mult)
        y[:, t, :] = dw @ pk[0]
    if cfg.get('use_bias', True):
        y = y + weights[2]
    return y


def batchnorm_any_axis(cfg, weights, x):
    """Inference BatchNormalization over one axis (an int or a one-element list)."""
    ax = cfg.get('axis', -1)
    ax = ax if isinstance(ax, list) else [ax]
    if len(ax) != 1:
        raise Unsupported('BatchNormalization axis %r' % (cfg.get('axis'),))
    a = ax[0] % x.ndim
    gamma, beta, rest = norm_params(cfg, weights)
    if len(rest) != 2:
        raise Unsupported('BatchNormalization with %d statistics' % len(rest))
    shape = [1] * x.ndim
    shape[a] = x.shape[a]
    mean, var = rest[0].reshape(shape), rest[1].reshape(shape)
    y = (x - mean) / np.sqrt(var + cfg.get('epsilon', 1e-3))
    if gamma is not None:
        y = y * gamma.reshape(shape)
    return y + beta.reshape(shape) if beta is not None else y


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def run_more_layer(cls, cfg, weights, ins, sem, mask):
    """Advanced activations, ActivityRegularization, Cropping1D, ZeroPadding1D, UpSampling1D,
    Conv1D channels_first, SeparableConv1D, BatchNormalization over another axis than the last (or
    of a 2-D tensor), Dot: (outputs, masks), or None for another layer. The activations hand the
    mask on, as Keras' supports_masking layers do."""
    x = ins[0]
    if cls == 'ReLU':
        return [keras_relu(x, cfg.get('max_value'), cfg.get('negative_slope', 0.0) or 0.0,
                           cfg.get('threshold', 0.0) or 0.0)], [mask]
    if cls == 'PReLU':
        return [np.maximum(x, 0.0) - weights[0] * np.maximum(-x, 0.0)], [mask]
    if cls == 'ELU':
        a = cfg.get('alpha', 1.0)
        return [np.where(x > 0, x, a * np.expm1(np.minimum(x, 0.0)))], [mask]
    if cls == 'ThresholdedReLU':
        return [x * (x > cfg.get('theta', 1.0))], [mask]
    if cls == 'Softmax':
        if mask is not None:
            raise Unsupported('masked Softmax')
        return [softmax_axis(x, cfg.get('axis', -1))], [None]
    if cls == 'ActivityRegularization':
        return [x], [mask]
    if cls == 'Cropping1D':
        a, b = pair(cfg.get('cropping', (1, 1)))
        return [x[:, a:x.shape[1] - b]], [None]
    if cls == 'ZeroPadding1D':
        a, b = pair(cfg.get('padding', 1))
        return [np.pad(x, ((0, 0), (a, b), (0, 0)))], [None]
    if cls == 'UpSampling1D':
        return [np.repeat(x, cfg.get('size', 2), axis=1)], [None]
    if cls == 'Conv1D' and cfg.get('data_format') == 'channels_first':
        y = conv1d(dict(cfg, data_format='channels_last'), weights, np.transpose(x, (0, 2, 1)))
        return [np.transpose(activation(cfg.get('activation'), y, sem.keras3), (0, 2, 1))], [None]
    if cls == 'SeparableConv1D':
        return [activation(cfg.get('activation'), separable_conv1d(cfg, weights, x), sem.keras3)], [None]
    if cls == 'BatchNormalization':
        ax = cfg.get('axis', -1)
        ax = ax if isinstance(ax, list) else [ax]
        if x.ndim == 2 or [a % x.ndim for a in ax] != [x.ndim - 1]:
            return [batchnorm_any_axis(cfg, weights, x)], [mask]
        return None
    if cls == 'Dot':
        if len(ins) != 2:
            raise Unsupported('Dot of %d inputs' % len(ins))
        return [keras_dot(cfg, ins[0], ins[1])], [None]
    return None


def tf_op_layer(cfg, ins):
    """A tf.keras TensorFlowOpLayer: the NodeDef's op on the call's tensors, with the config's
    constants put at their input positions (TensorFlowOpLayer._make_op)."""
    nd = cfg['node_def']
    consts = {int(k): v for k, v in (cfg.get('constants') or {}).items()}
    n = len([i for i in nd.get('input', []) if not i.startswith('^')])
    it = iter(ins)
    a = [np.asarray(consts[i], dtype=np.float64) if i in consts else next(it) for i in range(n)]
    attr = nd.get('attr', {})
    op = nd['op']
    binary = {'AddV2': np.add, 'Add': np.add, 'Sub': np.subtract, 'Mul': np.multiply, 'RealDiv': np.divide,
              'Maximum': np.maximum, 'Minimum': np.minimum, 'Pow': np.power,
              'SquaredDifference': lambda p, q: (p - q) ** 2}
    unary = {'Relu': lambda v: np.maximum(v, 0), 'Sigmoid': sigmoid, 'Tanh': np.tanh, 'Exp': np.exp, 'Log': np.log,
             'Sqrt': np.sqrt, 'Rsqrt': lambda v: 1 / np.sqrt(v), 'Square': np.square, 'Abs': np.abs, 'Neg': np.negative,
             'Reciprocal': np.reciprocal, 'Softmax': lambda v: softmax_axis(v, -1), 'Identity': lambda v: v,
             'Relu6': lambda v: np.clip(v, 0, 6), 'Elu': elu, 'Selu': lambda v: activation('selu', v),
             'Softplus': lambda v: activation('softplus', v), 'Softsign': lambda v: v / (1 + np.abs(v)),
             'Erf': _erf, 'Floor': np.floor, 'Ceil': np.ceil}
    if op in binary:
        return binary[op](a[0], a[1])
    if op in unary:
        return unary[op](a[0])
    if op == 'Reshape':
        return a[0].reshape([int(d) for d in a[1]])
    if op == 'Transpose':
        return np.transpose(a[0], [int(d) for d in a[1]])
    if op == 'ExpandDims':
        return np.expand_dims(a[0], int(a[1]))
    if op == 'Squeeze':
        return np.squeeze(a[0], axis=tuple(int(d) for d in attr['squeeze_dims']['list']['i']))
    if op == 'ConcatV2':
        return np.concatenate(a[:-1], axis=int(a[-1]))
    reduce = {'Mean': np.mean, 'Sum': np.sum, 'Max': np.max, 'Min': np.min, 'Prod': np.prod}
    if op in reduce:
        return reduce[op](a[0], axis=int(a[1]), keepdims=attr.get('keep_dims', {}).get('b', False))
    raise Unsupported('TensorFlow op %s' % op)


LAMBDA_OPS = {'__operators__.add': 'AddV2', 'math.add': 'AddV2', 'math.subtract': 'Sub', 'math.multiply': 'Mul',
              'math.truediv': 'RealDiv', 'math.divide': 'RealDiv', 'math.maximum': 'Maximum', 'math.minimum': 'Minimum',
              'math.pow': 'Pow', 'math.squared_difference': 'SquaredDifference', 'nn.relu': 'Relu', 'math.tanh': 'Tanh',
              'math.exp': 'Exp', 'math.sigmoid': 'Sigmoid', 'nn.softmax': 'Softmax', 'reshape': 'Reshape',
              'transpose': 'Transpose', 'expand_dims': 'ExpandDims'}
LAMBDA_REDUCE = {'math.reduce_mean': np.mean, 'math.reduce_sum': np.sum, 'math.reduce_max': np.max,
                 'math.reduce_min': np.min, 'math.reduce_prod': np.prod}


def tf_op_lambda(cfg, ins):
    """A tf.keras TFOpLambda: its function on the call's first argument (ins[:npos], or a
    constant) and its keyword arguments (tensors among them after the positional ones)."""
    c = cfg['_call']
    kw = c['kwargs'] or {}
    named = dict(zip(c['keys'], ins[c['npos']:]))
    fn = cfg['function']
    if fn == 'concat':
        return np.concatenate(ins[:c['npos']], axis=int(kw['axis']))
    x = np.asarray(c['first_constant'], dtype=np.float64) if c['first_constant'] is not None else ins[0]
    if fn in ('squeeze', 'compat.v1.squeeze'):
        ax = kw.get('axis', kw.get('squeeze_dims'))
        return np.squeeze(x, axis=tuple(ax) if isinstance(ax, list) else ax)
    if fn in LAMBDA_REDUCE:
        return LAMBDA_REDUCE[fn](x, axis=int(kw['axis']), keepdims=bool(kw.get('keepdims', kw.get('keep_dims', False))))
    if fn not in LAMBDA_OPS:
        raise Unsupported('TensorFlow function %s' % fn)
    op = LAMBDA_OPS[fn]
    second = {'Reshape': 'shape', 'Transpose': 'perm', 'ExpandDims': 'axis'}.get(op)
    if op in ('AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference'):
        second = 'y'
    a = [x]
    if second:
        a.append(named[second] if second in named else np.asarray(kw[second], dtype=np.float64))
    return tf_op_layer({'node_def': {'op': op, 'input': ['in%d' % i for i in range(len(a))], 'attr': {}}, 'constants': {}}, a)


def run_layer(cls, cfg, weights, ins, sem, mask=None):
    """The layer's outputs and their masks; mask is that of the first input."""
    if cls == 'TensorFlowOpLayer':
        return [tf_op_layer(cfg, ins)], [None]
    if cls == 'TFOpLambda':
        return [tf_op_lambda(cfg, ins)], [None]
    if cls == 'SlicingOpLambda':
        spec = cfg['_call']['kwargs']['slice_spec']
        spec = spec if isinstance(spec, list) else [spec]
        index = tuple(Ellipsis if isinstance(e, dict) and e.get('class_name') == '__ellipsis__' else
                      slice(e['start'], e['stop'], e['step']) if isinstance(e, dict) else e for e in spec)
        return [ins[0][index]], [None]
    more = run_more_layer(cls, cfg, weights, ins, sem, mask)
    if more is not None:
        return more
    plain = run_plain_layer(cls, cfg, weights, ins, sem, mask)
    if plain is not None:
        return plain
    if cls == 'Masking':
        x = ins[0]
        keep = np.any(x != cfg.get('mask_value', 0.0), axis=-1)
        return [x * keep[..., None]], [keep]
    if cls == 'Dense':
        x = ins[0]
        y = x @ weights[0]
        if cfg.get('use_bias', cfg.get('bias', True)):     # Keras 1 called it bias
            y = y + weights[1]
        return [activation(cfg.get('activation'), y, sem.keras3)], [mask]
    if cls == 'Embedding':
        # Keras casts float indices to int32 (truncating); index 0 is a masked step with mask_zero
        idx = ins[0].astype(np.int64)
        if idx.min() < 0 or idx.max() >= weights[0].shape[0]:
            raise Unsupported('Embedding index outside [0, %d)' % weights[0].shape[0])
        return [weights[0][idx]], [idx != 0 if cfg.get('mask_zero', False) else None]
    # Flatten, Reshape and Permute do not support masking in Keras; nothing masked reaches them here
    if cls == 'Flatten':
        return [ins[0].reshape(ins[0].shape[0], -1)], [None]
    if cls == 'Reshape':
        return [ins[0].reshape((ins[0].shape[0],) + tuple(cfg['target_shape']))], [None]
    if cls == 'Permute':
        return [np.transpose(ins[0], (0,) + tuple(cfg['dims']))], [None]
    if cls == 'Activation':
        return [activation(cfg.get('activation'), ins[0], sem.keras3)], [mask]
    if cls in MASK_PASSING:
        return [ins[0]], [mask]
    if cls == 'RepeatVector':
        return [np.repeat(ins[0][:, None, :], cfg['n'], axis=1)], [None]
    if cls == 'Bidirectional' and is_keras1(cfg['layer']['class_name'], cfg['layer']['config']):
        inner = cfg['layer']['class_name']
        half = len(weights) // 2
        lcfg, fw = keras1_form(inner, cfg['layer']['config'], weights[:half])
        _, bw = keras1_form(inner, cfg['layer']['config'], weights[half:])
        cfg = dict(cfg, layer={'class_name': inner, 'config': lcfg})
        weights = fw + bw
    elif is_keras1(cls, cfg):
        cfg, weights = keras1_form(cls, cfg, weights)
    if cls == 'Bidirectional':
        ys = run_bidirectional(cfg, weights, ins[0], ins[1:], sem, mask)
        seqs = cfg['layer']['config'].get('return_sequences', False)
    elif cls in RECURRENT:
        ys = run_recurrent(cls, cfg, weights, ins[0], ins[1:], sem, mask)
        seqs = cfg.get('return_sequences', False)
    else:
        raise Unsupported('layer %s' % cls)
    # a returned sequence keeps the input's mask, states have none
    return ys, [mask if seqs and y.ndim == 3 else None for y in ys]


def keras_tensors(v):
    """The keras_history of every __keras_tensor__ inside a Keras 3 call argument structure."""
    if isinstance(v, dict):
        if v.get('class_name') == '__keras_tensor__':
            return [v['config']['keras_history']]
        return [h for x in v.values() for h in keras_tensors(x)]
    if isinstance(v, list):
        return [h for x in v for h in keras_tensors(x)]
    return []


def keras2_initial_state(node):
    """The [name, node, tensor] references of initial_state in the kwargs of a Keras 2 node's first
    entry (one reference or a list of them), [] when there is none."""
    kw = node[0][3] if node and isinstance(node[0], list) and len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    st = kw.get('initial_state')
    if not isinstance(st, list) or not st:
        return []
    return [st] if isinstance(st[0], str) else [e for e in st if isinstance(e, list)]


def endpoints(v):
    """input_layers / output_layers: a list of [name, node, tensor], or one of them (Keras 3 for a
    model of a single input or output tensor)."""
    if len(v) == 3 and isinstance(v[0], str):
        v = [v]
    return [(e[0], e[2]) for e in v]


def sequential_chain(layers_cfg, out):
    """Appends a Sequential layer list to out, each layer on the one before; returns the last
    name. A Keras 1 Merge of models first (Merge([model_a, model_b]) in a Sequential): each
    model's chain, inputs included, then the Merge on their outputs."""
    prev = None
    for L in layers_cfg:
        name = L['config']['name']
        if prev is None and L['class_name'] == 'Merge' and 'layers' in L['config']:
            ends = []
            for b in L['config']['layers']:
                if b['class_name'] != 'Sequential':
                    raise Unsupported('a Merge of a %s' % b['class_name'])
                ends.append(sequential_chain(b['config'] if isinstance(b['config'], list) else b['config']['layers'], out))
            out.append(('Merge', name, L['config'], [(e, 0) for e in ends]))
            prev = name
            continue
        if L['class_name'] == 'InputLayer':
            out.append(('InputLayer', name, L['config'], []))
            prev = name
            continue
        if prev is None:
            prev = name + '_input'
            out.append(('InputLayer', prev, {}, []))
        out.append((L['class_name'], name, L['config'], [(prev, 0)]))
        prev = name
    return prev


def graph(model_config):
    """(layers [(class, name, config, [(src, tensor)])], input names, [(name, tensor)] outputs)."""
    c = model_config['config']
    if model_config['class_name'] == 'Sequential':
        out = []
        last = sequential_chain(c if isinstance(c, list) else c['layers'], out)
        return out, [L[1] for L in out if L[0] == 'InputLayer'], [(last, 0)]
    out = []
    for L in c['layers']:
        if L['class_name'] in ref_numpy_attn.ATTENTION:
            refs, cfg = ref_numpy_attn.inbound(L)
            out.append((L['class_name'], L['name'], cfg, refs))
            continue
        if L['class_name'] in ('TFOpLambda', 'SlicingOpLambda'):
            for k, node in enumerate(L.get('inbound_nodes') or []):
                entries = [node] if isinstance(node[0], str) else node
                kw = entries[0][3] if len(entries[0]) > 3 else {}
                inbound, first_constant, keys = [], None, []
                for e in entries:
                    if e[0] == '_CONSTANT_VALUE':
                        first_constant = e[2]
                    else:
                        inbound.append((call_name(e[0], e[1]), e[2]))
                npos = len(inbound)
                for key, v in (kw or {}).items():
                    if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str) and isinstance(v[1], int):
                        inbound.append((call_name(v[0], v[1]), v[2]))
                        keys.append(key)
                cfg = dict(L['config'], _call=dict(first_constant=first_constant, kwargs=kw, npos=npos, keys=keys))
                out.append((L['class_name'], call_name(L['name'], k), cfg, inbound))
            continue
        nodes = L.get('inbound_nodes') or []
        # call k > 0 of a layer runs as a layer of its own, named name@k, with the layer's weights
        for k, node in enumerate(nodes or [[]]):
            inbound = []
            if isinstance(node, dict):
                # Keras 3: positional tensors, then initial states passed by keyword
                refs = keras_tensors(node.get('args', [])) + \
                    keras_tensors((node.get('kwargs') or {}).get('initial_state', []))
            else:
                # Keras 2: [name, node, tensor, kwargs] entries; initial states passed by keyword
                # (in the first entry's kwargs) come after the positional tensors
                refs = list(node) + keras2_initial_state(node)
            for e in refs:
                if not isinstance(e, list):
                    raise Unsupported('inbound node format %r' % (e,))
                inbound.append((call_name(e[0], e[1]), e[2]))
            out.append((L['class_name'], call_name(L['name'], k), L['config'], inbound))
    return out, [e[0] for e in endpoints(c['input_layers'])], [(call_name(n, k), t) for n, k, t in endpoints3(c['output_layers'])]


def call_name(name, node):
    return name if node == 0 else '%s@%d' % (name, node)


def endpoints3(v):
    if len(v) == 3 and isinstance(v[0], str):
        v = [v]
    return [(e[0], e[1], e[2]) for e in v]


MODEL_CLASSES = ('Sequential', 'Model', 'Functional')


def nested_weights(names, arrays, inner):
    """A nested model's weights by the layer that owns them: the first part of each name that
    names one of its layers ("dense_1/kernel:0", "lstm/lstm_cell/kernel:0", Keras 3's
    "sequential/lstm/lstm_cell/kernel")."""
    out, owners = {}, {}
    for n, a in zip(names, arrays):
        parts = n.split('/')
        owner = next((p for p in parts[:-1] if p in inner), parts[0])
        out.setdefault(owner, []).append(a)
        owners.setdefault(owner, []).append(n)
    return out, owners


def evaluate(model_config, weights, inputs, keras_version, theano=False, names=None, calls=None):
    """Outputs of the model, in output_layers order, as float64 arrays. names: the weight names
    per layer (for nested models); calls: per layer, how often it ran (a nested model's layers
    are shared between its calls)."""
    sem = Semantics(keras_version)
    sem.theano = theano
    layers, in_names, outs = graph(model_config)
    if len(in_names) != len(inputs):
        raise Unsupported('%d model inputs, %d given' % (len(in_names), len(inputs)))
    val = {(n, 0): np.asarray(a, dtype=np.float64) for n, a in zip(in_names, inputs)}
    masks = {}
    for cls, name, cfg, inbound in layers:
        if cls == 'InputLayer':
            continue
        if cls in MODEL_CLASSES:
            # a nested model: run it on each of its calls (graph() lists one entry per call)
            base = name.split('@')[0]
            inner_layers = cfg if isinstance(cfg, list) else cfg['layers']
            inner_w, inner_n = nested_weights((names or {}).get(base, []), weights.get(base, []),
                                              {L.get('name') or L['config']['name'] for L in inner_layers})
            ys = evaluate({'class_name': cls, 'config': cfg}, inner_w, [val[ref] for ref in inbound], keras_version, theano, inner_n)
            for k, y in enumerate(ys):
                val[(name, k)] = y
                masks[(name, k)] = None
            continue
        if cls == 'TimeDistributed' and cfg['layer']['class_name'] in MODEL_CLASSES:
            # a wrapped model: run on [batch * steps, ...], its weights by the layer that owns them
            x = val[inbound[0]]
            inner = cfg['layer']
            inner_layers = inner['config'] if isinstance(inner['config'], list) else inner['config']['layers']
            inner_w, inner_n = nested_weights((names or {}).get(name, []), weights.get(name, []),
                                              {L.get('name') or L['config']['name'] for L in inner_layers})
            ys = evaluate(inner, inner_w, [x.reshape((-1,) + x.shape[2:])], keras_version, theano, inner_n)
            val[(name, 0)] = ys[0].reshape(x.shape[:2] + ys[0].shape[1:])
            masks[(name, 0)] = masks.get(inbound[0])
            continue
        ins = [val[ref] for ref in inbound]
        ws = [np.asarray(w, dtype=np.float64) for w in weights.get(name.split('@')[0], [])]
        r = ref_numpy_attn.run_layer(cls, cfg, ws, ins, sem, [masks.get(ref) for ref in inbound])
        ys, ms = r if r is not None else run_layer(cls, cfg, ws, ins, sem, masks.get(inbound[0]) if inbound else None)
        for k, (y, m) in enumerate(zip(ys, ms)):
            val[(name, k)] = y
            masks[(name, k)] = m
    return [val[ref] for ref in outs]


# ---------------------------------------------------------------------------------------------
# drivers
# ---------------------------------------------------------------------------------------------
def out_name(ref):
    return ref[0] if ref[1] == 0 else '%s:%d' % ref


def run_work(path):
    with open(path) as f:
        work = json.load(f)
    weights = {ln: [np.asarray(w['data'], dtype=np.float32).reshape(w['shape']) for w in ws]
               for ln, ws in work['weights'].items()}
    inputs = [np.asarray(x['data'], dtype=np.float32).reshape(x['shape']) for x in work['inputs']]
    kv = work.get('keras_version', '')
    names = [w.get('name', '') for ws in work['weights'].values() for w in ws]
    theano = str(kv).startswith('1.') and bool(names) and not names[0].endswith(':0')
    per_layer = {ln: [w.get('name', '') for w in ws] for ln, ws in work['weights'].items()}
    ys = evaluate(work['model_config'], weights, inputs, kv, theano, per_layer)
    _, _, outs = graph(work['model_config'])
    res = {"file": work['file'], "method": "numpy float64 (tests/ref_numpy.py)",
           "outputs": [{"name": out_name(ref), "shape": list(y.shape), "data": [float(v) for v in y.ravel()]}
                       for ref, y in zip(outs, ys)]}
    dest = path[:-len('.work.json')] + '.numpy.json'
    with open(dest, 'w') as f:
        json.dump(res, f)
    return ys


# Corpus models that use the options above, with stored reference outputs (see the corpus
# README: float64 numpy, cross-checked with tfjs) — an implementation independent of this one.
CORPUS_CHECKS = ['keras/Dobiasd-frugally-deep__keras_export_lstm__at0064b849.h5'] + [
    # Keras 1.2.2 per-gate LSTM, SimpleRNN, Embedding and Bidirectional; Keras 1.2.2 LSTM + Dense
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_weights_%s_%s_1.h5' % (m, b)
    for m in ('lstm', 'simple_rnn', 'embedding_lstm', 'bidirectional_lstm', 'bidirectional_lstm_no_return_sequences')
    for b in ('tensorflow', 'theano')] + [
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_examples_simple_lstm_simple_lstm_tf_keras_1_model.h5',
    # Embedding first in Keras 2.2.4 and 2.2.4-tf Sequentials, before GRU, LSTM, Bidirectional
    'keras/cbarlow6-CIS8392__gru_model.h5', 'keras/cbarlow6-CIS8392__bi_lstm_model.h5',
    'keras/anushree1001-Comparing-Multiple-Pre-trained-Neural-network-models-on-IMDB-dataset__bigru_model.h5',
    # Reshape before an LSTM (2.1.1), Flatten after a SimpleRNN (2.1.3), RepeatVector between LSTMs
    # (2.2.4-tf; between Bidirectional LSTMs: rnn_31 below), Permute (2.2.4-tf)
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_examples_reshape_to_rnn_reshape_model.h5',
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_examples_simple_flatten_rnn_simple_flatten_rnn_tf_keras_2_model.h5',
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_tfkeras_rnn_30.h5',
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_tfkeras_misc_2.h5'] + [
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_tfkeras_rnn_%d.h5' % k
    for k in (1, 3, 5, 7, 9, 11, 13, 15, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 145, 147, 149, 151)] + [
    # Keras 2.2.0 Masking -> LSTM, inputs with masked steps
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_examples_masking_masking_%s_lstm.h5' % k
    for k in ('two', 'zero')] + [
    # ConvLSTM2D channels_first go_backwards hard_sigmoid, alone and in Bidirectional (2.2.4-tf);
    # Attention on rank-2 tensors (2.11)
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_tfkeras_convlstm2d_%d.h5' % k for k in (0, 1)] + [
    'keras/KonduitAI-dl4j-test-resources__modelimport_keras_weights_keras-attention.h5']


def corpus_check(corpus, rel):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gen_fixtures import read_back
    h5 = os.path.join(corpus, rel)
    refdir = os.path.join(corpus, 'ref', os.path.basename(rel))
    if not os.path.exists(h5) or not os.path.exists(os.path.join(refdir, 'out_0.npy')):
        return None
    cfg, kv, wl = read_back(h5)
    weights = {ln: [np.asarray(w['data'], dtype=np.float32).reshape(w['shape']) for w in ws] for ln, ws in wl.items()}
    inputs, k = [], 0
    while os.path.exists(os.path.join(refdir, 'in_%d.npy' % k)):
        inputs.append(np.load(os.path.join(refdir, 'in_%d.npy' % k)))
        k += 1
    ys = evaluate(cfg, weights, inputs, kv)
    worst, ymax = 0.0, 0.0
    for k, y in enumerate(ys):
        e = np.load(os.path.join(refdir, 'out_%d.npy' % k)).astype(np.float64)
        if e.shape != y.shape:
            raise AssertionError('output %d shape %s, stored %s' % (k, y.shape, e.shape))
        worst = max(worst, float(np.max(np.abs(y - e))) if y.size else 0.0)
        ymax = max(ymax, float(np.max(np.abs(e))) if e.size else 0.0)
    return worst, ymax, len(ys)


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    corpus = None
    if '--corpus' in argv:
        i = argv.index('--corpus')
        corpus = argv[i + 1]
        args = [a for a in args if a != corpus]
    if len(args) != 1:
        sys.stderr.write('usage: ref_numpy.py WORKDIR [--corpus DIR]\n')
        return 2
    files = sorted(glob.glob(os.path.join(args[0], '*.work.json')))
    fail = done = checked = 0
    for p in files:
        with open(p) as f:
            if json.load(f).get('check_only'):
                continue
        try:
            ys = run_work(p)
            done += 1
            ymax = max(float(np.max(np.abs(y))) for y in ys)
            print('%s: numpy %s max|y|=%.3g' % (os.path.basename(p)[:-len('.work.json')],
                                                 ' '.join('x'.join(map(str, y.shape)) for y in ys), ymax))
        except Exception as e:     # report every fixture, then fail once
            fail += 1
            print('FAIL %s: %s: %s' % (os.path.basename(p), type(e).__name__, e))
    if corpus and os.path.isdir(corpus):
        for rel in CORPUS_CHECKS:
            try:
                r = corpus_check(corpus, rel)
            except Unsupported as e:
                print('corpus %s: skipped (%s)' % (os.path.basename(rel), e))
                continue
            except Exception as e:
                fail += 1
                print('FAIL corpus %s: %s: %s' % (os.path.basename(rel), type(e).__name__, e))
                continue
            if r is None:
                continue
            worst, ymax, n = r
            ok = worst <= 1e-5 * max(1.0, ymax)
            fail += not ok
            checked += ok
            print('%scorpus %s: %d outputs, max_abs vs stored ref %.2e (max|y|=%.2g)'
                  % ('' if ok else 'FAIL ', os.path.basename(rel), n, worst, ymax))
    print('ref_numpy: %d fixtures computed, %d corpus models agree, %d failed' % (done, checked, fail))
    return 1 if fail else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
