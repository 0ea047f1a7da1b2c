/**
 * What the studio keeps for the next visit, in IndexedDB (via `idb`, like the analysis journal in
 * workers/analysisIdbStore.ts): the analysis settings the user chose, the images in the strip (the user's
 * files as Blobs, samples by name) and the user's model files. Blobs read back from IndexedDB are handles to
 * data on disk: nothing is read into memory until the model or image is loaded.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { AnalysisSettings } from '../core/analysis/settings';
import type { SamModelConfig } from '../core/sam/samAdapter';

export type SavedImage = { kind: 'sample'; name: string } | { kind: 'file'; name: string; blob: Blob };

export interface SavedModel {
  name: string | null;
  config: SamModelConfig;
  parts: { fileName: string; blob: Blob }[];
}

export interface SavedStudio {
  settings?: AnalysisSettings;
  images?: SavedImage[];
  model?: SavedModel;
}

interface StudioDb extends DBSchema {
  saved: { key: keyof SavedStudio; value: SavedStudio[keyof SavedStudio] };
}

/** Model files above this are not kept: writing and reading back gigabytes would slow every visit. */
export const MAX_SAVED_MODEL_BYTES = 1024 * 1024 * 1024;

let db: Promise<IDBPDatabase<StudioDb>> | null = null;

function open(): Promise<IDBPDatabase<StudioDb>> {
  db ??= openDB<StudioDb>('mix-qsam-studio', 1, {
    upgrade(database) {
      database.createObjectStore('saved');
    },
  });
  return db;
}

export async function readSaved(): Promise<SavedStudio> {
  const database = await open();
  const [settings, images, model] = await Promise.all([database.get('saved', 'settings'), database.get('saved', 'images'), database.get('saved', 'model')]);
  return { settings: settings as AnalysisSettings | undefined, images: images as SavedImage[] | undefined, model: model as SavedModel | undefined };
}

/** Saves one part of the studio; undefined forgets it. */
export async function writeSaved<K extends keyof SavedStudio>(key: K, value: SavedStudio[K]): Promise<void> {
  const database = await open();
  if (value === undefined) await database.delete('saved', key);
  else await database.put('saved', value, key);
}

export async function forgetSaved(): Promise<void> {
  await (await open()).clear('saved');
}
