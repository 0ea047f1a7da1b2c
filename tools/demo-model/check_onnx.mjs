// Compares the exported ONNX files (run by onnxruntime-node) with PyTorch reference outputs
// written by `export_onnx.py --reference DIR`. Usage: node check_onnx.mjs MODEL_DIR REF_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const [modelDir, refDir] = process.argv.slice(2);
if (!modelDir || !refDir) {
  console.error('usage: node check_onnx.mjs MODEL_DIR REF_DIR');
  process.exit(2);
}
const index = JSON.parse(readFileSync(join(refDir, 'index.json'), 'utf8'));
const load = ({ file, dims }) => {
  const buf = readFileSync(join(refDir, file));
  return new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), dims);
};
const sessions = {
  encoder: await ort.InferenceSession.create(join(modelDir, 'encoder.onnx')),
  decoder: await ort.InferenceSession.create(join(modelDir, 'decoder.onnx')),
};
let worst = 0;
for (const [caseName, tensors] of Object.entries(index)) {
  const session = caseName === 'encoder' ? sessions.encoder : sessions.decoder;
  const feeds = Object.fromEntries(Object.entries(tensors.inputs).map(([k, v]) => [k, load(v)]));
  const results = await session.run(feeds);
  for (const [name, ref] of Object.entries(tensors.outputs)) {
    const expected = load(ref);
    const got = results[name];
    if (got.dims.join() !== expected.dims.join()) {
      console.error(`${caseName}.${name}: dims ${got.dims} != ${expected.dims}`);
      process.exit(1);
    }
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < got.data.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(got.data[i] - expected.data[i]));
      maxRef = Math.max(maxRef, Math.abs(expected.data[i]));
    }
    worst = Math.max(worst, maxAbs / Math.max(1, maxRef));
    console.log(`${caseName}.${name} [${got.dims}] max|diff| ${maxAbs.toExponential(2)} (max|ref| ${maxRef.toFixed(2)})`);
  }
}
const tolerance = 1e-3;
console.log(worst <= tolerance ? `OK (worst relative diff ${worst.toExponential(2)})` : `FAIL: ${worst} > ${tolerance}`);
process.exit(worst <= tolerance ? 0 : 1);
