// The Node-only entry point ('descent/node'): file helpers for checkpoints.
export { readCheckpoint, writeCheckpoint } from './io/files.js';
