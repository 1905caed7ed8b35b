import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // as-pect's *.spec.ts files under assembly/ are not vitest files.
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
