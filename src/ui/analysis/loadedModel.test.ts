/**
 * The analysis panel's view of the loaded model on a real store (the analysis slice plus the model and
 * timing fields the other slices own) fed with the demo model's real files: times measured before a model
 * was loaded are dropped, its units are counted, and a user's model gets settings sized for it until the
 * user changes one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { defaultAnalysisSettings } from '../../core/analysis/settings';
import { createAnalysisSlice } from '../../state/analysisSlice';
import type { ModelPartCard } from '../../state/modelSlice';
import type { StudioState } from '../../state/store';
import { followLoadedModel, type LoadedModel } from './loadedModel';
import { userModelDefaults } from './userModelDefaults';

const demo = new URL('../../../public/models/demo-sam/', import.meta.url);
const bytes = (name: string) => readFileSync(new URL(name, demo));

function part(name: string, source: Blob): ModelPartCard {
  return { fileName: name, sizeBytes: source.size, format: 'meta', signature: '', source };
}

function studio(): StoreApi<StudioState> {
  return createStore<StudioState>()(
    (set, get, api) =>
      ({
        modelStatus: 'empty',
        encoderPart: null,
        decoderPart: null,
        modelConfig: { inputSize: 256, lowResSize: 64 },
        timings: { encoderMs: null, decoderMs: null },
        ...createAnalysisSlice(set, get, api),
      }) as unknown as StudioState,
  );
}

/** Loads parts as the model slice does: cards first, then ready; then the preview times a run. */
function load(store: StoreApi<StudioState>, encoder: Blob, decoder: Blob) {
  store.setState({ modelStatus: 'loading', encoderPart: part('encoder.onnx', encoder), decoderPart: part('decoder.onnx', decoder) });
  store.setState({ modelStatus: 'ready' });
}

function follow(store: StoreApi<StudioState>) {
  const seen: (LoadedModel | null)[] = [];
  const applyDefaults = userModelDefaults(store);
  const stop = followLoadedModel(store, (model) => {
    seen.push(model);
    applyDefaults(model);
  });
  // Units are counted asynchronously (the files are read and parsed).
  const counted = async () => {
    while (seen.at(-1)?.counting) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return { seen, stop, counted };
}

describe('followLoadedModel', () => {
  it('keeps only times measured with the parts now loaded, and counts their units', async () => {
    const store = studio();
    const { seen, stop, counted } = follow(store);
    store.setState({ timings: { encoderMs: 900, decoderMs: 40 } }); // no model yet: nothing to attribute them to
    load(store, new Blob([bytes('encoder.onnx')]), new Blob([bytes('decoder.onnx')]));
    expect(seen.at(-1)).toMatchObject({ fromUserFiles: false, encoderMs: null, decoderMs: null, units: null, counting: true });
    store.setState({ timings: { encoderMs: 250, decoderMs: 40 } });
    expect(seen.at(-1)).toMatchObject({ encoderMs: 250, decoderMs: null });
    await counted();
    expect(seen.at(-1)).toMatchObject({ units: { encoderUnits: 38, decoderUnits: 46 }, counting: false, encoderMs: 250 });
    store.setState({ timings: { encoderMs: 250, decoderMs: 31 } });
    expect(seen.at(-1)).toMatchObject({ encoderMs: 250, decoderMs: 31 });

    // A backend change reloads the same files into new cards: the times start over, the counts are kept.
    const { encoderPart, decoderPart } = store.getState();
    load(store, encoderPart!.source, decoderPart!.source);
    expect(seen.at(-1)).toMatchObject({ encoderMs: null, decoderMs: null });
    await counted();
    expect(seen.at(-1)?.units).toEqual({ encoderUnits: 38, decoderUnits: 46 });
    stop();
  });

  it('says when the units cannot be counted', async () => {
    const store = studio();
    const { seen, stop, counted } = follow(store);
    load(store, new Blob([bytes('decoder.onnx')]), new Blob([bytes('decoder.onnx')]));
    await counted();
    expect(seen.at(-1)).toMatchObject({ units: null, counting: false });
    stop();
  });
});

describe('userModelDefaults', () => {
  it('leaves the demo model on the studio defaults', async () => {
    const store = studio();
    const { stop, counted } = follow(store);
    load(store, new Blob([bytes('encoder.onnx')]), new Blob([bytes('decoder.onnx')]));
    store.setState({ timings: { encoderMs: 5000, decoderMs: null } });
    await counted();
    expect(store.getState().analysisSettings).toBe(defaultAnalysisSettings);
    expect(store.getState().analysisDefaults).toBeNull();
    stop();
  });

  it('sizes a user’s model when it is ready, refines it as it is timed, and stops once the user edits', async () => {
    const store = studio();
    const { stop, counted } = follow(store);
    load(store, new File([bytes('encoder.onnx')], 'encoder.onnx'), new File([bytes('decoder.onnx')], 'decoder.onnx'));
    // Within the update that made it ready: before anything could render the studio's defaults.
    expect(store.getState().analysisSettings).toMatchObject({ imageCount: 2, promptsPerImage: 4, sensitivityMode: 'fast', scope: 'all' });
    await counted();
    // 3.2 s per encoder forward: 2 images × (3 + 38 × 3) encoder forwards × 1.5 is 18.7 min on the encoder alone;
    // 1 image still 9.4 min with the decoder untimed, so every unit stays probed.
    store.setState({ timings: { encoderMs: 3200, decoderMs: null } });
    expect(store.getState().analysisSettings).toMatchObject({ imageCount: 1, scope: 'all' });
    // 0.1 s per decoder prompt: 1.5 × (117 × 3.2 s + 1020 × 0.1 s) = 11.9 min, so decoder units only.
    store.setState({ timings: { encoderMs: 3200, decoderMs: 100 } });
    const chosen = store.getState();
    expect(chosen.analysisSettings).toMatchObject({ imageCount: 1, promptsPerImage: 4, sensitivityMode: 'fast', scope: 'decoder' });
    expect(chosen.analysisDefaults?.settings).toBe(chosen.analysisSettings);
    expect(chosen.analysisDefaults?.reason).toBe(
      'Chosen for this model’s size (38 encoder + 46 decoder units, 3.20 s per encoder forward): 1 image, 4 prompts, fast σ, decoder units only. The studio’s defaults are sized for its small demo model.',
    );

    chosen.setAnalysisSettings({ scope: 'all' });
    store.setState({ timings: { encoderMs: 9000, decoderMs: 300 } });
    expect(store.getState().analysisSettings.scope).toBe('all');
    expect(store.getState().analysisDefaults?.settings).not.toBe(store.getState().analysisSettings);
    stop();
  });
});
