/**
 * report.json: everything a quantization run decided and measured, as plain JSON (no NaN: a value not measured
 * is null). Bump REPORT_VERSION when a field changes meaning; add fields freely.
 */
import type { ExportProfile } from '../quant/profiles';
import type { AllocationStatus, Reach, ResolvedBudgets, UnitLock } from '../allocate';

export const REPORT_FORMAT = 'mix-qsam-report';
export const REPORT_VERSION = 1;

export interface ReportUnit {
  /** Position in execution order (METHOD.md "Units"); neighbours in this order share synergy. */
  index: number;
  id: string;
  /** SAM part ("encoder block 3", "neck", "decoder layer 0", …) and role ("qkv", "q·kᵀ", …). */
  part: string;
  role: string;
  graph: 'encoder' | 'decoder';
  kind: 'weight' | 'activation';
  op: string;
  params: number;
  macs: number | null;
  /** Ω_i (METHOD.md "Layer importance Ω"). */
  importance: number | null;
  /** σ_i(b) at each of `analysis.widths` (METHOD.md "Quantization sensitivity"). */
  sensitivity: (number | null)[];
  /** Ŝ between this unit and the next (null for the last). */
  synergyToNext: number | null;
  lock: UnitLock | null;
  /** Width the allocation gives the unit (weights and activations); null: full precision or no allocation. */
  bits: number | null;
}

export interface ReportAllocation {
  objectiveMode: 'paper' | 'sensitivity';
  lambda: number;
  candidates: number[];
  lowerBoundFraction: number | null;
  /** What the size budget counted: each weight's width (`ideal`, Σ p·b) or its container in the file (`stored`). */
  sizeCounting: 'ideal' | 'stored';
  /** Budgets in absolute units: bits of weights and bit operations. */
  budgets: ResolvedBudgets;
  status: AllocationStatus;
  method: 'instant' | 'exact';
  sense: 'maximize' | 'minimize';
  objective: number | null;
  /** Certified bound on the best objective; gap is relative to it (0 when proven optimal). */
  bound: number | null;
  gap: number | null;
  infeasibleReason: string | null;
  reach: Reach;
  solveMs: number;
}

export interface ReportFootprint {
  sizeBits: number;
  bops: number;
}

export interface ReportEvaluationRow {
  /** "fp", "uniform", "mixed". */
  id: string;
  label: string;
  /** mIoU against ground-truth objects (null when no prompt has one). */
  miouTruth: number | null;
  /** mIoU against the full-precision masks. */
  miouFp: number | null;
}

export interface ReportEvaluation {
  images: number;
  prompts: number;
  promptsWithTruth: number;
  rows: ReportEvaluationRow[];
  /** false when the table scored an allocation other than the one in this report. */
  matchesAllocation: boolean;
}

export interface MixQsamReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  /** ISO 8601. */
  createdAt: string;
  tool: string;
  model: {
    name: string | null;
    /** Hash of the encoder and decoder files the analysis ran on. */
    hash: string;
    encoderFile: string | null;
    decoderFile: string | null;
    format: string | null;
  };
  /** Where each stage ran, in words ("WASM · 2 threads", "WebGPU"). */
  backend: { analysis: string | null; inference: string | null; evaluation: string | null };
  analysis: {
    runKey: string;
    images: string[];
    promptsPerImage: number;
    sensitivityMode: string;
    /**
     * How the quantized model quantizes (with the images and prompts, what reproduces it): the softmax·v
     * quantizer, per-width calibration, weight rounding, and which units were probed. Absent in older reports.
     */
    quantizer?: { softmaxV: 'log2' | 'uniform'; perWidthCalibration: boolean; weightRounding: 'nearest' | 'gptq'; biasCorrection?: boolean; scope: 'all' | 'decoder'; gridSize: number };
    /** Widths of each unit's `sensitivity` list. */
    widths: number[];
    /** Widths measured; the others estimated by σ(b) ∝ 4^(−b). */
    measuredWidths: number[];
    probesDone: number;
    probesTotal: number;
    complete: boolean;
  };
  units: ReportUnit[];
  /** Units kept at full precision and never probed, with the reason. */
  excludedUnits: { id: string; reason: string }[];
  allocation: ReportAllocation | null;
  /** Over the quantizable units: their parameters and MACs, uniform references, and the allocation. */
  sizes: {
    params: number;
    macs: number;
    fp32: ReportFootprint;
    w8a8: ReportFootprint;
    /** sizeBits: Σ p·b (the paper's count); storedSizeBits: what the file stores (INT4 / INT8 containers, no scales). */
    allocation: (ReportFootprint & { averageBits: number | null; storedSizeBits: number }) | null;
  };
  evaluation: ReportEvaluation | null;
  /** The downloaded quantized files and how closely they reproduce the simulation, once exported. */
  exported: ReportExport | null;
  /** Durations in milliseconds by stage ("analysis", "solve", "evaluation", "export", …). */
  timings: Record<string, number>;
}

/** A quantized file as downloaded, beside its full-precision original. */
export interface ReportExportedFile {
  part: 'encoder' | 'decoder';
  fileName: string;
  bytes: number;
  fpBytes: number;
}

/** Exported files run against the fake-quant simulation of the same allocation (max |Δ| and the output's range). */
export interface ReportExport {
  /** Which kind of file (quant/profiles.ts): `exact` equals the simulation, the fast profiles run integer kernels. */
  profile: ExportProfile;
  files: ReportExportedFile[];
  verification: {
    encoder: { maxAbsError: number; range: number };
    decoder: { maxAbsError: number; range: number };
    endToEnd: { maxAbsError: number; range: number };
    prompts: number;
    checkImage: string;
    backend: string;
  };
  /** The files under the page's own session options: masks vs the preview's, quality vs FP, encoder time vs FP. */
  deployed: {
    miou: number;
    iouByPrompt: number[];
    below: number;
    worst: number;
    miouFp: { file: number; preview: number };
    miouTruth: { file: number; preview: number; fp: number; prompts: number } | null;
    latency: { fpMs: number; fileMs: number; ratio: number; rounds: number } | null;
    /** Fast profiles: the preview ran the file; this is the file against the exact simulation. */
    vsSimulation?: { miou: number; below: number; worst: number } | null;
  };
}

/** Charts the HTML report can show, by the `data-chart` name of their live <svg>. */
export const REPORT_CHARTS = ['gauges', 'allocation', 'pareto', 'importance', 'sensitivity', 'synergy'] as const;
export type ReportChartName = (typeof REPORT_CHARTS)[number];
export type ReportCharts = Partial<Record<ReportChartName, string>>;
