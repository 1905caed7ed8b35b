// The error of a call on a disposed trainer, in-thread or in a worker: it names the call and the way
// on, since dispose() is final (its memory, or its worker, is gone).

/** `call: trainer is disposed; …` with how to go on: a new trainer from saved bytes, or from the spec. */
export function disposedError(call: string): Error {
  return new Error(`${call}: trainer is disposed (dispose() freed it for good); to go on, create another: createTrainer(bytes) with bytes from save() made before dispose(), or createTrainer(spec) to start afresh`);
}
