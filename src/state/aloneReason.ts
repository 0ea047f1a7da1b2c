import { formatMegabytes } from '../core/displayUnits';

/**
 * What the image says while a large encoder's analysis or export holds the memory the inference worker
 * would need (core/analysis/analysisCost.ts ANALYSE_ALONE_ENCODER_BYTES).
 */
export function aloneReason(job: 'analysis' | 'export', encoderBytes: number): string {
  return `Segmenting is paused while the ${job} runs: the ${formatMegabytes(encoderBytes)} encoder does not fit in this tab’s memory twice. It resumes when the ${job} ends.`;
}
