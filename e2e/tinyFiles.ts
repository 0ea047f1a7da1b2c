import onnxProto from 'onnx-proto';
import { PNG } from 'pngjs';

const { onnx } = onnxProto;

/** A valid ONNX model that is no SAM part: C = A + B over float [1,3]. */
export function addModelBytes(): Uint8Array {
  const tensor = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }] } } },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'mix-qsam-studio e2e',
    graph: {
      name: 'add',
      node: [{ opType: 'Add', input: ['A', 'B'], output: ['C'], name: 'add' }],
      input: [tensor('A'), tensor('B')],
      output: [tensor('C')],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A PNG of a dark disc on a light background (width×height), as a user's image. */
export function discPngBytes(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  const [cx, cy, r] = [width / 2, height / 2, Math.min(width, height) / 4];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      png.data.set(inside ? [40, 60, 160, 255] : [235, 225, 200, 255], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(png);
}
