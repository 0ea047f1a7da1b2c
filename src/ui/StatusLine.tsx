import { selectSelectedImage, selectSelectedPreview } from '../state/selectors';
import { useStudio } from '../state/store';
import { formatMs } from './format';

/** Encoder/decoder times of the last runs, the model's own IoU estimate and IoU against the sample's truth. */
export function StatusLine() {
  const image = useStudio(selectSelectedImage);
  const preview = useStudio(selectSelectedPreview);
  const timings = useStudio((state) => state.timings);
  const modelStatus = useStudio((state) => state.modelStatus);
  const decoding = useStudio((state) => state.decoding);
  const state = image?.encodeState === 'encoding' ? 'Encoding image…' : decoding ? 'Computing mask…' : modelStatus === 'ready' ? null : 'Waiting for a model…';
  return (
    <div className="status-line" data-testid="status-line">
      <span data-testid="timings">
        Encoder {formatMs(timings.encoderMs)} · Decoder {formatMs(timings.decoderMs)}
      </span>
      {preview && (
        <span>
          Predicted IoU {preview.predictedIoU.toFixed(2)} · Mask {preview.area.toLocaleString('en')} px
        </span>
      )}
      {preview?.truth && (
        <span className="truth-iou" data-testid="truth-iou">
          IoU vs truth ({image?.truth?.[preview.truth.objectIndex]?.label}) {preview.truth.iou.toFixed(3)}
        </span>
      )}
      {state && <span className="muted">{state}</span>}
    </div>
  );
}
