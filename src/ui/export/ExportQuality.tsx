import { exportQuality, QUALITY_COLLAPSE, type ExportOutcome } from '../../state/exportSlice';
import { useStudio } from '../../state/store';

const where = (target: 'analysed' | 'heldOut', prompts: number) =>
  target === 'heldOut' ? `${prompts} held-out prompts` : `${prompts} analysed ${prompts === 1 ? 'prompt' : 'prompts'}`;

/**
 * How good the exported model is, apart from whether the files equal the simulation: the allocation's mIoU
 * (measured by Evaluate, started after the export when missing), with a warning when the masks collapse.
 */
export function ExportQuality({ exported }: { exported: ExportOutcome }) {
  const evaluation = useStudio((state) => state.evaluation);
  const status = useStudio((state) => state.evaluationStatus);
  const evaluate = useStudio((state) => state.startEvaluation);
  const quality = exportQuality(exported, evaluation);
  if (!quality) {
    const measuring = status === 'running' || status === 'cancelling';
    return (
      <p className="muted quant-note" data-testid="export-quality" data-state={measuring ? 'measuring' : 'unmeasured'}>
        {measuring ? 'Measuring the quality of this allocation (Evaluate)…' : 'The quality of this allocation has not been measured.'}{' '}
        {!measuring && (
          <button type="button" className="link-button" onClick={() => void evaluate()}>
            Evaluate it
          </button>
        )}
      </p>
    );
  }
  const truth =
    quality.miouTruth !== null && quality.fpMiouTruth !== null ? `; vs the true objects ${quality.miouTruth.toFixed(3)} (full precision ${quality.fpMiouTruth.toFixed(3)})` : '';
  return (
    <div data-testid="export-quality" data-state={quality.collapsed ? 'collapsed' : 'measured'} data-miou-fp={quality.miouFp} data-miou-truth={quality.miouTruth ?? ''}>
      <p className={quality.collapsed ? 'quant-note quality-low' : 'quant-note'}>
        Preview quality (Evaluate): mIoU vs full precision {quality.miouFp.toFixed(3)} on {where(quality.target, quality.prompts)}
        {truth}.
      </p>
      {quality.collapsed && (
        <p className="quality-collapsed" role="alert">
          Quality collapsed: the masks barely match full precision (mIoU under {QUALITY_COLLAPSE}, or under half of full precision's against the
          true objects). The files equal the simulation, but this model is not usable: raise the budget or choose wider widths, then export
          again.
        </p>
      )}
    </div>
  );
}
