/**
 * Bias correction for both SAM graphs (quant/bias-correction.ts): the per-input-channel means of every
 * quantized weight unit's input, FP and after its activation quantizer at each candidate width, over the
 * calibration images (the encoder on each image, the decoder on its prompts over the FP embedding, as
 * calibration runs them). Unit ids carry their graph, so one statistics map serves both parametric graphs.
 */
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort';
import { encodeModelBytes } from '../onnx/proto';
import { collectBiasStats, type BiasSkip, type BiasStats } from '../quant/bias-correction';
import { resolveWidthCalibration, siteKey } from '../quant/config';
import { activationParams } from '../quant/quantizers';
import type { GraphKind, QuantUnit } from '../quant/units';
import { imageFeeds, promptFeeds, type CalibrationFacts, type CalibrationItem, type PreparedSam } from './analysisModel';

export interface SamBiasStats {
  stats: BiasStats;
  activationBits: number[];
  /** Weight units left uncorrected, and why (no bias slot without an extra op, op not covered). */
  skipped: BiasSkip[];
  timings: { statsMs: number };
}

export async function samBiasStats(args: {
  ort: OrtModule;
  sam: PreparedSam;
  items: readonly CalibrationItem[];
  /** The quantized units (both graphs). */
  units: readonly QuantUnit[];
  /** Activation widths the corrections are computed for (every aBits a configuration may take). */
  activationBits: readonly number[];
  /** The calibration the simulation quantizes with (ranges, per-width ranges). */
  facts: CalibrationFacts;
  sessionOptions?: SessionOptions;
  beforeStep?: (label: string) => Promise<void> | void;
}): Promise<SamBiasStats> {
  const { ort, sam, facts } = args;
  const started = Date.now();
  const result: SamBiasStats = { stats: new Map(), activationBits: [...args.activationBits], skipped: [], timings: { statsMs: 0 } };
  const activation = (unit: QuantUnit, bits: number) => {
    const { ranges } = resolveWidthCalibration({ [unit.id]: { wBits: null, aBits: bits } }, [unit], { ranges: facts.ranges, log2Tau: facts.log2Tau }, facts);
    const range = ranges[siteKey(unit.id, 0)];
    return range ? activationParams(range.min, range.max, bits) : null;
  };
  const byGraph = (graph: GraphKind) => args.units.filter((unit) => unit.graph === graph && unit.kind === 'weight');
  const collect = async (graph: GraphKind, feeds: readonly OrtFeeds[]) => {
    const units = byGraph(graph);
    if (units.length === 0) return;
    await args.beforeStep?.(`Bias correction: input means of the ${graph}'s ${units.length} weight units`);
    const collected = await collectBiasStats(ort, graph === 'encoder' ? sam.encoder : sam.decoder, units, feeds, { activationBits: args.activationBits, activation, sessionOptions: args.sessionOptions });
    for (const [id, stats] of collected.stats) result.stats.set(id, stats);
    result.skipped.push(...collected.skipped);
  };
  const images = args.items.map((item) => imageFeeds(ort, sam, item.image));
  await collect('encoder', images);
  const embeddings: OrtFeeds[] = [];
  if (byGraph('decoder').length > 0) {
    const session = await ort.InferenceSession.create(encodeModelBytes(sam.encoder), args.sessionOptions);
    try {
      for (const feeds of images) {
        const out = await session.run(feeds);
        embeddings.push(Object.fromEntries(sam.adapter.embeddingNames.map((name) => [name, out[name]])));
      }
    } finally {
      await session.release();
    }
  }
  const decoderFeeds = args.items.flatMap((item, index) => promptFeeds(ort, sam, item).runs.map((run) => ({ ...run, ...embeddings[index] })));
  await collect('decoder', decoderFeeds);
  result.timings.statsMs = Date.now() - started;
  return result;
}
