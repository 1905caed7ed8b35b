import { defineConfig } from 'vitest/config';

// `npm run test:engines`: the package in every engine (test/engines). One file at a time: each
// drives whole browsers or runs the unit suite under another Node, and the machine has two cores.
export default defineConfig({
  test: {
    include: ['test/engines/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
