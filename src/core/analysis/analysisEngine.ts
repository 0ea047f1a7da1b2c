/**
 * Runs a Mix-QSAM analysis (METHOD.md "Layer importance Ω", "Quantization sensitivity", "Cross-layer
 * synergy Ŝ") on any onnxruntime (node or web, injected). Per image: one FP reference run, then every
 * probe of every unit (zero-ablation, and single-unit quantization at each measured width), each
 * compared with the reference by KL. Each result is saved as soon as it is measured, so a rerun on the
 * same store measures only what is missing. Cancellation is checked before every forward.
 */
import type { RgbaImage } from '../image/rgbaImage';
import type { OrtModule, SessionOptions } from '../onnx/ort';
import { decodeModel, encodeModelBytes } from '../onnx/proto';
import { estimateEtaMs, CancelledError, type Progress } from '../progress';
import type { QuantConfig } from '../quant/config';
import { buildParametricModel, PARAMETRIC_SESSION_OPTIONS } from '../quant/parametric';
import type { QuantUnit } from '../quant/units';
import { calibrationEntryKey, probeEntryKey } from './analysisKeys';
import { imageFeeds, parametricOptionsOf, promptFeeds, type CalibrationFacts, type SamModelFiles } from './analysisModel';
import { calibratePlan, planAnalysis, type AnalysisPlan } from './analysisPlan';
import { buildResults, type AnalysisResults } from './analysisResults';
import type { AnalysisStore, StoredValue } from './analysisStore';
import { singleMaskPrompts } from './calibrationFeeds';
import type { PromptSource } from './calibrationPrompts';
import { klDivergence, maskLogitsShape, outputDistribution, selectMasks } from './distribution';
import { ablationProbe, createProbeTable, setProbe } from './metrics';
import { DecoderProbeRunner, EncoderProbeRunner, type DecoderOutputs } from './probeSessions';
import type { AnalysisSettings } from './settings';

export interface AnalysisImage extends Omit<PromptSource, 'width' | 'height'> {
  name: string;
  image: RgbaImage;
}

export interface AnalysisProgress extends Progress {
  phase: 'preparing' | 'calibrating' | 'probing' | 'done';
  imageIndex: number | null;
  unitId: string | null;
}

/** One probe's raw output, for independent checks (tests) and debugging. */
export interface ProbeRecord {
  imageIndex: number;
  unitId: string;
  probe: string;
  lowResDims: readonly number[];
  lowRes: Float32Array;
  kl: number;
}

export interface ReferenceRecord {
  imageIndex: number;
  lowResDims: readonly number[];
  lowRes: Float32Array;
  selectedMasks: Int32Array;
}

export interface AnalysisRunOptions {
  ort: OrtModule;
  store: AnalysisStore;
  sessionOptions?: SessionOptions;
  onProgress?: (progress: AnalysisProgress) => void;
  /** Partial results while running (at most every `resultsIntervalMs`, and after each image). */
  onResults?: (results: AnalysisResults) => void;
  resultsIntervalMs?: number;
  /** Polled before every forward; true stops the run with a CancelledError. */
  isCancelled?: () => boolean;
  /** Awaited between forwards, so a worker can receive a cancel message. */
  yieldToEventLoop?: () => Promise<void>;
  onReference?: (record: ReferenceRecord) => void;
  onProbe?: (record: ProbeRecord) => void;
  /**
   * Probe only the units this accepts (default: every unit not excluded). Ω and Ŝ then normalize over
   * these units; measured KL values are stored per unit, so they are shared with runs of other subsets.
   */
  unitFilter?: (unit: QuantUnit) => boolean;
  now?: () => number;
}

export interface AnalysisRunStats {
  /** Probes measured by this run (each one decoder run, plus the encoder from the unit's cut for encoder units). */
  probesRun: number;
  /** Probes found in the store and not measured again. */
  probesReused: number;
  referenceRuns: number;
  calibrationRuns: number;
  /** Encoder probes that started from a cut instead of the image. */
  encoderSuffixRuns: number;
  /** Distinct cuts the encoder was split at. */
  encoderSegments: number;
  /** Time spent in probes (reference runs included), without model preparation and calibration. */
  probingMs: number;
  elapsedMs: number;
}

/** The configuration of one probe of `unit` (zero-ablation, or quantization at `bits`). */
export function probeConfig(unit: QuantUnit, probe: string, bits: number | null): QuantConfig {
  if (probe === ablationProbe) return { [unit.id]: { wBits: null, aBits: null, ablate: true } };
  return { [unit.id]: { wBits: unit.kind === 'weight' ? bits : null, aBits: bits } };
}

/** The [B, M, H, W] view of low-res masks; transformers.js exports add a leading image axis. */
function lowResShape(dims: readonly number[]) {
  return maskLogitsShape(dims.length === 5 ? [dims[0] * dims[1], dims[2], dims[3], dims[4]] : dims);
}

/**
 * The sessions' options of an analysis (and of its calibration, wherever it runs): the quantization engine's,
 * FP settings bit-exact to the original graph and no weight pre-packing; no per-session memory arena, so the
 * many sessions of an analysis give memory back after each run instead of each keeping its own peak (ViT-B:
 * ~3 GB of activations per session). `extra` (threads, providers) goes on top.
 */
export function analysisSessionOptions(extra?: SessionOptions): SessionOptions {
  return { ...PARAMETRIC_SESSION_OPTIONS, enableCpuMemArena: false, ...extra };
}

/**
 * The probe sessions of a plan, as runAnalysis runs them: the parametric encoder as a chain of segments and
 * the parametric decoder, quantizing with `facts`. `units` are the probed ones (a subset of the plan's scope).
 */
export async function createProbeRunners(
  plan: AnalysisPlan,
  facts: CalibrationFacts,
  units: readonly QuantUnit[],
  options: { ort: OrtModule; sessionOptions: SessionOptions },
): Promise<{ encoder: EncoderProbeRunner; decoder: DecoderProbeRunner }> {
  const { ort, sessionOptions } = options;
  const { sam, settings, widths } = plan;
  // Both graphs are made parametric even when only one has probed units: the other serves FP runs.
  const byGraph = (graph: QuantUnit['graph']) => {
    const selected = units.filter((unit) => unit.graph === graph);
    return selected.length > 0 ? selected : sam.probedUnits.filter((unit) => unit.graph === graph).slice(0, 1);
  };
  const parametricOptions = parametricOptionsOf(facts, widths);
  const encoderParametric = buildParametricModel(sam.encoder, byGraph('encoder'), parametricOptions);
  const decoderParametric = buildParametricModel(sam.decoder, byGraph('decoder'), parametricOptions);
  const encoder = await EncoderProbeRunner.create({
    ort,
    model: decodeModel(encoderParametric.bytes),
    parametric: encoderParametric,
    imageInputs: [sam.encoderIo.inputName],
    outputNames: sam.adapter.embeddingNames,
    // Without encoder probes (decoder-only analysis) the encoder only runs its FP reference: one segment.
    maxSegments: units.some((unit) => unit.graph === 'encoder') ? settings.maxEncoderSegments : 0,
    sessionOptions,
  });
  const decoder = await DecoderProbeRunner.create({
    ort,
    parametric: decoderParametric,
    original: encodeModelBytes(sam.decoder),
    lowResName: sam.lowResOutput,
    iouName: sam.iouOutput,
    sessionOptions,
  });
  return { encoder, decoder };
}

/** Measures what is missing for this model, these images and settings; returns all results. */
export async function runAnalysis(
  files: SamModelFiles,
  images: readonly AnalysisImage[],
  requestedSettings: AnalysisSettings,
  options: AnalysisRunOptions,
): Promise<{ results: AnalysisResults; stats: AnalysisRunStats }> {
  const now = options.now ?? (() => Date.now());
  const started = now();
  const { ort, store } = options;
  const sessionOptions = analysisSessionOptions(options.sessionOptions);
  const progress = (p: Omit<AnalysisProgress, 'etaMs'> & { etaMs?: number | null }) => options.onProgress?.({ etaMs: null, ...p });
  const checkCancelled = () => {
    if (options.isCancelled?.()) throw new CancelledError('Analysis cancelled; what was measured is kept.');
  };
  progress({ phase: 'preparing', done: 0, total: 0, label: 'Reading the model', imageIndex: null, unitId: null });

  const plan = await planAnalysis(files, images, requestedSettings);
  const { settings, used, items, sam, modelKey, runKey, inScope, widths, probes } = plan;
  const stored = await store.load(runKey);
  const units = options.unitFilter ? inScope.filter(options.unitFilter) : inScope;
  if (units.length === 0) throw new Error('No unit is left to probe: the unit filter rejected them all.');
  const table = createProbeTable(units.map((u) => u.id), used.length, probes);
  let probesReused = 0;
  units.forEach((unit, i) =>
    probes.forEach((probe) => {
      for (let t = 0; t < used.length; t++) {
        const value = stored.get(probeEntryKey(t, unit.id, probe));
        if (typeof value === 'number') {
          setProbe(table, probe, t, i, value);
          probesReused++;
        }
      }
    }),
  );
  let facts = stored.get(calibrationEntryKey) as CalibrationFacts | undefined;
  const results = () =>
    buildResults({
      runKey,
      modelHash: modelKey,
      settings,
      units: units.map((unit) => ({ ...unit, macs: facts?.macs[unit.id] ?? unit.macs })),
      excluded: sam.excludedUnits,
      imageNames: used.map((e) => e.name),
      table,
    });
  const total = units.length * probes.length * used.length;
  const stats: AnalysisRunStats = { probesRun: 0, probesReused, referenceRuns: 0, calibrationRuns: 0, encoderSuffixRuns: 0, encoderSegments: 0, probingMs: 0, elapsedMs: 0 };
  const missing = (t: number) => units.some((_, i) => probes.some((probe) => Number.isNaN(table.klByProbe.get(probe)![t * units.length + i])));
  if (!used.some((_, t) => missing(t))) {
    stats.elapsedMs = now() - started;
    progress({ phase: 'done', done: total, total, label: 'Done (all results were cached)', imageIndex: null, unitId: null, etaMs: 0 });
    return { results: results(), stats };
  }

  if (!facts) {
    facts = await calibratePlan(plan, {
      ort,
      sessionOptions,
      beforeImage: async (t: number) => {
        checkCancelled();
        progress({ phase: 'calibrating', done: t, total: items.length, label: `Calibrating on image ${t + 1}/${items.length}`, imageIndex: t, unitId: null });
        await options.yieldToEventLoop?.();
      },
      beforeStep: async (label: string) => {
        checkCancelled();
        progress({ phase: 'calibrating', done: items.length, total: items.length, label, imageIndex: null, unitId: null });
        await options.yieldToEventLoop?.();
      },
    });
    stats.calibrationRuns = items.length;
    await store.save(runKey, calibrationEntryKey, facts as unknown as StoredValue);
  }

  checkCancelled();
  progress({ phase: 'preparing', done: probesReused, total, label: 'Building the probe sessions', imageIndex: null, unitId: null });
  await options.yieldToEventLoop?.();
  const { encoder, decoder } = await createProbeRunners(plan, facts, units, { ort, sessionOptions });
  stats.encoderSegments = encoder.segmentPlan.cuts.length;

  const toMeasure = total - probesReused;
  const probingStarted = now();
  let lastResults = now();
  try {
    for (const [t, item] of items.entries()) {
      if (!missing(t)) continue;
      checkCancelled();
      const image = imageFeeds(ort, sam, item.image);
      const prompts = promptFeeds(ort, sam, item);
      progress({ phase: 'probing', done: probesReused + stats.probesRun, total, label: `Image ${t + 1}/${used.length} · full-precision reference`, imageIndex: t, unitId: null });
      const reference = await encoder.reference(image);
      const referenceOutputs = await decoder.run(reference.outputs, prompts, null);
      stats.referenceRuns++;
      const shape = lowResShape(referenceOutputs.lowRes.dims);
      const selected = selectMasks(referenceOutputs.iou.data as Float32Array, shape.masksPerPrompt, singleMaskPrompts(item.prompts));
      const referenceLogits = referenceOutputs.lowRes.data as Float32Array;
      const p = outputDistribution(referenceLogits, shape, selected, settings.distributionEpsilon);
      options.onReference?.({ imageIndex: t, lowResDims: referenceOutputs.lowRes.dims, lowRes: referenceLogits, selectedMasks: selected });

      for (const [i, unit] of units.entries()) {
        for (const probe of probes) {
          const values = table.klByProbe.get(probe)!;
          if (!Number.isNaN(values[t * units.length + i])) continue;
          checkCancelled();
          const bits = probe === ablationProbe ? null : widths[probes.indexOf(probe) - 1];
          const config = probeConfig(unit, probe, bits);
          let outputs: DecoderOutputs;
          if (unit.graph === 'encoder') {
            const embeddings = await encoder.probe(unit, config, image, reference);
            outputs = await decoder.run(embeddings, prompts, null);
          } else {
            outputs = await decoder.run(reference.outputs, prompts, config);
          }
          const logits = outputs.lowRes.data as Float32Array;
          const kl = klDivergence(p, outputDistribution(logits, lowResShape(outputs.lowRes.dims), selected, settings.distributionEpsilon));
          if (!Number.isFinite(kl)) {
            throw new Error(`Probe ${probe} of unit "${unit.id}" on image "${used[t].name}" gave non-finite mask logits.`);
          }
          setProbe(table, probe, t, i, kl);
          await store.save(runKey, probeEntryKey(t, unit.id, probe), kl);
          stats.probesRun++;
          options.onProbe?.({ imageIndex: t, unitId: unit.id, probe, lowResDims: outputs.lowRes.dims, lowRes: logits, kl });
          const elapsed = now() - probingStarted;
          progress({
            phase: 'probing',
            done: probesReused + stats.probesRun,
            total,
            label: `Image ${t + 1}/${used.length} · ${unit.part} ${unit.role} · ${probe === ablationProbe ? 'zero-ablation' : `W${bits}A${bits}`}`,
            imageIndex: t,
            unitId: unit.id,
            etaMs: estimateEtaMs(elapsed, stats.probesRun, toMeasure),
          });
          if (options.onResults && now() - lastResults >= (options.resultsIntervalMs ?? 500)) {
            lastResults = now();
            options.onResults(results());
          }
          await options.yieldToEventLoop?.();
        }
      }
      options.onResults?.(results());
      lastResults = now();
    }
  } finally {
    stats.probingMs = now() - probingStarted;
    stats.encoderSuffixRuns = encoder.suffixRuns;
    await encoder.release();
    await decoder.release();
  }
  stats.elapsedMs = now() - started;
  progress({ phase: 'done', done: total, total, label: 'Done', imageIndex: null, unitId: null, etaMs: 0 });
  return { results: results(), stats };
}
