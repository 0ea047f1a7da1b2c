/**
 * A SAM whose encoder and decoder run as parametric fake-quant sessions (quant/parametric.ts, DESIGN.md
 * "One compiled session, many configurations"): full precision, a uniform baseline and any mixed
 * allocation are the same two sessions fed differently. Weights and activations are quantized with the
 * calibrated ranges and log2 τ of the analysis (analysis/analysisModel.ts CalibrationFacts).
 */
import { parametricOptionsOf, type CalibrationFacts, type CalibrationItem, type PreparedSam } from '../analysis/analysisModel';
import type { PromptRuns } from '../analysis/calibrationFeeds';
import { runPromptRuns } from '../analysis/promptRuns';
import { toOrtFeeds, type OrtFeeds, type OrtModule, type OrtSession, type SessionOptions } from '../onnx/ort';
import { encodeModelBytes, type ModelProto } from '../onnx/proto';
import { allocationToConfig, type Allocation, type QuantConfig } from '../quant/config';
import { buildParametricModel, PARAMETRIC_SESSION_OPTIONS, type ParametricModel } from '../quant/parametric';
import type { GraphKind, QuantUnit } from '../quant/units';
import type { RoundedWeights } from '../quant/rounded-weights';
import type { AnalysisScope, WeightRounding } from '../analysis/settings';
import { samGptq } from '../analysis/samGptq';
import { samBiasStats } from '../analysis/samBiasCorrection';
import type { BiasCorrectionOptions } from '../quant/bias-correction';

/** The parametric graphs of both SAM parts (null: the part has no quantizable unit and runs as is). */
export interface SamParametric {
  encoder: ParametricModel | null;
  decoder: ParametricModel | null;
  /** Widths the sessions can select for weights. */
  weightBits: number[];
  facts: CalibrationFacts;
}

/** Units an allocation may set: the analysed (probed) units, by graph. */
export function unitsOfGraph(sam: PreparedSam, graph: GraphKind): QuantUnit[] {
  return sam.probedUnits.filter((unit) => unit.graph === graph);
}

/** Widths an allocation uses (null and missing entries are full precision). */
export function allocationWidths(allocation: Allocation | null): number[] {
  if (!allocation) return [];
  const widths = new Set<number>();
  for (const bits of Object.values(allocation)) if (typeof bits === 'number') widths.add(bits);
  return [...widths].sort((a, b) => a - b);
}

export interface SamParametricOptions {
  /** Codes of rounded weights (GPTQ); default: weights rounded to nearest. */
  roundedWeights?: RoundedWeights;
  /** Input means for bias correction (analysis/samBiasCorrection.ts); default: biases as they are. */
  biasCorrection?: BiasCorrectionOptions;
  /**
   * The graphs that get a parametric graph (default both). A graph left out runs, and ships, as the
   * original model: a decoder-only analysis keeps the encoder at full precision, so building its
   * parametric encoder (every width's weight table) would only cost memory — at ViT-B scale more than a tab has.
   */
  graphs?: readonly GraphKind[];
}

/** The graphs an analysis of this scope quantizes. */
export function graphsOfScope(scope: AnalysisScope | undefined): GraphKind[] {
  return (scope ?? 'all') === 'all' ? ['encoder', 'decoder'] : ['decoder'];
}

/** Builds the parametric graphs able to select every width in `weightBits`. */
export function buildSamParametric(sam: PreparedSam, facts: CalibrationFacts, weightBits: readonly number[], parametricOptions: SamParametricOptions = {}): SamParametric {
  const widths = [...new Set(weightBits)].sort((a, b) => a - b);
  if (widths.length === 0) throw new Error('At least one candidate width is needed to quantize.');
  // Per-width ranges and τ when the analysis calibrated per width, and its post-softmax quantizer.
  const { roundedWeights, biasCorrection } = parametricOptions;
  const options = { ...parametricOptionsOf(facts, widths), roundedWeights, ...(biasCorrection ? { biasCorrection } : {}) };
  const graphs = parametricOptions.graphs ?? ['encoder', 'decoder'];
  const build = (model: ModelProto, graph: GraphKind) => {
    const units = unitsOfGraph(sam, graph);
    return units.length > 0 && graphs.includes(graph) ? buildParametricModel(model, units, options) : null;
  };
  return { encoder: build(sam.encoder, 'encoder'), decoder: build(sam.decoder, 'decoder'), weightBits: widths, facts };
}

/**
 * Both parametric graphs with the analysis' weight rounding and bias correction: for GPTQ, every quantized
 * weight unit is first rounded at each width with Hessians from the calibration items (analysis/samGptq.ts);
 * for bias correction, the input means of every weight unit are measured on the same items, FP and at each
 * width (analysis/samBiasCorrection.ts), and each width's bias comes corrected for the rounding used.
 */
export async function buildRoundedSamParametric(args: {
  ort: OrtModule;
  sam: PreparedSam;
  facts: CalibrationFacts;
  weightBits: readonly number[];
  rounding: WeightRounding;
  /** Correct every weight unit's bias for its mean output shift (default off). */
  biasCorrection?: boolean;
  items: readonly CalibrationItem[];
  sessionOptions?: SessionOptions;
  beforeStep?: (label: string) => Promise<void> | void;
  /** The graphs quantized (default both): SamParametricOptions.graphs. */
  graphs?: readonly GraphKind[];
}): Promise<SamParametric> {
  const widths = [...new Set(args.weightBits)].sort((a, b) => a - b);
  const graphs = args.graphs;
  const corrected = args.biasCorrection === true;
  if (args.rounding === 'nearest' && !corrected) return buildSamParametric(args.sam, args.facts, widths, { graphs });
  if (args.items.length === 0) throw new Error(`${args.rounding === 'gptq' ? 'GPTQ rounding' : 'Bias correction'} needs the calibration images: add at least one image.`);
  const units = args.sam.probedUnits.filter((unit) => (graphs ?? ['encoder', 'decoder']).includes(unit.graph));
  const shared = { ort: args.ort, sam: args.sam, items: args.items, units, sessionOptions: args.sessionOptions, beforeStep: args.beforeStep };
  const roundedWeights = args.rounding === 'gptq' ? (await samGptq({ ...shared, widths })).weights : undefined;
  // Activations share the weights' widths in every allocation, so the means are taken at the same widths.
  const stats = corrected ? await samBiasStats({ ...shared, activationBits: widths, facts: args.facts }) : null;
  const biasCorrection = stats ? { stats: stats.stats, activationBits: stats.activationBits } : undefined;
  return buildSamParametric(args.sam, args.facts, widths, { roundedWeights, biasCorrection, graphs });
}

/** True when the parametric graphs can run every width of the allocation. */
export function supportsAllocation(parametric: SamParametric, allocation: Allocation | null): boolean {
  return allocationWidths(allocation).every((bits) => parametric.weightBits.includes(bits));
}

/** One graph's configuration of an allocation; null allocation means full precision. */
export function graphConfig(sam: PreparedSam, graph: GraphKind, allocation: Allocation | null): QuantConfig {
  return allocation ? allocationToConfig(allocation, unitsOfGraph(sam, graph)) : {};
}

function only(feeds: OrtFeeds, session: OrtSession): OrtFeeds {
  return Object.fromEntries(session.inputNames.filter((name) => feeds[name]).map((name) => [name, feeds[name]]));
}

/** What evaluation, preview and verification run on (a worker may wrap a QuantizedSam to queue its runs). */
export interface SamRunner {
  readonly ort: OrtModule;
  readonly sam: PreparedSam;
  readonly parametric: SamParametric;
  embed(imageFeeds: OrtFeeds, allocation: Allocation | null): Promise<OrtFeeds>;
  decode(embeddings: OrtFeeds, prompts: PromptRuns<OrtFeeds>, allocation: Allocation | null): Promise<OrtFeeds>;
  /**
   * Releases the sessions it holds until its next run, which opens them again (same bytes, same options,
   * so the same outputs). Lets a worker hold one large encoder session at a time.
   */
  suspend?(): Promise<void>;
}

/** The sessions of a SamParametric: `embed` and `decode` take an allocation (null: full precision). */
export class QuantizedSam implements SamRunner {
  private sessions: Promise<{ encoder: OrtSession; decoder: OrtSession }> | null;
  private released = false;

  private constructor(
    readonly ort: OrtModule,
    readonly sam: PreparedSam,
    readonly parametric: SamParametric,
    private readonly options: SessionOptions,
    sessions: { encoder: OrtSession; decoder: OrtSession },
  ) {
    this.sessions = Promise.resolve(sessions);
  }

  /**
   * Opens both sessions. Default options are PARAMETRIC_SESSION_OPTIONS (fast, FP bit-exact to the
   * original graph); pass REFERENCE_SESSION_OPTIONS to compare with an exported file (quant/verify.ts).
   */
  static async create(ort: OrtModule, sam: PreparedSam, parametric: SamParametric, sessionOptions: SessionOptions = {}): Promise<QuantizedSam> {
    const options = { ...PARAMETRIC_SESSION_OPTIONS, ...sessionOptions };
    return new QuantizedSam(ort, sam, parametric, options, await QuantizedSam.open(ort, sam, parametric, options));
  }

  private static async open(ort: OrtModule, sam: PreparedSam, parametric: SamParametric, options: SessionOptions) {
    const open = (part: ParametricModel | null, model: ModelProto) => ort.InferenceSession.create(part ? part.bytes : encodeModelBytes(model), options);
    const encoder = await open(parametric.encoder, sam.encoder);
    try {
      return { encoder, decoder: await open(parametric.decoder, sam.decoder) };
    } catch (error) {
      await encoder.release();
      throw error;
    }
  }

  /** The open sessions, opened again after a suspend. */
  private opened(): Promise<{ encoder: OrtSession; decoder: OrtSession }> {
    if (this.released) throw new Error('The quantized sessions were released.');
    this.sessions ??= QuantizedSam.open(this.ort, this.sam, this.parametric, this.options);
    const sessions = this.sessions;
    // A failed open is tried again on the next run rather than remembered.
    sessions.catch(() => {
      if (this.sessions === sessions) this.sessions = null;
    });
    return sessions;
  }

  /** True while the sessions are open (not suspended or released). */
  get holdsSessions(): boolean {
    return this.sessions !== null;
  }

  /** The configuration feeds of one graph (every gate input is fed, full precision included). */
  configFeeds(graph: GraphKind, allocation: Allocation | null): OrtFeeds {
    const part = graph === 'encoder' ? this.parametric.encoder : this.parametric.decoder;
    if (!part) return {};
    if (!supportsAllocation(this.parametric, allocation)) {
      throw new Error(`The allocation uses widths [${allocationWidths(allocation).join(', ')}] but the quantized sessions were built for [${this.parametric.weightBits.join(', ')}].`);
    }
    return toOrtFeeds(this.ort, part.feedsFor(graphConfig(this.sam, graph, allocation)));
  }

  /** The encoder outputs the decoder reads (image embeddings), with the allocation's encoder units quantized. */
  async embed(imageFeeds: OrtFeeds, allocation: Allocation | null): Promise<OrtFeeds> {
    const names = [...this.sam.adapter.embeddingNames];
    const { encoder } = await this.opened();
    const results = await encoder.run(only({ ...imageFeeds, ...this.configFeeds('encoder', allocation) }, encoder), names);
    return Object.fromEntries(names.map((name) => [name, results[name]]));
  }

  /** Every decoder output for these prompts (joined over the runs a fixed-batch decoder needs), with the allocation's decoder units quantized. */
  async decode(embeddings: OrtFeeds, prompts: PromptRuns<OrtFeeds>, allocation: Allocation | null): Promise<OrtFeeds> {
    const { decoder } = await this.opened();
    return runPromptRuns(this.ort, decoder, prompts, { ...embeddings, ...this.configFeeds('decoder', allocation) });
  }

  async suspend(): Promise<void> {
    const sessions = this.sessions;
    this.sessions = null;
    const open = await sessions?.catch(() => null);
    if (open) {
      await open.encoder.release();
      await open.decoder.release();
    }
  }

  async release(): Promise<void> {
    this.released = true;
    await this.suspend();
  }
}
