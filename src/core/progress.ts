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

/** A cancellation, also when it crossed a worker boundary (Comlink rebuilds errors by message and name only). */
export function isCancelledError(error: unknown): boolean {
  return error instanceof CancelledError || (error instanceof Error && error.name === 'CancelledError');
}

/** Estimates time left from the elapsed time and the fraction done. */
export function estimateEtaMs(elapsedMs: number, done: number, total: number): number | null {
  if (done <= 0 || total <= 0 || done > total) return null;
  return (elapsedMs / done) * (total - done);
}

/** A time left as a person reads it: "40 s", "6 min 20 s", "25 min", "1 h 5 min". */
export function durationInWords(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const roundedMinutes = Math.round(seconds / 60);
  if (roundedMinutes < 60) return `${roundedMinutes} min`;
  return `${Math.floor(roundedMinutes / 60)} h ${roundedMinutes % 60} min`;
}

/** A time left in round words: "a few seconds", "about 40 s", "about 6 min", "about 1 h 5 min". */
export function aboutDurationInWords(ms: number): string {
  const seconds = Math.max(0, ms / 1000);
  if (seconds < 10) return 'a few seconds';
  if (seconds < 55) return `about ${Math.round(seconds / 10) * 10} s`;
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `about ${minutes} min`;
  const rounded = Math.round(minutes / 5) * 5;
  return rounded % 60 === 0 ? `about ${rounded / 60} h` : `about ${Math.floor(rounded / 60)} h ${rounded % 60} min`;
}

/**
 * Time left from the pace of recent steps rather than the mean since the start: the first steps of a run
 * (sessions warming up) are slow, and a mean over them keeps the estimate high for long. The pace is an
 * exponential average of milliseconds per step; no estimate until `minSteps` steps were timed.
 */
export class EtaEstimator {
  private last: { done: number; atMs: number } | null = null;
  private msPerStep: number | null = null;
  private stepsTimed = 0;

  constructor(
    private readonly weight = 0.15,
    private readonly minSteps = 3,
  ) {}

  /** Records that `done` of `total` steps are finished at `nowMs`; returns the time left, or null while unknown. */
  update(done: number, total: number, nowMs: number): number | null {
    if (this.last && done > this.last.done) {
      const pace = (nowMs - this.last.atMs) / (done - this.last.done);
      this.msPerStep = this.msPerStep === null ? pace : this.msPerStep + this.weight * (pace - this.msPerStep);
      this.stepsTimed += done - this.last.done;
    }
    if (!this.last || done !== this.last.done) this.last = { done, atMs: nowMs };
    if (this.msPerStep === null || this.stepsTimed < this.minSteps || done >= total) return null;
    return this.msPerStep * (total - done);
  }
}
