import type { SamModelConfig } from './samAdapter';
import type { SamFormat } from './types';

/** What a model.json beside an encoder/decoder pair says (the demo model ships one). */
export interface ModelManifest {
  name: string;
  description: string;
  format: SamFormat | null;
  encoderFile: string;
  decoderFile: string;
  config: SamModelConfig;
  /** False for an untrained placeholder: masks are then meaningless, and the UI says so. */
  trained: boolean | null;
}

const formats: readonly SamFormat[] = ['meta', 'samexporter', 'transformers'];

/** Reads model.json, checking each field it uses; unknown fields are ignored. */
export function parseModelManifest(json: unknown): ModelManifest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('model.json is not a JSON object.');
  const record = json as Record<string, unknown>;
  const text = (key: string, fallback?: string): string => {
    const value = record[key] ?? fallback;
    if (typeof value !== 'string' || value === '') throw new Error(`model.json lacks the text field "${key}".`);
    return value;
  };
  const positiveInteger = (key: string): number | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new Error(`model.json field "${key}" must be a positive whole number.`);
    return value;
  };
  const triple = (key: string): [number, number, number] | undefined => {
    const value = record[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`model.json field "${key}" must list three numbers (R, G, B).`);
    }
    return [value[0], value[1], value[2]];
  };

  const format = record.format;
  if (format !== undefined && !formats.includes(format as SamFormat)) {
    throw new Error(`model.json names format "${String(format)}"; known formats are ${formats.join(', ')}.`);
  }
  const mean = triple('mean');
  const std = triple('std');
  if ((mean === undefined) !== (std === undefined)) throw new Error('model.json must give both "mean" and "std", or neither.');
  if (std?.some((v) => v <= 0)) throw new Error('model.json "std" values must be positive.');
  const threshold = record.maskThreshold;
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isFinite(threshold))) {
    throw new Error('model.json field "maskThreshold" must be a number.');
  }
  const provenance = record.provenance as Record<string, unknown> | undefined;
  const trained = typeof provenance?.trained === 'boolean' ? provenance.trained : null;

  return {
    name: text('name', 'model'),
    description: typeof record.description === 'string' ? record.description : '',
    format: (format as SamFormat | undefined) ?? null,
    encoderFile: text('encoder'),
    decoderFile: text('decoder'),
    config: {
      inputSize: positiveInteger('inputSize'),
      lowResSize: positiveInteger('lowResSize'),
      normalization: mean && std ? { mean, std } : undefined,
      maskThreshold: threshold as number | undefined,
    },
    trained,
  };
}
