/**
 * What the studio knows for report.json, gathered from the store: the analysis, the allocation for what the
 * controls say now (infeasible included), the evaluation table, model, backends and timings. Pass it to
 * buildReport (core/report); returns null before an analysis has finished.
 */
import type { ReportExport, ReportInput } from '../core/report';
import { selectAllocation, selectCurrentAnswer } from './budgetSlice';
import { allocationKeyOf } from './evaluateSlice';
import type { StudioState } from './store';

export function reportInputFromState(state: StudioState, createdAt = new Date()): ReportInput | null {
  const analysis = state.analysisResults;
  if (!analysis?.complete) return null;
  const answer = selectCurrentAnswer(state);
  const current = selectAllocation(state);
  const evaluation = state.evaluation;
  const part = state.encoderPart ?? state.decoderPart;
  return {
    analysis,
    allocation: answer ? { problem: answer.problem, unitIds: answer.unitIds, result: answer.result } : null,
    evaluation: evaluation
      ? {
          images: evaluation.images,
          prompts: evaluation.prompts,
          promptsWithTruth: evaluation.promptsWithTruth,
          plans: evaluation.plans,
          matchesAllocation: current !== null && evaluation.allocationKey === allocationKeyOf(current.widthByUnit),
        }
      : null,
    model: {
      name: state.modelName,
      hash: state.modelHash,
      encoderFile: state.encoderPart?.fileName ?? null,
      decoderFile: state.decoderPart?.fileName ?? null,
      format: part?.format ?? null,
    },
    backend: {
      analysis: state.analysisBackend,
      inference: state.backendStatus?.description ?? null,
      evaluation: evaluation?.backend ?? null,
    },
    exported: exportedOf(state),
    timings: {
      analysis: state.analysisStats?.elapsedMs,
      solve: answer?.result.elapsedMs,
      evaluation: evaluation?.elapsedMs,
      export: state.exported?.elapsedMs,
    },
    createdAt,
  };
}

/** The export, when it was made for the allocation the report describes. */
function exportedOf(state: StudioState): ReportExport | null {
  const exported = state.exported;
  const current = selectAllocation(state);
  if (!exported || !current || exported.allocationKey !== allocationKeyOf(current.widthByUnit)) return null;
  const comparison = (c: { maxAbsError: number; range: number }) => ({ maxAbsError: c.maxAbsError, range: c.range });
  const { deployed } = exported;
  return {
    profile: exported.profile,
    files: [
      { part: 'encoder', fileName: exported.encoder.fileName, bytes: exported.encoder.blob.size, fpBytes: exported.encoder.fpFileBytes },
      { part: 'decoder', fileName: exported.decoder.fileName, bytes: exported.decoder.blob.size, fpBytes: exported.decoder.fpFileBytes },
    ],
    verification: {
      encoder: comparison(exported.verification.encoder),
      decoder: comparison(exported.verification.decoder),
      endToEnd: comparison(exported.verification.endToEnd),
      prompts: exported.verification.prompts,
      checkImage: exported.checkImage,
      backend: exported.backend,
    },
    deployed: {
      miou: deployed.miou,
      iouByPrompt: deployed.iouByPrompt,
      below: deployed.below,
      worst: deployed.worst,
      miouFp: deployed.miouFp,
      miouTruth: deployed.miouTruth,
      latency: deployed.latency,
      vsSimulation: deployed.vsSimulation,
    },
  };
}
