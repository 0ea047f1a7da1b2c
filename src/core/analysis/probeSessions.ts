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

export class EncoderProbeRunner {
  private readonly suffixes = new Map<number, Promise<OrtSession>>();
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

  /** Suffix sessions are compiled on first use, with the cut values' dims from the first reference run. */
  private suffix(cut: GraphCut, reference: EncoderReference): Promise<OrtSession> {
    let session = this.suffixes.get(cut.position);
    if (!session) {
      const dims = new Map(cut.tensors.map((name) => [name, reference.cutValues.get(name)!.dims]));
      session = this.ort.InferenceSession.create(encodeModelBytes(suffixModel(this.model, this.plan.index, cut, dims)), this.sessionOptions);
      this.suffixes.set(cut.position, session);
    }
    return session;
  }

  async release(): Promise<void> {
    await this.full.release();
    for (const session of this.suffixes.values()) await (await session).release();
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

  /** One batched run over all prompts of an image; `config` null runs full precision. */
  async run(embeddings: OrtFeeds, promptFeeds: OrtFeeds, config: QuantConfig | null): Promise<DecoderOutputs> {
    const configFeeds = config ? toOrtFeeds(this.ort, this.parametric.feedsFor(config)) : this.fullPrecisionFeeds;
    const feeds = only({ ...promptFeeds, ...embeddings, ...configFeeds }, this.session);
    const results = await this.session.run(feeds, [this.lowResName, this.iouName]);
    return { lowRes: results[this.lowResName], iou: results[this.iouName] };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
