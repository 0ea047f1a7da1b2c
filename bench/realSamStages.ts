/**
 * What the real-SAM bench measures, shared by its Node child, its Chromium driver and its table: the
 * stages of a user's run (load → discovery → analysis → solve → export → check), the plain FP forward
 * they are compared with, and one record per stage (wall time, peak memory, what it did or why it failed).
 */

export const stageLabels = {
  plainEncoder: 'plain FP encoder forward',
  plainEncoderLean: 'plain FP encoder, no CPU arena',
  plainDecoder: 'plain FP decoder forward',
  load: 'load (read + decode + format)',
  discovery: 'unit discovery',
  analysisPrepare: 'analysis: model, units, sessions',
  calibration: 'calibration',
  firstProbe: 'first probe (graphs, sessions)',
  probing: 'probing',
  solve: 'solve (instant, 4-bit budget)',
  exportSessions: 'export: quantized sessions',
  exportWrite: 'export: write QDQ files',
  exportCheck: 'export check (≡ simulation)',
} as const;

export type StageKey = keyof typeof stageLabels;

/** Stages of the analysis pipeline, in the order they run (the plain forward is measured apart). */
export const pipelineStages: readonly StageKey[] = [
  'load',
  'discovery',
  'analysisPrepare',
  'calibration',
  'firstProbe',
  'probing',
  'solve',
  'exportSessions',
  'exportWrite',
  'exportCheck',
];
export const plainStages: readonly StageKey[] = ['plainEncoder', 'plainEncoderLean', 'plainDecoder'];

export interface StageRecord {
  stage: StageKey;
  status: 'ok' | 'failed' | 'skipped';
  wallMs: number | null;
  /** Peak RSS during the stage: the Node process, or the Chromium tab's renderer (bytes). */
  peakBytes: number | null;
  /** RSS when the stage began: what earlier stages left behind (bytes). */
  startBytes: number | null;
  /** Probes per second (probing stage). */
  rate?: number;
  detail: string;
  error?: string;
}

export interface RunReport {
  where: 'node' | 'chromium';
  model: string;
  stages: StageRecord[];
  /** Facts about the run: images, prompts, backend, what could not be measured. */
  notes: string[];
  /** True when peaks could not be reset per stage and are peaks since the process started. */
  cumulativePeaks: boolean;
}

/** What the Node child is asked to do. */
export interface NodeJob {
  kind: 'plain' | 'pipeline';
  modelDir: string;
  imageFiles: string[];
  imageCount: number;
  prompts: number;
  gridSize: number;
  mode: 'fast' | 'exact';
  scope: 'all' | 'decoder';
  /** Stop probing after this many probes (null: run the analysis to the end). */
  probeLimit: number | null;
  threads: number | null;
}

/** Messages from the Node child to the bench. */
export type ChildMessage = { kind: 'begin'; stage: StageKey } | { kind: 'stage'; record: StageRecord } | { kind: 'note'; text: string } | { kind: 'end'; cumulativePeaks: boolean };

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].trim();
}

export const formatMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '—' : ms < 1000 ? `${ms.toFixed(0)} ms` : ms < 600_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
