/**
 * Does the exported file reproduce the simulation? Runs the parametric (fake-quant) session with the
 * configuration's feeds and the exported model on the same inputs and compares every shared output.
 * Pure core with an injected onnxruntime: runs in Node, in a worker (wasm / webgpu) and in tests.
 */
import { REFERENCE_SESSION_OPTIONS, type OrtFeeds, type OrtModule, type OrtSession, type SessionOptions } from '../onnx/ort.ts';

export interface OutputComparison {
  maxAbsError: number;
  /** max − min of the simulated output (e.g. the mask-logit range). */
  range: number;
  /** maxAbsError / range (0 when the range is 0 and the outputs agree). */
  relativeError: number;
}

export interface VerifyResult {
  /** Largest |Δ| over all compared outputs. */
  maxAbsError: number;
  perOutput: Record<string, OutputComparison>;
}

export interface Simulation {
  /** The parametric model's session, created with REFERENCE_SESSION_OPTIONS for an exact check. */
  session: OrtSession;
  /** Configuration feeds (ParametricModel.feedsFor(config) wrapped as ORT tensors). */
  feeds: OrtFeeds;
}

/**
 * Compares the exported model against the simulation on `inputs` (the model's own inputs).
 * The exported session uses REFERENCE_SESSION_OPTIONS unless `sessionOptions` is given (pass {} to
 * measure what a deployment with onnxruntime's defaults sees).
 */
export async function verifyExport(
  ort: OrtModule,
  simulation: Simulation,
  exportedBytes: Uint8Array,
  inputs: OrtFeeds,
  sessionOptions: SessionOptions = REFERENCE_SESSION_OPTIONS,
): Promise<VerifyResult> {
  const simulated = await simulation.session.run({ ...inputs, ...simulation.feeds });
  const exported = await ort.InferenceSession.create(exportedBytes, sessionOptions);
  try {
    const actual = await exported.run(inputs);
    const perOutput: Record<string, OutputComparison> = {};
    let maxAbsError = 0;
    for (const name of exported.outputNames) {
      const expected = simulated[name];
      if (!expected) continue;
      const a = actual[name].data as Float32Array;
      const e = expected.data as Float32Array;
      if (a.length !== e.length) throw new Error(`Output "${name}" has ${a.length} values in the export but ${e.length} in the simulation.`);
      let max = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i] - e[i]);
        if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
        if (e[i] < lo) lo = e[i];
        if (e[i] > hi) hi = e[i];
      }
      const range = a.length ? hi - lo : 0;
      perOutput[name] = { maxAbsError: max, range, relativeError: range > 0 ? max / range : max === 0 ? 0 : Infinity };
      maxAbsError = Math.max(maxAbsError, max);
    }
    if (Object.keys(perOutput).length === 0) throw new Error('The exported model and the simulation share no output names.');
    return { maxAbsError, perOutput };
  } finally {
    await exported.release();
  }
}

/** The simulation session verifyExport expects: the parametric model under REFERENCE_SESSION_OPTIONS. */
export function createReferenceSession(ort: OrtModule, parametricBytes: Uint8Array): Promise<OrtSession> {
  return ort.InferenceSession.create(parametricBytes, REFERENCE_SESSION_OPTIONS);
}
