/**
 * Starts a module worker behind Comlink so that a worker that cannot start never leaves a call waiting:
 * when its script fails to load (offline, a missing file) or it dies before answering, every pending and
 * later call rejects with WorkerStartError, a sentence that says what to do. `init` also has a time limit.
 */
import * as Comlink from 'comlink';

/** How long a worker may take to answer its first call (loading onnxruntime-web, asking for a GPU adapter). */
export const INIT_TIMEOUT_MS = 60_000;

export class WorkerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

/** True for a WorkerStartError, also after Comlink or a slice rebuilt it by name. */
export function isWorkerStartError(error: unknown): boolean {
  return error instanceof Error && error.name === 'WorkerStartError';
}

export interface StartedWorker<Api> {
  api: Comlink.Remote<Api>;
  terminate(): void;
}

/** "The analysis worker could not start: …" with what a person can do about it. */
function startFailure(what: string): WorkerStartError {
  const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
  return new WorkerStartError(
    `The ${what} worker could not start: its script did not load${offline ? ' (the browser is offline)' : ''}. ` +
      'Reconnect and try again; once the page has loaded completely online, the studio also works offline.',
  );
}

/** A file the worker imports while starting (onnxruntime-web) that did not load reads like a failed start. */
function explainedInitError(error: unknown, what: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (!/failed to fetch|dynamically imported module|importing a module script failed|networkerror/i.test(message)) return error;
  const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
  return new WorkerStartError(
    `The ${what} worker could not start: onnxruntime-web did not load${offline ? ' (the browser is offline)' : ''}. ` +
      'Reconnect and try again; once the page has loaded completely online, the studio also works offline.',
  );
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new WorkerStartError(`The ${what} worker did not answer within ${Math.round(ms / 1000)} s while starting. Reload the page and try again.`)),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * A just-created worker wrapped with Comlink (the caller writes `new Worker(new URL(…), …)` itself: that is
 * the form the build bundles as a worker). `what` names it in messages ("analysis", "quantization"). Calls
 * race the worker's failure to start; `init` also races a time limit.
 */
export function startWorker<Api>(worker: Worker, what: string, initTimeoutMs = INIT_TIMEOUT_MS): StartedWorker<Api> {
  let answered = false;
  let fail: (error: WorkerStartError) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  let failure: WorkerStartError | null = null;
  worker.addEventListener('message', () => {
    answered = true;
  });
  worker.addEventListener('error', (event) => {
    // After its first answer a worker is running: an error then is one of its own, reported by its call.
    if (answered || failure) return;
    event.preventDefault();
    failure = startFailure(what);
    fail(failure);
    worker.terminate();
  });
  const remote = Comlink.wrap<Api>(worker);
  const api = new Proxy(remote, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property === 'symbol' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (failure) return Promise.reject(failure);
        const call = Promise.race([(value as (...a: unknown[]) => Promise<unknown>)(...args), failed]);
        return property === 'init' ? withTimeout(call, initTimeoutMs, what).catch((error: unknown) => Promise.reject(explainedInitError(error, what))) : call;
      };
    },
  });
  return {
    api,
    terminate: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
