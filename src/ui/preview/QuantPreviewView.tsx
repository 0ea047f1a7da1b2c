import { useMemo } from 'react';
import { differenceOverlayRgba } from '../../core/evaluate/maskAgreement';
import { maskToOverlayRgba, type Rgba } from '../../core/image/maskOps';
import { selectSelectedImage } from '../../state/selectors';
import { useStudio } from '../../state/store';
import { formatMs } from '../format';
import { MaskPanel } from './MaskPanel';
import { ProfilePicker } from '../export/ProfilePicker';
import { exportProfileInfo } from '../../core/quant/profiles';
import './preview.css';

const fpFill: Rgba = [30, 144, 255, 120];
const mixedFill: Rgba = [146, 84, 222, 120];
const edge: Rgba = [255, 255, 255, 235];
/** Difference colours: the legend below names them. */
const onlyFpColor: Rgba = [240, 68, 56, 235];
const onlyMixedColor: Rgba = [18, 183, 106, 235];
const sharedColor: Rgba = [152, 162, 179, 110];

const statusText = {
  off: '',
  waiting: 'Waiting…',
  preparing: 'Preparing…',
  running: 'Updating…',
  ready: '',
  error: 'Failed',
} as const;

/** FP and mixed-precision masks of the selected image side by side, their difference, and how well they agree. */
export function QuantPreviewView() {
  const preview = useStudio((state) => state.quantPreview);
  const image = useStudio(selectSelectedImage);
  const result = preview.result && image && preview.result.imageId === image.id ? preview.result : null;
  const overlays = useMemo(() => {
    if (!result) return null;
    return {
      fp: maskToOverlayRgba(result.fp.mask, fpFill, edge),
      mixed: maskToOverlayRgba(result.quantized.mask, mixedFill, edge),
      difference: differenceOverlayRgba(result.fp.mask, result.quantized.mask, { onlyReference: onlyFpColor, onlyCompared: onlyMixedColor, both: sharedColor }),
    };
  }, [result]);
  const chip = statusText[preview.status] || (result ? (result.allocationFinal ? 'final allocation' : 'instant allocation') : '');
  const truthLabel = result?.fp.truth && image?.truth ? image.truth[result.fp.truth.objectIndex]?.label : null;
  return (
    <section
      className="card quant-preview"
      aria-label="Mixed-precision preview"
      data-testid="quant-preview"
      data-status={preview.status}
      data-count={preview.count}
      data-iou={result ? result.agreement.iou.toFixed(6) : ''}
      data-only-fp={result?.agreement.onlyReference ?? ''}
      data-only-mixed={result?.agreement.onlyCompared ?? ''}
      data-fp-truth-iou={result?.fp.truth ? result.fp.truth.iou.toFixed(6) : ''}
      data-mixed-truth-iou={result?.quantized.truth ? result.quantized.truth.iou.toFixed(6) : ''}
      data-allocation-key={result?.allocationKey ?? ''}
      data-profile={result?.profile ?? ''}
    >
      <div className="card-title">
        <h2>Mixed-precision preview</h2>
        {chip && <span className="status">{chip}</span>}
      </div>
      <ProfilePicker disabled={false} compact />
      {preview.message && <p className={preview.status === 'error' ? 'quant-error' : 'muted quant-message'}>{preview.message}</p>}
      {result && overlays && image && (
        <>
          <div className={`preview-grid${preview.status === 'running' ? ' preview-stale' : ''}`}>
            <MaskPanel bitmap={image.bitmap} overlay={overlays.fp} label="FP32" testId="preview-fp" />
            <MaskPanel bitmap={image.bitmap} overlay={overlays.mixed} label={result.profile === 'exact' ? 'Mixed precision' : `Mixed · ${exportProfileInfo(result.profile).label} file`} testId="preview-mixed" />
            <MaskPanel bitmap={image.bitmap} overlay={overlays.difference} dim label="Difference" testId="preview-difference" />
            <dl className="preview-numbers">
              <dt>IoU(FP, mixed)</dt>
              <dd className="preview-iou">{result.agreement.iou.toFixed(3)}</dd>
              {result.fp.truth && result.quantized.truth && (
                <>
                  <dt>IoU vs truth{truthLabel ? ` (${truthLabel})` : ''}</dt>
                  <dd>
                    FP {result.fp.truth.iou.toFixed(3)} · mixed {result.quantized.truth.iou.toFixed(3)}
                  </dd>
                </>
              )}
              <dt>Pixels</dt>
              <dd>
                <span className="swatch swatch-only-fp" /> only FP {result.agreement.onlyReference.toLocaleString('en')} ·{' '}
                <span className="swatch swatch-only-mixed" /> only mixed {result.agreement.onlyCompared.toLocaleString('en')}
              </dd>
              <dt>Time</dt>
              <dd>
                {formatMs(result.elapsedMs)}
                {result.encoderRuns === 0 ? ' (cached embeddings)' : ''}
              </dd>
            </dl>
          </div>
        </>
      )}
    </section>
  );
}
