/** Progress of long work, reported by workers and shown by the UI. */
export interface Progress {
  /** Steps finished so far. */
  done: number;
  /** Steps in total (may grow while work is discovered). */
  total: number;
  /** What is being worked on now, in words a user understands. */
  label: string;
  /** Estimated milliseconds until done, or null while unknown. */
  etaMs: number | null;
}

/** Raised by long work when its caller asked it to stop. */
export class CancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Estimates time left from the elapsed time and the fraction done. */
export function estimateEtaMs(elapsedMs: number, done: number, total: number): number | null {
  if (done <= 0 || total <= 0 || done > total) return null;
  return (elapsedMs / done) * (total - done);
}
