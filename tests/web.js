#!/usr/bin/env node
// The web page (make web: build/web/k2onnx.html) in headless Chromium, driven by playwright-core:
// - every fixture, and every corpus model when ../shared/corpus is there, converted in the page
//   gives the CLI's bytes (k2onnx MODEL --summary -o FILE), its --summary text, its warnings, or
//   its error message;
// - options (opset, Scan, unrolled, batch, state I/O, renames) give the CLI's bytes;
// - the page itself: choosing a file shows the summary and the picture, the download is the CLI's
//   ONNX, a changed option converts again, a file that is not a model shows the one-line error;
// - nothing is requested from anywhere but the page itself.
// Usage: node tests/web.js [--page build/web/k2onnx.html]  (K2ONNX: the CLI, default ./k2onnx;
// CHROMIUM: the browser, default /usr/bin/chromium). Ends with "N passed, M failed".
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const K2ONNX = path.resolve(ROOT, process.env.K2ONNX || './k2onnx');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CORPUS = path.resolve(ROOT, process.env.K2ONNX_CORPUS || '../shared/corpus');
const pageArg = process.argv.indexOf('--page');
const PAGE = path.resolve(ROOT, pageArg > 0 ? process.argv[pageArg + 1] : 'build/web/k2onnx.html');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures');

let passed = 0;
let failed = 0;
function check(name, problem) {
  if (problem) {
    failed++;
    console.log(`FAIL ${name}: ${problem}`);
  } else {
    passed++;
  }
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k2onnx-web-'));

// What the CLI makes of a model: ONNX bytes, summary, warnings, or the error message.
function cli(file, args) {
  const out = path.join(tmp, 'cli.onnx');
  fs.rmSync(out, { force: true });
  const r = spawnSync(K2ONNX, [file, '--summary', '-o', out, ...args], { maxBuffer: 1 << 30 });
  const stderr = r.stderr.toString().split('\n').filter(Boolean);
  const prefix = `k2onnx: ${file}: `;
  const warnings = stderr.filter((l) => l.startsWith(prefix + 'warning: ')).map((l) => l.slice(prefix.length + 9));
  if (r.status !== 0) return { status: r.status, message: stderr.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)).pop() };
  const onnx = fs.readFileSync(out);
  return { status: 0, sha: sha256(onnx), size: onnx.length, summary: r.stdout.toString(), warnings };
}

// The same model converted by the page's converter (window.k2onnx).
function inPage(page, file, options) {
  const bytes = fs.readFileSync(file).toString('base64');
  return page.evaluate(async ({ bytes, options }) => {
    const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    const r = window.k2onnx.convert(data, options);
    let sha = null;
    if (r.onnx) sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', r.onnx))].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { result: r.result, message: r.message, sha, size: r.onnx ? r.onnx.length : 0,
             summary: r.info ? window.k2onnx.summaryText(r.info) : null, warnings: r.warnings,
             svg: r.info ? window.k2onnx.pictureSvg(r.info) : null,
             nodes: r.info ? r.info.nnodes + r.info.inputs.length + r.info.outputs.length : 0 };
  }, { bytes, options: { name: path.basename(file), ...options } });
}

function sameAsCli(c, w) {
  if (c.status !== 0) {
    if (w.result === 0) return `the CLI refuses it (${c.message}), the page converts it`;
    return w.message === c.message ? null : `page error "${w.message}", CLI error "${c.message}"`;
  }
  if (w.result !== 0) return `the page refuses it: ${w.message}`;
  if (w.sha !== c.sha) return `ONNX differs: page ${w.size} bytes, CLI ${c.size} bytes`;
  if (w.summary !== c.summary) return `summary differs:\n--- CLI\n${c.summary}--- page\n${w.summary}`;
  if (JSON.stringify(w.warnings) !== JSON.stringify(c.warnings)) return `warnings differ: page ${JSON.stringify(w.warnings)}, CLI ${JSON.stringify(c.warnings)}`;
  // the picture: one box per ONNX node, graph input and output, and well-formed XML
  const boxes = (w.svg.match(/<g class="node /g) || []).length;
  if (boxes !== w.nodes) return `the picture has ${boxes} boxes for ${w.nodes} nodes, inputs and outputs`;
  return null;
}

async function main() {
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    check('web', 'playwright-core is not installed (make deps)');
    return;
  }
  if (!fs.existsSync(CHROMIUM)) return check('web', `${CHROMIUM} is missing (make deps installs Debian's chromium)`);
  if (!fs.existsSync(PAGE)) return check('web', `${PAGE} is missing (make web)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const requests = [];
    const pageErrors = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const url = 'file://' + PAGE;
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    check('page loads the converter', (await page.textContent('#status')) === 'Ready: choose a Keras model.' ? null : await page.textContent('#status'));

    // Every fixture, and the corpus, in the page and in the CLI.
    const models = fs.readdirSync(FIXTURES).filter((f) => /\.(h5|keras)$/.test(f)).map((f) => path.join(FIXTURES, f));
    const corpusDir = path.join(CORPUS, 'keras');
    if (fs.existsSync(corpusDir)) {
      models.push(...fs.readdirSync(corpusDir).filter((f) => /\.(h5|hdf5|keras)$/.test(f)).sort().map((f) => path.join(corpusDir, f)));
    } else {
      console.log(`SKIP corpus: ${corpusDir} is absent`);
    }
    for (const m of models) check(`same as the CLI: ${path.relative(ROOT, m)}`, sameAsCli(cli(m, []), await inPage(page, m, {})));

    // Options, each against the CLI's flags.
    const seed = path.join(FIXTURES, 'k22_lstm_state.h5');
    const bidi = path.join(FIXTURES, 'k1_bidi_lstm_seq.h5');
    const dyn = path.join(FIXTURES, 'k22_dyn_lstm_seq.h5');
    // the library's message names options.unroll and options.steps; both tools show the flags
    const unrollMessage = cli(dyn, ['--unroll']).message || '';
    check('a message naming options shows the flags', /\(LSTM\): --unroll needs a known number of time steps: give --steps$/.test(unrollMessage) ? null : unrollMessage);
    const optionCases = [
      [seed, { opset: 11 }, ['--opset', '11']],
      [seed, { recurrent: 1 }, ['--scan-rnn']],
      [seed, { recurrent: 2, batch: 2 }, ['--unroll', '--batch', '2']],
      [seed, { stateIO: true }, ['--state-io']],
      [seed, { steps: 7, recurrent: 2 }, ['--steps', '7', '--unroll']],
      [seed, { renames: 'inputs=x\nlstm_1=y' }, ['--rename', 'inputs=x', '--rename', 'lstm_1=y']],
      [seed, { renames: 'nothing=x' }, ['--rename', 'nothing=x']],
      [bidi, { recurrent: 1, opset: 9 }, ['--scan-rnn', '--opset', '9']],
      [seed, { opset: 6 }, ['--opset', '6']],
      [dyn, { recurrent: 2 }, ['--unroll']],
    ];
    for (const [m, options, flags] of optionCases) {
      const c = cli(m, flags);
      const w = await inPage(page, m, options);
      if (flags.join(' ') === '--opset 6') {
        // the CLI refuses the flag itself; the library refuses the option
        check('opset 6 is refused', w.result !== 0 && /opset/.test(w.message) ? null : `result ${w.result}: ${w.message}`);
      } else {
        check(`options ${JSON.stringify(options)} as ${flags.join(' ')}`, sameAsCli(c, w));
      }
    }

    // The page as a user drives it: choose a file, read the summary, see the picture, download.
    await page.setInputFiles('#file', seed);
    await page.waitForSelector('#download:not([hidden])');
    const expect = cli(seed, []);
    check('the chosen model\'s summary is shown', (await page.textContent('#summary')) === expect.summary ? null : await page.textContent('#summary'));
    // one box per node, graph input and output, as the CLI's summary counts them
    const counted = Number(/ONNX graph: (\d+) nodes/.exec(expect.summary)[1]) + (expect.summary.match(/^  \S.*: \w+ \[/gm) || []).length;
    const boxes = await page.locator('#picture svg g.node').count();
    check('the picture shows every node', boxes === counted ? null : `${boxes} boxes, the summary counts ${counted}`);
    check('the status names the ONNX file', /k22_lstm_state\.h5 → k22_lstm_state\.onnx: [\d,]+ bytes/.test(await page.textContent('#status')) ? null : await page.textContent('#status'));
    async function download() {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const saved = path.join(tmp, 'download.onnx');
      await d.saveAs(saved);
      return { name: d.suggestedFilename(), sha: sha256(fs.readFileSync(saved)) };
    }
    let d = await download();
    check('the download is the CLI\'s ONNX', d.name === 'k22_lstm_state.onnx' && d.sha === expect.sha ? null : `${d.name}, sha ${d.sha} vs ${expect.sha}`);
    await page.selectOption('#recurrent', '1');
    await page.waitForFunction(() => document.querySelector('#summary').textContent.includes('Scan'));
    d = await download();
    check('a changed option converts again (Scan)', d.sha === cli(seed, ['--scan-rnn']).sha ? null : 'the download differs from k2onnx --scan-rnn');
    // unrolled over 400 steps: 11,208 nodes, more than the page draws
    await page.selectOption('#recurrent', '2');
    await page.fill('#steps', '400');
    await page.dispatchEvent('#steps', 'change');
    await page.waitForFunction(() => document.querySelector('#picture').textContent.startsWith('No picture'));
    d = await download();
    check('a graph too big to draw: no picture, the download as the CLI\'s',
          d.sha === cli(seed, ['--unroll', '--steps', '400']).sha && (await page.textContent('#picture')).includes('11,212 nodes') ? null :
          `picture "${await page.textContent('#picture')}", the download ${d.sha === cli(seed, ['--unroll', '--steps', '400']).sha ? 'equals' : 'differs from'} the CLI's`);
    await page.fill('#steps', '0');
    await page.selectOption('#recurrent', '0');

    // A file that is not a model: the one-line error, no download, no summary.
    const notModel = path.join(ROOT, 'README.md');
    await page.setInputFiles('#file', notModel);
    await page.waitForSelector('#status.error');
    const status = await page.textContent('#status');
    const refused = cli(notModel, []);
    check('a file that is not a model shows the error', status === `README.md: ${refused.message}` ? null : status);
    check('no download or summary after an error',
          (await page.isHidden('#download')) && (await page.isHidden('#summary')) ? null : 'the previous model\'s download or summary is still shown');

    check('no script errors', pageErrors.length ? pageErrors.join('; ') : null);
    const foreign = requests.filter((u) => u !== url && !u.startsWith('blob:') && !u.startsWith('data:'));
    check('nothing is fetched but the page', foreign.length ? foreign.join(', ') : null);
  } finally {
    await browser.close();
  }
}

main()
  .catch((e) => check('web', e.stack || String(e)))
  .finally(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  });
