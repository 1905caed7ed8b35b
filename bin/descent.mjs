#!/usr/bin/env node
// The `descent` command line (`descent train …`, `descent lr-find …`, `descent --help`). Exit codes: 0 done, 1 training
// failed, 2 bad flags or data (one line naming the flag, the rule and the value), 130 Ctrl-C.
import { readFileSync } from 'node:fs';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function fail(message, code) {
  process.stderr.write(`descent: ${message}\n`);
  process.exitCode = code;
}

let cli;
try {
  const [options, training, rangeTest] = await Promise.all([import('./cli/options.mjs'), import('./cli/train.mjs'), import('./cli/lr-find.mjs')]);
  cli = { ...options, ...training, ...rangeTest };
} catch (error) {
  // a checkout that was never built has no dist/
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/[/\\]dist[/\\]/.test(error.message)) throw error;
  fail('the built library (dist/) is missing; run npm run build first', EXIT_FAILED);
}

if (cli) {
  try {
    const { command, help, version: showVersion, flags } = cli.parseCommandLine(process.argv.slice(2));
    if (help) console.log(cli.helpText(version));
    else if (showVersion) console.log(version);
    else if (command === 'train') process.exitCode = await cli.train(flags, version);
    else if (command === 'lr-find') process.exitCode = await cli.lrFind(flags, version);
  } catch (error) {
    if (error instanceof cli.UsageError) fail(error.message, EXIT_USAGE);
    else fail(`training failed: ${error?.message ?? error}`, EXIT_FAILED);
  }
}
