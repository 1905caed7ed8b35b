// bench/ and bin/ are clients of the package like any app: they import its public entry points
// (descent-wasm, descent-wasm/node, descent-wasm/bench, resolved by package self-reference), never
// files inside dist/ or src/.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const scripts = (dir: string): string[] => readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.mjs')).map((file) => join(dir, file));
// `import … from`, `export … from`, `import '…'` and `import('…')` with a literal specifier
const SPECIFIERS = [/^\s*(?:import|export)\s[^;'"]*?\sfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];

describe('bench/ and bin/ import only public exports', () => {
  const files = [...scripts('bench'), ...scripts('bin')];

  it.each(files)('%s', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const specifiers = SPECIFIERS.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]!));
    // a file with no import at all (a shared constant) is fine; one whose imports the patterns missed is not
    if (specifiers.length === 0) expect(text).not.toMatch(/\bimport\b|\brequire\s*\(/);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(root, file, '..', specifier));
        expect(target, `${file}: ${specifier}`).not.toMatch(/^(dist|src|build)[/\\]/);
      } else if (specifier.startsWith('descent-wasm')) {
        expect(['descent-wasm', 'descent-wasm/node', 'descent-wasm/bench'], `${file}: ${specifier}`).toContain(specifier);
      }
    }
  });
});
