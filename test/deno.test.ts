// Deno imports the package by name and runs both builds (deno comes from npm as a devDependency).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('Deno', () => {
  it('imports descent by package name and computes the worked examples on both builds', () => {
    const file = `${root}.deno-check.mjs`;
    writeFileSync(
      file,
      `import { loadKernels } from 'descent';
for (const simd of [true, false]) {
  const k = await loadKernels({ simd });
  const mse = k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]).value;
  const ce = k.loss('cross_entropy', [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]], [[1, 0], [1, 1], [0, 1]]).value;
  console.log(JSON.stringify({ simd: k.simd, mse, ce }));
}
`,
    );
    try {
      const output = execFileSync(`${root}node_modules/.bin/deno`, ['run', '--allow-read', file], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
      });
      const runs = output.trim().split('\n').map((line) => JSON.parse(line));
      expect(runs.map((r) => r.simd)).toEqual([true, false]);
      for (const run of runs) {
        expect(run.mse).toBeCloseTo(0.068, 6);
        // −(log .8 + 2 log .5 + log .8) / 3
        expect(run.ce).toBeCloseTo(-(2 * Math.log(0.8) + 2 * Math.log(0.5)) / 3, 6);
      }
    } finally {
      rmSync(file, { force: true });
    }
  });
});
