#!/usr/bin/env node
// Runs the ONNX that k2onnx writes on the consumers firmware engineers use, and compares every
// output with the fixture's Keras reference.
//
//   node tests/run_consumers.js [--list FILE] [--stream] [--consumers onnx2c,libonnx,ort] [NAME...]
//
// Consumers:
//   ort      onnxruntime (node_modules/onnxruntime-node), in this process
//   onnx2c   build/consumers/onnx2c turns the model into C; a generated harness #includes that C,
//            calls its entry() on input files and writes the outputs to files (compiled with cc)
//   libonnx  tests/consumers/libonnx_run.c linked with build/consumers/liblibonnx.a
// Build the last two with `sh ../shared/tools/build_consumers.sh build/consumers`.
//
// Modes:
//   (default) convert each fixture with --input-shape NAME=D0xD1x... for every reference input
//             (firmware consumers want fixed shapes), validate it with tests/check_onnx.py (one
//             `check` line per fixture) and run it once on the reference inputs.
//   --stream  convert with --unroll --steps 1 --state-io --batch N (a one-step streaming cell)
//             and run the reference sequence one step at a time: step t gets x[:, t:t+1, :] of
//             every input and the state outputs (`.../h_n`, `.../c_n`) of step t-1 on the
//             matching state inputs (`.../h0`, `.../c0`), zeros at t = 0. A sequence output is
//             compared step by step with ref[:, t, ...], any other output at the last step.
//             Fixtures whose inputs are not all [N, T, F] sequences of one T are skipped.
//
// Fixtures: tests/fixtures/NAME.ref.json (and the model file it names). NAMEs on the command
// line win over --list FILE, whose lines are `NAME` or `NAME consumer,consumer` (the consumers
// that fixture must pass; by default all) with '#' comments; with neither, every fixture. A
// failure on a consumer the list does not require is reported as SKIP.
//
// Environment:
//   K2ONNX           converter (default ./k2onnx)
//   K2ONNX_ARGS      extra converter options, split on whitespace
//   K2ONNX_FIXTURES  fixture directory (default tests/fixtures)
//   CONSUMERS_DIR    where onnx2c and liblibonnx.a are (default build/consumers)
//   LIBONNX_INCLUDE  libonnx headers (default ../shared/tools/libonnx/src)
//   K2ONNX_PYTHON    python with onnx (default /usr/bin/python3)
//   ONNX2C_ARGS      extra onnx2c options, e.g. `-p unionize` (its fold_casts pass off)
//   JOBS             fixtures run at once (default 2)
//   K2ONNX_STRIDE    run every Nth selected fixture only (default 1: all), for slow converter builds
//
// One line per fixture and consumer (`PASS onnx2c NAME max_err=...`, `FAIL libonnx NAME: why`),
// then `K skipped` and, last, `N passed, M failed`. Exit status 1 if anything failed, 2 on a
// usage error. Work files go to tests/out/consumers/ (emptied at the start of each run).
'use strict';

const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, 'tests', 'out', 'consumers');
const FIXTURES = path.resolve(ROOT, process.env.K2ONNX_FIXTURES || 'tests/fixtures');
const K2ONNX = path.resolve(ROOT, process.env.K2ONNX || 'k2onnx');
const EXTRA_ARGS = (process.env.K2ONNX_ARGS || '').split(/\s+/).filter(Boolean);
const CONSUMERS_DIR = path.resolve(ROOT, process.env.CONSUMERS_DIR || 'build/consumers');
const LIBONNX_INCLUDE = path.resolve(ROOT, process.env.LIBONNX_INCLUDE || '../shared/tools/libonnx/src');
const PY = process.env.K2ONNX_PYTHON || '/usr/bin/python3';
const JOBS = Math.max(1, Number(process.env.JOBS) || 2);
const ONNX2C_ARGS = (process.env.ONNX2C_ARGS || '').split(/\s+/).filter(Boolean);
const CC = process.env.CC || 'cc';
const ATOL = 1e-4;
const RTOL = 1e-3;
const CONSUMERS = ['ort', 'onnx2c', 'libonnx'];
const SECONDS = { convert: 20, onnx2c: 60, cc: 300, run: 60 };

// ------------------------------------------------------------------------------------------------
// Results

const counts = { PASS: 0, FAIL: 0, SKIP: 0 };
const failures = [];

function report(status, label, detail) {
  const line = status === 'PASS' ? `PASS ${label}${detail ? ' ' + detail : ''}` : `${status} ${label}: ${detail}`;
  counts[status]++;
  if (status === 'FAIL') failures.push(line);
  console.log(line);
}

function oneLine(s, max = 200) {
  s = String(s).replace(/\x1b\[[0-9;]*m/g, '').replace(/\s+/g, ' ').trim();
  return s.length > max ? s.slice(0, max) + '...' : s;
}

function fmtErr(x) {
  return x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(1) : String(x);
}

// A consumer's refusal or crash: its message is the reason of the FAIL line.
class ConsumerError extends Error {}

// ------------------------------------------------------------------------------------------------
// Tensors: raw little-endian bytes in and out of files, slicing along the time axis

const TYPED = { float32: Float32Array, int32: Int32Array, int64: BigInt64Array, float64: Float64Array };

function numel(shape) { return shape.reduce((a, b) => a * b, 1); }

function typedFrom(type, values) {
  if (type === 'int64') return BigInt64Array.from(values, (v) => BigInt(Math.round(Number(v))));
  if (!TYPED[type]) throw new ConsumerError(`tensor type ${type} is not supported by this runner`);
  return TYPED[type].from(values, Number);
}

function toBytes(typed) {
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
}

function fromBytes(type, buf) {
  const Arr = TYPED[type];
  if (!Arr) throw new ConsumerError(`tensor type ${type} is not supported by this runner`);
  if (buf.length % Arr.BYTES_PER_ELEMENT) throw new ConsumerError(`${buf.length} bytes is not a whole number of ${type}`);
  // A copy: a Buffer read from a file need not be aligned for the element size.
  const copy = new Uint8Array(buf);
  return new Arr(copy.buffer, 0, buf.length / Arr.BYTES_PER_ELEMENT);
}

// values[:, t0:t0+1, ...] of a [N, T, ...] array, as a flat array of shape [N, 1, ...].
function stepSlice(values, shape, t0) {
  const [n, t] = shape, inner = numel(shape.slice(2));
  const out = new Array(n * inner);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inner; k++) out[i * inner + k] = values[(i * t + t0) * inner + k];
  }
  return out;
}

// The index [i0,i1,...] of flat element i of an array of this shape.
function unravel(i, shape) {
  const idx = [];
  for (let k = shape.length - 1; k >= 0; k--) { idx.unshift(i % shape[k]); i = Math.floor(i / shape[k]); }
  return idx.join(',');
}

// Compare got with want elementwise: |got - want| <= ATOL + RTOL * |want|.
function compare(got, want, shape, label) {
  let maxErr = 0, bad = 0, worst = -1, worstExcess = -Infinity;
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]), w = Number(want[i]);
    const err = g === w ? 0 : Math.abs(g - w);
    const excess = Number.isNaN(err) ? Infinity : err - (ATOL + RTOL * Math.abs(w));
    if (!(err <= maxErr)) maxErr = Number.isNaN(err) ? Infinity : err;
    if (excess > 0) bad++;
    if (excess > worstExcess) { worstExcess = excess; worst = i; }
  }
  if (!bad) return { maxErr };
  return {
    maxErr,
    why: `${label}: ${bad} of ${want.length} values off (max err ${fmtErr(maxErr)}; ` +
      `[${unravel(worst, shape)}] got ${Number(got[worst])} want ${Number(want[worst])})`,
  };
}

// ------------------------------------------------------------------------------------------------
// Child processes

function runProc(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const seconds = opts.seconds || SECONDS.run;
    let child;
    try {
      child = cp.spawn(cmd, args, { cwd: opts.cwd || ROOT, stdio: ['ignore', opts.stdoutFd || 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ error: e, stdout: '', stderr: '' });
      return;
    }
    const out = [], err = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, seconds * 1000);
    if (child.stdout) child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => { clearTimeout(timer); resolve({ error: e, stdout: '', stderr: '' }); });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status, signal, timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

// Why a finished process counts as failed (null if it exited 0).
function procProblem(r, what, seconds) {
  if (r.error) return `cannot run ${what}: ${r.error.message}`;
  if (r.timedOut) return `${what} timed out after ${seconds} s`;
  const said = oneLine(r.stderr || r.stdout);
  if (r.signal) return `${what} killed by ${r.signal}${said ? ': ' + said : ''}`;
  if (r.status !== 0) return `${what} exit ${r.status}${said ? ': ' + said : ''}`;
  return null;
}

// ------------------------------------------------------------------------------------------------
// Consumers. Each has run(model, feeds) -> [{dims, data}] for the graph outputs in order, where
// model = {file, info (tests/consumers/onnx_info.py), key} and feeds = [{name, type, shape,
// data (typed array)}] for the graph inputs in order. Failures throw ConsumerError.

// onnxruntime, one session per model file.
const ortConsumer = {
  sessions: new Map(),
  ort: null,
  setup() { this.ort = require('onnxruntime-node'); },
  async run(model, feeds) {
    let session = this.sessions.get(model.file);
    if (!session) {
      try {
        session = await this.ort.InferenceSession.create(model.file, {
          logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1,
        });
      } catch (e) {
        throw new ConsumerError(`onnxruntime rejected the model: ${e.message}`);
      }
      this.sessions.set(model.file, session);
    }
    const input = {};
    for (const f of feeds) input[f.name] = new this.ort.Tensor(f.type, f.data, f.shape);
    let res;
    try {
      res = await session.run(input);
    } catch (e) {
      throw new ConsumerError(`onnxruntime run failed: ${e.message}`);
    }
    return model.info.outputs.map((o) => ({ dims: res[o.name].dims.map(Number), data: res[o.name].data }));
  },
  async done(model) {
    const s = this.sessions.get(model.file);
    this.sessions.delete(model.file);
    if (s) await s.release().catch(() => {});
  },
};

// Write the feeds to files in dir; returns the file names in feed order.
function writeFeeds(dir, feeds) {
  return feeds.map((f, i) => {
    const file = path.join(dir, `in${i}.bin`);
    fs.writeFileSync(file, toBytes(f.data));
    return file;
  });
}

// A scratch directory per consumer run (one per step in --stream mode).
let scratchId = 0;
function scratch(model, consumer) {
  const dir = path.join(model.dir, `${consumer}-run${++scratchId}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// Symbolic dimensions of the graph inputs, fixed to the values the feeds give them.
function symbolicDims(model, feeds) {
  const dims = new Map();
  model.info.inputs.forEach((inp, i) => {
    (inp.shape || []).forEach((d, k) => {
      if (typeof d === 'string' && feeds[i] && feeds[i].shape[k] !== undefined) dims.set(d, feeds[i].shape[k]);
    });
  });
  return dims;
}

// onnx2c names a tensor `tensor_` + its ONNX name with every character that is not a letter or
// a digit replaced by '_' (so `lstm_1/h0` and `lstm_1:h0` are both tensor_lstm_1_h0).
function onnx2cName(name) {
  return 'tensor_' + name.replace(/[^A-Za-z0-9]/g, '_');
}

const C_TYPES = { float: 'float32', int32_t: 'int32', int64_t: 'int64', double: 'float64' };

// The parameters of the generated `void entry(...)`: `const float tensor_x[3][6]`, or
// `float *tensor_s` for a scalar.
function parseEntry(csrc) {
  const m = /\bvoid\s+entry\s*\(([^)]*)\)\s*\{/.exec(csrc);
  if (!m) throw new ConsumerError('onnx2c output has no `void entry(...)` definition');
  return m[1].split(',').map((s) => s.trim()).filter(Boolean).map((p) => {
    const pm = /^(?:const\s+)?([A-Za-z_]\w*)\s*(\*?)\s*([A-Za-z_]\w*)((?:\s*\[\s*\d+\s*\])*)$/.exec(p);
    if (!pm) throw new ConsumerError(`cannot parse entry() parameter '${p}'`);
    const type = C_TYPES[pm[1]];
    if (!type) throw new ConsumerError(`entry() parameter '${p}': C type ${pm[1]} is not supported by this runner`);
    const dims = [...pm[4].matchAll(/\[\s*(\d+)\s*\]/g)].map((x) => Number(x[1]));
    return { ctype: pm[1], type, name: pm[3], scalar: pm[2] === '*', dims };
  });
}

// C that reads each input parameter from a file named on the command line, calls entry() and
// writes each output parameter to a file. Each file must hold exactly the parameter's bytes.
function harnessSource(modelC, params, nIn) {
  const decl = params.map((p, i) => `static ${p.ctype} harness_arg${i}${p.dims.map((d) => `[${d}]`).join('')};`);
  const arg = (p, i) => (p.scalar ? `(void *)&harness_arg${i}` : `(void *)harness_arg${i}`);
  const io = params.map((p, i) => (i < nIn
    ? `    harness_load(argv[${i + 1}], ${arg(p, i)}, sizeof harness_arg${i});`
    : `    harness_save(argv[${i + 1}], ${arg(p, i)}, sizeof harness_arg${i});`));
  return `/* Runs onnx2c's entry() on raw tensors: ${params.length} files, inputs then outputs. */
#include ${JSON.stringify(modelC)}
#include <stdio.h>
#include <stdlib.h>

${decl.join('\n')}

static void harness_load(const char *path, void *dst, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(dst, 1, n, f) : 0;
    if (!f || got != n || fgetc(f) != EOF) {
        fprintf(stderr, "harness: %s does not hold exactly %zu bytes\\n", path, n);
        exit(1);
    }
    fclose(f);
}

static void harness_save(const char *path, const void *src, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(src, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "harness: cannot write %s\\n", path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != ${params.length + 1}) {
        fprintf(stderr, "harness: want ${params.length} file names\\n");
        return 2;
    }
${io.slice(0, nIn).join('\n')}
    entry(${params.map(arg).join(', ')});
${io.slice(nIn).join('\n')}
    return 0;
}
`;
}

const onnx2cConsumer = {
  builds: new Map(), // model key + -d values -> Promise of {bin, params}
  setup() {
    this.exe = path.join(CONSUMERS_DIR, 'onnx2c');
    if (!fs.existsSync(this.exe)) throw new Error(`${this.exe} not found (sh ../shared/tools/build_consumers.sh build/consumers)`);
  },
  build(model, dims) {
    const defs = [...dims].map(([k, v]) => `${k}:${v}`).sort();
    const key = `${model.key}|${defs.join(',')}`;
    if (!this.builds.has(key)) {
      const dir = path.join(WORK, 'onnx2c', crypto.createHash('sha1').update(key).digest('hex').slice(0, 12));
      this.builds.set(key, this.compile(model, defs.flatMap((d) => ['-d', d]), dir));
    }
    return this.builds.get(key);
  },
  async compile(model, defArgs, dir) {
    fs.mkdirSync(dir, { recursive: true });
    const modelC = path.join(dir, 'model.c');
    const fd = fs.openSync(modelC, 'w');
    const r = await runProc(this.exe, [...ONNX2C_ARGS, ...defArgs, model.file], { stdoutFd: fd, seconds: SECONDS.onnx2c });
    fs.closeSync(fd);
    // onnx2c logs with timestamps; its refusals read `[Fatal] (where) Unimplemented/error: ...`.
    const logLines = r.stderr.split('\n').map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d-\d\d-\d\d\.\d+ /, '').trim()).filter(Boolean);
    const fatal = logLines.filter((l) => /Fatal|Error|Unimplemented/i.test(l));
    if (r.status !== 0 || fatal.some((l) => /Unimplemented/i.test(l))) {
      if (fatal.length) throw new ConsumerError(fatal.join(' '));
      const why = r.error || r.timedOut ? procProblem(r, 'onnx2c', SECONDS.onnx2c) : r.signal ? `onnx2c crashed (${r.signal})` : `onnx2c exit ${r.status}`;
      throw new ConsumerError(logLines.length ? `${why}; its last messages: ${logLines.slice(-2).join(' ')}` : why);
    }
    const params = parseEntry(fs.readFileSync(modelC, 'utf8'));
    const want = [...model.info.inputs, ...model.info.outputs].map((t) => onnx2cName(t.name));
    if (params.length !== want.length || params.some((p, i) => p.name !== want[i])) {
      throw new ConsumerError(`entry(${params.map((p) => p.name).join(', ')}) does not take the graph inputs and outputs (${want.join(', ')})`);
    }
    const harness = path.join(dir, 'harness.c');
    fs.writeFileSync(harness, harnessSource(modelC, params, model.info.inputs.length));
    const bin = path.join(dir, 'harness');
    const c = await runProc(CC, ['-O1', '-w', '-o', bin, harness, '-lm'], { cwd: dir, seconds: SECONDS.cc });
    if (c.status !== 0 && !c.signal && !c.timedOut) {
      // The first compiler errors, without the work directory in front of each file name.
      const errors = c.stderr.split('\n').filter((l) => /\berror\b/.test(l)).map((l) => l.replace(/^\S*\/([^/\s]+\.c:)/, '$1'));
      throw new ConsumerError(`the C that onnx2c wrote does not compile: ${errors.slice(0, 2).join('; ') || oneLine(c.stderr)}`);
    }
    const bad = procProblem(c, 'cc on the onnx2c output', SECONDS.cc);
    if (bad) throw new ConsumerError(bad);
    return { bin, params };
  },
  async run(model, feeds) {
    const { bin, params } = await this.build(model, symbolicDims(model, feeds));
    const nIn = model.info.inputs.length;
    feeds.forEach((f, i) => {
      if (numel(params[i].dims) !== f.data.length) {
        throw new ConsumerError(`entry() takes ${params[i].name}[${params[i].dims.join('][')}], the feed has shape [${f.shape}]`);
      }
      if (params[i].type !== f.type) throw new ConsumerError(`entry() takes ${params[i].name} as ${params[i].ctype}, the graph input is ${f.type}`);
    });
    const dir = scratch(model, 'onnx2c');
    const ins = writeFeeds(dir, feeds);
    const outs = params.slice(nIn).map((_, j) => path.join(dir, `out${j}.bin`));
    const r = await runProc(bin, [...ins, ...outs], { cwd: dir });
    const bad = procProblem(r, 'the onnx2c harness', SECONDS.run);
    if (bad) throw new ConsumerError(bad);
    return params.slice(nIn).map((p, j) => ({ dims: p.dims, data: fromBytes(p.type, fs.readFileSync(outs[j])) }));
  },
};

// libonnx_run's stderr as one reason. A model can hit many stubs (every Gather, every LSTM):
// name each missing operator once, with its first node, before anything else.
function summarizeLibonnx(stderr) {
  const ops = new Map(), rest = [];
  for (const raw of stderr.split('\n')) {
    const l = raw.replace(/^libonnx_run: /, '').trim();
    const m = /^node \d+ '([^']*)': Unsupported opset => (\S+)/.exec(l);
    if (m) {
      if (!ops.has(m[2])) ops.set(m[2], { first: m[1], n: 0 });
      ops.get(m[2]).n++;
    } else if (l) rest.push(l);
  }
  const lacks = [...ops].map(([op, o]) => `${op} (${o.n > 1 ? `${o.n} nodes, first ` : 'node '}'${o.first}')`);
  return [...(lacks.length ? [`Unsupported opset => ${lacks.join(', ')}: no implementation in libonnx`] : []), ...rest].join('; ');
}

const libonnxConsumer = {
  async setup() {
    const lib = path.join(CONSUMERS_DIR, 'liblibonnx.a');
    if (!fs.existsSync(lib)) throw new Error(`${lib} not found (sh ../shared/tools/build_consumers.sh build/consumers)`);
    this.exe = path.join(WORK, 'libonnx_run');
    const src = path.join(__dirname, 'consumers', 'libonnx_run.c');
    const r = await runProc(CC, ['-O1', '-std=gnu99', '-Wall', '-I', LIBONNX_INCLUDE, '-o', this.exe, src, lib, '-lm'], { seconds: SECONDS.cc });
    const bad = procProblem(r, 'cc libonnx_run.c', SECONDS.cc);
    if (bad) throw new Error(bad);
  },
  async run(model, feeds) {
    const dir = scratch(model, 'libonnx');
    const ins = writeFeeds(dir, feeds);
    const args = [model.file];
    // libonnx gives every symbolic dimension the value 1: pass the real shape of such inputs.
    model.info.inputs.forEach((inp, i) => {
      if ((inp.shape || []).some((d) => typeof d !== 'number')) args.push('-s', inp.name, feeds[i].shape.join('x'));
    });
    feeds.forEach((f, i) => args.push('-i', f.name, ins[i]));
    const outs = model.info.outputs.map((o, j) => {
      const file = path.join(dir, `out${j}.bin`);
      args.push('-o', o.name, file);
      return file;
    });
    const r = await runProc(this.exe, args, { cwd: dir });
    if (r.status !== 0 || r.error || r.signal || r.timedOut) {
      const msg = summarizeLibonnx(r.stderr);
      throw new ConsumerError(msg && !r.signal && !r.timedOut ? msg : procProblem(r, 'libonnx_run', SECONDS.run));
    }
    const shapes = new Map();
    for (const line of r.stdout.split('\n')) {
      const m = /^out (.*) (\S+) (\S+)$/.exec(line);
      if (m) shapes.set(m[1], { type: m[2], dims: m[3] === 'scalar' ? [] : m[3].split('x').map(Number) });
    }
    return model.info.outputs.map((o, j) => {
      const s = shapes.get(o.name);
      if (!s) throw new ConsumerError(`libonnx_run did not report output ${o.name}`);
      return { dims: s.dims, data: fromBytes(s.type, fs.readFileSync(outs[j])) };
    });
  },
};

const IMPL = { ort: ortConsumer, onnx2c: onnx2cConsumer, libonnx: libonnxConsumer };

// ------------------------------------------------------------------------------------------------
// Fixtures

function usage(msg) {
  process.stderr.write(`usage: node tests/run_consumers.js [--list FILE] [--stream] [--consumers ${CONSUMERS.join(',')}] [NAME...]\n`);
  if (msg) process.stderr.write(`${msg}\n`);
  process.exit(2);
}

function parseConsumers(text, where) {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of list) if (!CONSUMERS.includes(c)) usage(`${where}: unknown consumer '${c}' (known: ${CONSUMERS.join(', ')})`);
  return list;
}

// [{name, required: Set of consumers}] from the command line, the list file or the directory.
function selectFixtures(names, listFile) {
  const all = new Set(CONSUMERS);
  if (names.length) return names.map((n) => ({ name: n.replace(/\.(ref\.json|h5|hdf5|keras)$/, ''), required: all }));
  if (listFile) {
    let text;
    try { text = fs.readFileSync(listFile, 'utf8'); } catch (e) { usage(`--list: ${e.message}`); }
    const out = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) return;
      const [name, cons, extra] = line.split(/\s+/);
      if (extra) usage(`${listFile}:${i + 1}: want 'NAME [consumer,consumer]'`);
      out.push({ name, required: cons ? new Set(parseConsumers(cons, `${listFile}:${i + 1}`)) : all });
    });
    return out;
  }
  if (!fs.existsSync(FIXTURES)) return [];
  return fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.ref.json')).sort()
    .map((f) => ({ name: f.slice(0, -'.ref.json'.length), required: all }));
}

function flat(x) {
  return { name: x.name, shape: (x.shape || []).map(Number), data: Array.isArray(x.data) ? x.data.flat(Infinity) : [] };
}

// Load the reference and decide the conversion. Sets fx.skip or fx.fail, or fx.args.
function prepare(fx, stream) {
  const refFile = path.join(FIXTURES, `${fx.name}.ref.json`);
  try {
    fx.ref = JSON.parse(fs.readFileSync(refFile, 'utf8'));
    if (typeof fx.ref.file !== 'string' || !Array.isArray(fx.ref.inputs) || !Array.isArray(fx.ref.outputs)) throw new Error('needs file, inputs, outputs');
  } catch (e) {
    fx.fail = `reference ${path.relative(ROOT, refFile)}: ${oneLine(e.message)}`;
    return;
  }
  if (fx.ref.expect_error !== undefined || fx.ref.error !== undefined) { fx.skip = 'the converter must refuse this fixture'; return; }
  fx.inputs = fx.ref.inputs.map(flat);
  fx.outputs = fx.ref.outputs.map(flat);
  for (const t of [...fx.inputs, ...fx.outputs]) {
    if (numel(t.shape) !== t.data.length) { fx.fail = `reference ${t.name}: ${t.data.length} values for shape [${t.shape}]`; return; }
  }
  fx.model = path.resolve(FIXTURES, fx.ref.file);
  fx.args = [fx.model, '-o', null, ...EXTRA_ARGS];
  if (stream) {
    // The time axis comes from the first input with one; which inputs are sequences is read off
    // the converted graph (their axis 1 becomes 1), the others are carried states.
    const shapes = fx.inputs.map((t) => t.shape);
    const seq = shapes.find((sh) => sh.length >= 2);
    if (!seq) { fx.skip = `--stream needs a sequence input; reference inputs are ${shapes.map((sh) => `[${sh}]`).join(', ')}`; return; }
    fx.steps = seq[1];
    fx.batch = seq[0];
    if (!shapes.every((sh) => sh[0] === fx.batch)) { fx.skip = `--stream needs one batch size for all inputs; reference inputs are ${shapes.map((sh) => `[${sh}]`).join(', ')}`; return; }
    fx.args.push('--unroll', '--steps', '1', '--state-io', '--batch', String(fx.batch));
  } else {
    for (const t of fx.inputs) fx.args.push('--input-shape', `${t.name}=${t.shape.join('x')}`);
  }
}

function convert(fx, stream) {
  fx.onnx = path.join(WORK, `${fx.name}${stream ? '.stream' : ''}.onnx`);
  fx.args[2] = fx.onnx;
  const r = cp.spawnSync(K2ONNX, fx.args, { cwd: ROOT, timeout: SECONDS.convert * 1000, killSignal: 'SIGKILL', encoding: 'utf8' });
  let why = null;
  if (r.error) why = r.error.code === 'ETIMEDOUT' ? `timed out after ${SECONDS.convert} s` : r.error.message;
  else if (r.signal) why = `killed by ${r.signal}: ${oneLine(r.stderr)}`;
  else if (r.status !== 0) {
    why = `exit ${r.status}: ${oneLine(r.stderr)}`;
  } else if (!fs.existsSync(fx.onnx)) why = 'exit 0 but no output file';
  if (why) { fx.fail = `conversion (k2onnx ${fx.args.slice(3).join(' ')}) ${why}`; fx.onnx = null; }
}

// One python process validates and describes every converted model.
function describeAll(fixtures, stream) {
  const files = fixtures.filter((f) => f.onnx).map((f) => f.onnx);
  if (!files.length) return;
  // Every conversion here fixes its shapes; with --unroll no loop or fused cell may remain.
  const flags = ['--static'].concat(stream || EXTRA_ARGS.includes('--unroll') ? ['--unrolled'] : []);
  const r = cp.spawnSync(PY, [path.join(__dirname, 'consumers', 'onnx_info.py'), ...flags, ...files], {
    cwd: ROOT, timeout: 60000 + 2000 * files.length, maxBuffer: 64 << 20, encoding: 'utf8',
  });
  const byFile = new Map();
  for (const line of (r.stdout || '').split('\n')) {
    if (!line.startsWith('{')) continue;
    try { const o = JSON.parse(line); byFile.set(o.file, o); } catch (e) { /* a cut line: no verdict */ }
  }
  const why = r.error ? r.error.message : `exit ${r.status}; ${oneLine(r.stderr || '')}`;
  for (const fx of fixtures) {
    if (!fx.onnx) continue;
    const info = byFile.get(fx.onnx);
    if (!info) fx.infoError = `onnx_info.py gave no answer (${why})`;
    else if (info.error) fx.infoError = `cannot read the graph: ${info.error}`;
    fx.info = info;
  }
}

// ------------------------------------------------------------------------------------------------
// Running one fixture on one consumer

function feedsFor(info, values) {
  return info.inputs.map((inp, i) => ({
    name: inp.name, type: inp.type, shape: values[i].shape, data: typedFrom(inp.type, values[i].data),
  }));
}

function sameDims(a, b) { return a.length === b.length && a.every((d, i) => d === b[i]); }

function checkOne(got, want, label) {
  if (!sameDims(got.dims, want.shape)) return { why: `${label} has shape [${got.dims}], want [${want.shape}]` };
  return compare(got.data, want.data, want.shape, label);
}

function checkOutputs(got, refs) {
  let maxErr = 0;
  for (let j = 0; j < refs.length; j++) {
    const c = checkOne(got[j], refs[j], `output ${j} '${refs[j].name}'`);
    if (c.why) return c;
    maxErr = Math.max(maxErr, c.maxErr);
  }
  return { maxErr };
}

async function runFull(impl, model, fx) {
  const { info } = model;
  if (info.inputs.length !== fx.inputs.length) throw new ConsumerError(`the graph has ${info.inputs.length} inputs, the reference ${fx.inputs.length}`);
  if (info.outputs.length !== fx.outputs.length) throw new ConsumerError(`the graph has ${info.outputs.length} outputs, the reference ${fx.outputs.length}`);
  const got = await impl.run(model, feedsFor(info, fx.inputs));
  return checkOutputs(got, fx.outputs);
}

// The state input a state output feeds at the next step: `x/h_n` -> `x/h0`, `x/c_n` -> `x/c0`.
function stateInputOf(outName) {
  const m = /^(.*)([hc])_n$/.exec(outName);
  return m ? `${m[1]}${m[2]}0` : null;
}

async function runStream(impl, model, fx) {
  const { info } = model;
  const nIn = fx.inputs.length, nOut = fx.outputs.length, T = fx.steps;
  const stateIns = info.inputs.slice(nIn), stateOuts = info.outputs.slice(nOut);
  if (info.inputs.length < nIn || info.outputs.length < nOut) {
    throw new ConsumerError(`the graph has ${info.inputs.length} inputs and ${info.outputs.length} outputs, fewer than the reference's ${nIn} and ${nOut}`);
  }
  // Which state output feeds which state input.
  const source = new Map();
  stateOuts.forEach((o, j) => { const s = stateInputOf(o.name); if (s) source.set(s, nOut + j); });
  for (const s of stateIns) {
    if (!/[hc]0$/.test(s.name)) throw new ConsumerError(`extra graph input '${s.name}' is not a state (…h0/…c0)`);
    if (!source.has(s.name)) throw new ConsumerError(`state input '${s.name}' has no matching …h_n/…c_n output (outputs: ${stateOuts.map((o) => o.name).join(', ')})`);
  }
  // State shapes: fixed in the graph, or symbolic dimensions shared with the model inputs.
  const known = new Map();
  info.inputs.slice(0, nIn).forEach((inp, i) => (inp.shape || []).forEach((d, k) => {
    if (typeof d === 'string') known.set(d, k === 1 ? 1 : fx.inputs[i].shape[k]);
  }));
  let states = stateIns.map((s) => {
    const shape = (s.shape || []).map((d) => (typeof d === 'number' ? d : known.get(d)));
    if (!s.shape || shape.some((d) => !Number.isInteger(d))) throw new ConsumerError(`cannot tell the shape of state input '${s.name}' [${s.shape}]`);
    return { shape, data: new Array(numel(shape)).fill(0) };
  });
  // Model inputs whose time axis became 1 are sequences, fed one step at a time; the others are
  // the model's own initial states (Keras initial_state), fed from the reference at t = 0 and
  // from the final-state outputs, in order, after that.
  const isSeq = fx.inputs.map((x, i) => x.shape.length >= 2 && x.shape[1] === T && ((info.inputs[i].shape || [])[1] === 1));
  if (!isSeq.some(Boolean)) throw new ConsumerError('no input has a time axis of 1 in the converted graph');
  const carried = fx.inputs.map((x, i) => i).filter((i) => !isSeq[i]);
  if (carried.length && carried.length !== stateOuts.length - stateIns.length) {
    throw new ConsumerError(`${carried.length} non-sequence inputs, but ${stateOuts.length - stateIns.length} final-state outputs to feed them`);
  }
  const carriedOut = stateOuts.map((o, j) => nOut + j).filter((j) => !stateInputOf(info.outputs[j].name) || !stateIns.some((si) => si.name === stateInputOf(info.outputs[j].name)));
  let carriedValues = carried.map((i) => fx.inputs[i]);
  let maxErr = 0;
  for (let t = 0; t < T; t++) {
    const values = fx.inputs.map((x, i) => {
      if (isSeq[i]) return { shape: [x.shape[0], 1, ...x.shape.slice(2)], data: stepSlice(x.data, x.shape, t) };
      return carriedValues[carried.indexOf(i)];
    });
    const got = await impl.run(model, feedsFor(info, [...values, ...states]));
    for (let j = 0; j < nOut; j++) {
      const r = fx.outputs[j], g = got[j];
      // A sequence output gives this step's slice; any other output counts at the last step.
      const sequence = r.shape.length >= 2 && r.shape[1] === T && g.dims.length === r.shape.length && g.dims[1] === 1;
      if (!sequence && t < T - 1) continue;
      const want = sequence ? { shape: [r.shape[0], 1, ...r.shape.slice(2)], data: stepSlice(r.data, r.shape, t) } : r;
      const c = checkOne(g, want, `step ${t}: output ${j} '${r.name}'${sequence ? `[:, ${t}]` : ''}`);
      if (c.why) return c;
      maxErr = Math.max(maxErr, c.maxErr);
    }
    carriedValues = carried.map((i, k) => ({ shape: fx.inputs[i].shape, data: Array.from(got[carriedOut[k]].data) }));
    states = stateIns.map((s, k) => {
      const g = got[source.get(s.name)];
      if (g.data.length !== states[k].data.length) throw new ConsumerError(`step ${t}: state output for '${s.name}' has shape [${g.dims}], want [${states[k].shape}]`);
      return { shape: states[k].shape, data: Array.from(g.data) };
    });
  }
  return { maxErr };
}

async function runFixture(fx, consumers, stream) {
  const lines = [];
  const line = (status, label, detail) => lines.push([status, label, detail]);
  if (fx.skip) { line('SKIP', fx.name, fx.skip); return lines; }
  if (fx.fail) { line('FAIL', fx.name, fx.fail); return lines; }
  if (fx.infoError) { line('FAIL', `check ${fx.name}`, fx.infoError); return lines; }
  const { check } = fx.info;
  line(check.ok ? 'PASS' : 'FAIL', `check ${fx.name}`, check.ok ? '' : oneLine(check.text));
  const model = {
    file: fx.onnx, info: fx.info, dir: path.join(WORK, fx.name),
    key: crypto.createHash('sha1').update(fs.readFileSync(fx.onnx)).digest('hex'),
  };
  for (const c of consumers) {
    const impl = IMPL[c];
    let res;
    try {
      res = stream ? await runStream(impl, model, fx) : await runFull(impl, model, fx);
    } catch (e) {
      res = { why: e instanceof ConsumerError ? e.message : `runner error: ${e.stack || e}` };
    } finally {
      if (impl.done) await impl.done(model);
    }
    const label = `${c} ${fx.name}`;
    if (!res.why) line('PASS', label, `max_err=${fmtErr(res.maxErr)}${stream ? ` steps=${fx.steps}` : ''}`);
    else if (fx.required.has(c)) line('FAIL', label, oneLine(res.why));
    else line('SKIP', label, `not required by the list; ${oneLine(res.why)}`);
  }
  return lines;
}

// ------------------------------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const names = [];
  let listFile = null, stream = false, consumers = CONSUMERS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--stream') stream = true;
    else if (a === '--list' || a === '--consumers') {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      if (a === '--list') listFile = argv[++i];
      else consumers = parseConsumers(argv[++i], '--consumers');
    } else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else names.push(a);
  }
  if (!consumers.length) usage('--consumers: none given');
  const stride = Math.max(1, parseInt(process.env.K2ONNX_STRIDE || '1', 10) || 1);
  const fixtures = selectFixtures(names, listFile).filter((_, i) => i % stride === 0);
  const t0 = Date.now();
  console.log(`k2onnx consumers: converter ${K2ONNX.startsWith(ROOT + path.sep) ? path.relative(ROOT, K2ONNX) : K2ONNX}${EXTRA_ARGS.length ? ' ' + EXTRA_ARGS.join(' ') : ''}; ` +
    `${stream ? 'streaming, one step at a time' : 'whole sequences'}; consumers ${consumers.join(', ')}`);

  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  if (!fixtures.length) report('FAIL', 'setup', `no fixtures selected (${path.relative(ROOT, FIXTURES)}/*.ref.json)`);
  if (!fs.existsSync(K2ONNX)) report('FAIL', 'setup', `converter ${K2ONNX} not found (make, or set K2ONNX)`);

  const usable = [];
  for (const c of consumers) {
    try {
      await IMPL[c].setup();
      usable.push(c);
    } catch (e) {
      report('FAIL', `setup ${c}`, oneLine(e.message, 400));
    }
  }
  if (fs.existsSync(K2ONNX)) {
    for (const fx of fixtures) {
      prepare(fx, stream);
      if (!fx.skip && !fx.fail) convert(fx, stream);
    }
    describeAll(fixtures, stream);
    // Fixtures run JOBS at a time; their lines come out in fixture order all the same.
    const done = new Array(fixtures.length);
    let next = 0, printed = 0;
    const worker = async () => {
      while (next < fixtures.length) {
        const k = next++;
        done[k] = await runFixture(fixtures[k], usable, stream);
        for (; printed < fixtures.length && done[printed]; printed++) {
          for (const [status, label, detail] of done[printed]) report(status, label, detail);
        }
      }
    };
    await Promise.all(Array.from({ length: JOBS }, worker));
  }

  if (failures.length) {
    console.log('\nfailures:');
    for (const l of failures) console.log('  ' + l);
  }
  console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`${counts.SKIP} skipped`);
  console.log(`${counts.PASS} passed, ${counts.FAIL} failed`);
  process.exitCode = counts.FAIL ? 1 : 0;
}

main().catch((e) => {
  console.log(`FAIL runner: ${e.stack || e}`);
  console.log('0 skipped');
  console.log(`${counts.PASS} passed, ${counts.FAIL + 1} failed`);
  process.exitCode = 1;
});
