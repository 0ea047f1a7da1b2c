import onnxProto from 'onnx-proto';
import jpeg from 'jpeg-js';
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

/** A PNG filled with one colour: compresses to a few KB even when large. */
export function plainPngBytes(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}

/**
 * A JPEG stored sideways (width×height, left half dark) whose EXIF says "rotate 90° clockwise to view"
 * (Orientation = 6), as phones write them: viewed upright it is height×width.
 */
export function sidewaysJpegBytes(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgba.set(x < width / 2 ? [20, 20, 20, 255] : [240, 240, 240, 255], (y * width + x) * 4);
  }
  const encoded = jpeg.encode({ data: rgba, width, height }, 90).data;
  // APP1 "Exif": big-endian TIFF header, one IFD entry: tag 0x0112 (Orientation), SHORT, count 1, value 6.
  const tiff = [0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const length = payload.length + 2;
  const app1 = [0xff, 0xe1, length >> 8, length & 0xff, ...payload];
  // Insert right after the SOI marker (FFD8).
  return new Uint8Array([...encoded.subarray(0, 2), ...app1, ...encoded.subarray(2)]);
}
