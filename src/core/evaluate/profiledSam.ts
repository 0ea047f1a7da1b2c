/**
 * A SAM that runs each allocation as the file of an export profile would run it (quant/profiles.ts):
 * `exact` is the simulation itself (the exact file equals it bit for bit), any other profile writes the
 * allocation's encoder and decoder in that profile and runs those files under the runtime's own session
 * options — so a preview or an evaluation in a fast profile shows what the downloaded file does, not
 * what the simulation predicts. Full precision (a null allocation) always runs on the simulation's sessions.
 *
 * Files are written on first use of an allocation and kept for the last `keep` allocations (an
 * evaluation alternates the uniform baseline and the mixed allocation: 2), older ones released.
 */
import { runPromptRuns } from '../analysis/promptRuns';
import type { PromptRuns } from '../analysis/calibrationFeeds';
import type { OrtFeeds, OrtModule, OrtSession, SessionOptions } from '../onnx/ort';
import type { Allocation } from '../quant/config';
import type { ExportProfile } from '../quant/profiles';
import type { PreparedSam } from '../analysis/analysisModel';
import { exportQuantizedSam } from './samExport';
import type { SamParametric, SamRunner } from './quantizedSam';

interface FileSessions {
  encoder: OrtSession;
  decoder: OrtSession;
  /** Bytes of both files, as written. */
  bytes: { encoder: Uint8Array; decoder: Uint8Array };
}

export interface ProfiledSamOptions {
  /** The runtime's options (execution provider): the files run as they are deployed. */
  sessionOptions: SessionOptions;
  fpFileBytes: { encoder: number; decoder: number };
  /** Allocations whose files are kept open (default 2). */
  keep?: number;
  /** Called before an allocation's files are written and opened (a preview can say why it waits). */
  onWrite?: (profile: ExportProfile) => void;
}

/** The identity of an allocation: its widths by unit, in unit order. */
export function allocationIdentity(allocation: Allocation): string {
  return JSON.stringify(Object.entries(allocation).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function only(feeds: OrtFeeds, session: OrtSession): OrtFeeds {
  return Object.fromEntries(session.inputNames.filter((name) => feeds[name]).map((name) => [name, feeds[name]]));
}

export class ProfiledSam implements SamRunner {
  private readonly files = new Map<string, Promise<FileSessions>>();
  private released = false;

  constructor(
    /** Runs full precision, and every allocation of the exact profile. */
    readonly simulation: SamRunner,
    readonly profile: ExportProfile,
    private readonly options: ProfiledSamOptions,
  ) {}

  get ort(): OrtModule {
    return this.simulation.ort;
  }

  get sam(): PreparedSam {
    return this.simulation.sam;
  }

  get parametric(): SamParametric {
    return this.simulation.parametric;
  }

  /** True when an allocation runs as written files rather than on the simulation. */
  runsFiles(allocation: Allocation | null): allocation is Allocation {
    return allocation !== null && this.profile !== 'exact';
  }

  /** The allocation's files in this profile (written and opened on first use). */
  sessionsOf(allocation: Allocation): Promise<FileSessions> {
    if (this.released) throw new Error('The profiled SAM was released.');
    const key = allocationIdentity(allocation);
    let entry = this.files.get(key);
    if (entry) {
      this.files.delete(key);
      this.files.set(key, entry);
      return entry;
    }
    entry = this.open(allocation);
    entry.catch(() => this.files.delete(key));
    this.files.set(key, entry);
    const keep = Math.max(1, this.options.keep ?? 2);
    while (this.files.size > keep) {
      const [oldest, sessions] = this.files.entries().next().value!;
      this.files.delete(oldest);
      void sessions.then(closeSessions, () => undefined);
    }
    return entry;
  }

  private async open(allocation: Allocation): Promise<FileSessions> {
    this.options.onWrite?.(this.profile);
    const written = exportQuantizedSam(this.sam, this.parametric, allocation, this.options.fpFileBytes, { profile: this.profile });
    const bytes = { encoder: written.encoder.bytes, decoder: written.decoder.bytes };
    const encoder = await this.ort.InferenceSession.create(bytes.encoder, this.options.sessionOptions);
    try {
      const decoder = await this.ort.InferenceSession.create(bytes.decoder, this.options.sessionOptions);
      return { encoder, decoder, bytes };
    } catch (error) {
      await encoder.release();
      throw error;
    }
  }

  async embed(imageFeeds: OrtFeeds, allocation: Allocation | null): Promise<OrtFeeds> {
    if (!this.runsFiles(allocation)) return this.simulation.embed(imageFeeds, allocation);
    const { encoder } = await this.sessionsOf(allocation);
    const names = [...this.sam.adapter.embeddingNames];
    const results = await encoder.run(only(imageFeeds, encoder), names);
    return Object.fromEntries(names.map((name) => [name, results[name]]));
  }

  async decode(embeddings: OrtFeeds, prompts: PromptRuns<OrtFeeds>, allocation: Allocation | null): Promise<OrtFeeds> {
    if (!this.runsFiles(allocation)) return this.simulation.decode(embeddings, prompts, allocation);
    const { decoder } = await this.sessionsOf(allocation);
    return runPromptRuns(this.ort, decoder, prompts, embeddings);
  }

  /** Closes the files' sessions and suspends the simulation's; the next run writes and opens them again. */
  async suspend(): Promise<void> {
    await this.closeFiles();
    await this.simulation.suspend?.();
  }

  /** Closes every file session (the simulation belongs to the caller). */
  async release(): Promise<void> {
    this.released = true;
    await this.closeFiles();
  }

  private async closeFiles(): Promise<void> {
    const open = [...this.files.values()];
    this.files.clear();
    for (const entry of open) await entry.then(closeSessions, () => undefined);
  }
}

async function closeSessions(sessions: FileSessions): Promise<void> {
  await sessions.encoder.release();
  await sessions.decoder.release();
}
