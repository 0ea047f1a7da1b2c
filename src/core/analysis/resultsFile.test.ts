import { describe, expect, it } from 'vitest';
import type { AnalysisResults } from './analysisResults';
import { looksLikeResultsFile, parseResultsFile, resultsFileMismatches, resultsFileOf, resultsFileText } from './resultsFile';
import { defaultAnalysisSettings } from './settings';

const hash = 'a'.repeat(64);
const results: AnalysisResults = {
  runKey: 'analysis:1',
  modelHash: hash,
  settings: { ...defaultAnalysisSettings, imageCount: 1, candidateBits: [3, 5], fastProbeBits: [3, 5] },
  candidateBits: [3, 5],
  measuredBits: [3, 5],
  units: [
    { id: 'u1', graph: 'decoder', nodeName: 'n1', op: 'MatMul', kind: 'weight', role: 'q', part: 'p', params: 10, macs: 100, importance: 0.75, sensitivity: [0.2, 0.0125] },
    { id: 'u2', graph: 'decoder', nodeName: 'n2', op: 'MatMul', kind: 'weight', role: 'k', part: 'p', params: 20, macs: null, importance: NaN, sensitivity: [NaN, 0.5] },
  ],
  synergy: [3.5],
  importanceByImage: [[0.75, 0.25]],
  imageNames: ['Scene'],
  excludedUnits: [{ id: 'u3', reason: 'kept' }],
  probesDone: 6,
  probesTotal: 6,
  complete: true,
};
const config = { inputSize: 256, lowResSize: 64, maskThreshold: 0 };

describe('analysis results file', () => {
  it('reads back what it writes, NaN (written as null) included', () => {
    const file = parseResultsFile(JSON.parse(resultsFileText(resultsFileOf(results, null, null, config))));
    expect(file.results.units[0]).toEqual(results.units[0]);
    expect(file.results.units[1].importance).toBeNaN();
    expect(file.results.units[1].sensitivity[0]).toBeNaN();
    expect(file.results.units[1].sensitivity[1]).toBe(0.5);
    expect(file.modelConfig).toEqual(config);
    expect(resultsFileMismatches(file, { modelHash: hash, modelConfig: config })).toEqual([]);
  });

  it('reads the { results, stats } files analyze wrote before the format was named', () => {
    const old = JSON.parse(JSON.stringify({ results, stats: null }));
    expect(looksLikeResultsFile(old)).toBe(true);
    expect(parseResultsFile(old).results.runKey).toBe('analysis:1');
    expect(looksLikeResultsFile({ name: 'demo-sam', encoder: 'encoder.onnx' })).toBe(false);
  });

  it('says what is wrong with a file that is not one', () => {
    expect(() => parseResultsFile([1, 2])).toThrow('not an analysis results file of npm run analyze: it holds no JSON object');
    expect(() => parseResultsFile({ results: { runKey: 'x' } })).toThrow('its results name no run or model');
    const badSettings = JSON.parse(JSON.stringify({ results: { ...results, settings: { ...results.settings, promptsPerImage: 40 } } }));
    expect(() => parseResultsFile(badSettings)).toThrow('prompts per image must be a whole number from 1 to 16, got 40');
    const shortSigma = JSON.parse(JSON.stringify({ results: { ...results, units: [{ ...results.units[0], sensitivity: [1] }] } }));
    expect(() => parseResultsFile(shortSigma)).toThrow('unit "u1" has 1 σ values for 2 widths');
    expect(() => parseResultsFile({ format: 'mix-qsam-analysis-results', version: 9, results })).toThrow('version 9');
  });

  it('lists every way the file and the loaded model differ', () => {
    const file = parseResultsFile(JSON.parse(resultsFileText(resultsFileOf({ ...results, complete: false, probesDone: 4 }, null, null, config))));
    const normalization = { mean: [0, 0, 0], std: [1, 1, 1] } as const;
    expect(resultsFileMismatches(file, { modelHash: 'b'.repeat(64), modelConfig: { inputSize: 1024, normalization } })).toEqual([
      'It was measured on another model (content hash aaaaaaaaaaaa…; the loaded model is bbbbbbbbbbbb…).',
      "Its input size is 256; the loaded model's is 1024.",
      "Its pixel normalization is mean 123.675, 116.28, 103.53, std 58.395, 57.12, 57.375; the loaded model's is mean 0, 0, 0, std 1, 1, 1.",
      'The analysis in it is not finished (4/6 probes): run npm run analyze again with the same --cache to finish it.',
    ]);
    // SAM's defaults written out or left out are the same config; sizes left out come from the graph's shapes.
    expect(resultsFileMismatches(file, { modelHash: hash, modelConfig: { maskThreshold: 0 } })).toHaveLength(1);
    expect(resultsFileMismatches(file, { modelHash: null, modelConfig: config })[0]).toMatch(/^No complete model is loaded/);
  });
});
