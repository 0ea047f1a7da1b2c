/**
 * Decoding an image's prompts on any decoder: the runs of a PromptRuns plan (one batched run, or one
 * per prompt when the graph fixes its prompt axis) with the same shared feeds, and their outputs joined
 * along the prompt axis — so callers see the outputs of one batched run whatever the graph accepts.
 */
import type { OrtFeeds, OrtModule, OrtSession, OrtTensor } from '../onnx/ort';
import type { PromptRuns } from './calibrationFeeds';

/** The interactive case: one prompt set (the user's clicks and box) decoded in one run. */
export function singleRun(feeds: OrtFeeds): PromptRuns<OrtFeeds> {
  return { runs: [feeds], promptAxis: 0, prompts: 1 };
}

/** Feeds restricted to the inputs the session declares. */
function only(feeds: OrtFeeds, session: OrtSession): OrtFeeds {
  return Object.fromEntries(session.inputNames.filter((name) => feeds[name]).map((name) => [name, feeds[name]]));
}

type TypedArray = Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array;
type TypedArrayOf = new (length: number) => TypedArray;

/** Tensors of equal dims but `axis`, joined along `axis`. */
export function concatAlong(ort: OrtModule, tensors: readonly OrtTensor[], axis: number): OrtTensor {
  if (tensors.length === 1) return tensors[0];
  const first = tensors[0];
  const dims = [...first.dims];
  if (axis >= dims.length) throw new Error(`cannot join tensors of rank ${dims.length} along axis ${axis}`);
  for (const tensor of tensors) {
    const same = tensor.dims.length === dims.length && tensor.dims.every((d, i) => i === axis || d === dims[i]);
    if (!same || tensor.type !== first.type) throw new Error(`cannot join outputs [${first.dims}] ${first.type} and [${tensor.dims}] ${tensor.type} along axis ${axis}`);
  }
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const joined = tensors.reduce((sum, t) => sum + t.dims[axis], 0);
  const data = new ((first.data as TypedArray).constructor as TypedArrayOf)(outer * joined * inner);
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const tensor of tensors) {
      const block = tensor.dims[axis] * inner;
      const source = tensor.data as TypedArray;
      (data as Float32Array).set((source as Float32Array).subarray(o * block, (o + 1) * block), offset);
      offset += block;
    }
  }
  dims[axis] = joined;
  return new ort.Tensor(first.type as 'float32', data as Float32Array, dims);
}

/**
 * Runs every prompt run of `plan` with `shared` feeds (embeddings, configuration) and joins each output
 * along the plan's prompt axis. `outputNames` limits what is fetched (default: every output).
 */
export async function runPromptRuns(
  ort: OrtModule,
  session: OrtSession,
  plan: PromptRuns<OrtFeeds>,
  shared: OrtFeeds,
  outputNames?: readonly string[],
): Promise<OrtFeeds> {
  const results: OrtFeeds[] = [];
  for (const run of plan.runs) {
    const feeds = only({ ...run, ...shared }, session);
    results.push(outputNames ? await session.run(feeds, [...outputNames]) : await session.run(feeds));
  }
  if (results.length === 1) return results[0];
  const names = outputNames ?? session.outputNames;
  return Object.fromEntries(names.map((name) => [name, concatAlong(ort, results.map((r) => r[name]), plan.promptAxis)]));
}
