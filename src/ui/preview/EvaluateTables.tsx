import type { Allocation } from '../../core/quant/config';
import type { EvaluationOutcome } from '../../state/evaluateSlice';

const formatIoU = (value: number | null) => (value === null ? '—' : value.toFixed(3));

/** Widths a plan ran, by unit id, as a data attribute (tests read them; null: full precision). */
function widthsAttribute(allocation: Allocation | null | undefined): string {
  return allocation ? JSON.stringify(allocation) : '';
}

/** mIoU against truth and against FP over the analysed images' prompts. */
export function AnalysedTable({ evaluation }: { evaluation: EvaluationOutcome }) {
  return (
    <table className="quant-table" data-testid="evaluate-table" data-target="analysed">
      <thead>
        <tr>
          <th>Model</th>
          <th className="number" title="Mean IoU against the true objects (generated samples)">mIoU truth</th>
          <th className="number" title="Mean IoU against the full-precision masks">mIoU vs FP</th>
        </tr>
      </thead>
      <tbody>
        {evaluation.plans.map((plan) => (
          <tr key={plan.id} data-plan={plan.id} data-miou-truth={plan.miouTruth ?? ''} data-miou-fp={plan.miouFp} data-widths={widthsAttribute(evaluation.allocations[plan.id])}>
            <td>{plan.label}</td>
            <td className="number">{formatIoU(plan.miouTruth)}</td>
            <td className="number">{formatIoU(plan.miouFp)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The quality study's columns: mIoU against truth for points, boxes and all prompts, and against FP. */
export function HeldOutTable({ evaluation }: { evaluation: EvaluationOutcome }) {
  const heldOut = evaluation.heldOut!;
  return (
    <table className="quant-table" data-testid="evaluate-table" data-target="heldOut">
      <thead>
        <tr>
          <th rowSpan={2}>Model</th>
          <th colSpan={3} className="group-head" title="Mean IoU against the true objects">
            mIoU vs truth
          </th>
          <th rowSpan={2} className="number" title="Mean IoU against the full-precision masks over every prompt">
            mIoU vs FP
          </th>
        </tr>
        <tr>
          <th className="number" title="One positive point at each object's deepest pixel">points</th>
          <th className="number" title="Each object's tight box">boxes</th>
          <th className="number" title="Points and boxes together">all</th>
        </tr>
      </thead>
      <tbody>
        {heldOut.plans.map((plan, i) => (
          <tr
            key={plan.id}
            data-plan={plan.id}
            data-miou-point={plan.miouTruth.point}
            data-miou-box={plan.miouTruth.box}
            data-miou-all={plan.miouTruth.all}
            data-miou-fp={plan.miouFp.all}
            data-miou-fp-point={plan.miouFp.point}
            data-miou-fp-box={plan.miouFp.box}
            data-iou-point={JSON.stringify(heldOut.byKind.point.plans[i].iouTruthByPrompt)}
            data-iou-box={JSON.stringify(heldOut.byKind.box.plans[i].iouTruthByPrompt)}
            data-widths={widthsAttribute(evaluation.allocations[plan.id])}
          >
            <td>{plan.label}</td>
            <td className="number">{formatIoU(plan.miouTruth.point)}</td>
            <td className="number">{formatIoU(plan.miouTruth.box)}</td>
            <td className="number">{formatIoU(plan.miouTruth.all)}</td>
            <td className="number">{formatIoU(plan.miouFp.all)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
