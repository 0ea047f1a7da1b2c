/**
 * Pieces of the export benchmark (bench/export.ts): latency of a file beside FP32 in the same process,
 * runs alternating so machine noise hits both alike; a SamRunner over plain files so the studio's
 * evaluation scores a downloaded file like the preview; per-op time from onnxruntime's profiler.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PreparedSam } from '../src/core/analysis/analysisModel';
import type { PromptRuns } from '../src/core/analysis/calibrationFeeds';
import { runPromptRuns } from '../src/core/analysis/promptRuns';
import type { SamParametric, SamRunner } from '../src/core/evaluate/quantizedSam';
import type { OrtFeeds, OrtModule, OrtSession, SessionOptions } from '../src/core/onnx/ort';
import type { Allocation } from '../src/core/quant/config';

export interface Spread {
  median: number;
  p25: number;
  p75: number;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
  return { median: at(0.5), p25: at(0.25), p75: at(0.75) };
}

/** Ratio file / FP32 of per-run times: median, and quartiles of the per-round ratios. */
export interface LatencyRatio {
  fpMs: Spread;
  fileMs: Spread;
  ratio: Spread;
}

/**
 * Times `run` on the FP32 session and the file's session in alternation (FP, file, FP, file, …) after a
 * warm-up of each; both sessions live only for this measurement.
 */
export async function latencyRatio(
  ort: OrtModule,
  fp: Uint8Array,
  file: Uint8Array,
  options: SessionOptions,
  runs: number,
  run: (session: OrtSession) => Promise<unknown>,
): Promise<LatencyRatio> {
  const a = await ort.InferenceSession.create(fp, options);
  const b = await ort.InferenceSession.create(file, options);
  try {
    await run(a);
    await run(b);
    const fpMs: number[] = [];
    const fileMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      for (const [session, into] of [[a, fpMs], [b, fileMs]] as const) {
        const started = performance.now();
        await run(session);
        into.push(performance.now() - started);
      }
    }
    return { fpMs: spread(fpMs), fileMs: spread(fileMs), ratio: spread(fileMs.map((ms, i) => ms / fpMs[i])) };
  } finally {
    await a.release();
    await b.release();
  }
}

/** Milliseconds per run by op type, from onnxruntime-node's profiler over `runs` runs. */
export async function perOpMs(ort: OrtModule, bytes: Uint8Array, options: SessionOptions, runs: number, run: (session: OrtSession) => Promise<unknown>): Promise<Record<string, number>> {
  const dir = tmpdir();
  const prefix = `export-bench-profile-${process.pid}-${Date.now()}`;
  const session = await ort.InferenceSession.create(bytes, { ...options, enableProfiling: true, profileFilePrefix: join(dir, prefix) });
  for (let r = 0; r < runs; r++) await run(session);
  (session as unknown as { endProfiling?: () => void }).endProfiling?.();
  await session.release();
  const name = (await readdir(dir)).find((entry) => entry.startsWith(prefix));
  if (!name) return {};
  const events = JSON.parse(await readFile(join(dir, name), 'utf8')) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[];
  await rm(join(dir, name), { force: true });
  const byOp: Record<string, number> = {};
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name?.endsWith('_kernel_time') || !event.args?.op_name) continue;
    byOp[event.args.op_name] = (byOp[event.args.op_name] ?? 0) + (event.dur ?? 0) / 1000 / runs;
  }
  return byOp;
}

/** What one allocation object stands for in an evaluation: a pair of plain sessions, or another runner's allocation. */
export type Route = { encoder: OrtSession; decoder: OrtSession } | { runner: SamRunner; allocation: Allocation | null };

/**
 * A SamRunner whose plans are told apart by their allocation object: the studio's evaluation
 * (evaluate/evaluateRun.ts) then scores downloaded files exactly as it scores the preview. `fpRoute` is
 * what the evaluation's full-precision reference (allocation null) runs: FP32 itself, or the simulation
 * to score files against the preview.
 */
export class RoutedSam implements SamRunner {
  readonly ort: OrtModule;
  readonly sam: PreparedSam;
  readonly parametric: SamParametric;

  constructor(
    base: SamRunner,
    private readonly routes: Map<Allocation, Route>,
    private readonly fpRoute: Route,
  ) {
    this.ort = base.ort;
    this.sam = base.sam;
    this.parametric = base.parametric;
  }

  private route(allocation: Allocation | null): Route {
    if (allocation === null) return this.fpRoute;
    const route = this.routes.get(allocation);
    if (!route) throw new Error('No route for this allocation.');
    return route;
  }

  async embed(imageFeeds: OrtFeeds, allocation: Allocation | null): Promise<OrtFeeds> {
    const route = this.route(allocation);
    if ('runner' in route) return route.runner.embed(imageFeeds, route.allocation);
    const names = [...this.sam.adapter.embeddingNames];
    const feeds = Object.fromEntries(route.encoder.inputNames.filter((name) => imageFeeds[name]).map((name) => [name, imageFeeds[name]]));
    const results = await route.encoder.run(feeds, names);
    return Object.fromEntries(names.map((name) => [name, results[name]]));
  }

  async decode(embeddings: OrtFeeds, prompts: PromptRuns<OrtFeeds>, allocation: Allocation | null): Promise<OrtFeeds> {
    const route = this.route(allocation);
    if ('runner' in route) return route.runner.decode(embeddings, prompts, route.allocation);
    return runPromptRuns(this.ort, route.decoder, prompts, embeddings);
  }
}
