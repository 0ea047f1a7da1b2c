/// <reference lib="webworker" />
/**
 * Owns the onnxruntime-web sessions of one SAM (encoder + decoder) and the image embeddings.
 * Thin on purpose: formats, feeds and masks are src/core/sam; this file only runs sessions.
 * numThreads takes effect for the first session of a worker, so another backend or thread count
 * means another worker (see inferenceClient.ts).
 */
import * as Comlink from 'comlink';
import type * as OrtModule from 'onnxruntime-web';
import type { BinaryMask, RgbaImage } from '../core/image/rgbaImage';
import { chooseBackend, describeBackendChoice, type BackendChoice, type BackendRequest, type GpuAdapterFacts } from '../core/sam/backendChoice';
import { describeSignature, detectSamPart, type DetectedDecoder, type DetectedEncoder } from '../core/sam/detectFormat';
import { createSamAdapter, type OutputTensor, type SamAdapter, type SamModelConfig } from '../core/sam/samAdapter';
import { signatureFromMetadata } from '../core/sam/signature';
import type { ImageSize, PlainFeeds, Prompts, SamFormat, SamPart } from '../core/sam/types';
import { withExplainedErrors } from '../core/userErrors';

type Ort = typeof OrtModule;
type Session = OrtModule.InferenceSession;

export interface BackendStatus {
  choice: BackendChoice;
  /** "WASM · 2 threads — no hardware GPU adapter (SwiftShader fallback)" */
  description: string;
  adapter: GpuAdapterFacts | null;
}

export interface LoadedPart {
  part: SamPart;
  format: SamFormat;
  fileName: string;
  sizeBytes: number;
  /** Input and output names and shapes, for the model card. */
  signature: string;
  /** True once an encoder and a decoder of the same family are loaded. */
  pairReady: boolean;
  /** Set when both parts are loaded but do not belong together. */
  pairError: string | null;
}

export interface EncodeResult {
  elapsedMs: number;
  /** True when the embedding was already cached and the encoder did not run. */
  cached: boolean;
}

export interface DecodeResult {
  mask: BinaryMask;
  predictedIoU: number;
  maskIndex: number;
  elapsedMs: number;
}

interface LoadedSession<D> {
  session: Session;
  detected: D;
  fileName: string;
  sizeBytes: number;
}

let ort: Ort | null = null;
let backend: BackendChoice | null = null;
let encoder: LoadedSession<DetectedEncoder> | null = null;
let decoder: LoadedSession<DetectedDecoder> | null = null;
let modelConfig: SamModelConfig = {};
let adapter: SamAdapter | null = null;
const embeddings = new Map<string, Record<string, OrtModule.Tensor>>();

// One session run at a time: onnxruntime-web sessions must not run concurrently.
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

/** Minimal WebGPU typing: TypeScript's DOM library does not declare navigator.gpu yet. */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

async function probeGpuAdapter(): Promise<GpuAdapterFacts | null> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return null;
  try {
    const found = await gpu.requestAdapter();
    if (!found) return null;
    const info = found.info ?? {};
    return {
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? found.isFallbackAdapter),
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
    };
  } catch {
    return null;
  }
}

function requireOrt(): Ort {
  if (!ort || !backend) throw new Error('The inference worker was not started: call init first.');
  return ort;
}

function toOrtFeeds(feeds: PlainFeeds): Record<string, OrtModule.Tensor> {
  const runtime = requireOrt();
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new runtime.Tensor(t.type, t.data, t.dims)]));
}

function rebuildAdapter(): string | null {
  adapter = null;
  if (!encoder || !decoder) return null;
  try {
    adapter = createSamAdapter(encoder.detected, decoder.detected, modelConfig);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const api = {
  /** Picks the backend (see core/sam/backendChoice.ts) and loads the matching onnxruntime-web entry. */
  async init(request: BackendRequest, threads: number | null): Promise<BackendStatus> {
    const adapterFacts = await probeGpuAdapter();
    const choice = chooseBackend({ request, adapter: adapterFacts, hardwareConcurrency: navigator.hardwareConcurrency, threads });
    // The /webgpu entry: the default entry's WebGPU path computed int8 DequantizeLinear wrongly (ENVIRONMENT.md).
    ort = choice.backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
    ort.env.wasm.numThreads = choice.threads;
    backend = choice;
    return { choice, description: describeBackendChoice(choice), adapter: adapterFacts };
  },

  /** Loads one .onnx, tells which SAM part it is, and keeps it (replacing the previous part of that kind). */
  async loadModelPart(fileName: string, bytes: ArrayBuffer, config: SamModelConfig = {}): Promise<LoadedPart> {
    const runtime = requireOrt();
    const session = await runtime.InferenceSession.create(new Uint8Array(bytes), {
      executionProviders: [backend!.backend],
    }).catch((error: unknown) => {
      throw new Error(`“${fileName}” could not be opened as an ONNX model: ${error instanceof Error ? error.message : String(error)}`);
    });
    const signature = signatureFromMetadata(session.inputMetadata, session.outputMetadata);
    let detected;
    try {
      detected = detectSamPart(signature, fileName);
    } catch (error) {
      await session.release();
      throw error;
    }
    const loaded = { session, fileName, sizeBytes: bytes.byteLength };
    if (detected.part === 'encoder') {
      await encoder?.session.release();
      encoder = { ...loaded, detected };
      embeddings.clear();
    } else {
      await decoder?.session.release();
      decoder = { ...loaded, detected };
    }
    // The config describes the model as a whole (model.json); the latest load states it.
    modelConfig = config;
    const pairError = rebuildAdapter();
    const format = detected.part === 'encoder' ? detected.format : detected.family;
    return { part: detected.part, format, fileName, sizeBytes: bytes.byteLength, signature: describeSignature(signature), pairReady: adapter !== null, pairError };
  },

  /** Runs the encoder once per image id; later calls for the same id reuse the cached embedding. */
  encode(imageId: string, image: RgbaImage): Promise<EncodeResult> {
    return serially(async () => {
      if (embeddings.has(imageId)) return { elapsedMs: 0, cached: true };
      const sam = requireAdapter();
      const feeds = toOrtFeeds(sam.encoderFeeds(image));
      const started = performance.now();
      const outputs = await encoder!.session.run(feeds);
      const elapsedMs = performance.now() - started;
      embeddings.set(imageId, Object.fromEntries(sam.embeddingNames.map((name) => [name, outputs[name]])));
      return { elapsedMs, cached: false };
    });
  },

  /** Decodes prompts on an encoded image into a binary mask at the image's size. */
  decode(imageId: string, prompts: Prompts, size: ImageSize): Promise<DecodeResult> {
    return serially(async () => {
      const sam = requireAdapter();
      const embedding = embeddings.get(imageId);
      if (!embedding) throw new Error('This image has not been encoded yet.');
      const feeds = { ...toOrtFeeds(sam.decoderFeeds(prompts, size)), ...embedding };
      const started = performance.now();
      const outputs = await decoder!.session.run(feeds);
      const elapsedMs = performance.now() - started;
      const decoded = sam.decodeMask(outputs as unknown as Record<string, OutputTensor>, size);
      // Copy the mask so its buffer can be transferred (it may view the output tensor).
      const mask = { ...decoded.mask, data: decoded.mask.data.slice() };
      const result: DecodeResult = { mask, predictedIoU: decoded.predictedIoU, maskIndex: decoded.maskIndex, elapsedMs };
      return Comlink.transfer(result, [mask.data.buffer]);
    });
  },

  forgetImage(imageId: string): void {
    embeddings.delete(imageId);
  },
};

function requireAdapter(): SamAdapter {
  if (adapter) return adapter;
  if (!encoder && !decoder) throw new Error('No model is loaded.');
  if (!encoder) throw new Error('The model has a decoder but no encoder yet: add the encoder .onnx.');
  if (!decoder) throw new Error('The model has an encoder but no decoder yet: add the decoder .onnx.');
  throw new Error(rebuildAdapter() ?? 'The encoder and decoder do not belong together.');
}

export type InferenceWorkerApi = typeof api;

const STAGES: Partial<Record<keyof InferenceWorkerApi, string>> = {
  loadModelPart: 'opening the model file',
  encode: 'encoding the image',
  decode: 'computing the mask',
};
// Raw onnxruntime / WASM failures reach the UI explained (core/userErrors.ts).
Comlink.expose(withExplainedErrors(api, (method) => ({ backend: backend?.backend, stage: STAGES[method as keyof InferenceWorkerApi] })));
