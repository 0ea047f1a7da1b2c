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
