/**
 * The onnxruntime sessions an analysis runs: the parametric encoder (also returning the values at its
 * cuts), one suffix session per cut, and the parametric decoder. Every probe is a change of feeds on
 * these sessions (DESIGN.md "One compiled session, many configurations"); an encoder probe runs only
 * the suffix after the latest cut its unit cannot affect (DESIGN.md "Caching what is expensive").
 */
import type { OrtFeeds, OrtModule, OrtSession, OrtTensor, SessionOptions } from '../onnx/ort';
import { toOrtFeeds } from '../onnx/ort';
import { encodeModelBytes, type GraphProto, type ModelProto } from '../onnx/proto';
import { readIntTensor } from '../onnx/tensor';
import type { QuantConfig } from '../quant/config';
import { PARAM_INPUTS, type ParametricModel } from '../quant/parametric';
import type { QuantUnit } from '../quant/units';
import type { PromptRuns } from './calibrationFeeds';
import { runPromptRuns } from './promptRuns';
import {
  findCuts,
  firstAffectedDataNode,
  indexGraph,
  latestCutBefore,
  suffixModel,
  thinCuts,
  withCutOutputs,
  type GraphCut,
  type GraphIndex,
} from './encoderSegments';

/**
 * The values through which the parametric graph hands each unit its configuration: the Gather of the
 * unit's slot in each configuration vector (see quant/parametric.ts). A unit's quantization can only
 * act where these values are read.
 */
export function unitConfigSources(graph: GraphProto, parametric: ParametricModel): Map<string, string[]> {
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const gathered = new Map<string, string[]>();
  for (const node of graph.node ?? []) {
    const [vector, indexName] = node.input ?? [];
    const index = initializers.get(indexName ?? '');
    if (node.opType !== 'Gather' || !index || !vector) continue;
    const slot = `${vector}#${readIntTensor(index)[0]}`;
    gathered.set(slot, [...(gathered.get(slot) ?? []), ...(node.output ?? [])]);
  }
  const P = PARAM_INPUTS;
  const weightUnits = parametric.units.filter((u) => u.kind === 'weight');
  const sources = new Map<string, string[]>();
  const add = (unitId: string, vector: string, slot: number) =>
    sources.set(unitId, [...(sources.get(unitId) ?? []), ...(gathered.get(`${vector}#${slot}`) ?? [])]);
  parametric.units.forEach((unit, u) => add(unit.id, P.ablate, u));
  weightUnits.forEach((unit, w) => {
    add(unit.id, P.weightOn, w);
    add(unit.id, P.weightIndex, w);
  });
  parametric.sites.forEach((site, s) => {
    for (const vector of [P.siteOn, P.siteScale, P.siteZero, P.siteQmin, P.siteQmax]) add(site.unitId, vector, s);
  });
  return sources;
}

/** Which cut each encoder unit's probes start from (null: the whole encoder). */
export interface EncoderSegmentPlan {
  index: GraphIndex;
  cuts: GraphCut[];
  cutOfUnit: Map<string, GraphCut | null>;
}

export function planEncoderSegments(
  model: ModelProto,
  parametric: ParametricModel,
  dataInputs: readonly string[],
  maxSegments: number,
): EncoderSegmentPlan {
  const index = indexGraph(model.graph!, dataInputs);
  const allCuts = findCuts(index, 1);
  const sources = unitConfigSources(model.graph!, parametric);
  // A unit whose configuration values cannot be found runs the whole encoder: slower, never wrong.
  const limitOf = (unit: QuantUnit) => {
    const unitSources = sources.get(unit.id) ?? [];
    return unitSources.length === 0 ? 0 : firstAffectedDataNode(index, unitSources);
  };
  const limits = new Map(parametric.units.map((unit) => [unit.id, limitOf(unit)]));
  const wanted = [...limits.values()].map((limit) => latestCutBefore(allCuts, limit)).filter((c): c is GraphCut => c !== null);
  const cuts = thinCuts(wanted, maxSegments);
  const cutOfUnit = new Map(parametric.units.map((unit) => [unit.id, latestCutBefore(cuts, limits.get(unit.id)!)]));
  return { index, cuts, cutOfUnit };
}

function only(feeds: OrtFeeds, session: OrtSession): OrtFeeds {
  return Object.fromEntries(session.inputNames.filter((name) => feeds[name]).map((name) => [name, feeds[name]]));
}

/** What the FP run of one image leaves for its encoder probes. */
export interface EncoderReference {
  /** The encoder outputs the decoder reads, by name. */
  outputs: OrtFeeds;
  /** FP values at the cuts. */
  cutValues: Map<string, OrtTensor>;
}

/** Bytes of weights a graph holds (what each compiled session keeps its own copy of). */
function initializerBytes(model: ModelProto): number {
  return (model.graph?.initializer ?? []).reduce((sum, t) => sum + (t.rawData?.length ?? 0) + 4 * ((t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0)) + 8 * (t.int64Data?.length ?? 0), 0);
}

/**
 * Compiled suffixes are kept while their weights stay within this many bytes (least recently used
 * released first): every suffix of a small encoder stays compiled; a ViT-B (359 MB) keeps about one.
 */
export function suffixBudgetBytes(model: ModelProto): number {
  return Math.max(256 * 2 ** 20, 0.5 * initializerBytes(model));
}

export class EncoderProbeRunner {
  /** Compiled suffixes by cut position, in least-recently-used order, with their weight bytes. */
  private readonly suffixes = new Map<number, { session: Promise<OrtSession>; bytes: number }>();
  private readonly budgetBytes: number;
  /** onnxruntime-common wants every graph input fed, the ones with defaults too: these are all gates off. */
  private readonly fullPrecisionFeeds: OrtFeeds;
  /** Encoder forwards that ran a suffix instead of the whole encoder. */
  suffixRuns = 0;

  private constructor(
    private readonly ort: OrtModule,
    private readonly model: ModelProto,
    private readonly parametric: ParametricModel,
    private readonly plan: EncoderSegmentPlan,
    private readonly full: OrtSession,
    private readonly outputNames: readonly string[],
    private readonly sessionOptions: SessionOptions | undefined,
  ) {
    this.fullPrecisionFeeds = toOrtFeeds(ort, parametric.feedsFor({}));
    this.budgetBytes = suffixBudgetBytes(model);
  }

  static async create(args: {
    ort: OrtModule;
    model: ModelProto;
    parametric: ParametricModel;
    imageInputs: readonly string[];
    outputNames: readonly string[];
    maxSegments: number;
    sessionOptions?: SessionOptions;
  }): Promise<EncoderProbeRunner> {
    const plan = planEncoderSegments(args.model, args.parametric, args.imageInputs, args.maxSegments);
    const withCuts = withCutOutputs(args.model, plan.index, plan.cuts.flatMap((cut) => cut.tensors));
    const full = await args.ort.InferenceSession.create(encodeModelBytes(withCuts), args.sessionOptions);
    return new EncoderProbeRunner(args.ort, args.model, args.parametric, plan, full, args.outputNames, args.sessionOptions);
  }

  get segmentPlan(): EncoderSegmentPlan {
    return this.plan;
  }

  /** FP run (the parametric graph with every gate off): outputs and the values at every cut. */
  async reference(imageFeeds: OrtFeeds): Promise<EncoderReference> {
    const cutNames = [...new Set(this.plan.cuts.flatMap((cut) => cut.tensors))];
    const results = await this.full.run(only({ ...imageFeeds, ...this.fullPrecisionFeeds }, this.full), [...this.outputNames, ...cutNames]);
    return {
      outputs: Object.fromEntries(this.outputNames.map((name) => [name, results[name]])),
      cutValues: new Map(cutNames.map((name) => [name, results[name]])),
    };
  }

  /** The encoder outputs with `config` applied, run from the unit's cut when it has one. */
  async probe(unit: QuantUnit, config: QuantConfig, imageFeeds: OrtFeeds, reference: EncoderReference): Promise<OrtFeeds> {
    const configFeeds = toOrtFeeds(this.ort, this.parametric.feedsFor(config));
    const cut = this.plan.cutOfUnit.get(unit.id) ?? null;
    if (!cut) {
      const results = await this.full.run(only({ ...imageFeeds, ...configFeeds }, this.full), [...this.outputNames]);
      return Object.fromEntries(this.outputNames.map((name) => [name, results[name]]));
    }
    const session = await this.suffix(cut, reference);
    const cutFeeds = Object.fromEntries(cut.tensors.map((name) => [name, reference.cutValues.get(name)!]));
    const results = await session.run(only({ ...imageFeeds, ...configFeeds, ...cutFeeds }, session), [...this.outputNames]);
    this.suffixRuns++;
    return Object.fromEntries(this.outputNames.map((name) => [name, results[name]]));
  }

  /**
   * Suffix sessions are compiled on first use, with the cut values' dims from the first reference run,
   * and released least recently used first when the compiled suffixes' weights pass the budget.
   */
  private async suffix(cut: GraphCut, reference: EncoderReference): Promise<OrtSession> {
    const cached = this.suffixes.get(cut.position);
    if (cached) {
      this.suffixes.delete(cut.position);
      this.suffixes.set(cut.position, cached);
      return cached.session;
    }
    const dims = new Map(cut.tensors.map((name) => [name, reference.cutValues.get(name)!.dims]));
    const model = suffixModel(this.model, this.plan.index, cut, dims);
    const bytes = initializerBytes(model);
    let held = [...this.suffixes.values()].reduce((sum, entry) => sum + entry.bytes, 0);
    for (const [position, entry] of this.suffixes) {
      if (held + bytes <= this.budgetBytes) break;
      this.suffixes.delete(position);
      held -= entry.bytes;
      await (await entry.session).release();
      this.suffixReleases++;
    }
    const session = this.ort.InferenceSession.create(encodeModelBytes(model), this.sessionOptions);
    this.suffixes.set(cut.position, { session, bytes });
    return session;
  }

  /** Suffix sessions released to stay within the weight budget (each is compiled again when needed). */
  suffixReleases = 0;

  async release(): Promise<void> {
    await this.full.release();
    for (const entry of this.suffixes.values()) await (await entry.session).release();
    this.suffixes.clear();
  }
}

/** Low-res mask logits and IoU predictions of a batched decoder run. */
export interface DecoderOutputs {
  lowRes: OrtTensor;
  iou: OrtTensor;
}

export class DecoderProbeRunner {
  private readonly fullPrecisionFeeds: OrtFeeds;

  private constructor(
    private readonly ort: OrtModule,
    private readonly parametric: ParametricModel,
    private readonly session: OrtSession,
    private readonly lowResName: string,
    private readonly iouName: string,
  ) {
    this.fullPrecisionFeeds = toOrtFeeds(ort, parametric.feedsFor({}));
  }

  static async create(args: {
    ort: OrtModule;
    parametric: ParametricModel;
    lowResName: string;
    iouName: string;
    sessionOptions?: SessionOptions;
  }): Promise<DecoderProbeRunner> {
    const session = await args.ort.InferenceSession.create(args.parametric.bytes, args.sessionOptions);
    return new DecoderProbeRunner(args.ort, args.parametric, session, args.lowResName, args.iouName);
  }

  /** All prompts of an image (one run, or one per prompt for fixed-batch decoders); `config` null runs full precision. */
  async run(embeddings: OrtFeeds, prompts: PromptRuns<OrtFeeds>, config: QuantConfig | null): Promise<DecoderOutputs> {
    const configFeeds = config ? toOrtFeeds(this.ort, this.parametric.feedsFor(config)) : this.fullPrecisionFeeds;
    const results = await runPromptRuns(this.ort, this.session, prompts, { ...embeddings, ...configFeeds }, [this.lowResName, this.iouName]);
    return { lowRes: results[this.lowResName], iou: results[this.iouName] };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
