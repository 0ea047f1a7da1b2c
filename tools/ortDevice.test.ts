import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { OrtModule } from '../src/core/onnx/ort';
import { analysisQueueName, ANALYSIS_QUEUE } from './queue/analysisJobs';
import { checkDevice, deviceSessionOptions, parseDevice } from './ortDevice';
import { runTool } from './runTool';

const runtime = ort as unknown as OrtModule;

/** Whether this machine's onnxruntime-node runs CUDA: the check is the only honest way to know. */
async function cudaRuns(): Promise<boolean> {
  return checkDevice(runtime, 'cuda').then(
    () => true,
    () => false,
  );
}

describe('onnxruntime device of the analysis commands', () => {
  it('parses --device and refuses anything else by name', () => {
    expect(parseDevice(undefined)).toBe('cpu');
    expect(parseDevice('cuda')).toBe('cuda');
    expect(() => parseDevice('tpu')).toThrow('--device must be one of cpu, cuda, got "tpu"');
  });

  it('asks onnxruntime for the CUDA provider only on CUDA, keeping the thread count', () => {
    expect(deviceSessionOptions('cpu', null)).toBeUndefined();
    expect(deviceSessionOptions('cpu', 1)).toEqual({ intraOpNumThreads: 1 });
    expect(deviceSessionOptions('cuda', 2)).toEqual({ intraOpNumThreads: 2, executionProviders: ['cuda'] });
  });

  it('keeps CUDA runs on their own queue, CPU runs on the queue earlier runs used', () => {
    expect(analysisQueueName('cpu')).toBe(ANALYSIS_QUEUE);
    expect(analysisQueueName('cuda')).not.toBe(ANALYSIS_QUEUE);
  });

  it('runs a session on the CPU, and on CUDA either runs one or says why not and what to do', async () => {
    await expect(checkDevice(runtime, 'cpu')).resolves.toBeUndefined();
    if (await cudaRuns()) {
      // The check itself ran its test graph on the GPU and compared the result.
      console.log('CUDA runs on this machine: the refusal is not tested here');
      return;
    }
    await expect(checkDevice(runtime, 'cuda')).rejects.toThrow(/^Cannot run onnxruntime on CUDA here: .+ run `npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12`.+or start without --device cuda/);
  });

  it('a worker that cannot use CUDA stops before taking a job, with the reason', async () => {
    if (await cudaRuns()) return void console.log('CUDA runs on this machine: the refusal is not tested here');
    // The Redis address is never reached: the device is checked first.
    const run = await runTool('analysis-worker.ts', ['--queue', 'redis://127.0.0.1:1', '--device', 'cuda']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Cannot run onnxruntime on CUDA here');
    expect(run.stderr).not.toContain('Cannot reach the queue');
  }, 60_000);
});
