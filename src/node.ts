// The Node-only entry point ('descent-wasm/node'): file helpers for checkpoints.
export { readCheckpoint, writeCheckpoint } from './io/files.js';
