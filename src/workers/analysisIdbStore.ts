/**
 * The analysis store in the browser: IndexedDB (via `idb`), one record per measured probe, so a reload
 * resumes where the analysis stopped. Keys are [runKey, entryKey]; a run is read or cleared by key range.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { AnalysisStore, StoredValue } from '../core/analysis/analysisStore';

interface AnalysisDb extends DBSchema {
  entries: {
    key: [string, string];
    value: { runKey: string; entryKey: string; value: StoredValue };
  };
}

const databaseName = 'mix-qsam-analysis';

/** Every key of a run lies between [runKey] and [runKey, []] (arrays sort after strings in IndexedDB). */
function runRange(runKey: string): IDBKeyRange {
  return IDBKeyRange.bound([runKey], [runKey, []]);
}

export class IdbAnalysisStore implements AnalysisStore {
  private db: Promise<IDBPDatabase<AnalysisDb>> | null = null;

  private open(): Promise<IDBPDatabase<AnalysisDb>> {
    this.db ??= openDB<AnalysisDb>(databaseName, 1, {
      upgrade(db) {
        db.createObjectStore('entries', { keyPath: ['runKey', 'entryKey'] });
      },
    });
    return this.db;
  }

  async load(runKey: string): Promise<Map<string, StoredValue>> {
    const records = await (await this.open()).getAll('entries', runRange(runKey));
    return new Map(records.map((record) => [record.entryKey, record.value]));
  }

  async save(runKey: string, entryKey: string, value: StoredValue): Promise<void> {
    await (await this.open()).put('entries', { runKey, entryKey, value });
  }

  async clear(runKey: string): Promise<void> {
    await (await this.open()).delete('entries', runRange(runKey));
  }

  /** Forgets every run (the panel's "clear cache"). */
  async clearAll(): Promise<void> {
    await (await this.open()).clear('entries');
  }
}
