/// <reference types="vite/client" />
/**
 * The model slice on a real store (model, analysis, budget, quantized preview, evaluation, export and toasts
 * slices) with the demo model's real files, and a model with the same graphs but other weights. Parts are
 * loaded as the inference worker loads them (onnxruntime-node sessions, format detection, pairing), one
 * call per part with nothing serialized, so the store's own ordering is what is tested; gates hold a part
 * or a download back to stage a race.
 */
import { readFileSync } from 'node:fs';
import { withOtherWeights } from '../core/onnx/otherWeights';
import GLPK from 'glpk.js/node';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { glpkEngine, paretoSweep, solveExact, solveInstant, type GlpkSolver } from '../core/allocate';
import { modelHash, sha256Hex } from '../core/analysis/analysisKeys';
import { buildReport } from '../core/report';
import { describeSignature, detectSamPart, type DetectedPart } from '../core/sam/detectFormat';
import { createSamAdapter } from '../core/sam/samAdapter';
import { signatureFromMetadata } from '../core/sam/signature';
import { createAnalysisSlice } from './analysisSlice';
import { createBudgetSlice, selectAllocation, setAllocationSolverFactory } from './budgetSlice';
import { smallAnalysisResults } from './budgetTestResults';
import { createEvaluateSlice, type EvaluationOutcome } from './evaluateSlice';
import { createExportSlice, type ExportOutcome } from './exportSlice';
import { createModelSlice, modelHashOfParts, setModelPartLoader, type ModelPartLoader } from './modelSlice';
import { createPreviewQuantSlice, type QuantPreviewResult } from './previewQuantSlice';
import { ANALYSIS_OF_ANOTHER_MODEL, preparedQuantWorker } from './quantConnection';
import type { StudioState } from './store';
import { createToastsSlice } from './toastsSlice';
import { until } from './storeWait';

const demoFolder = new URL('../../public/models/demo-sam/', import.meta.url);
const demoBytes = (name: string) => new Uint8Array(readFileSync(new URL(name, demoFolder)));
const encoderBytes = demoBytes('encoder.onnx');
const decoderBytes = demoBytes('decoder.onnx');

const otherEncoderBytes = withOtherWeights(encoderBytes);
const otherDecoderBytes = withOtherWeights(decoderBytes);
const file = (bytes: Uint8Array, name: string) => new File([bytes as Uint8Array<ArrayBuffer>], name);

/** What the inference worker holds: each part by the hash of its bytes; a gate per file name holds a load back. */
function nodeInference() {
  const held: { encoder?: { detected: DetectedPart; sha: string }; decoder?: { detected: DetectedPart; sha: string } } = {};
  const gates = new Map<string, Promise<void>>();
  const sent = new Set<string>();
  const loaded = new Set<string>();
  const loader: ModelPartLoader = async (fileName, bytes, config) => {
    sent.add(fileName);
    await gates.get(fileName);
    const data = new Uint8Array(bytes);
    const session = await ort.InferenceSession.create(data);
    const signature = signatureFromMetadata(session.inputMetadata, session.outputMetadata);
    await session.release();
    const detected = detectSamPart(signature, fileName);
    held[detected.part] = { detected, sha: await sha256Hex(data) };
    loaded.add(fileName);
    let pairError: string | null = null;
    if (held.encoder && held.decoder) {
      try {
        createSamAdapter(held.encoder.detected as never, held.decoder.detected as never, config);
      } catch (error) {
        pairError = (error as Error).message;
      }
    }
    const format = detected.part === 'encoder' ? detected.format : detected.family;
    return { part: detected.part, format, fileName, sizeBytes: bytes.byteLength, signature: describeSignature(signature), pairReady: !!held.encoder && !!held.decoder && !pairError, pairError };
  };
  /** Holds loads of this file until the returned function is called. */
  const gate = (fileName: string) => {
    let release!: () => void;
    gates.set(fileName, new Promise((resolve) => (release = resolve)));
    return () => release();
  };
  /** Resolves once this file is loaded, or after `ms` (a store that queues it behind a held load never sends it). */
  const loadedOrAfter = async (fileName: string, ms: number) => {
    const started = Date.now();
    while (!loaded.has(fileName) && Date.now() - started < ms) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const untilSent = async (fileName: string) => {
    while (!sent.has(fileName)) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { loader, held, gate, untilSent, loadedOrAfter };
}

function studio(): StoreApi<StudioState> {
  return createStore<StudioState>()(
    (set, get, api) =>
      ({
        backendSettings: { request: 'wasm', threads: 1 },
        backendStarting: false,
        images: [],
        selectedImageId: null,
        promptsByImage: {},
        forgetEmbeddings: () => undefined,
        encodeSelected: async () => undefined,
        ...createToastsSlice(set, get, api),
        ...createModelSlice(set, get, api),
        ...createAnalysisSlice(set, get, api),
        ...createBudgetSlice(set, get, api),
        ...createPreviewQuantSlice(set, get, api),
        ...createEvaluateSlice(set, get, api),
        ...createExportSlice(set, get, api),
      }) as unknown as StudioState,
  );
}


/** Serves the demo's files as the page's server does; a gate per file name holds a download back. */
function serveDemo() {
  const gates = new Map<string, Promise<void>>();
  vi.stubGlobal('fetch', async (url: string) => {
    const name = url.split('/').pop()!;
    await gates.get(name);
    return new Response(demoBytes(name));
  });
  return (name: string) => {
    let release!: () => void;
    gates.set(name, new Promise((resolve) => (release = resolve)));
    return () => release();
  };
}

let glpk: GlpkSolver;
beforeAll(async () => {
  glpk = await GLPK();
  setAllocationSolverFactory(() => ({
    solveInstant: async (problem) => solveInstant(problem),
    solveExact: async (problem, options) => solveExact(problem, glpkEngine(glpk), options),
    paretoSweep: async (problem, options) => paretoSweep(problem, options),
  }));
});
afterAll(() => {
  setModelPartLoader(null);
  setAllocationSolverFactory(() => {
    throw new Error('no solver after the tests');
  });
});
afterEach(() => vi.unstubAllGlobals());

describe('the loaded model’s hash', () => {
  it('is the analysis’ model hash of the same two files', async () => {
    const hash = await modelHashOfParts(file(encoderBytes, 'encoder.onnx'), file(decoderBytes, 'decoder.onnx'));
    expect(hash).toBe(await modelHash(encoderBytes, decoderBytes));
    expect(await modelHashOfParts(file(encoderBytes, 'encoder.onnx'), file(otherDecoderBytes, 'decoder.onnx'))).not.toBe(hash);
  });
});

describe('a model swap', () => {
  it('clears what was computed for the previous model, and refuses an analysis of other bytes', async () => {
    const inference = nodeInference();
    setModelPartLoader(inference.loader);
    const store = studio();
    await store.getState().addModelFiles([file(encoderBytes, 'encoder.onnx'), file(decoderBytes, 'decoder.onnx')]);
    const demoHash = await modelHash(encoderBytes, decoderBytes);
    expect(store.getState()).toMatchObject({ modelStatus: 'ready', modelHash: demoHash, modelName: 'Your model' });

    // An analysis of these files, its allocation, a preview, an evaluation and an export.
    const analysis = { ...smallAnalysisResults(), modelHash: demoHash };
    store.setState({ analysisResults: analysis, analysisStatus: 'done' });
    await until(store, (state) => selectAllocation(state) !== null && state.allocationPhase === 'done', 20_000);
    store.setState({
      quantPreview: { ...store.getState().quantPreview, status: 'ready', result: { imageId: 'image-1', modelHash: demoHash, runKey: analysis.runKey } as QuantPreviewResult },
      evaluation: { modelHash: demoHash, runKey: analysis.runKey } as EvaluationOutcome,
      evaluationStatus: 'done',
      exported: { modelHash: demoHash, runKey: analysis.runKey } as ExportOutcome,
      exportStatus: 'done',
    });

    // The same bytes dropped again (new File objects): nothing computed goes.
    await store.getState().addModelFiles([file(encoderBytes, 'encoder.onnx'), file(decoderBytes, 'decoder.onnx')]);
    expect(store.getState()).toMatchObject({ modelHash: demoHash, analysisResults: analysis, evaluationStatus: 'done', exportStatus: 'done' });
    expect(selectAllocation(store.getState())).not.toBeNull();

    // The same architecture with other weights.
    await store.getState().addModelFiles([file(otherEncoderBytes, 'encoder.onnx'), file(otherDecoderBytes, 'decoder.onnx')]);
    const otherHash = await modelHash(otherEncoderBytes, otherDecoderBytes);
    const swapped = store.getState();
    expect(swapped.modelHash).toBe(otherHash);
    expect(inference.held.encoder?.sha).toBe(await sha256Hex(otherEncoderBytes));
    expect(swapped).toMatchObject({
      modelStatus: 'ready',
      analysisResults: null,
      analysisStatus: 'idle',
      allocationAnswer: null,
      allocationPhase: 'blocked',
      allocationMessage: 'Run Analyze to measure importance; the budget needs it.',
      evaluation: null,
      evaluationStatus: 'idle',
      exported: null,
      exportStatus: 'idle',
    });
    expect(swapped.pareto.points).toEqual([]);
    expect(swapped.quantPreview.result).toBeNull();
    expect(selectAllocation(swapped)).toBeNull();
    expect(swapped.toasts.map((toast) => [toast.kind, toast.title])).toEqual([['info', 'Another model is loaded']]);

    // An analysis of the first model's bytes, put back, is not used for this one: not by the quantized
    // preview, Evaluate, Export, nor the report.
    store.setState({ analysisResults: analysis, analysisStatus: 'done' });
    await until(store, (state) => selectAllocation(state) !== null, 20_000);
    await expect(preparedQuantWorker(store.getState())).rejects.toThrow(ANALYSIS_OF_ANOTHER_MODEL);
    await store.getState().startEvaluation();
    expect(store.getState()).toMatchObject({ evaluationStatus: 'error', evaluationError: ANALYSIS_OF_ANOTHER_MODEL });
    await store.getState().exportQuantizedModel();
    expect(store.getState()).toMatchObject({ exportStatus: 'error', exportError: ANALYSIS_OF_ANOTHER_MODEL });
    expect(() => buildReport({ analysis, model: { hash: store.getState().modelHash } })).toThrow('another model');
    expect(buildReport({ analysis: { ...analysis, modelHash: otherHash }, model: { hash: store.getState().modelHash } }).model.hash).toBe(otherHash);
  });
});

describe('loads that race', () => {
  it('a model dropped while the demo downloads wins, whenever the demo finishes', async () => {
    const inference = nodeInference();
    setModelPartLoader(inference.loader);
    const releaseDownload = serveDemo()('encoder.onnx');
    const store = studio();
    const demo = store.getState().loadDemoModel();
    await store.getState().addModelFiles([file(otherEncoderBytes, 'my-encoder.onnx'), file(otherDecoderBytes, 'my-decoder.onnx')]);
    const mine = { modelStatus: 'ready', modelName: 'Your model', modelConfig: {}, modelMessage: null };
    expect(store.getState()).toMatchObject(mine);
    releaseDownload();
    await demo;
    expect([store.getState().encoderPart?.fileName, store.getState().decoderPart?.fileName]).toEqual(['my-encoder.onnx', 'my-decoder.onnx']);
    expect(inference.held.encoder?.sha).toBe(await sha256Hex(otherEncoderBytes));
    expect(inference.held.decoder?.sha).toBe(await sha256Hex(otherDecoderBytes));
    expect(store.getState()).toMatchObject({ ...mine, modelHash: await modelHash(otherEncoderBytes, otherDecoderBytes) });
    expect(store.getState().toasts).toEqual([]);
  });

  it('a model dropped while the demo’s encoder opens replaces both parts, without mixing them', async () => {
    const inference = nodeInference();
    setModelPartLoader(inference.loader);
    serveDemo();
    const releaseDemoEncoder = inference.gate('encoder.onnx');
    const store = studio();
    const demo = store.getState().loadDemoModel();
    await inference.untilSent('encoder.onnx');
    const dropped = store.getState().addModelFiles([file(otherEncoderBytes, 'my-encoder.onnx'), file(otherDecoderBytes, 'my-decoder.onnx')]);
    // The demo's encoder reaches the worker after the drop (and after the dropped encoder, if that was sent at once).
    await inference.loadedOrAfter('my-decoder.onnx', 2000);
    releaseDemoEncoder();
    await Promise.all([demo, dropped]);
    const state = store.getState();
    expect([state.encoderPart?.fileName, state.decoderPart?.fileName]).toEqual(['my-encoder.onnx', 'my-decoder.onnx']);
    // What the card shows is what the worker holds.
    expect(inference.held.encoder?.sha).toBe(await sha256Hex(otherEncoderBytes));
    expect(inference.held.decoder?.sha).toBe(await sha256Hex(otherDecoderBytes));
    expect(state).toMatchObject({ modelStatus: 'ready', modelName: 'Your model', modelMessage: null, modelHash: await modelHash(otherEncoderBytes, otherDecoderBytes) });
    expect(state.toasts).toEqual([]);
  });

  it('a single part dropped while the demo loads is added to the demo model, as if dropped after it', async () => {
    const inference = nodeInference();
    setModelPartLoader(inference.loader);
    const releaseDownload = serveDemo()('decoder.onnx');
    const store = studio();
    const demo = store.getState().loadDemoModel();
    const dropped = store.getState().addModelFiles([file(otherDecoderBytes, 'my-decoder.onnx')]);
    releaseDownload();
    await Promise.all([demo, dropped]);
    const state = store.getState();
    expect([state.encoderPart?.fileName, state.decoderPart?.fileName]).toEqual(['encoder.onnx', 'my-decoder.onnx']);
    expect(inference.held.decoder?.sha).toBe(await sha256Hex(otherDecoderBytes));
    expect(state).toMatchObject({ modelStatus: 'ready', modelName: 'Your model', modelHash: await modelHash(encoderBytes, otherDecoderBytes) });
  });
});
