/**
 * The analysis store (core/analysis/analysisStore.ts) in Redis, shared by the coordinator and every worker of
 * a distributed analysis: one hash per run key, one field per entry (the journal's keys: calibration,
 * probe/t/probe/unit), values as JSON. Each save also counts itself in a second hash, in the same
 * transaction, so a test or an operator can tell whether any probe was measured twice.
 */
import type { Redis } from 'ioredis';
import type { AnalysisStore, StoredValue } from '../../src/core/analysis/analysisStore';

const entriesKey = (runKey: string) => `mix-qsam:store:${runKey}`;
const savesKey = (runKey: string) => `mix-qsam:saves:${runKey}`;

export class RedisAnalysisStore implements AnalysisStore {
  constructor(private readonly redis: Redis) {}

  async load(runKey: string): Promise<Map<string, StoredValue>> {
    const entries = await this.redis.hgetall(entriesKey(runKey));
    return new Map(Object.entries(entries).map(([key, text]) => [key, JSON.parse(text) as StoredValue]));
  }

  async save(runKey: string, entryKey: string, value: StoredValue): Promise<void> {
    const result = await this.redis.multi().hset(entriesKey(runKey), entryKey, JSON.stringify(value)).hincrby(savesKey(runKey), entryKey, 1).exec();
    const failed = result?.find(([error]) => error);
    if (!result || failed) throw new Error(`Redis did not save ${entryKey}: ${failed?.[0]?.message ?? 'the transaction was aborted'}`);
  }

  async clear(runKey: string): Promise<void> {
    await this.redis.del(entriesKey(runKey), savesKey(runKey));
  }

  /** Entries saved so far under a run. */
  entryCount(runKey: string): Promise<number> {
    return this.redis.hlen(entriesKey(runKey));
  }

  /** How many times each entry was saved (the engine saves a probe once, right after measuring it). */
  async saveCounts(runKey: string): Promise<Map<string, number>> {
    const counts = await this.redis.hgetall(savesKey(runKey));
    return new Map(Object.entries(counts).map(([key, count]) => [key, Number(count)]));
  }
}
