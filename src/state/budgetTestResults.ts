/**
 * A small finished analysis for budget tests: four units (an encoder block's qkv and q·kᵀ, the neck conv, a
 * decoder projection), numbers chosen by hand so that budgets and objectives are easy to recompute.
 */
import type { AnalysisResults, UnitAnalysis } from '../core/analysis/analysisResults';
import { defaultAnalysisSettings } from '../core/analysis/settings';

function unit(id: string, part: string, role: string, params: number, macs: number, importance: number, sensitivity: number[]): UnitAnalysis {
  return {
    id,
    graph: id.startsWith('encoder') ? 'encoder' : 'decoder',
    nodeName: id.split(':')[1],
    op: 'MatMul',
    kind: params > 0 ? 'weight' : 'activation',
    role,
    part,
    params,
    macs,
    importance,
    sensitivity,
  };
}

/** σ measured at 2 and 6 bits; 4 bits interpolated in log space (σ(4) = √(σ(2)·σ(6))). */
export function smallAnalysisResults(): AnalysisResults {
  return {
    runKey: 'test-run',
    modelHash: 'abc123',
    settings: { ...defaultAnalysisSettings, candidateBits: [2, 4, 6], fastProbeBits: [2, 6], sensitivityMode: 'fast' },
    candidateBits: [2, 4, 6],
    measuredBits: [2, 6],
    units: [
      unit('encoder:/blocks.0/attn/qkv/MatMul', 'encoder block 0', 'qkv', 1000, 100_000, 0.4, [16e-3, 1e-3, 6.25e-5]),
      unit('encoder:/blocks.0/attn/MatMul', 'encoder block 0', 'q·kᵀ', 0, 50_000, 0.1, [4e-3, 2.5e-4, 1.5625e-5]),
      unit('encoder:/neck/neck.0/Conv', 'neck', 'neck.conv1', 3000, 300_000, 0.3, [8e-3, 5e-4, 3.125e-5]),
      unit('decoder:/transformer/layers.0/self_attn/q_proj/MatMul', 'decoder layer 0', 'self_attn.q_proj', 1000, 10_000, 0.2, [1.6e-2, 1e-3, 6.25e-5]),
    ],
    synergy: [2, 3, 1],
    importanceByImage: [[0.4, 0.1, 0.3, 0.2]],
    imageNames: ['one.png'],
    excludedUnits: [{ id: 'encoder:/patch_embed/proj/Conv', reason: 'patch embedding (kept FP as in PTQ4SAM)' }],
    probesDone: 12,
    probesTotal: 12,
    complete: true,
  };
}
