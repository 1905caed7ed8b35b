// The worker's message filter. Comlink acts on any message that reaches an exposed object: a SET
// can replace a method, a path such as ['fit', 'constructor'] reaches the Function constructor,
// RELEASE silences the worker for good, and a malformed argument list throws outside Comlink's
// try (an uncaught error that kills the worker). Only calls of the API's own methods, with
// arguments in the two forms the client sends (plain values and callback proxies), get through;
// any other request is answered with an error, and anything else is dropped.

import type { Endpoint } from 'comlink';

type Listener = Parameters<Endpoint['addEventListener']>[1];

function isArgument(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const { type, name, value: inner } = value as { type?: unknown; name?: unknown; value?: unknown };
  return type === 'RAW' || (type === 'HANDLER' && name === 'proxy' && typeof MessagePort !== 'undefined' && inner instanceof MessagePort);
}

/** True for a Comlink APPLY of one of `api`'s own methods with well-formed arguments. */
function isApiCall(data: unknown, api: object): boolean {
  if (data === null || typeof data !== 'object') return false;
  const { type, path, argumentList } = data as { type?: unknown; path?: unknown; argumentList?: unknown };
  if (type !== 'APPLY' || !Array.isArray(path) || path.length !== 1 || typeof path[0] !== 'string') return false;
  if (!Object.prototype.hasOwnProperty.call(api, path[0]) || typeof (api as Record<string, unknown>)[path[0]] !== 'function') return false;
  return Array.isArray(argumentList) && argumentList.every(isArgument);
}

/** `endpoint` as seen by Comlink.expose(api, …): only calls of `api`'s methods reach it. */
export function apiCallsOnly(endpoint: Endpoint, api: object): Endpoint {
  const filtered = new Map<Listener, (event: MessageEvent) => void>();
  return {
    postMessage: (message, transfer) => endpoint.postMessage(message, transfer),
    addEventListener(type, listener, options) {
      const filter = (event: MessageEvent) => {
        if (isApiCall(event?.data, api)) {
          if (typeof listener === 'function') listener(event);
          else listener.handleEvent(event);
          return;
        }
        const id = (event?.data as { id?: unknown } | null)?.id;
        if (typeof id === 'string') {
          // Comlink's wire form of a thrown error, so that a caller waiting on `id` gets an answer.
          const error = { name: 'TypeError', message: 'the descent worker accepts only calls of its API methods', stack: '' };
          endpoint.postMessage({ id, type: 'HANDLER', name: 'throw', value: { isError: true, value: error } });
        }
      };
      filtered.set(listener, filter);
      endpoint.addEventListener(type, filter as Listener, options);
    },
    removeEventListener(type, listener, options) {
      const filter = filtered.get(listener);
      if (filter) endpoint.removeEventListener(type, filter as Listener, options);
      filtered.delete(listener);
    },
    ...(endpoint.start ? { start: () => endpoint.start!() } : {}),
  };
}
