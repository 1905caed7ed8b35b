// The WASM builds every kernel and training test runs on. The test configuration turns relaxed SIMD
// on in Node 20 (--experimental-wasm-relaxed-simd; later Node versions have it on), and
// test/builds.test.ts fails if it is off, so no build is skipped silently.
import { supportedBuilds, type Build } from '../../src/wasm/builds.js';

export const BUILDS: readonly Build[] = supportedBuilds();
export type { Build };
