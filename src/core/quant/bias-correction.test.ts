/**
 * Bias correction on small random layers whose inputs have a non-zero mean: the corrected bias is b − δ with
 * δ the mean output shift of the quantized layer computed independently here in float64 (from the data, not
 * from channel means), the simulated quantized layer's mean error vs FP drops to ~0, and the export equals
 * the simulation bit for bit. With the option off the parametric graph is byte-identical to before.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/builder.ts';
import { intAttr } from '../onnx/graph.ts';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import type { ModelProto } from '../onnx/proto.ts';
import { biasSite, collectBiasStats } from './bias-correction.ts';
import { siteKey, type QuantConfig } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { buildParametricModel } from './parametric.ts';
import { activationParams, quantizeCode, type UniformParams } from './quantizers.ts';
import { discoverUnits, type QuantUnit } from './units.ts';
import { createReferenceSession, verifyExport } from './verify.ts';
import { GraphIndex } from '../onnx/graph.ts';

const ortModule = ort as unknown as OrtModule;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const K = 24;
const N = 10;
const ROWS = 64;

/** x [ROWS, K] · W [K, N] + b (MatMul and bias Add), or a 1×1 Conv without bias on x [1, K, 8, 8]. */
function layer(op: 'matmul' | 'conv'): { model: ModelProto; w: Float32Array; bias: Float32Array | null } {
  const rand = random(op === 'matmul' ? 7 : 11);
  const w = Float32Array.from({ length: K * N }, () => (rand() - 0.5) * 0.6);
  const b = new GraphBuilder();
  if (op === 'matmul') {
    const bias = Float32Array.from({ length: N }, () => rand() - 0.5);
    b.input('x', [ROWS, K]);
    b.init('w', [K, N], w);
    b.init('b', [N], bias);
    const y = b.op('MatMul', ['x', 'w'], { name: '/lin/MatMul' });
    b.op('Add', [y, 'b'], { name: '/lin/Add', output: 'y' });
    b.output('y');
    return { model: b.toModel(17), w, bias };
  }
  b.input('x', [1, K, 8, 8]);
  b.init('w', [N, K, 1, 1], w);
  b.op('Conv', ['x', 'w'], { name: '/conv/Conv', output: 'y', attributes: [intAttr('group', 1)] });
  b.output('y');
  return { model: b.toModel(17), w, bias: null };
}

/** Calibration inputs: channel j has mean 0.5 + 0.1·j and spread 1. */
function inputs(op: 'matmul' | 'conv', seed: number, count: number): Float32Array[] {
  const rand = random(seed);
  return Array.from({ length: count }, () => {
    const data = new Float32Array(ROWS * K);
    for (let i = 0; i < data.length; i++) {
      const j = op === 'matmul' ? i % K : Math.floor(i / 64);
      data[i] = 0.5 + 0.1 * j + (rand() - 0.5) * 2;
    }
    return data;
  });
}

const dims = (op: 'matmul' | 'conv') => (op === 'matmul' ? [ROWS, K] : [1, K, 8, 8]);

async function outputs(bytes: Uint8Array, data: readonly Float32Array[], op: 'matmul' | 'conv', extra: OrtFeeds = {}): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out: Float32Array[] = [];
    for (const x of data) out.push((await session.run({ x: new ort.Tensor('float32', x, dims(op)), ...extra })).y.data as Float32Array);
    return out;
  } finally {
    await session.release();
  }
}

/** Mean over rows (positions) and feeds of ŷ − y per output channel, in float64. */
function meanError(quantized: readonly Float32Array[], fp: readonly Float32Array[], op: 'matmul' | 'conv'): Float64Array {
  const sums = new Float64Array(N);
  let count = 0;
  quantized.forEach((yq, f) => {
    for (let i = 0; i < yq.length; i++) sums[op === 'matmul' ? i % N : Math.floor(i / 64)] += yq[i] - fp[f][i];
    count += yq.length / N;
  });
  return sums.map((s) => s / count);
}

describe.each(['matmul', 'conv'] as const)('bias correction of a random %s layer', (op) => {
  it('moves the mean output error of the quantized layer to ~0, as an independent float64 δ predicts', async () => {
    const { model, w, bias } = layer(op);
    const units = discoverUnits(model, { graph: 'encoder' });
    const unit = units.find((u) => u.kind === 'weight')! as QuantUnit;
    const site = biasSite(new GraphIndex(model.graph!), unit);
    expect('node' in site).toBe(true);
    const calibration = inputs(op, 3, 4);
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of calibration) for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const ranges = { [siteKey(unit.id, 0)]: { min: lo, max: hi } };
    const feeds = calibration.map((x) => ({ x: new ort.Tensor('float32', x, dims(op)) }));
    const widths = [3, 4];
    const { stats } = await collectBiasStats(ortModule, model, units, feeds, { activationBits: widths, activation: (_, bits) => activationParams(lo, hi, bits) });
    const plain = buildParametricModel(model, units, { weightBits: widths, ranges });
    const corrected = buildParametricModel(model, units, { weightBits: widths, ranges, biasCorrection: { stats, activationBits: widths } });
    // Off by default: without the option the graph is the one built before bias correction existed.
    expect(buildParametricModel(model, units, { weightBits: widths, ranges }).bytes).toEqual(plain.bytes);
    expect(plain.biasCorrection).toBeNull();

    const fp = await outputs(plain.bytes, calibration, op, toOrtFeeds(ortModule, plain.feedsFor({})));
    for (const bits of widths) {
      for (const aBits of [bits, null]) {
        const config: QuantConfig = { [unit.id]: { wBits: bits, aBits } };
        // Independent δ in float64 from the data: (Σ_j Wq[j,c]·Q(x)[r,j] − W[j,c]·x[r,j]) averaged over rows.
        const params: UniformParams[] = plain.weightTables.get(unit.id)!.params[widths.indexOf(bits)];
        const wq = Float64Array.from(w, (v, i) => {
          const p = params[op === 'matmul' ? i % N : Math.floor(i / K)];
          return Math.fround((quantizeCode(v, p) - p.zeroPoint) * p.scale);
        });
        const a = aBits === null ? null : activationParams(lo, hi, aBits);
        const fq = (v: number) => (a ? Math.fround((quantizeCode(v, a) - a.zeroPoint) * a.scale) : v);
        const delta = new Float64Array(N);
        let rows = 0;
        for (const x of calibration) {
          const positions = op === 'matmul' ? ROWS : 64;
          for (let r = 0; r < positions; r++) {
            for (let c = 0; c < N; c++) {
              let sum = 0;
              for (let j = 0; j < K; j++) {
                const v = op === 'matmul' ? x[r * K + j] : x[j * 64 + r];
                const [wqv, wv] = op === 'matmul' ? [wq[j * N + c], w[j * N + c]] : [wq[c * K + j], w[c * K + j]];
                sum += wqv * fq(v) - wv * v;
              }
              delta[c] += sum;
            }
            rows++;
          }
        }
        delta.forEach((d, c) => (delta[c] = d / rows));
        const table = corrected.biasCorrection!.tables.get(unit.id)!;
        const row = corrected.biasCorrection!.rowFor(unit.id, bits, aBits);
        for (let c = 0; c < N; c++) expect(table.rows[row * N + c]).toBeCloseTo((bias?.[c] ?? 0) - delta[c], 5);

        const before = meanError(await outputs(plain.bytes, calibration, op, toOrtFeeds(ortModule, plain.feedsFor(config))), fp, op);
        const after = meanError(await outputs(corrected.bytes, calibration, op, toOrtFeeds(ortModule, corrected.feedsFor(config))), fp, op);
        const largest = (v: Float64Array) => Math.max(...v.map(Math.abs));
        console.info(`${op} W${bits}A${aBits ?? 'FP'}: max |mean error| ${largest(before).toExponential(3)} → ${largest(after).toExponential(3)} (δ predicted ${largest(delta).toExponential(3)})`);
        for (let c = 0; c < N; c++) expect(before[c]).toBeCloseTo(delta[c], 5);
        expect(largest(before)).toBeGreaterThan(1e-3);
        expect(largest(after)).toBeLessThan(1e-5);

        // Export ≡ simulation, the corrected bias included.
        const exported = exportQuantizedModel(model, units, config, { simulation: corrected, ranges });
        const simulation = await createReferenceSession(ortModule, corrected.bytes);
        try {
          const check = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, corrected.feedsFor(config)) }, exported.bytes, { x: feeds[0].x });
          expect(check.maxAbsError).toBe(0);
        } finally {
          await simulation.release();
        }
      }
    }
    // FP setting of the corrected graph: the original bias, the FP output unchanged.
    const fpCorrected = await outputs(corrected.bytes, calibration, op, toOrtFeeds(ortModule, corrected.feedsFor({})));
    fpCorrected.forEach((y, f) => expect(y).toEqual(fp[f]));
  }, 60_000);
});

describe('units bias correction leaves alone', () => {
  it('a MatMul without a bias Add and a ConvTranspose are skipped with their reason; a bias-less Gemm gets a C', () => {
    const b = new GraphBuilder();
    b.input('x', [4, K]);
    b.init('w', [K, N], new Float32Array(K * N).fill(0.1));
    b.init('g', [N, N], new Float32Array(N * N).fill(0.2));
    const y = b.op('MatMul', ['x', 'w'], { name: '/plain/MatMul' });
    b.op('Gemm', [y, 'g'], { name: '/head/Gemm', output: 'z', attributes: [intAttr('transB', 1)] });
    b.output('z');
    const model = b.toModel(17);
    const index = new GraphIndex(model.graph!);
    const units = discoverUnits(model, { graph: 'decoder' });
    const matmul = biasSite(index, units.find((u) => u.op === 'MatMul')!);
    expect('reason' in matmul && matmul.reason).toMatch(/without a bias Add/);
    const gemm = biasSite(index, units.find((u) => u.op === 'Gemm')!);
    expect('node' in gemm && gemm.values === null && gemm.input === 2 && gemm.inputChannels === N).toBe(true);
    const transposed = biasSite(index, { ...units[0], op: 'ConvTranspose' });
    expect('reason' in transposed && transposed.reason).toMatch(/transposed/);
  });
});
