// What the tests that run PyTorch share: which python3, whether it has torch and safetensors (found
// without importing torch, which takes seconds), and the rule that DESCENT_REQUIRE_TORCH=1 (as .ci/run
// sets) turns a missing torch from a skip into a failure.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env.PYTHON ?? 'python3';
export const INSTALL = 'python3 -m pip install torch safetensors';
export const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
/** python/descent_torch.py's folder, for PYTHONPATH (CI tests the folder as a clone has it; pip install ./python gives the same module). */
export const DESCENT_TORCH_PATH = fileURLToPath(new URL('../../python', import.meta.url));

/** Whether `python` can find torch and safetensors, and if not why. */
export function torchAvailable(python = PYTHON): { ok: boolean; why: string } {
  try {
    execFileSync(python, ['-c', [
      'import importlib.util, sys',
      'missing = [m for m in ("torch", "safetensors") if importlib.util.find_spec(m) is None]',
      'sys.exit(" and ".join(missing) + " not importable" if missing else 0)',
    ].join('\n')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, why: '' };
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    return { ok: false, why: e.code === 'ENOENT' ? `${python} not found` : (e.stderr ?? String(error)).trim() };
  }
}

/** Whether a torch test file runs: warns and skips without torch, unless DESCENT_REQUIRE_TORCH=1 (then it must fail). */
export function torchTestPlan(file: string): { run: boolean; available: { ok: boolean; why: string } } {
  const available = torchAvailable();
  const required = process.env.DESCENT_REQUIRE_TORCH === '1';
  if (!available.ok && !required) {
    console.warn(`${file} skipped: ${available.why}; to run it: ${INSTALL} (DESCENT_REQUIRE_TORCH=1 makes this a failure)`);
  }
  return { run: available.ok || required, available };
}

/** Runs a Python script with descent_torch importable; its stderr in the error when it fails. */
export function runPython(args: string[], options: { cwd?: string; command?: string; timeout?: number } = {}): string {
  try {
    return execFileSync(options.command ?? PYTHON, args, {
      cwd: options.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeout ?? 300_000,
      env: { ...process.env, PYTHONPATH: [DESCENT_TORCH_PATH, process.env.PYTHONPATH].filter(Boolean).join(':') },
    });
  } catch (error) {
    throw new Error(`${options.command ?? PYTHON} ${args.join(' ')} failed:\n${(error as { stderr?: string }).stderr ?? error}`);
  }
}
