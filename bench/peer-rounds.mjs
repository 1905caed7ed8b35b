// What the benches against PyTorch share (bench/lstm.mjs, bench/tiny-gpt.mjs): their integer options,
// rounds timed by wall time and by this process's CPU time, and PyTorch's rounds from a python3 child
// (its JSON on the last line of stdout, or why it did not run).
import { execFileSync } from 'node:child_process';

/** `--name N` from the command line: a positive integer, or `fallback` when absent. */
export function intOption(name, fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${args[at + 1]}`);
  return value;
}

/**
 * Runs `round(r)` `count` times and gives each round's rate of `units` (samples, tokens) per second,
 * by wall time and by this process's CPU time (all its threads: what the run got of the cores).
 */
export async function timedRounds(count, units, round) {
  const result = { wall: [], cpu: [] };
  for (let r = 0; r < count; r++) {
    const [started, cpu] = [performance.now(), process.cpuUsage()];
    await round(r);
    const used = process.cpuUsage(cpu);
    result.wall.push(units / ((performance.now() - started) / 1000));
    result.cpu.push(units / ((used.user + used.system) / 1e6));
  }
  return result;
}

/** The JSON a python3 `script` prints last, run with `args`; `{ error }` with the last line of its error when it fails (no torch). */
export function pythonRounds(script, args) {
  try {
    const out = execFileSync('python3', ['-c', script, ...args.map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').at(-1));
  } catch (error) {
    return { error: String(error.stderr ?? error.message).trim().split('\n').at(-1) };
  }
}

/** The largest of `values` (the best round). */
export const best = (values) => Math.max(...values);
