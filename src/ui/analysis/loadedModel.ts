/**
 * What the analysis panel knows of the loaded model before an analysis: its probed units, counted from its
 * files, and the encoder and decoder times the preview measured with it in this page. Times belong to the
 * part cards they were measured with: a new model, or a backend change (which reloads the parts into new
 * cards), starts over.
 */
import type { StoreApi } from 'zustand';
import { countProbedUnits, type ProbedUnitCounts } from '../../core/analysis/analysisCost';
import { prepareSam } from '../../core/analysis/analysisModel';
import type { SamModelConfig } from '../../core/sam/samAdapter';
import type { ModelPartCard } from '../../state/modelSlice';
import type { StudioState } from '../../state/store';

export interface LoadedModel {
  encoderPart: ModelPartCard;
  decoderPart: ModelPartCard;
  /** From files the user gave (the demo model is fetched, not a File). */
  fromUserFiles: boolean;
  /** Probed units per graph; null while `counting`, or when they could not be counted. */
  units: ProbedUnitCounts | null;
  counting: boolean;
  /** Plain forwards measured in this page with these parts; null until measured. */
  encoderMs: number | null;
  decoderMs: number | null;
}

export type StudioStore = Pick<StoreApi<StudioState>, 'getState' | 'subscribe'>;

// Counted once per pair of files (a backend change reloads the same files into new cards).
const countsBySources = new WeakMap<Blob, WeakMap<Blob, Promise<ProbedUnitCounts | null>>>();

/** The probed units of a model's files, counted as the analysis will find them (null when it cannot). */
export function probedUnitCounts(encoder: Blob, decoder: Blob, config: SamModelConfig): Promise<ProbedUnitCounts | null> {
  const byDecoder = countsBySources.get(encoder) ?? new WeakMap<Blob, Promise<ProbedUnitCounts | null>>();
  countsBySources.set(encoder, byDecoder);
  let counts = byDecoder.get(decoder);
  if (!counts) {
    counts = Promise.all([encoder.arrayBuffer(), decoder.arrayBuffer()])
      .then(([encoderBytes, decoderBytes]) => countProbedUnits(prepareSam({ encoder: new Uint8Array(encoderBytes), decoder: new Uint8Array(decoderBytes), config }).probedUnits))
      .catch(() => null);
    byDecoder.set(decoder, counts);
  }
  return counts;
}

const isFile = (blob: Blob) => typeof File !== 'undefined' && blob instanceof File;

/**
 * Calls `onChange` with the loaded model (null while none is ready) whenever what is known of it changes:
 * synchronously within the store update that changed it, and again when its units are counted.
 */
export function followLoadedModel(store: StudioStore, onChange: (model: LoadedModel | null) => void): () => void {
  let current: LoadedModel | null = null;
  const emit = (next: LoadedModel | null) => {
    current = next;
    onChange(next);
  };
  const update = (state: StudioState, previous: StudioState) => {
    const { encoderPart, decoderPart } = state;
    if (state.modelStatus !== 'ready' || !encoderPart || !decoderPart) {
      if (current) emit(null);
      return;
    }
    const sameParts = current !== null && current.encoderPart === encoderPart && current.decoderPart === decoderPart;
    let next: LoadedModel = sameParts
      ? current!
      : { encoderPart, decoderPart, fromUserFiles: isFile(encoderPart.source) || isFile(decoderPart.source), units: null, counting: true, encoderMs: null, decoderMs: null };
    const { encoderMs, decoderMs } = state.timings;
    if (encoderMs !== null && encoderMs !== previous.timings.encoderMs) next = { ...next, encoderMs };
    if (decoderMs !== null && decoderMs !== previous.timings.decoderMs) next = { ...next, decoderMs };
    if (next === current) return;
    emit(next);
    if (!sameParts) {
      void probedUnitCounts(encoderPart.source, decoderPart.source, state.modelConfig).then((units) => {
        if (current?.encoderPart === encoderPart && current.decoderPart === decoderPart) emit({ ...current, units, counting: false });
      });
    }
  };
  return store.subscribe(update);
}
