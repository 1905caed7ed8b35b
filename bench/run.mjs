// Benchmark entry: `node --expose-gc bench/run.mjs [losses|gemm|mlp|stall|conv|training] [--quick]` (after
// npm run build; `training` = gemm, mlp and stall). Prints markdown (machine, date, versions, tables,
// targets) on stdout, progress on stderr, and writes bench/results/<date>-<machine>[-quick].{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { convTable, runConvBenchmarks } from './conv.mjs';
import { gemmTable, limitsTable, runGemmBenchmarks } from './gemm.mjs';
import { environment, markdownTable } from './harness.mjs';
import { lossTable, runLossBenchmarks } from './losses.mjs';
import { mlpTable, runMlpBenchmarks } from './mlp.mjs';
import { runStallBenchmarks, stallTable } from './stall.mjs';

const SUITES = ['losses', 'gemm', 'mlp', 'stall', 'conv'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const named = args.filter((a) => !a.startsWith('--')).flatMap((s) => (s === 'training' ? ['gemm', 'mlp', 'stall'] : [s]));
const unknown = named.filter((s) => !SUITES.includes(s));
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}; suites are ${SUITES.join(', ')}, training`);
  process.exit(2);
}
const wanted = (name) => named.length === 0 || named.includes(name);

const env = environment({ quick });
const out = [];
const print = (text) => {
  out.push(text);
  console.log(text);
};
print(`# descent benchmarks${quick ? ' (quick)' : ''}\n`);
print(`${env.date} · ${env.machine}: ${env.cpu} × ${env.cores} cores · ${env.memoryGiB} GiB · ${env.platform} · node ${env.node} (V8 ${env.v8}) · ` +
  `${Object.entries(env.versions).map(([name, version]) => `${name} ${version}`).join(', ')} · load ${env.loadavg.map((l) => l.toFixed(2)).join(' ')}\n`);
print('Medians of repeated samples after warm-up, with min–max. "× B" is the speed-up over implementation B measured in the same run ' +
  '(B\'s median ÷ this median; below 1 means slower). ⚠ marks a figure taken while the machine was busy: samples spread widely ' +
  '(slowest quarter > 1.5 × median), other processes used > 0.35 cores, or the hypervisor stole > 5 % of the time. ' +
  'tfjs-wasm runs its SIMD build on one thread in Node; tfjs-cpu is the plain-JS backend.' +
  (quick ? ' Quick run: about 0.1 s per figure; the N = 1e5 and [256,1000] loss cases and tfjs-cpu (losses, MLP) are skipped.' : '') + '\n');

const report = { environment: env };
if (wanted('losses')) {
  report.losses = await runLossBenchmarks({ quick });
  print('## Loss + gradient\n');
  print('descent: zero-copy path (input, target and `out` already in WASM memory, as tfjs tensors live in their backend); copy path: ' +
    'plain Float32Arrays in, gradient copied out; raw kernel: the export called directly (the façade\'s cost is the difference). ' +
    'tfjs: `tf.valueAndGrad` over `tf.losses.*` (mean reduction, one-hot labels for softmax CE), value read back with dataSync, ' +
    'tensor count checked. Every value and gradient was checked against the plain-JS float64 loop before timing. ' +
    'Stream read: a WASM f32x4 read of the same bytes (copies of the kernel\'s arrays in the benchmarks\' own WASM module), ' +
    'the bandwidth ceiling for those bytes.\n');
  print(`${lossTable(report.losses)}\n`);
}
if (wanted('gemm')) {
  report.gemm = await runGemmBenchmarks({ quick });
  print('## Physical limits (this run)\n');
  print(`${limitsTable(report.gemm)}\n`);
  print('## GEMM\n');
  print('descent: raw kernels on WASM memory; tfjs: `tf.matMul(a, b, transposeA, transposeB)` on tensors stored in the same orientation; ' +
    'plain JS: loops in the cache-friendly order for each orientation. Results checked against plain JS (1e-4 of the largest element).\n');
  print(`${gemmTable(report.gemm)}\n`);
}
if (wanted('mlp')) {
  report.mlp = await runMlpBenchmarks({ quick });
  print(`## MLP training (784-128-10, ReLU, softmax CE, Adam lr 1e-3 ε 1e-8, batch ${report.mlp.batchSize}, MNIST)\n`);
  print('Every implementation starts from descent\'s initial weights and sees the batches in the same order (no shuffle). Epoch ' +
    'times after a first epoch from those weights; descent\'s include copying the data into WASM memory (and to the worker) on each fit, ' +
    'while tfjs keeps its tensors between epochs.\n');
  print(`${mlpTable(report.mlp)}\n`);
}
if (wanted('stall')) {
  report.stall = await runStallBenchmarks({ quick });
  print('## Main-thread stall while training\n');
  print(`Event-loop delay (perf_hooks.monitorEventLoopDelay, ${report.stall.resolutionMs} ms timer; delay beyond the period) during one epoch, after a warm-up epoch.\n`);
  print(`${stallTable(report.stall)}\n`);
}

if (wanted('conv')) {
  report.conv = await runConvBenchmarks({ quick });
  print('## conv2d forward + backward\n');
  print('descent: the conv2d layer\'s forward and backward kernels (im2col in tiles of 256 positions + the blocked GEMM; input gradient ' +
    'by col2im), bias, no activation; plain JS: direct loops streaming filters, measured again beside each build. Useful FLOPs: ' +
    'forward, weight and input gradients, 3 × 2 · positions · taps · channels · filters. % of f32x4 peak: against the roofline ' +
    'multiply–add peak measured right after the case in the same thread. Results checked against plain JS (1e-4 of the largest element).\n');
  print(`${convTable(report.conv)}\n`);
}

const targets = ['losses', 'gemm', 'mlp', 'stall', 'conv'].flatMap((s) => report[s]?.targets ?? []);
report.targets = targets.map((t) => ({ ...t, met: t.below ? t.measured < t.goal : t.measured >= t.goal }));
print('## Targets (issue 7)\n');
print(markdownTable(['target', 'measured', 'met'], report.targets.map((t) => [
  t.target, t.unit ? `${t.measured.toFixed(1)} ${t.unit}` : `${t.measured.toFixed(1)}×`, t.met ? '✓' : '✗'])));

const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const machine = env.machine.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
const base = `${env.date.slice(0, 10)}-${machine}${quick ? '-quick' : ''}`;
// one line per array of numbers (the samples), so the file stays readable
const json = JSON.stringify(report, null, 1).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, inner) => `[${inner.split(/,\s+/).join(', ')}]`);
writeFileSync(new URL(`${base}.json`, dir), `${json}\n`);
writeFileSync(new URL(`${base}.md`, dir), `${out.join('\n')}\n`);
console.log(`\nresults: bench/results/${base}.json and .md`);
