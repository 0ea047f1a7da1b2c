/**
 * The quality study, end to end on any onnxruntime (injected, as the analysis engine): analysis on the
 * calibration scenes (Ω, σ, Ŝ), the allocations of the plan (study/plan.ts), then every model scored on
 * the held-out prompts through the studio's own evaluation (evaluate/evaluateRun.ts evaluatePlans on
 * the parametric sessions), so a row here and the studio's Evaluate agree for the same settings.
 */
import { solveExact, type MilpEngine } from '../allocate';
import { runAnalysis, type AnalysisImage, type AnalysisRunStats } from '../analysis/analysisEngine';
import { parametricOptionsOf, prepareSam, type CalibrationFacts, type PreparedSam, type SamModelFiles } from '../analysis/analysisModel';
import type { AnalysisResults } from '../analysis/analysisResults';
import { MemoryAnalysisStore, type AnalysisStore } from '../analysis/analysisStore';
import { validateSettings, type AnalysisSettings, type WeightRounding } from '../analysis/settings';
import { evaluatePlans, type EvaluationResult } from '../evaluate/evaluateRun';
import type { EvaluationPlan } from '../evaluate/evaluationPlans';
import { QuantizedSam, unitsOfGraph, type SamParametric } from '../evaluate/quantizedSam';
import type { OrtModule, SessionOptions } from '../onnx/ort';
import type { ModelProto } from '../onnx/proto';
import { buildParametricModel } from '../quant/parametric';
import type { QuantizerOptions } from '../quant/quantizers';
import type { GraphKind } from '../quant/units';
import { allocationFromBits, budgetUse, mixedProblem, widthHistogram, type MixedObjectiveOptions, type ObjectiveMode, type StudyBudget } from './plan';
import type { HeldOutSet, PromptKind } from './scenes';
import { studyRow, type ModelSpec, type StudyRow } from './table';
import { promptsOfImage } from '../analysis/analysisKeys';
import { samGptq, type SamGptqResult } from '../analysis/samGptq';
import type { RoundedWeights } from '../quant/rounded-weights';
import type { BiasCorrectionOptions } from '../quant/bias-correction';
import { samBiasStats, type SamBiasStats } from '../analysis/samBiasCorrection';

export interface StudySettings {
  /** Analysis on the calibration scenes: T = imageCount, prompts per image, measured widths. */
  analysis: AnalysisSettings;
  budgets: readonly StudyBudget[];
  modes: readonly ObjectiveMode[];
  /** λ, its scaling and the optional floors of the mixed allocations (study/plan.ts). */
  objective: Omit<MixedObjectiveOptions, 'mode'>;
  /** Post-softmax log2 quantizer settings to compare (each gets its own analysis, allocations and scores). */
  log2PostSoftmax: readonly boolean[];
  /** Quantizer options other than log2 (weight range method, symmetry). Analyses use the defaults. */
  quantizer?: Partial<Omit<QuantizerOptions, 'log2PostSoftmax'>>;
  /** The MILP solver's time limit per mixed allocation. */
  solverTimeLimitS?: number;
  /**
   * Weight roundings to compare (default nearest only): every model of the plan is scored with each.
   * Allocations come from σ measured with round-to-nearest; GPTQ (analysis/samGptq.ts) rounds the
   * chosen widths with Hessians from the calibration scenes.
   */
  roundings?: readonly WeightRounding[];
  /**
   * Bias correction off and/or on (default off only): each setting scores every model of the plan with each
   * rounding; the input means come from the calibration scenes (analysis/samBiasCorrection.ts).
   */
  biasCorrection?: readonly boolean[];
}

export type { WeightRounding };

export interface StudyInput {
  ort: OrtModule;
  /** The exact allocation's MILP solver (core/allocate/milpEngines.ts). */
  milp: MilpEngine;
  files: SamModelFiles;
  calibration: readonly AnalysisImage[];
  heldOut: HeldOutSet;
  settings: StudySettings;
  /** Where analysis probes are kept (a journal file makes reruns cheap); memory by default. */
  store?: AnalysisStore;
  sessionOptions?: SessionOptions;
  onProgress?: (label: string) => void;
}

export interface StudyTimings {
  /** GPTQ's Hessians and rounding (0 without it). */
  gptqMs: number;
  /** Bias correction's input means (0 without it). */
  biasStatsMs?: number;
  analysisMs: number;
  allocationMs: number;
  evaluationMs: number;
}

/** One analysis of the study: σ, Ω and Ŝ measured under one post-softmax quantizer setting, and its plan. */
export interface StudyAnalysis {
  log2PostSoftmax: boolean;
  results: AnalysisResults;
  stats: AnalysisRunStats;
  facts: CalibrationFacts;
  /** FP, then per budget the uniform model and one mixed model per objective mode (planModels). */
  models: ModelSpec[];
}

export interface StudyResult {
  rows: StudyRow[];
  /** One per post-softmax setting, in the order of settings.log2PostSoftmax. */
  analyses: StudyAnalysis[];
  timings: StudyTimings;
  /** What GPTQ rounded (null when the study did not use it). */
  gptq: Omit<SamGptqResult, 'weights'> | null;
}

/** The uniform and mixed models of the plan (FP first), with their widths in analysis order. */
export async function planModels(results: AnalysisResults, settings: StudySettings, milp: MilpEngine): Promise<ModelSpec[]> {
  const models: ModelSpec[] = [{ id: 'fp', label: 'FP32', kind: 'fp', budget: null, mode: null, bits: null, use: null, solver: null }];
  for (const budget of settings.budgets) {
    const paperProblem = mixedProblem(results, budget, { ...settings.objective, mode: 'paper' });
    const uniformBits = results.units.map(() => budget.bits);
    models.push({
      id: `uniform-${budget.label}`,
      label: `Uniform ${budget.label}`,
      kind: 'uniform',
      budget,
      mode: null,
      bits: uniformBits,
      use: budgetUse(paperProblem, uniformBits),
      solver: null,
    });
    for (const mode of settings.modes) {
      const problem = mixedProblem(results, budget, { ...settings.objective, mode });
      const answer = await solveExact(problem, milp, { timeLimitS: settings.solverTimeLimitS ?? 20 });
      if (!answer.bits) throw new Error(`No mixed allocation at the ${budget.label} budget (${mode} mode): ${answer.infeasibleReason ?? answer.status}`);
      const use = budgetUse(problem, answer.bits);
      if (!use.withinBudget) throw new Error(`The ${mode}-mode allocation at ${budget.label} exceeds its budget.`);
      models.push({
        id: `mixed-${mode}-${budget.label}`,
        label: `Mixed ${mode === 'paper' ? 'Ω' : 'σ'} @${budget.label}`,
        kind: 'mixed',
        budget,
        mode,
        bits: answer.bits,
        use,
        solver: { status: answer.status, gap: answer.gap, elapsedMs: answer.elapsedMs, widths: widthHistogram(answer.bits) },
      });
    }
  }
  return models;
}

/** Both parametric graphs with the study's quantizer options (evaluate/quantizedSam.ts builds them with the defaults). */
function studyParametric(
  sam: PreparedSam,
  facts: CalibrationFacts,
  widths: readonly number[],
  quantizer: Partial<QuantizerOptions>,
  roundedWeights?: RoundedWeights,
  biasCorrection?: BiasCorrectionOptions,
): SamParametric {
  const weightBits = [...new Set(widths)].sort((a, b) => a - b);
  const options = { ...parametricOptionsOf(facts, weightBits, quantizer), roundedWeights, ...(biasCorrection ? { biasCorrection } : {}) };
  const build = (model: ModelProto, graph: GraphKind) => {
    const units = unitsOfGraph(sam, graph);
    return units.length > 0 ? buildParametricModel(model, units, options) : null;
  };
  return { encoder: build(sam.encoder, 'encoder'), decoder: build(sam.decoder, 'decoder'), weightBits, facts };
}

/**
 * The study: for each post-softmax quantizer setting its own analysis (calibration, Ω, σ and Ŝ measured
 * with that quantizer, so the allocation knows what the quantizer costs), its allocations, and every
 * model of the plan scored on the held-out prompts.
 */
export async function runQualityStudy(input: StudyInput): Promise<StudyResult> {
  const { ort, settings } = input;
  const progress = input.onProgress ?? (() => {});
  const store = input.store ?? new MemoryAnalysisStore();
  const clock = () => Date.now();
  const timings: StudyTimings = { gptqMs: 0, analysisMs: 0, allocationMs: 0, evaluationMs: 0 };
  const sam = prepareSam(input.files);
  const scores = new Map<string, Record<PromptKind, EvaluationResult>>();
  const scoreKey = (log2: boolean, rounding: WeightRounding, corrected: boolean) => `${log2}|${rounding}|${corrected}`;
  const analyses: StudyAnalysis[] = [];
  const roundings = settings.roundings ?? ['nearest'];
  const corrections = settings.biasCorrection ?? [false];
  const variants = roundings.flatMap((rounding) => corrections.map((corrected) => ({ rounding, corrected })));
  // GPTQ at every width a model of the plan can take, once: its Hessians see FP inputs, whatever the quantizers.
  let gptq: SamGptqResult | null = null;
  if (roundings.includes('gptq')) {
    const started = clock();
    const analysisSettings = validateSettings(settings.analysis);
    const items = input.calibration.slice(0, analysisSettings.imageCount).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, analysisSettings) }));
    const widths = [...new Set(settings.budgets.flatMap((budget) => [budget.bits, ...budget.candidates]))].sort((a, b) => a - b);
    gptq = await samGptq({ ort, sam, items, units: sam.probedUnits, widths, quantizer: settings.quantizer, sessionOptions: input.sessionOptions, beforeStep: progress });
    timings.gptqMs = clock() - started;
    progress(`GPTQ: ${gptq.units.length} weight units rounded at widths ${widths.join(', ')} (${gptq.nearest.length} kept round-to-nearest) in ${(timings.gptqMs / 1000).toFixed(0)} s`);
  }

  for (const log2 of settings.log2PostSoftmax) {
    const setting = `log2 ${log2 ? 'on' : 'off'}`;
    const analysisSettings = validateSettings({ ...settings.analysis, log2PostSoftmax: log2 });
    let started = clock();
    progress(`Analysis (${setting}): ${analysisSettings.imageCount} calibration images, widths ${analysisSettings.candidateBits.join(', ')}`);
    let lastLabel = '';
    const { results, stats } = await runAnalysis(input.files, input.calibration, analysisSettings, {
      ort,
      store,
      sessionOptions: input.sessionOptions,
      onProgress: (p) => {
        const label = `Analysis (${setting}) ${p.phase} ${Math.floor((100 * p.done) / Math.max(p.total, 1) / 10) * 10}%`;
        if (label !== lastLabel) progress((lastLabel = label));
      },
    });
    if (!results.complete) throw new Error('The analysis did not finish.');
    const facts = (await store.load(results.runKey)).get('calibration') as CalibrationFacts | undefined;
    if (!facts) throw new Error('The analysis left no calibration facts in its store.');
    timings.analysisMs += clock() - started;

    started = clock();
    const models = await planModels(results, settings, input.milp);
    timings.allocationMs += clock() - started;
    analyses.push({ log2PostSoftmax: log2, results, stats, facts, models });

    const widths = [...new Set(models.flatMap((model) => model.bits ?? []))];
    let biasStats: SamBiasStats | null = null;
    if (corrections.includes(true)) {
      started = clock();
      const items = input.calibration.slice(0, analysisSettings.imageCount).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, analysisSettings) }));
      biasStats = await samBiasStats({ ort, sam, items, units: sam.probedUnits, activationBits: widths.length > 0 ? widths : [8], facts, sessionOptions: input.sessionOptions, beforeStep: progress });
      timings.biasStatsMs = (timings.biasStatsMs ?? 0) + clock() - started;
      progress(`Bias correction (${setting}): input means of ${biasStats.stats.size} weight units (${biasStats.skipped.length} skipped) in ${(biasStats.timings.statsMs / 1000).toFixed(1)} s`);
    }

    for (const { rounding, corrected } of variants) {
      started = clock();
      const tag = `${setting}, ${rounding === 'gptq' ? 'GPTQ' : 'nearest'} rounding${corrected ? ', bias corrected' : ''}`;
      progress(`Evaluation (${tag}): building the quantized sessions`);
      const correction = corrected ? { stats: biasStats!.stats, activationBits: biasStats!.activationBits } : undefined;
      const parametric = studyParametric(sam, facts, widths.length > 0 ? widths : [8], { ...settings.quantizer }, rounding === 'gptq' ? gptq!.weights : undefined, correction);
      const runner = await QuantizedSam.create(ort, sam, parametric, input.sessionOptions);
      // FP depends on neither the rounding nor the correction: scored with the first variant only.
      const first = variants[0].rounding === rounding && variants[0].corrected === corrected;
      const plans: EvaluationPlan[] = models
        .filter((model) => model.kind !== 'fp' || first)
        .map((model) => ({ id: model.kind, label: model.label, allocation: model.bits ? allocationFromBits(results, model.bits) : null }));
      try {
        const byKind = {} as Record<PromptKind, EvaluationResult>;
        for (const kind of ['point', 'box'] as const) {
          progress(`Evaluation (${tag}, ${kind} prompts): ${plans.length} models × ${input.heldOut.byKind[kind].length} images`);
          byKind[kind] = await evaluatePlans(runner, input.heldOut.byKind[kind], plans);
        }
        scores.set(scoreKey(log2, rounding, corrected), byKind);
      } finally {
        await runner.release();
      }
      timings.evaluationMs += clock() - started;
    }
  }

  const rows: StudyRow[] = [];
  const modelCount = analyses[0]?.models.length ?? 0;
  for (let k = 0; k < modelCount; k++) {
    for (const analysis of analyses) {
      const model = analysis.models[k];
      for (const [v, { rounding, corrected }] of variants.entries()) {
        // FP does not depend on the quantizer, the rounding or the correction: one row.
        if (model.kind === 'fp' && (analysis !== analyses[0] || v !== 0)) continue;
        const byKind = scores.get(scoreKey(analysis.log2PostSoftmax, rounding, corrected))!;
        // Without the FP plan, the variant's scores are one model shorter.
        const at = v === 0 ? k : k - 1;
        const quantized = model.kind === 'fp' ? null : { log2: analysis.log2PostSoftmax, rounding, ...(corrected ? { biasCorrection: true } : {}) };
        rows.push(studyRow(model, quantized, { point: byKind.point.plans[at], box: byKind.box.plans[at] }, { point: byKind.point, box: byKind.box }));
      }
    }
  }
  const fp = rows.find((row) => row.kind === 'fp');
  if (fp) for (const row of rows) row.relativeToFp = fp.miouTruth.all > 0 ? row.miouTruth.all / fp.miouTruth.all : NaN;

  return { rows, analyses, timings, gptq: gptq && { units: gptq.units, nearest: gptq.nearest, timings: gptq.timings } };
}
