import { startInferenceWorker, type InferenceClient } from '../workers/inferenceClient';

/**
 * The one live inference worker. Not kept in the store: it is a handle, not state.
 * Replaced as a whole when the backend or thread count changes, and ended while paused (backendSlice
 * pauseInference: a large model's analysis needs the memory its WASM heap holds).
 */
let client: InferenceClient | null = null;
let pausedBecause: string | null = null;

export function currentInference(): InferenceClient {
  if (pausedBecause) throw new Error(pausedBecause);
  if (!client) client = startInferenceWorker();
  return client;
}

export function restartInference(): InferenceClient {
  client?.terminate();
  client = null;
  return currentInference();
}

/** Ends the worker (a WASM heap only shrinks with its worker); every use says `reason` until resumed. */
export function stopInference(reason: string): void {
  pausedBecause = reason;
  client?.terminate();
  client = null;
}

/** True while stopped (between stopInference and allowInference). */
export function inferenceStopped(): boolean {
  return pausedBecause !== null;
}

/** Allows a worker again (the next use starts a fresh one, to be initialized and given the model). */
export function allowInference(): void {
  pausedBecause = null;
}
