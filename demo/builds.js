// The WebAssembly builds in plain words, and the ones this browser runs (fastest first), for the
// pages' Build selects.
import { supportedBuilds } from 'descent-wasm';

export const BUILD_LABELS = { relaxed: 'relaxed SIMD', simd: 'SIMD', scalar: 'scalar' };

/** Fills `select` with the builds this browser supports, the fastest first (and chosen). */
export function fillBuildSelect(select) {
  select.replaceChildren(...supportedBuilds().map((build) => new Option(BUILD_LABELS[build], build)));
}
