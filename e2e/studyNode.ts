/**
 * The Node side of the study e2e: the demo SAM's files, runQualityStudy with onnxruntime-node and
 * glpk.js/node, and the held-out scores of given calibration facts (e.g. the page's own) on Node.
 */
import { readFileSync } from 'node:fs';
import GLPK from 'glpk.js/node';
import * as ort from 'onnxruntime-node';
import type { Page } from '@playwright/test';
import { glpkEngine, type GlpkSolver } from '../src/core/allocate';
import { prepareSam, type CalibrationFacts, type SamModelFiles } from '../src/core/analysis/analysisModel';
import type { EvaluationPlan } from '../src/core/evaluate/evaluationPlans';
import { buildSamParametric, QuantizedSam } from '../src/core/evaluate/quantizedSam';
import type { OrtModule } from '../src/core/onnx/ort';
import { DEFAULT_WEIGHT_BITS } from '../src/core/quant/parametric';
import { scoreHeldOut, type HeldOutScores } from '../src/core/study/heldOutScores';
import { allocationFromBits } from '../src/core/study/plan';
import { calibrationScenes, type HeldOutSet } from '../src/core/study/scenes';
import { runQualityStudy, type StudyResult, type StudySettings } from '../src/core/study/studyRun';

const ortNode = ort as unknown as OrtModule;

export function demoFiles(): SamModelFiles {
  const demo = new URL('../public/models/demo-sam/', import.meta.url);
  return {
    encoder: new Uint8Array(readFileSync(new URL('encoder.onnx', demo))),
    decoder: new Uint8Array(readFileSync(new URL('decoder.onnx', demo))),
    config: { inputSize: 256, lowResSize: 64 },
  };
}

export async function nodeStudy(settings: StudySettings, heldOut: HeldOutSet): Promise<StudyResult> {
  return runQualityStudy({
    ort: ortNode,
    milp: glpkEngine((await GLPK()) as unknown as GlpkSolver),
    files: demoFiles(),
    calibration: calibrationScenes(settings.analysis.imageCount),
    heldOut,
    settings,
  });
}

/** The study's models (of its first analysis) scored on Node with other calibration facts, as the studio's worker builds them. */
export async function nodeScoresWithFacts(study: StudyResult, facts: CalibrationFacts, heldOut: HeldOutSet): Promise<HeldOutScores> {
  const [analysis] = study.analyses;
  const sam = prepareSam(demoFiles());
  const plans: EvaluationPlan[] = analysis.models.map((model) => ({
    id: model.kind,
    label: model.label,
    allocation: model.bits ? allocationFromBits(analysis.results, model.bits) : null,
  }));
  const runner = await QuantizedSam.create(ortNode, sam, buildSamParametric(sam, facts, [...DEFAULT_WEIGHT_BITS]));
  try {
    return await scoreHeldOut(runner, heldOut, plans);
  } finally {
    await runner.release();
  }
}

/** The calibration facts the page's analyses stored in IndexedDB, with the run key of each. */
export async function pageCalibrations(page: Page): Promise<{ runKey: string; facts: CalibrationFacts }[]> {
  return page.evaluate(
    () =>
      new Promise<{ runKey: string; facts: CalibrationFacts }[]>((resolve, reject) => {
        const open = indexedDB.open('mix-qsam-analysis');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('entries').objectStore('entries').getAll();
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            const records = request.result as { runKey: string; entryKey: string; value: CalibrationFacts }[];
            resolve(records.filter((record) => record.entryKey === 'calibration').map((record) => ({ runKey: record.runKey, facts: record.value })));
          };
        };
      }),
  );
}

/** Largest relative difference between two sets of activation ranges (per-width ones included). */
export function largestRangeDifference(a: CalibrationFacts, b: CalibrationFacts): number {
  let worst = 0;
  const compare = (x: CalibrationFacts['ranges'] | undefined, y: CalibrationFacts['ranges'] | undefined) => {
    if (!x || !y || Object.keys(x).length !== Object.keys(y).length) {
      worst = Infinity;
      return;
    }
    for (const [key, range] of Object.entries(x)) {
      const other = y[key];
      if (!other) worst = Infinity;
      else for (const side of ['min', 'max'] as const) worst = Math.max(worst, Math.abs(range[side] - other[side]) / Math.max(Math.abs(other[side]), 1e-30));
    }
  };
  compare(a.ranges, b.ranges);
  const widths = new Set([...Object.keys(a.rangesByBits ?? {}), ...Object.keys(b.rangesByBits ?? {})].map(Number));
  for (const bits of widths) compare(a.rangesByBits?.[bits], b.rangesByBits?.[bits]);
  return worst;
}
