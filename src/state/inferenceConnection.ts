import { startInferenceWorker, type InferenceClient } from '../workers/inferenceClient';

/**
 * The one live inference worker. Not kept in the store: it is a handle, not state.
 * Replaced as a whole when the backend or thread count changes.
 */
let client: InferenceClient | null = null;

export function currentInference(): InferenceClient {
  if (!client) client = startInferenceWorker();
  return client;
}

export function restartInference(): InferenceClient {
  client?.terminate();
  client = startInferenceWorker();
  return client;
}
