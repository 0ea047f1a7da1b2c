/** Milliseconds from a monotonic clock where the host has one (browsers, workers, Node), else the wall clock. */
export function nowMs(): number {
  const host = globalThis as unknown as { performance?: { now(): number } };
  return host.performance ? host.performance.now() : Date.now();
}
