/**
 * Where an analysis keeps what it has measured, so a reload resumes instead of starting over.
 * The browser uses IndexedDB (src/workers/analysisIdbStore.ts); Node uses memory or a JSON file.
 * Entries are grouped by run key (model hash + image hashes + settings) and written one by one as
 * they are measured, so whatever finished before a crash or reload is never measured again.
 */

export type StoredValue = number | string | boolean | null | StoredValue[] | { [key: string]: StoredValue };

export interface AnalysisStore {
  /** Every entry saved under a run (empty when the run is new). */
  load(runKey: string): Promise<Map<string, StoredValue>>;
  /** Saves one entry; resolves once it is durable enough to survive a reload. */
  save(runKey: string, entryKey: string, value: StoredValue): Promise<void>;
  /** Forgets a run (e.g. the user asked to re-measure). */
  clear(runKey: string): Promise<void>;
}

/** Keeps entries in memory; what a test uses to simulate a reload is a second engine on the same store. */
export class MemoryAnalysisStore implements AnalysisStore {
  protected readonly runs = new Map<string, Map<string, StoredValue>>();

  async load(runKey: string): Promise<Map<string, StoredValue>> {
    return new Map(this.runs.get(runKey) ?? []);
  }

  async save(runKey: string, entryKey: string, value: StoredValue): Promise<void> {
    this.put(runKey, entryKey, value);
  }

  protected put(runKey: string, entryKey: string, value: StoredValue): void {
    let run = this.runs.get(runKey);
    if (!run) this.runs.set(runKey, (run = new Map()));
    run.set(entryKey, value);
  }

  async clear(runKey: string): Promise<void> {
    this.runs.delete(runKey);
  }

  /** Entries saved so far under a run. */
  size(runKey: string): number {
    return this.runs.get(runKey)?.size ?? 0;
  }
}

/** An append-only text file; Node passes fs functions, so core stays free of Node APIs. */
export interface AppendOnlyTextFile {
  /** The whole file, or null when it does not exist yet. */
  read(): Promise<string | null>;
  append(text: string): Promise<void>;
}

/**
 * A memory store journalled to a JSON-lines file (the CLI's store): one line per save, replayed on
 * load, so a save costs one short append however large the cache grows. Appends are chained so two
 * saves never interleave; a line that does not parse (a write cut short by a crash) is skipped.
 */
export class JournalFileAnalysisStore extends MemoryAnalysisStore {
  private loaded: Promise<void> | null = null;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly file: AppendOnlyTextFile) {
    super();
  }

  private ensureLoaded(): Promise<void> {
    this.loaded ??= this.file.read().then((text) => {
      for (const line of (text ?? '').split('\n')) {
        if (line.trim() === '') continue;
        let entry: { run: string; key?: string; value?: StoredValue; clear?: boolean };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.clear) this.runs.delete(entry.run);
        else if (entry.key !== undefined && entry.value !== undefined) this.put(entry.run, entry.key, entry.value);
      }
    });
    return this.loaded;
  }

  private append(entry: object): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    this.pending = this.pending.then(() => this.file.append(line));
    return this.pending;
  }

  override async load(runKey: string): Promise<Map<string, StoredValue>> {
    await this.ensureLoaded();
    return super.load(runKey);
  }

  override async save(runKey: string, entryKey: string, value: StoredValue): Promise<void> {
    await this.ensureLoaded();
    this.put(runKey, entryKey, value);
    await this.append({ run: runKey, key: entryKey, value });
  }

  override async clear(runKey: string): Promise<void> {
    await this.ensureLoaded();
    await super.clear(runKey);
    await this.append({ run: runKey, clear: true });
  }
}
