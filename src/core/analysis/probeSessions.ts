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
  segmentModel,
  thinCuts,
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

/**
 * The encoder as a chain of segment sessions, one between each two cuts, each holding only its own weights:
 * a run releases each segment's activations before the next begins, so the encoder's peak memory is one
 * segment's, and its weights are held once (no full-graph session beside suffix copies). The FP run goes
 * through every segment and keeps the values at the cuts; a probe starts at its unit's cut.
 */
export class EncoderProbeRunner {
  /** sessions[k] runs from cuts[k − 1] (the image, for k = 0) to cuts[k] (the outputs, for the last). */
  private readonly sessions: (Promise<OrtSession> | null)[];
  /** onnxruntime-common wants every graph input fed, the ones with defaults too: these are all gates off. */
  private readonly fullPrecisionFeeds: OrtFeeds;
  /** Encoder forwards that started from a cut instead of the image. */
  suffixRuns = 0;

  private constructor(
    private readonly ort: OrtModule,
    private readonly model: ModelProto,
    private readonly parametric: ParametricModel,
    private readonly plan: EncoderSegmentPlan,
    private readonly outputNames: readonly string[],
    private readonly sessionOptions: SessionOptions | undefined,
  ) {
    this.fullPrecisionFeeds = toOrtFeeds(ort, parametric.feedsFor({}));
    this.sessions = [...plan.cuts.map(() => null), null];
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
    return new EncoderProbeRunner(args.ort, args.model, args.parametric, plan, args.outputNames, args.sessionOptions);
  }

  get segmentPlan(): EncoderSegmentPlan {
    return this.plan;
  }

  /** FP run (the parametric graph with every gate off): outputs and the values at every cut. */
  async reference(imageFeeds: OrtFeeds): Promise<EncoderReference> {
    const cutValues = new Map<string, OrtTensor>();
    const outputs = await this.runFrom(0, { ...imageFeeds, ...this.fullPrecisionFeeds }, cutValues);
    return { outputs, cutValues };
  }

  /** The encoder outputs with `config` applied, run from the unit's cut when it has one. */
  async probe(unit: QuantUnit, config: QuantConfig, imageFeeds: OrtFeeds, reference: EncoderReference): Promise<OrtFeeds> {
    const configFeeds = toOrtFeeds(this.ort, this.parametric.feedsFor(config));
    const cut = this.plan.cutOfUnit.get(unit.id) ?? null;
    if (!cut) return this.runFrom(0, { ...imageFeeds, ...configFeeds }, null);
    const cutFeeds = Object.fromEntries(cut.tensors.map((name) => [name, reference.cutValues.get(name)!]));
    this.suffixRuns++;
    return this.runFrom(this.plan.cuts.indexOf(cut) + 1, { ...imageFeeds, ...configFeeds, ...cutFeeds }, null);
  }

  /**
   * Runs segments `first`… to the end. `feeds` holds the image, configuration and the values at the cut
   * before `first`; each segment's outputs are fed to the next (and kept in `cutValues` when given).
   */
  private async runFrom(first: number, feeds: OrtFeeds, cutValues: Map<string, OrtTensor> | null): Promise<OrtFeeds> {
    const values: OrtFeeds = { ...feeds };
    for (let k = first; k < this.sessions.length; k++) {
      const session = await this.segment(k, values);
      const last = k === this.sessions.length - 1;
      const wanted = last ? this.outputNames.filter((name) => session.outputNames.includes(name)) : session.outputNames;
      const results = await session.run(only(values, session), [...wanted]);
      for (const name of wanted) {
        values[name] = results[name];
        if (!last) cutValues?.set(name, results[name]);
      }
      // A cut value is only read by the next segment: let the previous ones go.
      if (k > first) for (const name of this.plan.cuts[k - 1].tensors) if (!this.outputNames.includes(name)) delete values[name];
    }
    return Object.fromEntries(this.outputNames.map((name) => [name, values[name]]));
  }

  /** Segment sessions are compiled on first use, with the dims of the values fed at their cut. */
  private segment(k: number, values: OrtFeeds): Promise<OrtSession> {
    const existing = this.sessions[k];
    if (existing) return existing;
    const from = k === 0 ? null : this.plan.cuts[k - 1];
    const to = k === this.plan.cuts.length ? null : this.plan.cuts[k];
    const fromDims = new Map((from?.tensors ?? []).map((name) => [name, values[name].dims]));
    const model = segmentModel(this.model, this.plan.index, { from, to, fromDims });
    const session = this.ort.InferenceSession.create(encodeModelBytes(model), this.sessionOptions);
    this.sessions[k] = session;
    return session;
  }

  async release(): Promise<void> {
    for (const session of this.sessions) if (session) await (await session).release();
    this.sessions.fill(null);
  }
}

/** Low-res mask logits and IoU predictions of a batched decoder run. */
export interface DecoderOutputs {
  lowRes: OrtTensor;
  iou: OrtTensor;
}

/**
 * The decoder's probe sessions: the parametric decoder for decoder-unit probes and, when the original
 * decoder is given, a session of it for every full-precision run (the reference and the decoder run
 * after each encoder probe). Its outputs are bit for bit those of the parametric decoder with every gate
 * off (PARAMETRIC_SESSION_OPTIONS), without the cost of the gates: on the demo decoder its ~140 If gates
 * nearly double a run.
 */
export class DecoderProbeRunner {
  private readonly fullPrecisionFeeds: OrtFeeds;
  /** Full-precision runs made by the original decoder's session (for tests and benches). */
  plainRuns = 0;

  private constructor(
    private readonly ort: OrtModule,
    private readonly parametric: ParametricModel,
    private readonly session: OrtSession,
    private readonly plainSession: OrtSession | null,
    private readonly lowResName: string,
    private readonly iouName: string,
  ) {
    this.fullPrecisionFeeds = toOrtFeeds(ort, parametric.feedsFor({}));
  }

  static async create(args: {
    ort: OrtModule;
    parametric: ParametricModel;
    /** The original decoder: full-precision runs use it instead of the parametric graph. */
    original?: Uint8Array;
    lowResName: string;
    iouName: string;
    sessionOptions?: SessionOptions;
  }): Promise<DecoderProbeRunner> {
    const session = await args.ort.InferenceSession.create(args.parametric.bytes, args.sessionOptions);
    const plainSession = args.original ? await args.ort.InferenceSession.create(args.original, args.sessionOptions) : null;
    return new DecoderProbeRunner(args.ort, args.parametric, session, plainSession, args.lowResName, args.iouName);
  }

  /** All prompts of an image (one run, or one per prompt for fixed-batch decoders); `config` null runs full precision. */
  async run(embeddings: OrtFeeds, prompts: PromptRuns<OrtFeeds>, config: QuantConfig | null): Promise<DecoderOutputs> {
    const outputNames = [this.lowResName, this.iouName];
    let results: OrtFeeds;
    if (!config && this.plainSession) {
      this.plainRuns++;
      results = await runPromptRuns(this.ort, this.plainSession, prompts, embeddings, outputNames);
    } else {
      const configFeeds = config ? toOrtFeeds(this.ort, this.parametric.feedsFor(config)) : this.fullPrecisionFeeds;
      results = await runPromptRuns(this.ort, this.session, prompts, { ...embeddings, ...configFeeds }, outputNames);
    }
    return { lowRes: results[this.lowResName], iou: results[this.iouName] };
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.plainSession?.release();
  }
}
