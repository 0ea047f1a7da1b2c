/**
 * Sizes and counts in the words the page and the report both print, so one size reads the same in both:
 * megabytes are decimal (10⁶ bytes, "MB"), never MiB.
 */

const BYTES_PER_MEGABYTE = 1e6;

/**
 * "0.0500 MB", "0.840 MB", "4.213 MB", "35.21 MB", "359.4 MB": three significant digits below 1 MB, three
 * decimals up to 10 MB, then four significant digits; under a kilobyte, whole bytes.
 */
export function formatMegabytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (Math.abs(bytes) < 1000) return `${Math.round(bytes)} B`;
  return `${megabytesText(bytes / BYTES_PER_MEGABYTE)} MB`;
}

/** The number formatMegabytes writes for this many megabytes, without the unit (for a field in MB). */
export function megabytesText(megabytes: number): string {
  const size = Math.abs(megabytes);
  return size < 1 ? megabytes.toPrecision(3) : megabytes.toFixed(size < 10 ? 3 : size < 100 ? 2 : 1);
}

/** A size given in bits of weights, as formatMegabytes writes it. */
export function formatMegabytesOfBits(bits: number): string {
  return formatMegabytes(bits / 8);
}

/** "1 image", "3 images", "1 analysed image"; `plural` for nouns that do not just take an s. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? singular : plural}`;
}
