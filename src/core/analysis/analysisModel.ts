/**
 * Everything an analysis needs to know about a SAM before probing it: its format (sam/ adapters), its
 * units (quant/units.ts), which are probed (excluded units never are) and the calibrated activation
 * ranges of the probed units (quant/calibration.ts), measured on the calibration images.
 */
import type { RgbaImage } from '../image/rgbaImage';
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort';
import { decodeModel, encodeModelBytes, type GraphProto, type ModelProto } from '../onnx/proto';
import { RangeCollector } from '../quant/calibration';
import { siteKey, type ActivationRanges, type WidthCalibration } from '../quant/config';
import { chooseLog2Taus, chooseLog2TausPerWidth } from '../quant/log2-tau';
import type { ParametricOptions } from '../quant/parametric';
import type { QuantizerOptions } from '../quant/quantizers';
import { int64Values, withValueStats, type StatOutputs, type StatRequest } from '../quant/graphStats';
import { ActivationSampler, SAMPLE_PER_BATCH } from '../quant/range-search';
import { discoverUnits, shapeProbeNames, type QuantUnit } from '../quant/units';
import { detectSamPart, type DetectedDecoder, type DetectedEncoder } from '../sam/detectFormat';
import { createSamAdapter, type SamAdapter, type SamModelConfig } from '../sam/samAdapter';
import type { ModelSignature, PlainFeeds, TensorSpec } from '../sam/types';
import { decoderPromptRuns, type BatchedDecoderIo, type PromptRuns } from './calibrationFeeds';
import type { CalibrationPrompt } from './calibrationPrompts';

export interface SamModelFiles {
  encoder: Uint8Array;
  decoder: Uint8Array;
  /** Facts from model.json the ONNX files do not state (input size, normalization). */
  config?: SamModelConfig;
}

const elementTypes: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

/** IO names, types and shapes read from the graph itself, for format detection without a session. */
export function signatureOfGraph(graph: GraphProto): ModelSignature {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const spec = (info: NonNullable<GraphProto['input']>[number]): TensorSpec => ({
    name: info.name ?? '',
    type: elementTypes[info.type?.tensorType?.elemType ?? 0] ?? '',
    shape: (info.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0))),
  });
  return {
    inputs: (graph.input ?? []).filter((input) => !initializers.has(input.name)).map(spec),
    outputs: (graph.output ?? []).map(spec),
  };
}

export interface PreparedSam {
  encoder: ModelProto;
  decoder: ModelProto;
  adapter: SamAdapter;
  encoderIo: DetectedEncoder;
  decoderIo: BatchedDecoderIo;
  /** Decoder outputs holding low-res mask logits and IoU predictions. */
  lowResOutput: string;
  iouOutput: string;
  /** Units probed, in execution order: encoder units, then decoder units. */
  probedUnits: QuantUnit[];
  excludedUnits: QuantUnit[];
}

/** Decodes both graphs, recognizes their format and lists their units. */
export function prepareSam(files: SamModelFiles): PreparedSam {
  const encoder = decodeModel(files.encoder);
  const decoder = decodeModel(files.decoder);
  const encoderPart = detectSamPart(signatureOfGraph(encoder.graph!), 'The encoder');
  const decoderPart = detectSamPart(signatureOfGraph(decoder.graph!), 'The decoder');
  if (encoderPart.part !== 'encoder') throw new Error('The file given as encoder is a SAM decoder.');
  if (decoderPart.part !== 'decoder') throw new Error('The file given as decoder is a SAM encoder.');
  const adapter = createSamAdapter(encoderPart, decoderPart, files.config);
  const decoderIo = decoderIoOf(decoderPart, adapter.inputSize, files.config);
  const units = [...discoverUnits(encoder, { graph: 'encoder' }), ...discoverUnits(decoder, { graph: 'decoder' })];
  return {
    encoder,
    decoder,
    adapter,
    encoderIo: encoderPart,
    decoderIo,
    lowResOutput: decoderPart.lowResOutput,
    iouOutput: decoderPart.iouOutput,
    probedUnits: units.filter((unit) => !unit.excludedByDefault),
    excludedUnits: units.filter((unit) => unit.excludedByDefault),
  };
}

function decoderIoOf(decoder: DetectedDecoder, inputSize: number, config: SamModelConfig | undefined): BatchedDecoderIo {
  return {
    family: decoder.family,
    inputNames: decoder.inputNames,
    inputSize,
    maskInputSize: decoder.maskInputSize ?? config?.lowResSize ?? 256,
    promptBatch: decoder.promptBatch,
  };
}

/** One calibration image with its prompts, ready to feed. */
export interface CalibrationItem {
  image: RgbaImage;
  prompts: CalibrationPrompt[];
}

function ortFeeds(ort: OrtModule, feeds: PlainFeeds): OrtFeeds {
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data, [...t.dims])]));
}

export function imageFeeds(ort: OrtModule, sam: PreparedSam, image: RgbaImage): OrtFeeds {
  return ortFeeds(ort, sam.adapter.encoderFeeds(image));
}

/** The decoder runs over an image's prompts (one, or one per prompt for fixed-batch decoders). */
export function promptFeeds(ort: OrtModule, sam: PreparedSam, item: CalibrationItem): PromptRuns<OrtFeeds> {
  const plan = decoderPromptRuns(item.prompts, item.image, sam.decoderIo);
  return { ...plan, runs: plan.runs.map((feeds) => ortFeeds(ort, feeds)) };
}

/**
 * What calibration measures once per run, stored with the run so a resume skips it. The per-width
 * entries (WidthCalibration) are there only when calibration was asked for them (CalibrationPerWidth).
 */
export interface CalibrationFacts extends WidthCalibration {
  ranges: ActivationRanges;
  /** τ of the log2 quantizer per softmax·v unit (quant/log2-tau.ts). */
  log2Tau: Record<string, number>;
  /** MACs per unit id, from the shapes of the calibration runs (null when a shape stayed unknown). */
  macs: Record<string, number | null>;
  /** false when softmax·v inputs were calibrated for the uniform quantizer (AnalysisSettings.log2PostSoftmax). */
  log2PostSoftmax?: boolean;
}

/** Options of the parametric graphs quantizing as these facts were calibrated (ranges, τ, log2 setting). */
export function parametricOptionsOf(facts: CalibrationFacts, weightBits: readonly number[], quantizer: Partial<QuantizerOptions> = {}): ParametricOptions {
  const widthCalibration = facts.rangesByBits || facts.log2TauByBits ? facts : undefined;
  return { weightBits, ranges: facts.ranges, log2Tau: facts.log2Tau, widthCalibration, quantizer: { ...quantizer, log2PostSoftmax: facts.log2PostSoftmax !== false } };
}

/**
 * Activation ranges of the probed units (METHOD.md "Quantizers": per tensor, average of per-batch
 * min/max), one batch per image: the encoder's copy also yields the FP embedding on which the
 * decoder's copy then runs with all of the image's prompts. The same runs give the shapes for MACs;
 * τ of the log2 quantizer is then chosen on the same batches.
 */
export async function calibrate(args: {
  ort: OrtModule;
  sam: PreparedSam;
  items: readonly CalibrationItem[];
  sessionOptions?: SessionOptions;
  /** Called before each image; throwing stops calibration. */
  beforeImage?: (index: number) => Promise<void> | void;
  /** Called before each later step (the decoder's passes, the log2 τ search), in words; throwing stops calibration. */
  beforeStep?: (label: string) => Promise<void> | void;
  /** Also choose ranges and/or log2 τ for each of these widths (off when absent). */
  perWidth?: CalibrationPerWidth;
  /** false: softmax·v inputs are quantized uniformly, so no log2 τ is chosen (default true). */
  log2PostSoftmax?: boolean;
}): Promise<CalibrationFacts> {
  const { ort, sam } = args;
  const byGraph = (graph: QuantUnit['graph']) => sam.probedUnits.filter((unit) => unit.graph === graph);
  const sample = !!args.perWidth?.ranges;
  const collector = new RangeCollector();
  const sampler = sample ? new ActivationSampler() : null;
  const shapes = { encoder: new Map<string, number[]>(), decoder: new Map<string, number[]>() };
  const batches = { encoder: [] as OrtFeeds[], decoder: [] as OrtFeeds[] };
  // Only statistics leave the graph (min, max, a strided sample, dims), never the activations themselves.
  const collect = (copy: CalibrationCopy, graph: QuantUnit['graph'], results: OrtFeeds) => {
    const { outputsBySite, stats, shapeNames } = copy;
    const scalar = (name: string | undefined) => (results[name!].data as Float32Array)[0];
    for (const [key, value] of outputsBySite) {
      const stat = stats.get(value)!;
      const range = { min: scalar(stat.min), max: scalar(stat.max) };
      if (int64Values(results[stat.shape].data).includes(0)) continue;
      collector.addRange(key, range);
      sampler?.addSummary(key, range, results[stat.sample!].data as Float32Array);
    }
    for (const name of shapeNames) shapes[graph].set(name, int64Values(results[stats.get(name)!.shape].data));
  };
  /** Each pass is one session over every image: the sessions never coexist, so one copy of the weights is held. */
  const runPasses = async (graph: QuantUnit['graph'], feedsOf: (index: number) => OrtFeeds[]) => {
    const passes = calibrationPasses(graph === 'encoder' ? sam.encoder : sam.decoder, byGraph(graph), sample);
    const outputs: OrtFeeds[][] = args.items.map(() => []);
    for (const [p, copy] of passes.entries()) {
      const session = await ort.InferenceSession.create(encodeModelBytes(copy.model), args.sessionOptions);
      try {
        for (let index = 0; index < args.items.length; index++) {
          if (graph === 'encoder') await args.beforeImage?.(index);
          for (const feeds of feedsOf(index)) {
            const results = await session.run(Object.fromEntries(session.inputNames.filter((n) => feeds[n]).map((n) => [n, feeds[n]])));
            collect(copy, graph, results);
            if (p === 0) outputs[index].push(results);
          }
        }
      } finally {
        await session.release();
      }
    }
    return outputs;
  };
  const images = args.items.map((item) => imageFeeds(ort, sam, item.image));
  const encoded = await runPasses('encoder', (index) => [images[index]]);
  batches.encoder.push(...images);
  // A fixed-batch decoder decodes the image's prompts one run at a time: each run is a batch.
  const decoderFeeds = args.items.map((item, index) => {
    const embeddings = Object.fromEntries(sam.adapter.embeddingNames.map((name) => [name, encoded[index][0][name]]));
    return promptFeeds(ort, sam, item).runs.map((run) => ({ ...run, ...embeddings }));
  });
  await args.beforeStep?.('Calibrating the decoder');
  await runPasses('decoder', (index) => decoderFeeds[index]);
  batches.decoder.push(...decoderFeeds.flat());
  const ranges = collector.ranges();
  const log2 = args.log2PostSoftmax !== false;
  const log2Tau: Record<string, number> = {};
  const macs: Record<string, number | null> = {};
  for (const graph of ['encoder', 'decoder'] as const) {
    const model = graph === 'encoder' ? sam.encoder : sam.decoder;
    if (log2) await args.beforeStep?.(`Choosing the log2 τ of the ${graph}'s softmax·v units`);
    if (log2) Object.assign(log2Tau, await chooseLog2Taus(ort, model, byGraph(graph), ranges, batches[graph], { sessionOptions: args.sessionOptions }));
    for (const unit of discoverUnits(model, { graph, shapes: shapes[graph] })) macs[unit.id] = unit.macs;
  }
  const facts: CalibrationFacts = { ranges, log2Tau, macs, ...(log2 ? {} : { log2PostSoftmax: false }) };
  if (!args.perWidth) return facts;
  return { ...facts, ...(await perWidthFacts(args.ort, sam, { ...args.perWidth, log2PostSoftmax: log2 }, ranges, sampler, batches, args.sessionOptions)) };
}

/**
 * Calibration per width, an option beside METHOD.md's single range and τ: ranges of least squared error
 * at each width (quant/range-search.ts; post-softmax sites under the log2 quantizer keep their largest
 * value as scale), and τ of the log2 quantizer chosen at each width among 1, 2, 4, … 2^(b−1) with those
 * scales (a wide grid affords a fine τ; METHOD.md's {1, 2, 4} is chosen at 4 bits).
 */
export interface CalibrationPerWidth {
  bits: readonly number[];
  ranges: boolean;
  log2Tau: boolean;
}

async function perWidthFacts(
  ort: OrtModule,
  sam: PreparedSam,
  perWidth: CalibrationPerWidth & { log2PostSoftmax: boolean },
  ranges: ActivationRanges,
  sampler: ActivationSampler | null,
  batches: Record<QuantUnit['graph'], OrtFeeds[]>,
  sessionOptions: SessionOptions | undefined,
): Promise<WidthCalibration> {
  const log2 = perWidth.log2PostSoftmax;
  const log2Sites = new Set(sam.probedUnits.filter((u) => log2 && u.postSoftmaxInput !== null).map((u) => siteKey(u.id, u.postSoftmaxInput!)));
  const rangesByBits: Record<number, ActivationRanges> = {};
  if (sampler) {
    for (const bits of perWidth.bits) {
      rangesByBits[bits] = Object.fromEntries(sampler.keys().map((key) => [key, log2Sites.has(key) ? sampler.extremesOf(key) : sampler.mseRange(key, bits)]));
    }
  }
  let log2TauByBits: Record<number, Record<string, number>> = {};
  if (perWidth.log2Tau && log2) {
    for (const graph of ['encoder', 'decoder'] as const) {
      const model = graph === 'encoder' ? sam.encoder : sam.decoder;
      const units = sam.probedUnits.filter((unit) => unit.graph === graph);
      const taus = await chooseLog2TausPerWidth(ort, model, units, (bits) => ({ ...ranges, ...rangesByBits[bits] }), batches[graph], { widths: perWidth.bits, sessionOptions });
      log2TauByBits = Object.fromEntries(perWidth.bits.map((bits) => [bits, { ...log2TauByBits[bits], ...taus[bits] }]));
    }
  }
  return { ...(sampler ? { rangesByBits } : {}), ...(perWidth.log2Tau && log2 ? { log2TauByBits } : {}) };
}

/**
 * Activation sites measured per calibration pass (each pass one session over every image). Measured on
 * Meta's ViT-B encoder in onnxruntime-node (98 sites; plain forward 4.35 GB peak RSS): one pass with every
 * site peaks at 4.4–4.7 GB, as each site is reduced as soon as it exists (quant/graphStats.ts); passes run
 * one after another in one process grew it (freed session memory is not given back to the system between
 * passes). So one pass, up to this many sites.
 */
export const SITES_PER_CALIBRATION_PASS = 256;

interface CalibrationCopy {
  model: ModelProto;
  outputsBySite: Map<string, string>;
  shapeNames: string[];
  stats: Map<string, StatOutputs>;
}

/**
 * Copies of the FP model that also return, reduced in the graph, each site's min and max (and a
 * strided sample when per-width ranges are searched); the first also returns the dims MACs need.
 */
function calibrationPasses(model: ModelProto, units: readonly QuantUnit[], sample: boolean): CalibrationCopy[] {
  const sites: [string, string][] = [];
  for (const unit of units) unit.activationInputs.forEach((value, i) => sites.push([siteKey(unit.id, i), value]));
  const values = [...new Set(sites.map(([, value]) => value))];
  const passes: CalibrationCopy[] = [];
  for (let start = 0; start === 0 || start < values.length; start += SITES_PER_CALIBRATION_PASS) {
    const chosen = new Set(values.slice(start, start + SITES_PER_CALIBRATION_PASS));
    const shapeNames = start === 0 ? shapeProbeNames(model) : [];
    const requests = new Map<string, StatRequest>(shapeNames.map((name) => [name, { range: false }]));
    for (const value of chosen) requests.set(value, sample ? { sample: SAMPLE_PER_BATCH } : {});
    const { model: copy, outputs: stats } = withValueStats(model, requests);
    passes.push({ model: copy, outputsBySite: new Map(sites.filter(([, value]) => chosen.has(value))), shapeNames, stats });
  }
  return passes;
}
