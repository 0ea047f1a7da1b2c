/**
 * The deployable files of an allocation: encoder and decoder each through the export pass
 * (quant/export.ts, DESIGN.md "One compiled session, many configurations"), with the simulation's
 * weight tables, calibrated ranges and log2 τ, so the files reproduce the fake-quant preview (`exact`,
 * the default) or run it as onnxruntime's integer kernels (`fast-cpu`, quant/profiles.ts).
 */
import type { PreparedSam } from '../analysis/analysisModel';
import { encodeModelBytes } from '../onnx/proto';
import { resolveWidthCalibration, type Allocation } from '../quant/config';
import { exportQuantizedModel, type ExportOptions, type ExportSizes } from '../quant/export';
import type { GraphKind } from '../quant/units';
import { graphConfig, supportsAllocation, unitsOfGraph, type SamParametric } from './quantizedSam';

export interface ExportedPart {
  graph: GraphKind;
  bytes: Uint8Array;
  sizes: ExportSizes;
  /** Size of the original (full-precision) file. */
  fpFileBytes: number;
  quantizedWeights: string[];
  quantizedActivations: string[];
  /** True when the part had nothing to quantize and ships as the original model's bytes. */
  unchanged: boolean;
}

export interface ExportedSam {
  encoder: ExportedPart;
  decoder: ExportedPart;
}

export function exportQuantizedSam(
  sam: PreparedSam,
  parametric: SamParametric,
  allocation: Allocation,
  fpFileBytes: { encoder: number; decoder: number },
  options: Pick<ExportOptions, 'profile' | 'lowBitWeights'> = {},
): ExportedSam {
  if (!supportsAllocation(parametric, allocation)) {
    throw new Error(`The allocation uses widths outside the quantized sessions' [${parametric.weightBits.join(', ')}]; evaluate it once before exporting.`);
  }
  const part = (graph: GraphKind): ExportedPart => {
    const model = graph === 'encoder' ? sam.encoder : sam.decoder;
    const simulation = graph === 'encoder' ? parametric.encoder : parametric.decoder;
    const units = unitsOfGraph(sam, graph);
    if (!simulation || units.length === 0) {
      // Nothing to quantize in this part: it ships as it came.
      const bytes = encodeModelBytes(model);
      const sizes = { fileBytes: bytes.byteLength, idealWeightBytes: 0, storedWeightBytes: 0, scaleBytes: 0, fp32WeightBytes: 0 };
      return { graph, bytes, sizes, fpFileBytes: fpFileBytes[graph], quantizedWeights: [], quantizedActivations: [], unchanged: true };
    }
    const config = graphConfig(sam, graph, allocation);
    // The ranges and τ the simulation used for this allocation (per width when calibrated per width).
    const { ranges, log2Tau } = resolveWidthCalibration(config, units, parametric.facts, parametric.facts);
    const result = exportQuantizedModel(model, units, config, { simulation, ranges, log2Tau, profile: options.profile, lowBitWeights: options.lowBitWeights });
    return { graph, ...result, fpFileBytes: fpFileBytes[graph], unchanged: false };
  };
  return { encoder: part('encoder'), decoder: part('decoder') };
}
