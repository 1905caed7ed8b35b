// as-pect runs every spec in assembly/__tests__ once per build: see the test:asp script
// (as-pect.simd.asconfig.json and as-pect.scalar.asconfig.json differ only in enable/disable simd).
export default {
  entries: ['assembly/__tests__/**/*.spec.ts'],
  include: ['assembly/__tests__/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
