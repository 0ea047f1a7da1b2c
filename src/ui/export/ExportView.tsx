import { useEffect, useRef } from 'react';
import { selectAllocation } from '../../state/budgetSlice';
import { allocationKeyOf } from '../../state/evaluateSlice';
import type { ExportedFile } from '../../state/exportSlice';
import { useStudio } from '../../state/store';
import { formatBytes, formatMs } from '../format';
import { QuantProgress } from '../preview/QuantProgress';
import { downloadBlob } from './download';
import { downloadReportHtml, downloadReportJson } from './reportDownloads';
import { errorMessage } from '../../state/toastsSlice';
import '../preview/preview.css';
import './export.css';
import { ExportQuality } from './ExportQuality';
import { ProfilePicker } from './ProfilePicker';
import { DeployedCheckView } from './DeployedCheckView';
import { exportProfileInfo } from '../../core/quant/profiles';

/** The check passes when the largest |Δ| of the mask logits is at most this fraction of their range. */
export const VERIFY_TOLERANCE = 1e-3;

/** "×3.2 smaller", "unchanged" (nothing in the part quantized: the model as it came), or "×1.1 larger". */
function sizeChange({ sizes, fpFileBytes, unchanged }: ExportedFile): string {
  const fileBytes = sizes.fileBytes;
  const fpBytes = fpFileBytes;
  if (unchanged) return 'unchanged';
  if (fileBytes <= 0) return '—';
  return fileBytes < fpBytes ? `×${(fpBytes / fileBytes).toFixed(1)} smaller` : `×${(fileBytes / fpBytes).toFixed(1)} larger`;
}

function SizeRow({ part, file }: { part: string; file: ExportedFile }) {
  return (
    <tr data-part={part} data-file-bytes={file.sizes.fileBytes} data-fp-bytes={file.fpFileBytes}>
      <td>{part}</td>
      <td className="number">{formatBytes(file.fpFileBytes)}</td>
      <td className="number">{formatBytes(file.sizes.fileBytes)}</td>
      <td className="number">{sizeChange(file)}</td>
    </tr>
  );
}

/** |Δ| as shown: exactly 0 reads as 0, anything else in scientific notation. */
function formatDelta(value: number): string {
  return value === 0 ? '0' : value.toExponential(1);
}

/** Download quantized model: export, verify against the simulation, show sizes, save both files. */
export function ExportView() {
  const status = useStudio((state) => state.exportStatus);
  const progress = useStudio((state) => state.exportProgress);
  const exported = useStudio((state) => state.exported);
  const error = useStudio((state) => state.exportError);
  const allocation = useStudio(selectAllocation);
  const exportModel = useStudio((state) => state.exportQuantizedModel);
  const cancel = useStudio((state) => state.cancelExport);
  const analysed = useStudio((state) => state.analysisResults?.complete ?? false);
  const pushToast = useStudio((state) => state.pushToast);
  const profile = useStudio((state) => state.exportProfile);
  const busy = status === 'running' || status === 'cancelling';
  const saveReport = (save: typeof downloadReportJson) => {
    try {
      save(useStudio.getState());
    } catch (error) {
      pushToast('error', 'Could not write the report', errorMessage(error));
    }
  };

  // A new export downloads its two files once; the links below save them again.
  const downloadedSerial = useRef(0);
  useEffect(() => {
    if (!exported || downloadedSerial.current === exported.serial) return;
    downloadedSerial.current = exported.serial;
    downloadBlob(exported.encoder.blob, exported.encoder.fileName);
    downloadBlob(exported.decoder.blob, exported.decoder.fileName);
  }, [exported]);

  const verification = exported?.verification;
  const relative = verification ? verification.endToEnd.relativeError : null;
  const verified = relative !== null && relative <= VERIFY_TOLERANCE;
  const stale = exported !== null && allocation !== null && exported.allocationKey !== allocationKeyOf(allocation.widthByUnit);
  const otherProfile = exported !== null && exported.profile !== profile;
  const exact = exported ? exportProfileInfo(exported.profile).exact : true;
  return (
    <section
      className="card export-view"
      aria-label="Export"
      data-testid="export-view"
      data-status={status}
      data-max-abs-error={verification?.endToEnd.maxAbsError ?? ''}
      data-logit-range={verification?.endToEnd.range ?? ''}
      data-relative-error={relative ?? ''}
      data-prompts={verification?.prompts ?? ''}
      data-allocation-key={exported?.allocationKey ?? ''}
      data-backend={exported?.backend ?? ''}
      data-profile={exported?.profile ?? ''}
    >
      <div className="card-title">
        <h2>Export</h2>
        {status === 'cancelled' && <span className="status">Cancelled</span>}
      </div>
      <ProfilePicker disabled={busy} />
      <div className="quant-actions">
        <button type="button" onClick={() => void exportModel()} disabled={busy || !allocation} title={allocation ? 'Quantized encoder and decoder (.onnx), checked against the preview' : 'Set a budget first'}>
          Download quantized model
        </button>
        <button type="button" onClick={cancel} disabled={status !== 'running'}>
          Cancel
        </button>
      </div>
      <div className="quant-actions report-actions">
        <span className="muted">Report</span>
        <button type="button" onClick={() => saveReport(downloadReportJson)} disabled={!analysed} title="Analysis, allocation and evaluation as JSON">
          report.json
        </button>
        <button type="button" onClick={() => saveReport(downloadReportHtml)} disabled={!analysed} title="One self-contained page with the charts">
          report.html
        </button>
      </div>
      {busy && progress && <QuantProgress progress={progress} label="Export progress" testId="export-progress" />}
      {error && <p className="quant-error">{error}</p>}
      {exported && verification && (
        <>
          <ExportQuality exported={exported} />
          {exact && (
            <p className={verified ? 'verified' : 'not-verified'} data-testid="export-verification" title="The exported files compute what the preview simulated; how good that is, is the quality above">
              {verified ? 'Verified' : 'Differs from the preview'}: max |Δ| = {formatDelta(verification.endToEnd.maxAbsError)} on {verification.prompts} {verification.prompts === 1 ? 'prompt' : 'prompts'}
            </p>
          )}
          <DeployedCheckView deployed={exported.deployed} backend={exported.backend} headline={!exact} profile={exported.profile} checkImage={exported.checkImage} />
          <p className="muted quant-note" data-testid="export-verification-detail">
            {exact
              ? `${verified ? 'The files equal the simulation' : 'The files differ from the simulation'}: mask logits (range ${verification.endToEnd.range.toFixed(2)}) on ${exported.checkImage}`
              : `Under the reference session options the mask logits are max |Δ| ${formatDelta(verification.endToEnd.maxAbsError)} from the simulation's (range ${verification.endToEnd.range.toFixed(2)}) on ${exported.checkImage}`}
            ;{' '}
            {verification.encoderShared
              ? 'the encoder ships unchanged (nothing in it quantized: your own file, byte for byte)'
              : `encoder embeddings max |Δ| = ${formatDelta(verification.encoder.maxAbsError)}`}{' '}
            · {exportProfileInfo(exported.profile).label} · weights rounded{' '}
            {exported.weightRounding === 'gptq' ? 'by GPTQ' : 'to nearest'}
            {exported.biasCorrection ? ' · biases corrected' : ''} · {exported.backend} · {formatMs(exported.elapsedMs)}
          </p>
          <table className="quant-table" data-testid="export-sizes">
            <thead>
              <tr>
                <th>File</th>
                <th className="number">FP32</th>
                <th className="number">Quantized</th>
                <th className="number" />
              </tr>
            </thead>
            <tbody>
              <SizeRow part="Encoder" file={exported.encoder} />
              <SizeRow part="Decoder" file={exported.decoder} />
            </tbody>
          </table>
          <div className="download-links">
            {[exported.encoder, exported.decoder].map((file) => (
              <a key={file.fileName} href="#" onClick={(event) => {
                  event.preventDefault();
                  downloadBlob(file.blob, file.fileName);
                }}>
                Save {file.fileName} ({formatBytes(file.sizes.fileBytes)})
              </a>
            ))}
          </div>
          {stale && <p className="quant-stale">The allocation changed since: download again to export it.</p>}
          {otherProfile && !stale && <p className="quant-stale">These files are the {exportProfileInfo(exported.profile).label} profile: download again for the one chosen.</p>}
        </>
      )}
    </section>
  );
}
