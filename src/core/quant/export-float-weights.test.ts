/**
 * Fast profiles store the weights left in float (units kept at full precision) as FP16, cast back on load:
 * on MobileSAM's decoder (the authors' export) that is the output heads PTQ4SAM keeps in float. The Casts are
 * folded when onnxruntime opens the file, so the kernels that run are the original float ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { optimizedOpCounts } from '../../../tools/optimizedGraph.ts';
import type { OrtModule } from '../onnx/ort.ts';
import { decodeModel } from '../onnx/proto.ts';
import { DataType } from '../onnx/tensor.ts';
import type { QuantConfig } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { discoverUnits } from './units.ts';

const decoderFile = new URL('../../../../shared/fixtures/mobilesam-random/decoder.onnx', import.meta.url);

describe.skipIf(!existsSync(decoderFile))('fast profiles on MobileSAM’s decoder: float weights stored as FP16', () => {
  it('stores the kept heads in FP16, 1.5 MB smaller, and onnxruntime folds the Casts away', { timeout: 120_000 }, async () => {
    const fpBytes = new Uint8Array(readFileSync(decoderFile));
    const model = decodeModel(fpBytes);
    const units = discoverUnits(model);
    const kept = units.filter((u) => u.excludedByDefault && u.kind === 'weight' && (u.params ?? 0) >= 1024);
    expect(kept.length).toBeGreaterThan(10);
    const config: QuantConfig = Object.fromEntries(units.filter((u) => !u.excludedByDefault && u.kind === 'weight').map((u) => [u.id, { wBits: 8, aBits: null }]));
    for (const profile of ['fast-cpu', 'fast-webgpu'] as const) {
      const half = exportQuantizedModel(model, units, config, { profile });
      const full = exportQuantizedModel(model, units, config, { profile, floatWeights: 'fp32' });
      const saved = full.bytes.byteLength - half.bytes.byteLength;
      console.info(`${profile}: decoder ${(half.bytes.byteLength / fpBytes.byteLength).toFixed(3)} of FP32 with FP16 float weights, ${(full.bytes.byteLength / fpBytes.byteLength).toFixed(3)} without (${(saved / 1e6).toFixed(2)} MB)`);
      expect(saved).toBeGreaterThan(1.4e6);
      const types = new Map((decodeModel(half.bytes).graph?.initializer ?? []).map((t) => [t.name, t.dataType]));
      expect(types.get('mask_decoder.iou_prediction_head.layers.0.weight.fp16')).toBe(DataType.FLOAT16);
      expect(types.get('mask_decoder.output_hypernetworks_mlps.0.layers.0.weight.fp16')).toBe(DataType.FLOAT16);
      expect(types.has('mask_decoder.iou_prediction_head.layers.0.weight')).toBe(false);
      const casts = decodeModel(half.bytes).graph!.node!.filter((n) => n.opType === 'Cast' && n.name?.endsWith('/fp16/Cast')).length;
      expect(casts).toBeGreaterThan(10);
      const optimized = await optimizedOpCounts(ort as unknown as OrtModule, half.bytes);
      const before = await optimizedOpCounts(ort as unknown as OrtModule, full.bytes);
      expect(optimized.Cast ?? 0).toBe(before.Cast ?? 0);
    }
  });
});
