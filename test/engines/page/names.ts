// The engine suite's checks, in the order the page runs them: the page (checks.ts) implements each,
// the Node side (browsers.test.ts) makes one test of each, so neither list can drift from the other.
export const CHECK_NAMES = [
  'kernels', 'worker training', 'stop and resume', 'predict, save and load', 'storage: indexeddb', 'storage: opfs',
  'data-parallel', 'worker crash',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];
