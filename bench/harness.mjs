// Timing and reporting for the Node benchmarks: the portable `measure` of descent-wasm/bench plus a
// check of what else ran on the machine meanwhile, the environment record, and ratio formatting.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { measure } from 'descent-wasm/bench';

// Linux counts CPU time in /proc/stat in USER_HZ ticks, 100 per second.
const TICK_MS = 10;
/** Cores' worth of CPU time other processes may use during a case before it is flagged busy. */
const OTHERS_BUSY_CORES = 0.35;
/** Share of the cores' time the hypervisor may steal before a case is flagged busy. */
const STEAL_BUSY = 0.05;

function cpuTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
    return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return null; // not Linux: only the samples' spread flags a busy machine
  }
}

/**
 * Measures how much CPU other processes (and the hypervisor, as steal) took while `work` ran:
 * the machine's busy time from /proc/stat minus this process's own (all its threads).
 */
export async function watchMachine(work) {
  const before = cpuTicks();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  const own = process.cpuUsage(ownBefore);
  const after = cpuTicks();
  // below ~0.3 s the 10 ms tick granularity alone reads as a third of a core
  if (!before || !after || wallMs < 300) return { result, othersCores: null, steal: null };
  const othersCores = Math.max(0, ((after.busy - before.busy) * TICK_MS - (own.user + own.system) / 1000) / wallMs);
  const steal = (after.steal - before.steal) / Math.max(1, after.total - before.total);
  return { result, othersCores, steal };
}

const benchmarksStarted = performance.now();

/** A progress line on stderr, with the seconds since the benchmarks started. */
export function progress(text) {
  process.stderr.write(`[${((performance.now() - benchmarksStarted) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);
}

/** `measure` with the machine watched: busy when samples spread or other work took CPU meanwhile. */
export async function timeCase(run, options) {
  const { result: timing, othersCores, steal } = await watchMachine(() => measure(run, options));
  const busy = timing.spread || othersCores > OTHERS_BUSY_CORES || steal > STEAL_BUSY;
  return { ...timing, samplesMs: timing.samplesMs.map((s) => Number(s.toPrecision(4))), othersCores, steal, busy };
}

/** Timing options of a suite: about 1 s per figure, 0.1 s in quick mode. */
export function timingOptions(quick, overrides = {}) {
  return { ...(quick ? { seconds: 0.1, warmup: 1, minSamples: 2, maxSamples: 20 } : { seconds: 1, warmup: 3, minSamples: 5, maxSamples: 100 }), ...overrides };
}

function packageVersion(name) {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}

/** Machine, runtime, package versions and date, for every report's header and JSON. */
export function environment(extra = {}) {
  const versions = {};
  for (const name of ['assemblyscript', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-layers']) {
    versions[name] = packageVersion(name);
  }
  versions.descent = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  return {
    date: new Date().toISOString(),
    machine: os.hostname(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadavg: os.loadavg(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()}`,
    versions,
    ...extra,
  };
}

export function formatMs(ms) {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`;
}

/** A timing as `median (min–max)`, with ⚠ when the machine was busy. */
export function formatTiming(t) {
  return `${formatMs(t.medianMs)} (${formatMs(t.minMs)}–${formatMs(t.maxMs)})${t.busy ? ' ⚠' : ''}`;
}

/** Speed-up of `t` over `baseline` (baseline median ÷ this median); '—' for the baseline itself or a missing one. */
export function formatRatio(t, baseline) {
  if (!baseline || !t || t === baseline) return '—';
  const r = baseline.medianMs / t.medianMs;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toPrecision(2)}×`;
}

/** A markdown table from a header and rows of cells. */
export function markdownTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
