// as-pect runs every spec in assembly/__tests__ once per build: see the test:asp script
// (as-pect.{simd,relaxed,scalar}.asconfig.json differ only in the features they enable; the relaxed run
// goes through scripts/asp-relaxed.mjs, which turns relaxed SIMD on in Node 20).
export default {
  entries: ['assembly/__tests__/**/*.spec.ts'],
  include: ['assembly/__tests__/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
