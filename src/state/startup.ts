import { readSaved, type SavedStudio } from './persistStore';
import { saveStudioChanges } from './persistSlice';
import { buildSampleImages, buildStudyScenes, loadSampleImages } from './sampleImages';
import { useStudio } from './store';
import { errorMessage } from './toastsSlice';
import { registerOffline } from '../workers/registerOffline';

let started = false;

/** The images kept from the last visit: samples rebuilt by name, the user's files decoded again (in order). */
async function restoreImages(saved: NonNullable<SavedStudio['images']>): Promise<void> {
  const store = useStudio.getState();
  const samples = new Map([...buildSampleImages(), ...buildStudyScenes()].map((sample) => [sample.name, sample]));
  await store.addSampleImages(saved.flatMap((entry) => (entry.kind === 'sample' && samples.has(entry.name) ? [samples.get(entry.name)!] : [])));
  const files = saved.flatMap((entry) => (entry.kind === 'file' ? [entry.blob instanceof File ? entry.blob : new File([entry.blob], entry.name)] : []));
  if (files.length > 0) await store.addImageFiles(files);
}

async function readSavedStudio(): Promise<SavedStudio> {
  try {
    return await readSaved();
  } catch (error) {
    useStudio.getState().pushToast('error', 'Could not restore the last visit', `${errorMessage(error)}. The studio starts as new.`);
    return {};
  }
}

/**
 * What happens when the page opens: what the last visit left (settings, images, the user's model) or the
 * samples and the demo model; the engine started, the first image encoded; changes saved from then on.
 */
export async function startStudio(): Promise<void> {
  if (started) return; // React's StrictMode mounts twice in development
  started = true;
  const store = useStudio.getState();
  const saved = await readSavedStudio();
  if (saved.settings) store.restoreAnalysisSettings(saved.settings);
  const restoredImages = saved.images && saved.images.length > 0;
  const images = (restoredImages ? restoreImages(saved.images!) : loadSampleImages().then((list) => store.addSampleImages(list))).catch((error: unknown) =>
    store.pushToast('error', 'Could not create the images', errorMessage(error)),
  );
  // The model's files are read by its load, after the page is up: a big model does not hold the studio back.
  // The demo's load starts with the page (its parts wait for the engine), so a model dropped meanwhile is the
  // later load and wins (modelSlice.ts).
  const model = saved.model
    ? store.restoreModel(saved.model).then(() => (useStudio.getState().modelStatus === 'ready' ? undefined : useStudio.getState().loadDemoModel()))
    : store.loadDemoModel();
  if (saved.settings || restoredImages || saved.model) {
    const files = saved.images?.filter((entry) => entry.kind === 'file').length ?? 0;
    useStudio.setState({ restored: { model: saved.model ? (saved.model.name ?? saved.model.parts.map((part) => part.fileName).join(' + ')) : null, images: files, settings: !!saved.settings } });
  }
  const backend = store.startBackend();
  await images;
  saveStudioChanges(useStudio);
  // Then every file of the build is stored, so the studio works offline from here on (the download does not
  // compete with the demo model's).
  await Promise.all([backend, model]).finally(() => void registerOffline());
  await useStudio.getState().encodeSelected();
}
