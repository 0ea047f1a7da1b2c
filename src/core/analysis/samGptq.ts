/**
 * GPTQ weight rounding for both SAM graphs (quant/gptq.ts): the Hessians of every quantized weight unit
 * over the calibration images (the encoder on each image, the decoder on its prompts over the FP
 * embedding, as calibration runs them), then each unit rounded at every candidate width on the grids the
 * simulation uses. Unit ids carry their graph, so one RoundedWeights map serves both parametric graphs.
 *
 * Inputs are full precision (each unit sees what the FP model feeds it, not what earlier quantized
 * units would), so one set of Hessians serves every width and every allocation.
 */
import { GraphIndex } from '../onnx/graph';
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort';
import { encodeModelBytes } from '../onnx/proto';
import type { GptqOptions } from '../quant/gptq';
import { collectHessians } from '../quant/hessians';
import { DEFAULT_QUANTIZER, type QuantizerOptions } from '../quant/quantizers';
import { gptqRoundedWeights, type GptqUnitReport, type WeightCodes } from '../quant/rounded-weights';
import type { GraphKind, QuantUnit } from '../quant/units';
import { weightTable } from '../quant/weight-tables';
import { imageFeeds, promptFeeds, type CalibrationItem, type PreparedSam } from './analysisModel';

export interface SamGptqResult {
  weights: Map<string, Map<number, WeightCodes>>;
  units: GptqUnitReport[];
  /** Weight units that keep round-to-nearest: no Hessian for their op, or H stayed singular. */
  nearest: string[];
  timings: { hessiansMs: number; roundingMs: number };
}

export async function samGptq(args: {
  ort: OrtModule;
  sam: PreparedSam;
  items: readonly CalibrationItem[];
  /** The quantized units (both graphs). */
  units: readonly QuantUnit[];
  widths: readonly number[];
  quantizer?: Partial<QuantizerOptions>;
  gptq?: Partial<GptqOptions>;
  sessionOptions?: SessionOptions;
  /** Called before each step, in words; throwing stops the run. */
  beforeStep?: (label: string) => Promise<void> | void;
}): Promise<SamGptqResult> {
  const { ort, sam } = args;
  const quantizer = { ...DEFAULT_QUANTIZER, ...args.quantizer };
  const result: SamGptqResult = { weights: new Map(), units: [], nearest: [], timings: { hessiansMs: 0, roundingMs: 0 } };
  const byGraph = (graph: GraphKind) => args.units.filter((unit) => unit.graph === graph && unit.kind === 'weight');
  const images = args.items.map((item) => imageFeeds(ort, sam, item.image));
  const embeddings: OrtFeeds[] = [];
  const keepEmbeddings = (run: number, results: OrtFeeds) => {
    embeddings[run] = Object.fromEntries(sam.adapter.embeddingNames.map((name) => [name, results[name]]));
  };

  const round = async (graph: GraphKind, feeds: readonly OrtFeeds[]) => {
    const model = graph === 'encoder' ? sam.encoder : sam.decoder;
    const units = byGraph(graph);
    await args.beforeStep?.(`GPTQ: Hessians of the ${graph}'s ${units.length} weight units`);
    let started = Date.now();
    const hessians = await collectHessians(ort, model, units, feeds, {
      sessionOptions: args.sessionOptions,
      onFirstPassRun: graph === 'encoder' ? keepEmbeddings : undefined,
    });
    result.timings.hessiansMs += Date.now() - started;
    await args.beforeStep?.(`GPTQ: rounding the ${graph}'s weights at ${args.widths.length} widths`);
    started = Date.now();
    const index = new GraphIndex(model.graph!);
    const withHessian = units.filter((unit) => hessians.has(unit.id));
    const tables = new Map(withHessian.map((unit) => [unit.id, weightTable(index, unit, args.widths, quantizer)]));
    const rounding = gptqRoundedWeights(model, withHessian, tables, args.widths, args.widths, hessians, args.gptq);
    result.timings.roundingMs += Date.now() - started;
    for (const [id, byWidth] of rounding.weights) result.weights.set(id, byWidth);
    result.units.push(...rounding.units);
    result.nearest.push(...units.filter((unit) => !rounding.weights.has(unit.id)).map((unit) => unit.id));
  };

  await round('encoder', images);
  // The decoder's Hessians over the FP embeddings; the encoder's first pass kept them (or a plain run when
  // the encoder had no unit with a Hessian).
  if (embeddings.length < images.length) {
    const session = await ort.InferenceSession.create(encodeModelBytes(sam.encoder), args.sessionOptions);
    try {
      for (const [run, feeds] of images.entries()) keepEmbeddings(run, await session.run(feeds));
    } finally {
      await session.release();
    }
  }
  const decoderFeeds = args.items.flatMap((item, index) => promptFeeds(ort, sam, item).runs.map((run) => ({ ...run, ...embeddings[index] })));
  await round('decoder', decoderFeeds);
  return result;
}
