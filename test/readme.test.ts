// The README's example runs as written (imports 'descent-wasm' by package name, resolved from dist/).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');

  /** Runs the README's js block under `heading` from the package root and returns what it printed. */
  function run(heading: string): string {
    const code = new RegExp(`## ${heading}\\n\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
    expect(code, heading).toBeDefined();
    // A file at the package root, so that 'descent-wasm' resolves through package.json's self-reference.
    const file = `${root}.readme-example.mjs`;
    writeFileSync(file, code!);
    try {
      return execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
    } finally {
      rmSync(file, { force: true });
    }
  }

  it('runs the loss example and prints the worked examples', () => {
    const output = run('Example');
    const lines = output.split('\n');
    expect(lines[0]).toMatch(/^0\.068 Float32Array\(5\)/);
    expect(output).toContain('\n0.61086\n');
    // huber with δ = 0.25 at d = −0.5: δ(|d| − δ/2) = 0.09375; gradient −δ/n = −2.5e-7
    const huberLine = lines.find((line) => line.startsWith('0.09375 '));
    expect(huberLine).toBeDefined();
    expect(Number(huberLine!.split(' ')[1])).toBeCloseTo(-2.5e-7, 12);
    expect(lines.filter(Boolean).at(-1)).toBe('scalar false');
  });

  it('runs the data example (a resident set and a stream, in a worker) and exits without help', () => {
    const block = /### Data: arrays, resident sets, streams\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const file = `${root}.readme-data.mjs`;
    writeFileSync(file, block!);
    try {
      const output = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 50_000 });
      expect(output.trim()).toBe('1');
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('runs the learning-rate and batch-size example', () => {
    const block = /### Choosing the learning rate and the batch size\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const file = `${root}.readme-lr.mjs`;
    writeFileSync(file, block!);
    try {
      expect(execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 50_000 }).trim()).toBe('true true true');
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('runs the training example: XOR is learned', () => {
    const output = run('Training');
    expect(output.split('\n').slice(0, 2)).toEqual(['completed 1', '[ 0, 1, 1, 0 ]']);
  });
});
