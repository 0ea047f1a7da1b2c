import { describe, expect, it } from 'vitest';
import { evaluateDemo } from './eval-demo.ts';

describe('demo SAM quality (real ONNX files, onnxruntime-node, held-out synthetic scenes)', () => {
  it('segments 40 held-out objects from one point and from a box', async () => {
    const evaluation = await evaluateDemo({ prompts: 40 });
    expect(evaluation.results).toHaveLength(80);
    // Measured for these 40 objects: point 0.844, box 0.889 (the 240-object run is the reported figure).
    expect(evaluation.pointMIoU).toBeGreaterThan(0.8);
    expect(evaluation.boxMIoU).toBeGreaterThan(0.85);
  }, 180_000);
});
