// Benchmark entry: `node --expose-gc bench/run.mjs [losses|training] [--quick]` (after npm run build).
// Prints markdown with machine, date and versions, and writes bench/results/<date>-<machine>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { environment } from './harness.mjs';
import { lossTable, runLossBenchmarks } from './losses.mjs';
import { runTrainingBenchmarks, trainingTable } from './training.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const suites = args.filter((a) => !a.startsWith('--'));
const wanted = (name) => suites.length === 0 || suites.includes(name);
const unknown = suites.filter((s) => !['losses', 'training'].includes(s));
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}; suites are losses, training`);
  process.exit(2);
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const env = environment({ descent: pkg.version, assemblyscript: pkg.devDependencies.assemblyscript, quick });
console.log(`# descent benchmarks${quick ? ' (quick)' : ''}\n`);
console.log(`${env.date} · ${env.cpu} × ${env.cores} cores · ${env.memoryGiB} GiB · ${env.platform} · node ${env.node} (V8 ${env.v8}) · ` +
  `descent ${env.descent}, AssemblyScript ${env.assemblyscript} · load ${env.loadavg.map((l) => l.toFixed(2)).join(' ')}`);
console.log('Medians of repeated samples after warm-up; ⚠ marks a case measured while the machine was busy.\n');
const report = { environment: env };
if (wanted('losses')) {
  console.log('## Loss + gradient\n');
  console.log('Zero-copy path: input, target and `out` already in WASM memory (`k.loss(name, p, y, { out: g })`). Copy path: plain Float32Arrays in, gradient copied out. ' +
    'Stream read: WASM f32x4 read of the kernel\'s own three arrays (input, target, gradient) in one loop, the bandwidth ceiling for those bytes. GB/s: the bytes the kernel moves over the SIMD zero-copy time.\n');
  report.losses = await runLossBenchmarks({ quick });
  console.log(lossTable(report.losses), '\n');
}
if (wanted('training')) {
  console.log('## Training\n');
  report.training = await runTrainingBenchmarks({ quick });
  console.log(trainingTable(report.training), '\n');
}
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const machine = `${os.hostname()}`.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
const file = new URL(`${env.date.slice(0, 10)}-${machine}${quick ? '-quick' : ''}.json`, dir);
writeFileSync(file, JSON.stringify(report, null, 1));
console.log(`results: ${file.pathname}`);
