import { defineConfig } from 'vitest/config';

// `npm run test:soak`: the long versions of test/soak/*.test.ts (200 create/fit/dispose cycles,
// 100-epoch runs, concurrent trainers), one file at a time, with a collectable heap so RSS is honest.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    env: { DESCENT_SOAK: '1' },
    execArgv: ['--expose-gc'],
  },
});
