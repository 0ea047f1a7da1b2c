/** Assembles report.json (reportSchema.ts) from the analysis, the allocation and the evaluation. */
import { allocationSizes } from '../allocate/storedBits';
import type { AllocationProblem, AllocationResult } from '../allocate';
import type { AnalysisResults } from '../analysis/analysisResults';
import { REPORT_FORMAT, REPORT_VERSION, type MixQsamReport, type ReportAllocation, type ReportEvaluation, type ReportExport, type ReportUnit } from './reportSchema';
import { biasCorrectionOf, usesLog2PostSoftmax, weightRoundingOf } from '../analysis/settings';

export interface ReportInput {
  analysis: AnalysisResults;
  /** The allocation and the problem it answers (unitIds aligned with problem.units), when there is one. */
  allocation?: { problem: AllocationProblem; unitIds: readonly string[]; result: AllocationResult } | null;
  evaluation?: {
    images: number;
    prompts: number;
    promptsWithTruth: number;
    plans: readonly { id: string; label: string; miouTruth: number | null; miouFp: number }[];
    /** Did the evaluation score this report's allocation? Default true. */
    matchesAllocation?: boolean;
  } | null;
  /**
   * The model loaded now; `hash` is the content hash of its two files (analysisKeys.ts modelHash). A report of
   * an analysis measured on other bytes is refused.
   */
  model?: { name?: string | null; hash?: string | null; encoderFile?: string | null; decoderFile?: string | null; format?: string | null };
  backend?: { analysis?: string | null; inference?: string | null; evaluation?: string | null };
  exported?: ReportExport | null;
  /** Milliseconds by stage; missing or non-finite entries are left out. */
  timings?: Record<string, number | null | undefined>;
  createdAt?: Date;
}

/** JSON has no NaN or Infinity: a number that is not finite becomes null. */
function finite(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

function allocationOf(input: NonNullable<ReportInput['allocation']>): ReportAllocation {
  const { problem, result } = input;
  return {
    objectiveMode: problem.objective.mode,
    lambda: problem.objective.lambda,
    candidates: [...problem.candidates],
    lowerBoundFraction: problem.budgets.lowerBoundFraction ?? null,
    sizeCounting: problem.sizeCounting ?? 'ideal',
    budgets: { ...result.budgets },
    status: result.status,
    method: result.method,
    sense: result.sense,
    objective: finite(result.objective),
    bound: finite(result.bound),
    gap: finite(result.gap),
    infeasibleReason: result.infeasibleReason,
    reach: { ...result.reach },
    solveMs: result.elapsedMs,
  };
}

/**
 * Builds the report; throws when the analysis was measured on another model than the one loaded, or the
 * allocation was solved for other units than the analysis lists.
 */
export function buildReport(input: ReportInput): MixQsamReport {
  const { analysis } = input;
  const modelHash = input.model?.hash ?? analysis.modelHash;
  if (modelHash !== analysis.modelHash) throw new Error('The analysis was measured on another model than the one loaded; run Analyze again before writing the report.');
  const allocation = input.allocation ?? null;
  if (allocation) {
    const ids = analysis.units.map((unit) => unit.id);
    const same = allocation.unitIds.length === ids.length && allocation.unitIds.every((id, i) => id === ids[i]);
    if (!same) throw new Error('The allocation was solved for other units than the analysis lists; solve it again before writing the report.');
  }
  const bits = allocation?.result.bits ?? null;
  const locks = allocation?.problem.locks ?? [];
  const units: ReportUnit[] = analysis.units.map((unit, i) => ({
    index: i,
    id: unit.id,
    part: unit.part,
    role: unit.role,
    graph: unit.graph,
    kind: unit.kind,
    op: unit.op,
    params: unit.params,
    macs: finite(unit.macs),
    importance: finite(unit.importance),
    sensitivity: unit.sensitivity.map(finite),
    synergyToNext: i < analysis.synergy.length ? finite(analysis.synergy[i]) : null,
    lock: locks[i] ?? null,
    bits: bits && locks[i]?.kind !== 'fp' ? bits[i] : null,
  }));

  const params = analysis.units.reduce((sum, u) => sum + u.params, 0);
  const macs = analysis.units.reduce((sum, u) => sum + (finite(u.macs) ?? 0), 0);
  const uniform = (b: number) => ({ sizeBits: params * b, bops: macs * b * b });
  const result = allocation?.result;
  const allocated =
    result && result.bits && result.bops !== null && allocation
      ? (() => {
          const { idealBits, storedBits } = allocationSizes(allocation.problem, result.bits);
          return { sizeBits: idealBits, storedSizeBits: storedBits, bops: result.bops, averageBits: params > 0 ? idealBits / params : null };
        })()
      : null;

  let evaluation: ReportEvaluation | null = null;
  if (input.evaluation) {
    const e = input.evaluation;
    evaluation = {
      images: e.images,
      prompts: e.prompts,
      promptsWithTruth: e.promptsWithTruth,
      rows: e.plans.map((plan) => ({ id: plan.id, label: plan.label, miouTruth: finite(plan.miouTruth), miouFp: finite(plan.miouFp) })),
      matchesAllocation: e.matchesAllocation ?? true,
    };
  }

  const timings: Record<string, number> = {};
  for (const [stage, ms] of Object.entries(input.timings ?? {})) {
    const value = finite(ms);
    if (value !== null) timings[stage] = value;
  }

  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    tool: 'Mix-QSAM Studio',
    model: {
      name: input.model?.name ?? null,
      hash: modelHash,
      encoderFile: input.model?.encoderFile ?? null,
      decoderFile: input.model?.decoderFile ?? null,
      format: input.model?.format ?? null,
    },
    backend: {
      analysis: input.backend?.analysis ?? null,
      inference: input.backend?.inference ?? null,
      evaluation: input.backend?.evaluation ?? null,
    },
    analysis: {
      runKey: analysis.runKey,
      images: [...analysis.imageNames],
      promptsPerImage: analysis.settings.promptsPerImage,
      sensitivityMode: analysis.settings.sensitivityMode,
      quantizer: {
        softmaxV: usesLog2PostSoftmax(analysis.settings) ? 'log2' : 'uniform',
        perWidthCalibration: !!analysis.settings.perWidthRanges || !!analysis.settings.perWidthLog2Tau,
        weightRounding: weightRoundingOf(analysis.settings),
        biasCorrection: biasCorrectionOf(analysis.settings),
        scope: analysis.settings.scope ?? 'all',
        gridSize: analysis.settings.gridSize,
      },
      widths: [...analysis.candidateBits],
      measuredWidths: [...analysis.measuredBits],
      probesDone: analysis.probesDone,
      probesTotal: analysis.probesTotal,
      complete: analysis.complete,
    },
    units,
    excludedUnits: analysis.excludedUnits.map((unit) => ({ ...unit })),
    allocation: allocation ? allocationOf(allocation) : null,
    sizes: { params, macs, fp32: uniform(32), w8a8: uniform(8), allocation: allocated },
    evaluation,
    exported: input.exported ?? null,
    timings,
  };
}
