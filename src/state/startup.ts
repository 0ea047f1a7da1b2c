import { loadSampleImages } from './sampleImages';
import { useStudio } from './store';
import { errorMessage } from './toastsSlice';
import { registerOffline } from '../workers/registerOffline';

let started = false;

/** What happens when the page opens: samples shown, engine started, demo model loaded, first image encoded. */
export async function startStudio(): Promise<void> {
  if (started) return; // React's StrictMode mounts twice in development
  started = true;
  const store = useStudio.getState();
  const samples = loadSampleImages()
    .then((list) => store.addSampleImages(list))
    .catch((error: unknown) => store.pushToast('error', 'Could not create the sample images', errorMessage(error)));
  // The demo's load starts with the page (its parts wait for the engine), so a model dropped meanwhile is the
  // later load and wins (modelSlice.ts).
  // Then every file of the build is stored, so the studio works offline from here on (the download does not
  // compete with the demo model's).
  await Promise.all([samples, store.startBackend(), store.loadDemoModel()]).finally(() => void registerOffline());
  await useStudio.getState().encodeSelected();
}
