#!/usr/bin/env node
// End-to-end tests for the k2onnx command line.
//
//   node tests/run_e2e.js [fixtures] [corpus] [bad] [stateio] [scan]   (no argument = all suites)
//
// Environment:
//   K2ONNX          converter to test (default ./k2onnx at the repo root), e.g. build/k2onnx-asan
//   K2ONNX_CORPUS   corpus directory (default ../shared/corpus next to the repo root)
//   K2ONNX_PYTHON   python with onnx/h5py/numpy (default /usr/bin/python3)
//   K2ONNX_TIMEOUT  seconds allowed per conversion (default 20)
//   K2ONNX_FIXTURES fixture directory (default tests/fixtures)
//   K2ONNX_ARGS     extra converter options for the fixtures and corpus suites, e.g. --scan-rnn
//
// Suites:
//   fixtures  tests/fixtures/*.ref.json: convert at every listed opset, validate with
//             tests/check_onnx.py, run with onnxruntime-node, compare with the reference outputs.
//   corpus    every `ok` model of <corpus>/ref/INDEX.tsv: either it converts, validates and matches
//             ref/<file>/out_K.npy on in_K.npy, or the converter refuses it cleanly (SKIP). Files
//             named in tests/corpus_expect.txt must convert. The DL4J *_inputs_and_outputs.h5 files
//             check the matching *_model.h5 against real Keras predictions.
//   stateio   every fixture with recurrent layers converted with --state-io: zero initial states
//             must give the reference outputs, every state input must have its final-state
//             output, and where the time axis is dynamic, running the sequence in two halves
//             (feeding the final states back) must end in the same states as one run.
//   scan      every recurrent fixture converted with --scan-rnn (Scan loops of primitive ops
//             instead of fused RNN/GRU/LSTM ops) must give the reference outputs.
//   opsets    (only when named) every fixture at every opset 7..23 in the default form, and the
//             recurrent ones also with --unroll and static shapes (--input-shape from the
//             reference inputs; no RNN/GRU/LSTM/Scan/Loop/If allowed): validate and compare.
//   static    (only when named) every fixture converted with its reference shapes
//             (--input-shape), in the default form and with --scan-rnn: no symbolic dimension
//             and no run-time shape computation (check_onnx.py --static), and the reference.
//   bad       truncated / corrupted copies of the fixture .h5 files, a missing input, an
//             unwritable output and usage errors: the converter must exit 0/1 (2 for usage),
//             never crash, print exactly one `k2onnx: <file>: <message>` line on failure and
//             leave no output file behind.
//
// One line per case (PASS / FAIL / SKIP), then `K skipped` and, last, `N passed, M failed`.
// Exit status 1 if anything failed, 2 on a usage error.
'use strict';

const fs = require('fs');
const path = require('path');
const cp = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'tests', 'out');
const FIXTURES = process.env.K2ONNX_FIXTURES ? path.resolve(process.env.K2ONNX_FIXTURES) : path.join(ROOT, 'tests', 'fixtures');
const PY = process.env.K2ONNX_PYTHON || '/usr/bin/python3';
const K2ONNX = process.env.K2ONNX ? path.resolve(process.env.K2ONNX) : path.join(ROOT, 'k2onnx');
const CORPUS = process.env.K2ONNX_CORPUS
  ? path.resolve(process.env.K2ONNX_CORPUS)
  : path.resolve(ROOT, '..', 'shared', 'corpus');
const TIMEOUT_MS = 1000 * (Number(process.env.K2ONNX_TIMEOUT) || 20);
const EXTRA_ARGS = (process.env.K2ONNX_ARGS || '').split(/\s+/).filter(Boolean);
const ATOL = 1e-4;
const RTOL = 1e-3;
const SUITES = ['fixtures', 'corpus', 'bad', 'stateio', 'scan'];
// Suites run only when asked for by name.
const EXTRA_SUITES = ['opsets', 'static'];
const LOOP_OPS = ['RNN', 'GRU', 'LSTM', 'Scan', 'Loop', 'If'];

// Sanitizer builds exit 1 on an error by default, like a clean refusal; give them their own codes
// (the multi-line report would fail the stderr check anyway, this makes the reason obvious).
const CHILD_ENV = Object.assign({}, process.env);
function addSanOpt(name, opts) {
  const cur = CHILD_ENV[name] || '';
  CHILD_ENV[name] = cur && !/exitcode=/.test(cur) ? cur + ':' + opts : cur || opts;
}
addSanOpt('ASAN_OPTIONS', 'exitcode=86');
addSanOpt('UBSAN_OPTIONS', 'exitcode=87:print_stacktrace=1');

// ------------------------------------------------------------------------------------------------
// Results

const results = []; // {status: 'PASS'|'FAIL'|'SKIP', line}

function report(status, name, detail) {
  const line = status === 'PASS' ? `PASS ${name}${detail ? ' ' + detail : ''}` : `${status} ${name}: ${detail}`;
  results.push({ status, line });
  console.log(line);
}

function note(msg) {
  console.log(msg);
}

// A case: converted (or refused) synchronously in phase 1, validated by one check_onnx.py call in
// phase 2, then finished (onnxruntime + comparison) in phase 3.
class Case {
  constructor(suite, name) {
    this.suite = suite;
    this.name = name;
    this.done = false;
    this.onnx = null;      // file to give to check_onnx.py
    this.check = null;     // {ok, text}
    this.opset = null;     // opset asked for with --opset (null = converter default)
    this.finish = null;    // async () => {status, detail}
  }
  pass(detail) { this.set('PASS', detail || ''); }
  fail(detail) { this.set('FAIL', detail); }
  skip(detail) { this.set('SKIP', detail); }
  set(status, detail) {
    if (this.done) return;
    this.done = true;
    report(status, this.name, detail);
  }
}

// ------------------------------------------------------------------------------------------------
// Running the converter

function oneLine(s, max = 300) {
  s = String(s).replace(/\s+/g, ' ').trim();
  return s.length > max ? s.slice(0, max) + '...' : s;
}

function excerpt(buf) {
  const s = buf.toString('utf8');
  return JSON.stringify(s.length > 200 ? s.slice(0, 200) + '...' : s);
}

// Is stderr exactly one line `k2onnx: <one of files>: <message>`? Returns the message or null.
function refusalMessage(stderr, files) {
  let s = stderr.toString('utf8');
  if (s.endsWith('\n')) s = s.slice(0, -1);
  if (!s || /[\x00-\x08\x0a-\x1f\x7f]/.test(s)) return null;
  for (const f of files) {
    const prefix = `k2onnx: ${f}: `;
    if (s.startsWith(prefix) && s.length > prefix.length) return s.slice(prefix.length);
  }
  return null;
}

function runConverter(args) {
  const t0 = Date.now();
  const r = cp.spawnSync(K2ONNX, args, {
    cwd: ROOT, env: CHILD_ENV, timeout: TIMEOUT_MS, killSignal: 'SIGKILL',
    maxBuffer: 8 << 20, stdio: ['ignore', 'pipe', 'pipe'],
  });
  r.ms = Date.now() - t0;
  r.stdout = r.stdout || Buffer.alloc(0);
  r.stderr = r.stderr || Buffer.alloc(0);
  return r;
}

// Problems common to every run: could not start, timeout, signal. Returns a reason or null.
function abnormal(r) {
  if (r.error) {
    if (r.error.code === 'ETIMEDOUT') return `timeout after ${TIMEOUT_MS / 1000} s`;
    if (r.error.code === 'ENOBUFS') return 'more than 8 MiB on stdout/stderr';
    return `cannot run ${K2ONNX}: ${r.error.message}`;
  }
  if (r.signal) return `killed by ${r.signal}; stderr ${excerpt(r.stderr)}`;
  return null;
}

// Convert `input` to `output`. Result {kind: 'ok'|'refused'|'bad', msg}.
const convCache = new Map();
function convert(input, output, opset, extra = []) {
  const key = `${input}\0${output}\0${opset}\0${extra.join(' ')}`;
  if (convCache.has(key)) return convCache.get(key);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.rmSync(output, { force: true });
  const args = [input, '-o', output].concat(EXTRA_ARGS, extra);
  if (opset !== null && opset !== undefined) args.push('--opset', String(opset));
  const r = runConverter(args);
  const res = classify(r, input, output);
  res.ms = r.ms;
  convCache.set(key, res);
  return res;
}

function classify(r, input, output) {
  const ab = abnormal(r);
  if (ab) return { kind: 'bad', msg: ab };
  const exists = fs.existsSync(output);
  if (r.status === 0) {
    if (!exists) return { kind: 'bad', msg: 'exit 0 but no output file' };
    if (fs.statSync(output).size === 0) return { kind: 'bad', msg: 'exit 0 but the output file is empty' };
    return { kind: 'ok' };
  }
  if (r.status === 1) {
    const msg = refusalMessage(r.stderr, [input, output]);
    if (exists) return { kind: 'bad', msg: `exit 1 but the output file was written; stderr ${excerpt(r.stderr)}` };
    if (msg === null) return { kind: 'bad', msg: `exit 1 but stderr is not one 'k2onnx: <file>: <message>' line: ${excerpt(r.stderr)}` };
    return { kind: 'refused', msg };
  }
  return { kind: 'bad', msg: `exit status ${r.status}; stderr ${excerpt(r.stderr)}` };
}

// ------------------------------------------------------------------------------------------------
// Arrays: .npy reader, shapes, comparison

const NPY_TYPES = {
  f4: { type: 'float32', size: 4, get: (dv, o, le) => dv.getFloat32(o, le), Arr: Float32Array },
  f8: { type: 'float64', size: 8, get: (dv, o, le) => dv.getFloat64(o, le), Arr: Float64Array },
  i4: { type: 'int32', size: 4, get: (dv, o, le) => dv.getInt32(o, le), Arr: Int32Array },
  i8: { type: 'int64', size: 8, get: (dv, o, le) => dv.getBigInt64(o, le), Arr: BigInt64Array },
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, off;
  if (major === 1) { hlen = buf.readUInt16LE(8); off = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); off = 12; }
  else throw new Error(`${file}: unsupported .npy version ${major}`);
  if (off + hlen > buf.length) throw new Error(`${file}: truncated header`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', off, off + hlen);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw new Error(`${file}: cannot parse header ${JSON.stringify(header)}`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${file}: bad shape ${shapeM[1]}`);
  const d = descr[1];
  const order = d[0];
  const t = NPY_TYPES[d.slice(1)];
  if (!t || !'<>|='.includes(order) || (order === '|' && t.size > 1)) throw new Error(`${file}: unsupported dtype ${d}`);
  const le = order !== '>';
  const n = shape.reduce((a, b) => a * b, 1);
  const dataOff = off + hlen;
  if (buf.length < dataOff + n * t.size) throw new Error(`${file}: data truncated (${n} elements of ${d})`);
  const dv = new DataView(buf.buffer, buf.byteOffset + dataOff, n * t.size);
  const out = new t.Arr(n);
  if (fortran[1] === 'False' || shape.length < 2) {
    for (let i = 0; i < n; i++) out[i] = t.get(dv, i * t.size, le);
  } else {
    // Fortran order: element (i0..ik) sits at sum(i_j * prod(shape[0..j-1])).
    const idx = new Array(shape.length).fill(0);
    const fstride = [];
    let s = 1;
    for (let j = 0; j < shape.length; j++) { fstride.push(s); s *= shape[j]; }
    for (let i = 0; i < n; i++) {
      let fo = 0;
      for (let j = 0; j < shape.length; j++) fo += idx[j] * fstride[j];
      out[i] = t.get(dv, fo * t.size, le);
      for (let j = shape.length - 1; j >= 0; j--) { if (++idx[j] < shape[j]) break; idx[j] = 0; }
    }
  }
  return { type: t.type, shape, data: out };
}

function numel(shape) { return shape.reduce((a, b) => a * b, 1); }

function unravel(i, shape) {
  const idx = [];
  for (let j = shape.length - 1; j >= 0; j--) { idx.unshift(shape[j] ? i % shape[j] : 0); i = shape[j] ? Math.floor(i / shape[j]) : 0; }
  return idx;
}

function fmt(x) {
  if (typeof x === 'bigint') return x.toString();
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(6).replace(/\.?0+$/, '') : x.toExponential(3);
}

// float16 as onnxruntime-node holds it: bits in a Uint16Array (rounded to nearest, ties to even).
function f16Bits(x) {
  const f = new Float32Array([x]), b = new Uint32Array(f.buffer)[0];
  const sign = (b >>> 16) & 0x8000, exp = (b >>> 23) & 0xff, e = exp - 127 + 15;
  let m = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  if (e >= 31) return sign | 0x7c00;
  const shift = e <= 0 ? 14 - e : 13;
  if (shift > 24) return sign;
  if (e <= 0) m |= 0x800000;
  let h = (e <= 0 ? 0 : e << 10) | (m >>> shift);
  const rest = m & ((1 << shift) - 1), half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1))) h++;
  return sign | h;
}

function f16Value(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// An output tensor's values as numbers (float16 comes as bits).
function tensorValues(t) { return t.type === 'float16' ? Array.from(t.data, f16Value) : t.data; }

// Convert data (typed array or plain array) to what the model input wants.
function toTensorData(data, type) {
  const n = data.length;
  switch (type) {
    case 'float16': return Uint16Array.from(data, (v) => f16Bits(Number(v)));
    case 'float32': return Float32Array.from(data, Number);
    case 'float64': return Float64Array.from(data, Number);
    case 'int32': return Int32Array.from(data, Number);
    case 'int64': { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = BigInt(Math.round(Number(data[i]))); return a; }
    case 'bool': return Uint8Array.from(data, (v) => (Number(v) ? 1 : 0));
    case 'uint8': return Uint8Array.from(data, Number);
    case 'int8': return Int8Array.from(data, Number);
    case 'uint16': return Uint16Array.from(data, Number);
    case 'int16': return Int16Array.from(data, Number);
    default: throw new Error(`model input type ${type} is not supported by the test runner`);
  }
}

// Compare one output. Returns {ok, maxErr, where} where describes the worst element.
function compareArrays(got, ref, shape, label) {
  let maxErr = 0, worst = -Infinity, worstI = -1, bad = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = Number(got[i]), r = Number(ref[i]);
    let err, excess;
    if (Number.isNaN(r) || Number.isNaN(g)) { err = Number.isNaN(r) && Number.isNaN(g) ? 0 : Infinity; excess = err; }
    else if (g === r) { err = 0; excess = -1; }
    else { err = Math.abs(g - r); excess = err - (ATOL + RTOL * Math.abs(r)); if (Number.isNaN(excess)) { err = Infinity; excess = Infinity; } }
    if (err > maxErr || (err === maxErr && err === Infinity && worstI < 0)) maxErr = err;
    if (excess > 0) bad++;
    if (excess > worst) { worst = excess; worstI = i; }
  }
  const where = worstI >= 0
    ? `${label}[${unravel(worstI, shape).join(',')}] got ${fmt(Number(got[worstI]))} want ${fmt(Number(ref[worstI]))}`
    : label;
  return { ok: bad === 0, bad, maxErr, where };
}

function sameShape(a, b) {
  return a.length === b.length && a.every((d, i) => Number(d) === Number(b[i]));
}

// ------------------------------------------------------------------------------------------------
// onnxruntime

let ort = null;
function loadOrt() {
  if (!ort) {
    ort = require('onnxruntime-node');
  }
  return ort;
}

// inputs/outputs: arrays of {name, shape, data, type?} in model order (matched by position of
// session.inputNames / outputNames, or by name when byName is set and all names match).
// Returns {ok, detail}.
async function runAndCompare(onnxFile, inputs, outputs, byName) {
  const o = loadOrt();
  let session;
  try {
    session = await o.InferenceSession.create(onnxFile, {
      logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1,
    });
  } catch (e) {
    return { ok: false, detail: `onnxruntime rejected the model: ${oneLine(e.message)}` };
  }
  try {
    const inNames = session.inputNames, outNames = session.outputNames;
    if (inNames.length !== inputs.length) {
      return { ok: false, detail: `model has ${inNames.length} inputs (${inNames.join(', ')}), reference has ${inputs.length}` };
    }
    if (outNames.length !== outputs.length) {
      return { ok: false, detail: `model has ${outNames.length} outputs (${outNames.join(', ')}), reference has ${outputs.length}` };
    }
    const order = (names, refs) => {
      if (byName && refs.every((r) => names.includes(r.name))) return names.map((n) => refs.find((r) => r.name === n));
      return refs;
    };
    const ins = order(inNames, inputs), outs = order(outNames, outputs);
    const meta = session.inputMetadata || [];
    const feeds = {};
    for (let i = 0; i < inNames.length; i++) {
      const m = Array.isArray(meta) ? meta[i] : meta[inNames[i]];
      const type = (m && m.type) || 'float32';
      const ref = ins[i];
      if (numel(ref.shape) !== ref.data.length) {
        return { ok: false, detail: `reference input ${i} has ${ref.data.length} values for shape [${ref.shape}]` };
      }
      feeds[inNames[i]] = new o.Tensor(type, toTensorData(ref.data, type), ref.shape.map(Number));
    }
    let res;
    try {
      res = await session.run(feeds);
    } catch (e) {
      return { ok: false, detail: `onnxruntime run failed: ${oneLine(e.message)}` };
    }
    let worstErr = 0;
    for (let i = 0; i < outNames.length; i++) {
      const t = res[outNames[i]], ref = outs[i];
      const label = `out ${i} '${outNames[i]}'`;
      if (!sameShape(t.dims, ref.shape)) {
        return { ok: false, detail: `${label} shape [${t.dims.join(',')}], want [${ref.shape.join(',')}]` };
      }
      if (ref.data.length !== numel(ref.shape)) {
        return { ok: false, detail: `reference output ${i} has ${ref.data.length} values for shape [${ref.shape}]` };
      }
      const c = compareArrays(tensorValues(t), ref.data, ref.shape, label);
      if (!c.ok) {
        return { ok: false, detail: `mismatch in ${c.bad} of ${ref.data.length} values (max err ${fmt(c.maxErr)}, worst at ${c.where})` };
      }
      worstErr = Math.max(worstErr, c.maxErr);
    }
    return { ok: true, detail: `(max err ${fmt(worstErr)})` };
  } finally {
    try { await session.release(); } catch (e) { /* ignore */ }
  }
}

// ------------------------------------------------------------------------------------------------
// check_onnx.py, one batch for all cases

// One check_onnx.py call per set of extra checks (c.checkFlags, e.g. --static).
function runChecks(cases) {
  const groups = new Map();
  for (const c of cases) {
    const key = (c.checkFlags || []).join(' ');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  for (const [key, group] of groups) runCheckGroup(group, key ? key.split(' ') : []);
}

function runCheckGroup(cases, flags) {
  const todo = cases.filter((c) => !c.done && c.onnx);
  if (!todo.length) return;
  const files = [...new Set(todo.map((c) => c.onnx))];
  const r = cp.spawnSync(PY, [path.join(ROOT, 'tests', 'check_onnx.py'), ...flags, ...files], {
    cwd: ROOT, timeout: 60000 + 2000 * files.length, maxBuffer: 64 << 20,
  });
  const stdout = (r.stdout || '').toString('utf8');
  const byFile = new Map();
  for (const line of stdout.split('\n')) {
    const m = /^(OK|FAIL) (.*)$/.exec(line);
    if (!m) continue;
    const rest = m[2];
    for (const f of files) {
      if (m[1] === 'OK' && (rest === f || rest.startsWith(f + '  ['))) byFile.set(f, { ok: true, text: rest.slice(f.length).trim() });
      else if (m[1] === 'FAIL' && rest.startsWith(f + ': ')) byFile.set(f, { ok: false, text: rest.slice(f.length + 2) });
    }
  }
  const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ' ' + r.signal : ''}; stderr ${oneLine((r.stderr || '').toString(), 200)}`;
  for (const c of todo) {
    c.check = byFile.get(c.onnx) || { ok: false, text: `check_onnx.py gave no verdict (${why})` };
  }
}

// ------------------------------------------------------------------------------------------------
// Suite: fixtures

function fixtureSuite(cases) {
  note('== fixtures ==');
  let refs = [];
  if (fs.existsSync(FIXTURES)) refs = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.ref.json')).sort();
  if (!refs.length) {
    const c = new Case('fixtures', 'fixtures');
    c.skip(`no ${path.relative(ROOT, FIXTURES)}/*.ref.json found`);
    cases.push(c);
    return;
  }
  for (const refName of refs) {
    let ref;
    try {
      ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, refName), 'utf8'));
      if (typeof ref.file !== 'string' || !Array.isArray(ref.inputs) || !Array.isArray(ref.outputs)) throw new Error('needs file, inputs, outputs');
    } catch (e) {
      const c = new Case('fixtures', refName);
      c.fail(`bad reference file: ${oneLine(e.message)}`);
      cases.push(c);
      continue;
    }
    const h5 = path.resolve(FIXTURES, ref.file);
    const stem = path.basename(ref.file).replace(/\.(h5|hdf5|keras)$/i, '');
    const opsets = Array.isArray(ref.opsets) && ref.opsets.length ? ref.opsets : [null];
    // Optional: a fixture that must be refused ("expect_error": substring of the message or true).
    const expectError = ref.expect_error !== undefined ? ref.expect_error : ref.error;
    for (const opset of opsets) {
      const c = new Case('fixtures', `${path.basename(ref.file)} [opset ${opset === null ? 'default' : opset}]`);
      cases.push(c);
      const out = path.join(OUT, 'fixtures', `${stem}.opset${opset === null ? 'default' : opset}.onnx`);
      const res = convert(h5, out, opset);
      if (expectError !== undefined && expectError !== null && expectError !== false) {
        if (res.kind === 'refused' && (typeof expectError !== 'string' || res.msg.includes(expectError))) c.pass(`(refused: ${res.msg})`);
        else if (res.kind === 'refused') c.fail(`refused with '${res.msg}', expected a message containing '${expectError}'`);
        else if (res.kind === 'ok') c.fail(`converted, but a refusal was expected ('${expectError}')`);
        else c.fail(res.msg);
        continue;
      }
      if (res.kind === 'refused') { c.fail(`conversion refused: ${res.msg}`); continue; }
      if (res.kind === 'bad') { c.fail(res.msg); continue; }
      c.onnx = out;
      c.opset = opset;
      c.opsCheck = (ops) => opsVerdict(ops, ref.expect_ops || [], ref.forbid_ops || ((ref.expect_ops || []).includes('Scan') ? [] : ['Scan', 'Loop']));
      c.finish = () => runAndCompare(out, ref.inputs.map(flatRef), ref.outputs.map(flatRef), false);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Suite: opsets

// --input-shape NAME=D0xD1x... for every reference input: the shapes the reference was made with.
function inputShapeArgs(ref) {
  const args = [];
  for (const i of ref.inputs) args.push('--input-shape', `${i.name}=${i.shape.join('x')}`);
  return args;
}

function isRecurrentFixture(file) {
  return /rnn|gru|lstm|cell|bi_|stack/i.test(file);
}

// The readable fixture references that expect a conversion, in name order.
function convertibleRefs() {
  let names = [];
  if (fs.existsSync(FIXTURES)) names = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.ref.json')).sort();
  const refs = [];
  for (const name of names) {
    let ref;
    try { ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')); } catch (e) { continue; }
    if (ref.expect_error !== undefined || typeof ref.file !== 'string') continue;
    refs.push(ref);
  }
  return refs;
}

function opsetSuite(cases) {
  note('== opsets ==');
  for (const ref of convertibleRefs()) {
    const h5 = path.resolve(FIXTURES, ref.file);
    const stem = path.basename(ref.file).replace(/\.(h5|hdf5|keras)$/i, '');
    const forms = [{ tag: '', extra: [] }];
    if (isRecurrentFixture(ref.file)) forms.push({ tag: ' --unroll', extra: ['--unroll'].concat(inputShapeArgs(ref)) });
    for (let opset = 7; opset <= 23; opset++) {
      for (const form of forms) {
        const c = new Case('opsets', `${path.basename(ref.file)} [opset ${opset}${form.tag}]`);
        cases.push(c);
        const out = path.join(OUT, 'opsets', `${stem}.opset${opset}${form.tag ? '.unroll' : ''}.onnx`);
        const res = convert(h5, out, opset, form.extra);
        if (res.kind !== 'ok') { c.fail(res.kind === 'refused' ? `conversion refused: ${res.msg}` : res.msg); continue; }
        c.onnx = out;
        c.opset = opset;
        if (form.tag) c.checkFlags = ['--static', '--unrolled'];
        c.finish = () => runAndCompare(out, ref.inputs.map(flatRef), ref.outputs.map(flatRef), false);
      }
    }
  }
}

function staticSuite(cases) {
  note('== static ==');
  for (const ref of convertibleRefs()) {
    const h5 = path.resolve(FIXTURES, ref.file);
    const stem = path.basename(ref.file).replace(/\.(h5|hdf5|keras)$/i, '');
    for (const form of [[], ['--scan-rnn']]) {
      const c = new Case('static', `${path.basename(ref.file)} [static shapes${form.length ? ' ' + form[0] : ''}]`);
      cases.push(c);
      const out = path.join(OUT, 'static', `${stem}${form.length ? '.scan' : ''}.onnx`);
      const res = convert(h5, out, null, form.concat(inputShapeArgs(ref)));
      if (res.kind !== 'ok') { c.fail(res.kind === 'refused' ? `conversion refused: ${res.msg}` : res.msg); continue; }
      c.onnx = out;
      c.checkFlags = ['--static'];
      c.finish = () => runAndCompare(out, ref.inputs.map(flatRef), ref.outputs.map(flatRef), false);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Suite: stateio

// Resolves a model input's shape: symbolic dimensions take the values the reference inputs give
// them at the same place.
function resolveShape(shape, known) {
  return shape.map((d) => (typeof d === 'number' ? d : known.get(d)));
}

async function stateRun(session, feeds) {
  const res = await session.run(feeds);
  return res;
}

async function stateCase(out, ref) {
  const o = loadOrt();
  const session = await o.InferenceSession.create(out, { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const meta = session.inputMetadata;
    const nk = ref.inputs.length;
    const ins = ref.inputs.map(flatRef), outs = ref.outputs.map(flatRef);
    const known = new Map();
    for (let i = 0; i < nk; i++) meta[i].shape.forEach((d, k) => { if (typeof d !== 'number') known.set(d, ins[i].shape[k]); });
    const stateIns = meta.slice(nk);
    const stateOuts = session.outputNames.slice(outs.length);
    if (!stateOuts.length) return { ok: false, detail: 'no final-state outputs were added' };
    // Layers fed by Keras initial_state inputs keep them; the others get <layer>/h0 inputs.
    const want = stateIns.map((m) => m.name.replace(/0$/, '_n'));
    if (stateIns.length && JSON.stringify(want) !== JSON.stringify(stateOuts.slice(0, want.length))) {
      return { ok: false, detail: `state outputs [${stateOuts}] do not pair with state inputs [${stateIns.map((m) => m.name)}]` };
    }
    const zeros = (m) => { const sh = resolveShape(m.shape, known); return new o.Tensor('float32', new Float32Array(numel(sh)), sh); };
    const feeds = {};
    for (let i = 0; i < nk; i++) {
      const type = meta[i].type || 'float32';
      feeds[meta[i].name] = new o.Tensor(type, toTensorData(ins[i].data, type), ins[i].shape);
    }
    for (const m of stateIns) feeds[m.name] = zeros(m);
    const full = await stateRun(session, feeds);
    let worst = 0;
    for (let i = 0; i < outs.length; i++) {
      const c = compareArrays(tensorValues(full[session.outputNames[i]]), outs[i].data, outs[i].shape, `out ${i}`);
      if (!c.ok) return { ok: false, detail: `with zero states: mismatch in ${c.bad} values (max err ${fmt(c.maxErr)})` };
      worst = Math.max(worst, c.maxErr);
    }
    // Streaming: only for one batch-major input with a dynamic time axis and no backward half.
    const t = meta[0].shape[1];
    if (!stateIns.length) return { ok: true, detail: `(Keras initial states; ${stateOuts.length} final states out; max err ${fmt(worst)})` };
    // (A numeric first axis means a time-major input: its batch axis is the second one.)
    if (nk !== 1 || typeof t === 'number' || typeof meta[0].shape[0] === 'number' || ins[0].shape.length !== 3 || meta[0].type !== 'float32' ||
        stateIns.some((m) => /backward/.test(m.name))) {
      return { ok: true, detail: `(zero states; max err ${fmt(worst)})` };
    }
    const [N, T, F] = ins[0].shape, half = Math.floor(T / 2);
    const part = (t0, t1) => {
      const d = new Float32Array(N * (t1 - t0) * F);
      for (let n = 0; n < N; n++) for (let k = t0; k < t1; k++) for (let f = 0; f < F; f++) d[(n * (t1 - t0) + k - t0) * F + f] = ins[0].data[(n * T + k) * F + f];
      return new o.Tensor('float32', d, [N, t1 - t0, F]);
    };
    const f1 = Object.assign({}, feeds, { [meta[0].name]: part(0, half) });
    const r1 = await stateRun(session, f1);
    const f2 = { [meta[0].name]: part(half, T) };
    stateIns.forEach((m, i) => { f2[m.name] = r1[stateOuts[i]]; });
    const r2 = await stateRun(session, f2);
    for (const name of stateOuts) {
      const c = compareArrays(r2[name].data, Array.from(full[name].data), full[name].dims, name);
      if (!c.ok) return { ok: false, detail: `streaming in two halves: ${name} differs (max err ${fmt(c.maxErr)})` };
    }
    return { ok: true, detail: `(zero states and two-half streaming; max err ${fmt(worst)})` };
  } finally {
    try { await session.release(); } catch (e) { /* ignore */ }
  }
}

// Every recurrent fixture converted again with one more converter option; `setup(c, out, ref)`
// arms the case's checks.
function recurrentVariantSuite(cases, suite, flag, setup) {
  note(`== ${suite} ==`);
  for (const ref of convertibleRefs()) {
    if (!isRecurrentFixture(ref.file)) continue;
    const h5 = path.resolve(FIXTURES, ref.file);
    const stem = path.basename(ref.file).replace(/\.(h5|hdf5|keras)$/i, '');
    const c = new Case(suite, `${path.basename(ref.file)} ${flag}`);
    cases.push(c);
    const out = path.join(OUT, suite, `${stem}.onnx`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const res = classify(runConverter([h5, '-o', out, flag]), h5, out);
    if (res.kind !== 'ok') { c.fail(`conversion with ${flag}: ${res.msg}`); continue; }
    c.onnx = out;
    setup(c, out, ref);
  }
}

function stateioSuite(cases) {
  recurrentVariantSuite(cases, 'stateio', '--state-io', (c, out, ref) => { c.finish = () => stateCase(out, ref); });
}

// Fused RNN/GRU/LSTM ops wherever ONNX can express the layer; Scan only where it cannot.
function opsVerdict(ops, expect, forbid) {
  const missing = expect.filter((o) => !ops.includes(o));
  const extra = forbid.filter((o) => ops.includes(o));
  if (missing.length) return `the graph lacks ${missing.join(', ')} (ops: ${ops.join(', ')})`;
  if (extra.length) return `the graph uses ${extra.join(', ')} (ops: ${ops.join(', ')})`;
  return null;
}

// ------------------------------------------------------------------------------------------------
// Suite: scan — every recurrent fixture again with --scan-rnn (primitive ops in a Scan loop).

function scanSuite(cases) {
  recurrentVariantSuite(cases, 'scan', '--scan-rnn', (c, out, ref) => {
    c.opsCheck = (ops) => opsVerdict(ops, ['Scan'], ['RNN', 'GRU', 'LSTM']);
    c.finish = () => runAndCompare(out, ref.inputs.map(flatRef), ref.outputs.map(flatRef), false);
  });
}

function flatRef(x) {
  const shape = (x.shape || []).map(Number);
  return { name: x.name, shape, data: Array.isArray(x.data) ? x.data.flat(Infinity) : [] };
}

// ------------------------------------------------------------------------------------------------
// Suite: corpus

function readExpect() {
  const f = path.join(ROOT, 'tests', 'corpus_expect.txt');
  if (!fs.existsSync(f)) return new Set();
  return new Set(fs.readFileSync(f, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l).map((l) => path.basename(l)));
}

function corpusSuite(cases) {
  note('== corpus ==');
  const index = path.join(CORPUS, 'ref', 'INDEX.tsv');
  if (!fs.existsSync(index)) {
    const c = new Case('corpus', 'corpus');
    c.skip(`no corpus at ${CORPUS} (set K2ONNX_CORPUS); corpus suite not run`);
    cases.push(c);
    return;
  }
  const expect = readExpect();
  const seen = new Set();
  const lines = fs.readFileSync(index, 'utf8').split('\n').filter((l) => l.trim());
  const header = lines.shift().split('\t');
  const col = (name) => header.indexOf(name);
  const iFile = col('file'), iStatus = col('status');
  for (const line of lines) {
    const f = line.split('\t');
    const rel = f[iFile], status = f[iStatus] || '';
    const base = path.basename(rel);
    seen.add(base);
    if (status !== 'ok') continue;
    const c = new Case('corpus', base);
    cases.push(c);
    const refDir = path.join(CORPUS, 'ref', base);
    const out = path.join(OUT, 'corpus', base.replace(/[^A-Za-z0-9._-]/g, '_') + '.onnx');
    // A weights-only file names its architecture: a JSON file, or a model file whose
    // model_config attribute k2onnx --dump can print.
    const method = f[col('method')] || '';
    const arch = /arch=([^)]+)\)/.exec(method);
    const extra = arch ? archArgs(path.join(CORPUS, path.dirname(rel), arch[1]), out) : [];
    const res = convert(path.join(CORPUS, rel), out, null, extra);
    if (!settleConversion(c, res, expect.has(base))) continue;
    c.onnx = out;
    c.finish = async () => {
      let inputs, outputs;
      try {
        inputs = readNumbered(refDir, 'in');
        outputs = readNumbered(refDir, 'out');
        if (!inputs.length || !outputs.length) throw new Error(`no in_K.npy / out_K.npy in ${refDir}`);
      } catch (e) {
        return { ok: false, detail: `reference data: ${oneLine(e.message)}` };
      }
      return runAndCompare(out, inputs, outputs, false);
    };
  }
  for (const e of expect) {
    if (!seen.has(e)) {
      const c = new Case('corpus', `corpus_expect.txt ${e}`);
      c.fail('not a file of ref/INDEX.tsv');
      cases.push(c);
    }
  }
  dl4jCases(cases, expect);
}

// --config arguments for a weights-only file whose architecture lives in `arch`.
function archArgs(arch, out) {
  if (/\.json$/i.test(arch)) return ['--config', arch];
  const json = out.replace(/\.onnx$/, '.arch.json');
  fs.mkdirSync(path.dirname(json), { recursive: true });
  const r = runConverter(['--dump', arch, '/@model_config']);
  if (r.status !== 0) return ['--config', arch]; // let the conversion report what is wrong
  fs.writeFileSync(json, r.stdout);
  return ['--config', json];
}

// Shared verdict for a conversion that must either work or be refused cleanly. Returns true when
// the case goes on to validation.
function settleConversion(c, res, mustConvert) {
  if (res.kind === 'bad') { c.fail(res.msg); return false; }
  if (res.kind === 'refused') {
    if (mustConvert) c.fail(`listed in tests/corpus_expect.txt but refused: ${res.msg}`);
    else c.skip(res.msg);
    return false;
  }
  return true;
}

function readNumbered(dir, prefix) {
  const arrs = [];
  for (let k = 0; fs.existsSync(path.join(dir, `${prefix}_${k}.npy`)); k++) arrs.push(readNpy(path.join(dir, `${prefix}_${k}.npy`)));
  return arrs;
}

function dl4jCases(cases, expect) {
  const kdir = path.join(CORPUS, 'keras');
  if (!fs.existsSync(kdir)) return;
  const files = fs.readdirSync(kdir).filter((f) => f.endsWith('_inputs_and_outputs.h5')).sort();
  if (!files.length) return;
  const dumpDir = path.join(OUT, 'dl4j');
  fs.rmSync(dumpDir, { recursive: true, force: true });
  const r = cp.spawnSync(PY, [path.join(ROOT, 'tests', 'dump_h5_arrays.py'), dumpDir, 'inputs,predictions', ...files.map((f) => path.join(kdir, f))], {
    cwd: ROOT, timeout: 120000, maxBuffer: 16 << 20,
  });
  for (const f of files) {
    const model = f.replace(/_inputs_and_outputs\.h5$/, '_model.h5');
    const c = new Case('corpus', `dl4j ${model} vs predictions/`);
    cases.push(c);
    let manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(dumpDir, f, 'manifest.json'), 'utf8'));
    } catch (e) {
      c.fail(`dump_h5_arrays.py failed (exit ${r.status}): ${oneLine((r.stderr || '').toString() || e.message, 200)}`);
      continue;
    }
    if (manifest.error) { c.fail(`cannot read ${f}: ${manifest.error}`); continue; }
    if (manifest.missing.includes('predictions')) { c.skip(`${f} has no predictions/ group (only training targets)`); continue; }
    if (manifest.missing.includes('inputs')) { c.fail(`${f} has no inputs/ group`); continue; }
    if (!fs.existsSync(path.join(kdir, model))) { c.fail(`no ${model} next to ${f}`); continue; }
    const out = path.join(OUT, 'corpus', model + '.onnx');
    const res = convert(path.join(kdir, model), out, null);
    if (!settleConversion(c, res, expect.has(model))) continue;
    c.onnx = out;
    c.finish = async () => {
      const load = (e) => Object.assign(readNpy(e.npy), { name: e.name });
      let inputs, outputs;
      try {
        inputs = manifest.groups.inputs.map(load);
        outputs = manifest.groups.predictions.map(load);
      } catch (e) {
        return { ok: false, detail: `reference data: ${oneLine(e.message)}` };
      }
      return runAndCompare(out, inputs, outputs, true);
    };
  }
}

// ------------------------------------------------------------------------------------------------
// Suite: bad inputs

// Small deterministic PRNG (mulberry32).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashStr(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return h >>> 0;
}

// Variants of one file: [{tag, bytes}]
function badVariants(name, data) {
  const L = data.length;
  const v = [];
  const lens = [...new Set([0, 8, 100, L >> 1, L - 1])].filter((n) => n >= 0 && n < L).sort((a, b) => a - b);
  for (const n of lens) v.push({ tag: `trunc${n}`, bytes: data.subarray(0, n) });
  const mutate = (tag, k, fn) => {
    const b = Buffer.from(data);
    const rand = rng(hashStr(name) ^ (k * 0x9e3779b9));
    const ri = (n) => Math.floor(rand() * n);
    fn(b, ri);
    v.push({ tag, bytes: b });
  };
  if (L === 0) return v;
  const meta = Math.min(L, 4096);
  mutate('rand8', 1, (b, ri) => { for (let i = 0; i < 8; i++) b[ri(L)] = ri(256); });
  mutate('meta32', 2, (b, ri) => { for (let i = 0; i < 32; i++) b[ri(meta)] = ri(256); });
  mutate('ff16', 3, (b, ri) => { const o = ri(Math.max(1, meta - 16)); b.fill(0xff, o, Math.min(L, o + 16)); });
  mutate('bits16', 4, (b, ri) => { for (let i = 0; i < 16; i++) { const o = ri(L); b[o] ^= 1 << ri(8); } });
  mutate('zero64', 5, (b, ri) => { const o = ri(Math.max(1, meta - 64)); b.fill(0, o, Math.min(L, o + 64)); });
  // Inside the model_config JSON: random bytes, and semantic edits of the same length.
  const js = data.indexOf('{"class_name"');
  if (js >= 0) {
    const end = Math.min(L, js + 4000);
    mutate('json8', 6, (b, ri) => { for (let i = 0; i < 8; i++) b[js + ri(end - js)] = ri(256); });
    mutate('jsonbrace', 7, (b) => { const i = b.indexOf('}', js); if (i >= 0 && i < end) b[i] = 0x5b; });
    const u = data.indexOf('"units": ', js);
    if (u >= 0) {
      mutate('units-neg', 8, (b) => { b[u + 8] = 0x2d; });                 // "units":-50
      mutate('units-big', 9, (b) => {                                       // "units": 99..
        let i = u + 9;
        while (i < L && b[i] >= 0x30 && b[i] <= 0x39) b[i++] = 0x39;
        b[u + 8] = 0x39;                                                    // one more digit
      });
    }
    const s = data.indexOf('_shape": [', js);
    if (s >= 0) mutate('shape-neg', 10, (b) => { const i = b.indexOf('null', s); if (i >= 0 && i < s + 40) b.write('-7  ', i, 'latin1'); });
  }
  return v;
}

function badSuite(cases) {
  note('== bad ==');
  const dir = path.join(OUT, 'bad');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  let sources = [];
  if (fs.existsSync(FIXTURES)) sources = fs.readdirSync(FIXTURES).filter((f) => /\.(h5|hdf5|keras)$/i.test(f)).sort().map((f) => path.join(FIXTURES, f));
  if (!sources.length) {
    // No fixtures yet: use the four smallest .h5 files of the corpus instead.
    const kdir = path.join(CORPUS, 'keras');
    if (fs.existsSync(kdir)) {
      sources = fs.readdirSync(kdir).filter((f) => f.endsWith('_model.h5') || f.endsWith('.h5')).map((f) => path.join(kdir, f))
        .sort((a, b) => fs.statSync(a).size - fs.statSync(b).size || (a < b ? -1 : 1)).slice(0, 4);
      note(`(no fixture .h5 files; using ${sources.length} corpus files)`);
    }
  }
  const outFile = path.join(dir, 'out.onnx');
  let convertible = null; // a source that converts, for the unwritable-output case
  for (const src of sources) {
    const base = path.basename(src);
    const data = fs.readFileSync(src);
    if (!convertible && convert(src, path.join(dir, `${base}.orig.onnx`), null).kind === 'ok') convertible = src;
    for (const { tag, bytes } of badVariants(base, data)) {
      const inFile = path.join(dir, `${base}.${tag}`);
      fs.writeFileSync(inFile, bytes);
      const c = new Case('bad', `bad ${base} ${tag}`);
      cases.push(c);
      const out = path.join(dir, `${base}.${tag}.onnx`);
      const res = convert(inFile, out, null);
      if (res.kind === 'bad') c.fail(res.msg);
      else if (res.kind === 'refused') { c.pass(`(refused: ${oneLine(res.msg, 120)})`); fs.rmSync(inFile, { force: true }); }
      else c.onnx = out; // converted anyway: the output must still be valid ONNX
    }
  }
  // A missing input, a directory as input, an output that cannot be created.
  const missing = path.join(dir, 'does_not_exist.h5');
  expectRefusal(cases, 'bad missing input', [missing, '-o', outFile], [missing, outFile], outFile);
  expectRefusal(cases, 'bad directory as input', [dir, '-o', outFile], [dir, outFile], outFile);
  if (convertible || sources.length) {
    const src = convertible || sources[0];
    const unwritable = path.join(dir, 'no_such_dir', 'x.onnx');
    expectRefusal(cases, 'bad unwritable output', [src, '-o', unwritable], [src, unwritable], unwritable);
  }
  if (convertible) outputSafetySuite(cases, dir, convertible);
  metadataSuite(cases, dir);
  // Usage errors: exit 2, nothing written.
  const src = sources[0] || missing;
  const usage = [
    ['no arguments', []],
    ['no -o', [src]],
    ['-o without file', [src, '-o']],
    ['--opset 6', [src, '-o', outFile, '--opset', '6']],
    ['--opset 24', [src, '-o', outFile, '--opset', '24']],
    ['--opset abc', [src, '-o', outFile, '--opset', 'abc']],
    ['unknown option', [src, '-o', outFile, '--bogus']],
    ['two inputs', [src, src, '-o', outFile]],
    ['--unroll with --scan-rnn', [src, '-o', outFile, '--unroll', '--scan-rnn']],
    ['--batch 0', [src, '-o', outFile, '--batch', '0']],
    ['--batch without number', [src, '-o', outFile, '--batch']],
    ['--steps 2^30+1', [src, '-o', outFile, '--steps', '1073741825']],
    ['--steps -1', [src, '-o', outFile, '--steps', '-1']],
    ['--input-shape without =', [src, '-o', outFile, '--input-shape', 'x']],
    ['--input-shape =3x4', [src, '-o', outFile, '--input-shape', '=3x4']],
    ['--input-shape x=3x0', [src, '-o', outFile, '--input-shape', 'x=3x0']],
    ['--input-shape x=3x', [src, '-o', outFile, '--input-shape', 'x=3x']],
    ['--input-shape of 9 dimensions', [src, '-o', outFile, '--input-shape', 'x=1x1x1x1x1x1x1x1x1']],
    ['--rename without =', [src, '-o', outFile, '--rename', 'x']],
    ['--rename =y', [src, '-o', outFile, '--rename', '=y']],
    ['--rename x=', [src, '-o', outFile, '--rename', 'x=']],
    ['--rename without names', [src, '-o', outFile, '--rename']],
  ];
  for (const [label, args] of usage) {
    const c = new Case('bad', `usage ${label}`);
    cases.push(c);
    fs.rmSync(outFile, { force: true });
    const r = runConverter(args);
    const ab = abnormal(r);
    if (ab) c.fail(ab);
    else if (r.status !== 2) c.fail(`exit status ${r.status}, want 2; stderr ${excerpt(r.stderr)}`);
    else if (fs.existsSync(outFile)) c.fail('usage error but the output file was written');
    else if (!r.stderr.length) c.fail('usage error with nothing on stderr');
    else c.pass();
  }
  fs.rmSync(outFile, { force: true });
}

// The ONNX model's doc_string and metadata_props, as an ONNX reader sees them, and its graph
// inputs and outputs.
function onnxFacts(file) {
  const script = 'import json, sys, onnx\n' +
    'm = onnx.load(sys.argv[1])\n' +
    'print(json.dumps({"doc": m.doc_string, "props": [[p.key, p.value] for p in m.metadata_props],\n' +
    '  "inputs": [v.name for v in m.graph.input], "outputs": [v.name for v in m.graph.output]}))\n';
  const r = cp.spawnSync(PY, ['-c', script, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reading ${file}: ${oneLine(r.stderr || '', 200)}`);
  return JSON.parse(r.stdout);
}

// Metadata names the source, the Keras version and backend the file records and the options;
// --rename renames graph inputs and outputs (and refuses names it cannot give).
function metadataSuite(cases, dir) {
  const version = runConverter(['--version']).stdout.toString().trim(); // "k2onnx X.Y.Z"
  const same = (got, want, what) => (JSON.stringify(got) === JSON.stringify(want) ? null : `${what} ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  const expectFacts = (name, src, args, want) => {
    const c = new Case('bad', name);
    cases.push(c);
    if (!fs.existsSync(src)) return c.skip(`(needs ${src})`);
    const out = path.join(dir, `meta_${cases.length}.onnx`);
    const r = runConverter([src, '-o', out, ...args]);
    const ab = abnormal(r);
    if (ab) return c.fail(ab);
    if (r.status !== 0) return c.fail(`exit status ${r.status}; stderr ${excerpt(r.stderr)}`);
    let facts;
    try { facts = onnxFacts(out); } catch (e) { return c.fail(e.message); }
    const why = Object.keys(want).map((k) => same(facts[k], want[k], k)).find((w) => w);
    if (why) return c.fail(why);
    c.onnx = out; // and the checker must accept it
    return null;
  };
  const rnn = path.join(FIXTURES, 'k22_seq_rnn.h5');
  expectFacts('metadata of a Keras 2.2.4 model converted with options', rnn, ['--opset', '12', '--unroll', '--batch', '2'], {
    doc: `Keras model 'sequential_1' from k22_seq_rnn.h5, converted by ${version}`,
    props: [['converter', version], ['converter_options', 'opset=12 unroll batch=2'], ['keras_backend', 'tensorflow'],
      ['keras_version', '2.2.4'], ['source_file', 'k22_seq_rnn.h5']],
  });
  expectFacts('metadata of a Keras 3 .keras archive (version from metadata.json, no backend recorded)',
    path.join(FIXTURES, 'k3_keras_gru_bidi_gru.keras'), ['--input-shape', 'input_layer=1x5x2', '--state-io'], {
      props: [['converter', version], ['converter_options', 'opset=17 state_io input_shape=input_layer=1x5x2'],
        ['keras_version', '3.12.0'], ['source_file', 'k3_keras_gru_bidi_gru.keras']],
    });
  expectFacts('--rename renames the graph input and output', rnn, ['--rename', 'simple_rnn_1_input=sequence', '--rename', 'dense_1=probability'], {
    inputs: ['sequence'], outputs: ['probability'],
  });
  expectFacts('--rename swaps two names', rnn, ['--rename', 'simple_rnn_1_input=dense_1', '--rename', 'dense_1=simple_rnn_1_input'], {
    inputs: ['dense_1'], outputs: ['simple_rnn_1_input'],
  });
  const out = path.join(dir, 'meta_refused.onnx');
  const refusals = [
    ['a name that is no graph input or output', ['--rename', 'simple_rnn_1=x']],
    ['to a name the graph uses', ['--rename', 'dense_1=simple_rnn_1/Y']],
    ['one name twice', ['--rename', 'dense_1=a', '--rename', 'dense_1=b']],
    ['two names to one', ['--rename', 'dense_1=a', '--rename', 'simple_rnn_1_input=a']],
  ];
  for (const [label, args] of refusals) {
    if (fs.existsSync(rnn)) expectRefusal(cases, `--rename refuses ${label}`, [rnn, '-o', out, ...args], [rnn, out], out);
  }
}

// The output never replaces the input, and a failed conversion or write leaves an existing
// output as it was, with no temporary file beside it.
function outputSafetySuite(cases, dir, src) {
  const model = path.join(dir, 'safety_model.h5');
  const original = fs.readFileSync(src);
  const leftovers = () => fs.readdirSync(dir).filter((f) => f.includes('.k2onnx-'));
  const check = (name, args, files, verify) => {
    const c = new Case('bad', name);
    cases.push(c);
    const r = runConverter(args);
    const ab = abnormal(r);
    if (ab) return c.fail(ab);
    const why = verify(r);
    if (why) return c.fail(why);
    if (leftovers().length) return c.fail(`temporary files left: ${leftovers().join(', ')}`);
    return c.pass(r.status ? `(${oneLine(refusalMessage(r.stderr, files) || '', 120)})` : '');
  };
  const refused = (r, files) => {
    if (r.status !== 1) return `exit status ${r.status}, want 1; stderr ${excerpt(r.stderr)}`;
    if (refusalMessage(r.stderr, files) === null) return `stderr is not one 'k2onnx: <file>: <message>' line: ${excerpt(r.stderr)}`;
    return null;
  };
  const modelIntact = () => (Buffer.compare(fs.readFileSync(model), original) === 0 ? null : 'the input model was changed');
  fs.writeFileSync(model, original);
  check('output is the input', [model, '-o', model], [model], (r) => refused(r, [model]) || modelIntact());
  const sym = path.join(dir, 'safety_symlink.onnx');
  fs.rmSync(sym, { force: true });
  fs.symlinkSync(model, sym);
  check('output is a symlink to the input', [model, '-o', sym], [model], (r) => refused(r, [model]) || modelIntact());
  const hard = path.join(dir, 'safety_hardlink.onnx');
  fs.rmSync(hard, { force: true });
  fs.linkSync(model, hard);
  check('output is a hard link to the input', [model, '-o', hard], [model], (r) => refused(r, [model]) || modelIntact());
  // An existing output survives a conversion that fails, and a write that fails (a file size
  // limit stands in for a full disk).
  const out = path.join(dir, 'safety_out.onnx');
  const old = Buffer.from('an earlier output\n');
  const oldIntact = () => (fs.existsSync(out) && Buffer.compare(fs.readFileSync(out), old) === 0 ? null : 'the existing output was changed or removed');
  const truncated = path.join(dir, 'safety_truncated.h5');
  fs.writeFileSync(truncated, original.subarray(0, original.length >> 1));
  fs.writeFileSync(out, old);
  check('failed conversion keeps the existing output', [truncated, '-o', out], [truncated], (r) => refused(r, [truncated]) || oldIntact());
  const limited = ['sh', '-c', 'trap "" XFSZ; ulimit -f 1; exec "$@"', 'sh', K2ONNX];
  const c = new Case('bad', 'failed write keeps the existing output');
  cases.push(c);
  const r = cp.spawnSync(limited[0], limited.slice(1).concat([model, '-o', out]), { cwd: ROOT, env: CHILD_ENV, timeout: TIMEOUT_MS, encoding: 'buffer' });
  const why = abnormal(r) || refused(r, [model]) || oldIntact() || (leftovers().length ? `temporary files left: ${leftovers().join(', ')}` : null);
  if (why) c.fail(why); else c.pass(`(${oneLine(refusalMessage(r.stderr, [model]) || '', 120)})`);
  check('conversion replaces the existing output', [model, '-o', out], [model], (r2) => {
    if (r2.status !== 0) return `exit status ${r2.status}; stderr ${excerpt(r2.stderr)}`;
    return fs.readFileSync(out).length > old.length ? null : 'the output was not replaced';
  });
  if (fs.existsSync('/dev/full')) {
    check('output to a full device (/dev/full) is a write error', [model, '-o', '/dev/full'], [model], (r2) =>
      refused(r2, [model]) || (fs.statSync('/dev/full').isCharacterDevice() ? null : '/dev/full is no longer a device'));
  }
  if (fs.existsSync('/dev/null')) {
    check('output to a device (/dev/null) is written in place', [model, '-o', '/dev/null'], [model], (r2) => {
      if (r2.status !== 0) return `exit status ${r2.status}; stderr ${excerpt(r2.stderr)}`;
      return fs.statSync('/dev/null').isCharacterDevice() ? null : '/dev/null is no longer a device';
    });
  }
  // `-o -`: the same bytes on standard output, and nothing written beside it.
  const fileOut = path.join(dir, 'safety_stdout_ref.onnx');
  check('-o - writes the bytes of -o FILE to standard output', [model, '-o', fileOut], [model], (r2) => {
    if (r2.status !== 0) return `exit status ${r2.status}; stderr ${excerpt(r2.stderr)}`;
    const r3 = runConverter([model, '-o', '-']);
    if (r3.status !== 0 || r3.stderr.length) return `-o -: exit status ${r3.status}; stderr ${excerpt(r3.stderr)}`;
    if (fs.existsSync(path.join(ROOT, '-'))) return "a file named '-' was created";
    return Buffer.compare(r3.stdout, fs.readFileSync(fileOut)) === 0 ? null : `stdout (${r3.stdout.length} bytes) differs from the file`;
  });
  const missingIn = path.join(dir, 'safety_missing.h5');
  check('-o - with a missing input: exit 1, nothing on standard output', [missingIn, '-o', '-'], [missingIn], (r2) =>
    refused(r2, [missingIn]) || (r2.stdout.length ? `${r2.stdout.length} bytes on standard output` : null));
  // --quiet: warnings go, the model is the same. The warning comes from a stateful corpus model.
  const stateful = path.join(CORPUS, 'keras', 'Dobiasd-frugally-deep__keras_export_lstm_stateful__at0064b849.h5');
  const cq = new Case('bad', '--quiet leaves out the warnings, not the model');
  cases.push(cq);
  if (!fs.existsSync(stateful)) {
    cq.skip(`(needs ${stateful})`);
  } else {
    const loud = runConverter([stateful, '-o', '-']);
    const quiet = runConverter([stateful, '-o', '-', '--quiet']);
    const why = abnormal(loud) || abnormal(quiet) ||
      (loud.status !== 0 || !/warning: layer '.*' \(LSTM\): stateful=true/.test(loud.stderr.toString()) ? `without --quiet: exit ${loud.status}, stderr ${excerpt(loud.stderr)}` : null) ||
      (quiet.status !== 0 || quiet.stderr.length ? `with --quiet: exit ${quiet.status}, stderr ${excerpt(quiet.stderr)}` : null) ||
      (Buffer.compare(loud.stdout, quiet.stdout) !== 0 ? 'the ONNX differs with --quiet' : null);
    if (why) cq.fail(why); else cq.pass();
  }
}

function expectRefusal(cases, name, args, files, out) {
  const c = new Case('bad', name);
  cases.push(c);
  fs.rmSync(out, { force: true });
  const r = runConverter(args);
  const ab = abnormal(r);
  if (ab) return c.fail(ab);
  if (r.status !== 1) return c.fail(`exit status ${r.status}, want 1; stderr ${excerpt(r.stderr)}`);
  if (fs.existsSync(out)) return c.fail('exit 1 but the output file was written');
  const msg = refusalMessage(r.stderr, files);
  if (msg === null) return c.fail(`stderr is not one 'k2onnx: <file>: <message>' line: ${excerpt(r.stderr)}`);
  return c.pass(`(${oneLine(msg, 120)})`);
}

// ------------------------------------------------------------------------------------------------

async function main() {
  const args = process.argv.slice(2);
  for (const a of args) {
    if (!SUITES.includes(a) && !EXTRA_SUITES.includes(a)) {
      process.stderr.write(`usage: node tests/run_e2e.js [${SUITES.concat(EXTRA_SUITES).join('] [')}]\nunknown suite '${a}'\n`);
      process.exit(2);
    }
  }
  const chosen = args.length ? SUITES.concat(EXTRA_SUITES).filter((s) => args.includes(s)) : SUITES;
  const t0 = Date.now();
  console.log(`k2onnx e2e: converter ${K2ONNX}; suites ${chosen.join(', ')}`);
  if (!fs.existsSync(K2ONNX)) {
    console.log(`FAIL setup: converter ${K2ONNX} not found (build it or set K2ONNX)`);
    console.log('0 skipped');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const cases = [];
  if (chosen.includes('fixtures')) fixtureSuite(cases);
  if (chosen.includes('corpus')) corpusSuite(cases);
  if (chosen.includes('bad')) badSuite(cases);
  if (chosen.includes('stateio')) stateioSuite(cases);
  if (chosen.includes('scan')) scanSuite(cases);
  if (chosen.includes('opsets')) opsetSuite(cases);
  if (chosen.includes('static')) staticSuite(cases);

  runChecks(cases);
  let lastSuite = null;
  for (const c of cases) {
    if (c.done) continue;
    if (c.suite !== lastSuite) { note(`== ${c.suite}: onnx check + onnxruntime ==`); lastSuite = c.suite; }
    if (!c.check) { c.fail('no check_onnx.py verdict'); continue; }
    if (!c.check.ok) { c.fail(`check_onnx: ${c.check.text}`); continue; }
    if (c.opset !== undefined && c.opset !== null) {
      const m = /opset (\d+)/.exec(c.check.text);
      if (!m || Number(m[1]) !== Number(c.opset)) { c.fail(`asked for --opset ${c.opset}, the model imports ai.onnx ${m ? m[1] : '?'}`); continue; }
    }
    if (c.opsCheck) {
      const m = /ops=([^\]\s;]*)/.exec(c.check.text);
      const why = c.opsCheck(m ? m[1].split(',').filter(Boolean) : []);
      if (why) { c.fail(why); continue; }
    }
    if (!c.finish) { c.pass(`(converted; valid ONNX: ${c.check.text})`); continue; }
    let r;
    try {
      r = await c.finish();
    } catch (e) {
      r = { ok: false, detail: `runner error: ${oneLine(e.stack || e.message, 400)}` };
    }
    if (r.ok) c.pass(r.detail);
    else c.fail(r.detail);
  }

  const n = (s) => results.filter((r) => r.status === s).length;
  const failed = results.filter((r) => r.status === 'FAIL');
  if (failed.length) {
    console.log(`\nfailures:`);
    for (const r of failed) console.log('  ' + r.line);
  }
  console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`${n('SKIP')} skipped`);
  console.log(`${n('PASS')} passed, ${n('FAIL')} failed`);
  process.exitCode = n('FAIL') ? 1 : 0;
}

main().catch((e) => {
  console.log(`FAIL runner: ${e.stack || e}`);
  console.log('0 skipped');
  console.log(`0 passed, 1 failed`);
  process.exitCode = 1;
});
