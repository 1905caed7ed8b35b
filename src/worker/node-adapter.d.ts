// Types for Comlink's ESM Node adapter (its own .d.ts sits beside the UMD build only).
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  // The shape of worker_threads' Worker and MessagePort, as Comlink's adapter uses them.
  export interface NodeEndpoint {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    postMessage(message: any, transfer?: any): void;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    on(type: string, listener: (...args: any[]) => void): unknown;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    off(type: string, listener: (...args: any[]) => void): unknown;
    start?: () => void;
  }
  export default function nodeEndpoint(endpoint: NodeEndpoint): Endpoint;
}
