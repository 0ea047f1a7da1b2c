/**
 * Outlier migration on small graphs written for the cases the SAM exports do not have: Gemm weights
 * (transB 0 and 1), a weight behind a Transpose, γ and β shared with a LayerNorm that is skipped.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/builder.ts';
import { intAttr, intsAttr } from '../onnx/graph.ts';
import { encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import type { OrtModule } from '../onnx/ort.ts';
import { collectMigrationStats, migrateOutliers } from './migrate.ts';
import { findMigrationSites } from './migrationSites.ts';

const ortModule = ort as unknown as OrtModule;
const pattern = (n: number, seed: number, spread = 1) => Array.from({ length: n }, (_, i) => Math.sin(i * 2.3 + seed) * spread);

/** x [8, 6] with one outlier channel → LN(γ, β) → Gemm (transB 1) and MatMul(Transpose(W)); a second LN shares γ, β and feeds an Add. */
function model(): ModelProto {
  const b = new GraphBuilder();
  const x = b.input('x', [8, 6]);
  const gamma = b.floats('gamma', pattern(6, 1).map((v, j) => (j === 2 ? 8 : 1 + v / 2)));
  const beta = b.floats('beta', pattern(6, 2));
  const norm = b.op('LayerNormalization', [x, gamma, beta], { name: 'ln', attributes: [intAttr('axis', -1)] });
  const gemmB = b.init('gemm_b', [5, 6], Float32Array.from(pattern(30, 3)));
  b.op('Gemm', [norm, gemmB, b.floats('gemm_c', pattern(5, 4))], { output: 'gemm_out', name: 'gemm', attributes: [intAttr('transB', 1)] });
  const stored = b.init('w_stored', [4, 6], Float32Array.from(pattern(24, 5)));
  const w = b.op('Transpose', [stored], { attributes: [intsAttr('perm', [1, 0])] });
  b.op('MatMul', [norm, w], { output: 'matmul_out', name: 'matmul' });
  const other = b.op('LayerNormalization', [b.op('Neg', [x]), gamma, beta], { name: 'ln_residual', attributes: [intAttr('axis', -1)] });
  b.op('Add', [other, x], { output: 'residual_out', name: 'residual' });
  for (const name of ['gemm_out', 'matmul_out', 'residual_out']) b.output(name);
  return b.toModel(17);
}

async function outputs(m: ModelProto, x: Float32Array): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(encodeModelBytes(m));
  const results = await session.run({ x: new ort.Tensor('float32', x, [8, 6]) });
  return Object.fromEntries(Object.entries(results).map(([name, t]) => [name, t.data as Float32Array]));
}

describe('outlier migration on small graphs', () => {
  it('scales Gemm columns (transB 1) and a transposed MatMul weight, leaves the LayerNorm that shares γ and β alone, and keeps every output', async () => {
    const original = model();
    const { sites, skipped } = findMigrationSites(original);
    expect(sites.map((s) => s.consumers.map((c) => c.layout))).toEqual([['columns', 'rows']]);
    expect(skipped).toEqual([{ source: 'ln_residual', reason: 'it also feeds Add "residual", not a weight unit' }]);
    const feeds = [0, 1].map((seed) => ({ x: new ort.Tensor('float32', Float32Array.from(pattern(48, seed + 10, 3)), [8, 6]) }));
    const stats = await collectMigrationStats(ortModule, original, feeds);
    const { model: rewritten, report } = migrateOutliers(original, stats, { alpha: 0.5 });
    expect(report.migrated.map((m) => m.units)).toEqual([['gemm', 'matmul']]);
    // The outlier channel (γ = 8) stands out less after migration.
    expect(report.migrated[0].outlierRatio.after).toBeLessThan(report.migrated[0].outlierRatio.before / 2);
    const x = Float32Array.from(pattern(48, 42, 3));
    const [before, after] = [await outputs(original, x), await outputs(rewritten, x)];
    for (const name of ['gemm_out', 'matmul_out', 'residual_out']) {
      const scale = Math.max(...before[name].map(Math.abs));
      const difference = Math.max(...before[name].map((v, i) => Math.abs(v - after[name][i])));
      expect(difference / scale).toBeLessThan(1e-6);
    }
    expect(rewritten.graph!.initializer!.map((t) => t.name)).toEqual(expect.arrayContaining(['gamma_0', 'beta_1']));
  });

  it('scales the rows of a Gemm with transB 0', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [8, 6]);
    const norm = b.op('LayerNormalization', [x, b.floats('gamma', pattern(6, 7).map((v, j) => (j === 4 ? 6 : 1 + v / 3))), b.floats('beta', pattern(6, 8))], { name: 'ln' });
    b.op('Gemm', [norm, b.init('gemm_b', [6, 3], Float32Array.from(pattern(18, 9)))], { output: 'y', name: 'gemm' });
    b.output('y');
    const original = b.toModel(17);
    const feeds = [{ x: new ort.Tensor('float32', Float32Array.from(pattern(48, 3, 2)), [8, 6]) }];
    const { model: rewritten, report } = migrateOutliers(original, await collectMigrationStats(ortModule, original, feeds), { alpha: 0.75 });
    expect(report.migrated.map((m) => m.units)).toEqual([['gemm']]);
    const input = Float32Array.from(pattern(48, 5, 2));
    const [before, after] = [(await outputs(original, input)).y, (await outputs(rewritten, input)).y];
    const scale = Math.max(...before.map(Math.abs));
    expect(Math.max(...before.map((v, i) => Math.abs(v - after[i]))) / scale).toBeLessThan(1e-6);
  });
});

describe('outlier migration where there is nothing to migrate', () => {
  it('collects no statistics (no session run) and returns an equal copy with the reason', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 4]);
    const norm = b.op('LayerNormalization', [x, b.floats('gamma', [1, 2, 3, 4]), b.floats('beta', [0, 0, 0, 0])], { name: 'ln' });
    b.op('Relu', [norm], { output: 'y', name: 'relu' });
    b.output('y');
    const original = b.toModel(17);
    const stats = await collectMigrationStats(ortModule, original, [{ x: new ort.Tensor('float32', Float32Array.from(pattern(8, 1)), [2, 4]) }]);
    expect(stats.absMax.size).toBe(0);
    const { model: rewritten, report } = migrateOutliers(original, stats, { alpha: 0.5 });
    expect(report).toEqual({
      migrated: [],
      skipped: [
        { source: 'ln', reason: 'it also feeds Relu "relu", not a weight unit' },
        { source: 'relu', reason: 'the ReLU follows LayerNormalization "ln", not a MatMul (+ bias) with a constant weight read by it alone' },
      ],
    });
    expect(encodeModelBytes(rewritten)).toEqual(encodeModelBytes(original));
  });
});
