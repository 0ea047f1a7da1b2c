/**
 * Persistence keys: a run is identified by the model's bytes, the calibration images (pixels and
 * prompts) and the settings that change measured numbers (DESIGN.md "Caching what is expensive").
 * Hashing uses Web Crypto, present in browsers, workers and Node ≥ 19 alike.
 */
import type { RgbaImage } from '../image/rgbaImage';
import { calibrationPrompts, promptsKey, type CalibrationPrompt, type PromptSource } from './calibrationPrompts';
import { settingsKey, type AnalysisSettings } from './settings';

interface SubtleDigest {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
}

function subtle(): SubtleDigest {
  const crypto = (globalThis as { crypto?: { subtle?: SubtleDigest } }).crypto;
  if (!crypto?.subtle) throw new Error('Web Crypto (crypto.subtle) is not available: open the studio over http://localhost or https');
  return crypto.subtle;
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of bytes, as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await subtle().digest('SHA-256', bytes));
}

/** SHA-256 of a text (UTF-8). */
export async function sha256Text(text: string): Promise<string> {
  const utf8: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) utf8.push(code);
    else if (code < 0x800) utf8.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) utf8.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else utf8.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return sha256Hex(Uint8Array.from(utf8));
}

// Model bytes are never changed in place, and hashing a ViT-H encoder costs seconds: each array is hashed once.
const hashOfBytes = new WeakMap<Uint8Array, Promise<string>>();
function bytesHash(bytes: Uint8Array): Promise<string> {
  let hash = hashOfBytes.get(bytes);
  if (!hash) hashOfBytes.set(bytes, (hash = sha256Hex(bytes)));
  return hash;
}

/** Hash of an encoder + decoder pair. */
export async function modelHash(encoder: Uint8Array, decoder: Uint8Array): Promise<string> {
  return sha256Text(`${await bytesHash(encoder)}:${await bytesHash(decoder)}`);
}

/** Hash of an image's pixels and size. */
export async function imageHash(image: RgbaImage): Promise<string> {
  const header = `${image.width}x${image.height}:`;
  return sha256Text(`${header}${await sha256Hex(new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength))}`);
}

/** The key a run's entries are stored under. */
export async function runKey(model: string, imageKeys: readonly string[], settings: string): Promise<string> {
  return `analysis:${await sha256Text(JSON.stringify({ model, imageKeys, settings }))}`;
}

/** An image as the analysis calibrates on it: pixels and what prompts come from (boxes, else the grid). */
export interface KeyedImage extends Omit<PromptSource, 'width' | 'height'> {
  image: RgbaImage;
}

/** The prompts an image is calibrated with under these settings (analysis/calibrationPrompts.ts). */
export function promptsOfImage(entry: KeyedImage, settings: AnalysisSettings): CalibrationPrompt[] {
  return calibrationPrompts({ ...entry, width: entry.image.width, height: entry.image.height }, settings.promptsPerImage, settings.gridSize);
}

/**
 * The run key of an analysis of these images (the first T already taken) under validated settings: what
 * the engine stores its probes under, so the studio can tell before a run whether one is stored.
 */
export async function analysisRunKey(model: string, images: readonly KeyedImage[], settings: AnalysisSettings): Promise<string> {
  const imageKeys = await Promise.all(images.map(async (entry) => `${await imageHash(entry.image)}|${promptsKey(promptsOfImage(entry, settings))}`));
  return runKey(model, imageKeys, settingsKey(settings));
}

/** Key of a run's calibration facts (ranges, log2 τ, MACs: analysisModel.ts CalibrationFacts). */
export const calibrationEntryKey = 'calibration';

/** Key of one measured probe inside a run. */
export function probeEntryKey(imageIndex: number, unitId: string, probe: string): string {
  return `probe/${imageIndex}/${probe}/${unitId}`;
}
