// fitStream: fit's progress as an async iterator, for code that prefers `for await` to callbacks.
// The same for the in-thread Trainer and the worker wrapper: it wraps their fit() and its callbacks.
// Leaving the loop early (break, return, throw) stops training after the current batch.

import type { BatchLog, EpochLog, Features, FitOptions, History, Targets } from './types.js';
import { plainObject } from '../validate.js';
import { callbackOf } from './fit-options.js';

export type FitEvent = ({ type: 'batch' } & BatchLog) | ({ type: 'epoch' } & EpochLog);

// AsyncIterator, not AsyncIterableIterator: the latter takes its TReturn and TNext only from
// TypeScript 5.6 on, and this .d.ts is read by consumers' compilers back to 5.0.
/** The events of one fit, in order; `history` resolves (or rejects) as fit does. */
export interface FitStream extends AsyncIterator<FitEvent, History, undefined> {
  [Symbol.asyncIterator](): FitStream;
  readonly history: Promise<History>;
}

interface Fittable<O extends FitOptions> {
  fit(x: Features, y: Targets, options: O): Promise<History>;
  stop(): void;
}

/** Starts `trainer.fit(x, y, options)` with callbacks that feed the returned iterator. */
export function fitStream<O extends FitOptions>(trainer: Fittable<O>, x: Features, y: Targets, options?: O): FitStream {
  const given = plainObject('options', options ?? {}) as O;
  // the caller's own callbacks, checked before they are wrapped (fit checks the wrappers)
  const onEpochEnd = callbackOf<EpochLog>(given as Record<string, unknown>, 'onEpochEnd');
  const onBatchEnd = callbackOf<BatchLog>(given as Record<string, unknown>, 'onBatchEnd');
  const queue: FitEvent[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const history = trainer.fit(x, y, {
    ...given,
    onEpochEnd: async (log: EpochLog) => {
      queue.push({ type: 'epoch', ...log });
      notify();
      await onEpochEnd?.(log);
    },
    onBatchEnd: async (log: BatchLog) => {
      queue.push({ type: 'batch', ...log });
      notify();
      await onBatchEnd?.(log);
    },
  });
  const settled = history.then(() => undefined, () => undefined).finally(() => {
    finished = true;
    notify();
  });

  const stream: FitStream = {
    history,
    async next(): Promise<IteratorResult<FitEvent, History>> {
      for (;;) {
        const event = queue.shift();
        if (event) return { value: event, done: false };
        if (finished) return { value: await history, done: true };
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    },
    async return(): Promise<IteratorResult<FitEvent, History>> {
      if (!finished) trainer.stop();
      await settled;
      queue.length = 0;
      return { value: await history, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<FitEvent, History>> {
      if (!finished) trainer.stop();
      await settled;
      throw error;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  // The caller may only iterate: fit's rejection then surfaces through next(), not as unhandled.
  history.catch(() => {});
  return stream;
}
