/** Saves a Blob under a file name, as a click on a download link would. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started reading the URL; keep it a little longer for slow starts.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
