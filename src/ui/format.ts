/** Display formatting shared by the panels (sizes in decimal MB, as the report prints them). */
import { countOf, formatMegabytes } from '../core/displayUnits';

export { countOf };

/** A file's size: "4.213 MB" (10⁶ bytes), the unit the budget and the report use. */
export function formatBytes(bytes: number): string {
  return formatMegabytes(bytes);
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export const formatLabels: Record<string, string> = {
  meta: 'Meta (SAM ONNX)',
  samexporter: 'samexporter',
  transformers: 'transformers.js',
};
