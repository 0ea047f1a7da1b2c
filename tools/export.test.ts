/** The Node export command end to end: a process run as a person would, its files opened in onnxruntime-node. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOf, countOpTypes } from '../src/core/onnx/opCounts.ts';
import { decodeModel } from '../src/core/onnx/proto.ts';

const run = promisify(execFile);
const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const command = (args: string[]) => run(tsx, ['tools/export.ts', ...args], { cwd: process.cwd(), maxBuffer: 1 << 24 });

describe('npm run export', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a fast-cpu encoder and decoder from a units file that onnxruntime-node runs with MatMulNBits and MatMulIntegerToFloat', async () => {
    const units = [
      { id: 'encoder:/blocks.0/attn/qkv/MatMul', wBits: 4, aBits: 8 },
      { id: 'encoder:/blocks.0/mlp/lin1/MatMul', wBits: 8, aBits: 8 },
      { id: 'encoder:/blocks.0/attn/MatMul', bits: 8 },
    ];
    const file = join(dir, 'units.json');
    await writeFile(file, JSON.stringify({ units }));
    const out = join(dir, 'fast');
    const { stdout } = await command(['--allocation', file, '--out', out, '--profile', 'fast-cpu', '--calibration-images', '1']);
    expect(stdout).toMatch(/fast-cpu export of 3 units \(from the units file\), weights rounded to nearest/);
    // 4-bit weights with 8-bit activations: not an allocation the simulation runs, so it says why it did not check.
    expect(stdout).toContain('Not checked against the simulation: unit "encoder:/blocks.0/attn/qkv/MatMul" has weights at 4 bits and activations at 8 bits');
    const encoder = new Uint8Array(await readFile(join(out, 'encoder.onnx')));
    const counts = countOpTypes(decodeModel(encoder));
    expect(countOf(counts, 'MatMulNBits')).toBe(1);
    expect(countOf(counts, 'MatMulIntegerToFloat')).toBe(2);
    const session = await ort.InferenceSession.create(encoder);
    const image = new ort.Tensor('float32', new Float32Array(3 * 256 * 256).fill(0.5), [1, 3, 256, 256]);
    const embeddings = (await session.run({ input_image: image })).image_embeddings;
    expect(embeddings.dims).toEqual([1, 128, 16, 16]);
    expect([...(embeddings.data as Float32Array)].every(Number.isFinite)).toBe(true);
    await session.release();
    expect(JSON.parse(await readFile(join(out, 'model.json'), 'utf8')).encoder).toBe('encoder.onnx');
  }, 180_000);

  it('checks the files as deployed against the simulation, per prompt, and times the encoder beside FP32', async () => {
    const file = join(dir, 'same-widths.json');
    const units = [
      { id: 'encoder:/blocks.0/attn/qkv/MatMul', bits: 4 },
      { id: 'encoder:/blocks.0/mlp/lin1/MatMul', bits: 8 },
      { id: 'encoder:/blocks.0/attn/MatMul', bits: 8 },
    ];
    await writeFile(file, JSON.stringify({ units }));
    const { stdout } = await command(['--allocation', file, '--out', join(dir, 'checked'), '--profile', 'fast-cpu', '--calibration-images', '1']);
    const miou = /masks vs the simulation mIoU (\d\.\d{3}), (\d+) below 0\.9 \(worst (\d\.\d{3})\); vs full precision: file (\d\.\d{3}), simulation (\d\.\d{3})/.exec(stdout);
    expect(miou, stdout).not.toBeNull();
    const perPrompt = /per prompt: ([\d. ]+)/.exec(stdout)![1].trim().split(' ').map(Number);
    expect(perPrompt.length).toBeGreaterThan(0);
    // One block at 4/8 bits: the masks stay the simulation's (1.000 measured; the worst prompt 0.999).
    expect(Number(miou![1])).toBeGreaterThan(0.95);
    expect(Number(miou![3])).toBe(Math.min(...perPrompt));
    expect(stdout).toMatch(/encoder ×\d+\.\d\d the FP32 time \(median ratio of [2-5] alternating rounds; medians \d+ vs \d+ ms\)/);
    const off = await command(['--allocation', file, '--out', join(dir, 'unchecked'), '--calibration-images', '1', '--check', 'off']);
    expect(off.stdout).not.toContain('Checked as deployed');
  }, 240_000);

  it('refuses bad input with a message and a non-zero exit', async () => {
    const units = join(dir, 'unknown.json');
    await writeFile(units, JSON.stringify({ units: [{ id: 'encoder:/no/such/MatMul', bits: 4 }] }));
    const failure = (args: string[]) => command(args).then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    const missingOut = await failure(['--allocation', units]);
    expect(missingOut.code).toBe(2);
    expect(missingOut.stderr).toMatch(/--out is required/);
    const badProfile = await failure(['--allocation', units, '--out', dir, '--profile', 'fast']);
    expect(badProfile.stderr).toMatch(/--profile must be exact, fast-cpu or fast-webgpu, got "fast"/);
    const badRounding = await failure(['--allocation', units, '--out', dir, '--rounding', 'optimal']);
    expect(badRounding.code).toBe(2);
    expect(badRounding.stderr).toMatch(/--rounding must be nearest or gptq, got "optimal"/);
    const unknown = await failure(['--allocation', units, '--out', dir, '--calibration-images', '1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unit "encoder:\/no\/such\/MatMul" cannot be set: this model has no such unit/);
    const notAllocation = await failure(['--allocation', join(process.cwd(), 'package.json'), '--out', dir]);
    expect(notAllocation.stderr).toMatch(/This file holds no units/);
  }, 120_000);
});
