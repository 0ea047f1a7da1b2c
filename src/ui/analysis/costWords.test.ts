import { describe, expect, it } from 'vitest';
import { cheaperOptions, estimateAnalysisCost, type AnalysisCostInput } from '../../core/analysis/analysisCost';
import { defaultAnalysisSettings } from '../../core/analysis/settings';
import { costBasis, durationWords, formatDuration, optionLabel, probesWords } from './costWords';

/** MobileSAM's probed units, its encoder's time in Chromium WASM (ENVIRONMENT.md) and a 400 ms decoder. */
const mobileSam: AnalysisCostInput = { encoderUnits: 87, decoderUnits: 46, settings: defaultAnalysisSettings, encoderMs: 3900, decoderMsPerPrompt: 400, backend: 'WASM · 2 threads' };

describe('cost in words', () => {
  it('rounds durations as an estimate deserves', () => {
    expect([400, 42_400, 20 * 60_000, 89.4 * 60_000, 2.94 * 3_600_000, 23.9 * 3_600_000, 100 * 3_600_000].map(formatDuration)).toEqual([
      '1 s',
      '42 s',
      '20 min',
      '89 min',
      '2.9 h',
      '24 h',
      '4.2 days',
    ]);
  });

  it('says how long, and what the figure rests on', () => {
    const cost = estimateAnalysisCost(mobileSam);
    expect(durationWords(cost)).toBe('≈ 24 h');
    expect(probesWords(cost)).toBe('6,384 probes on 8 images');
    expect(costBasis(cost, false)).toBe('3.90 s per encoder forward and 400 ms per decoder prompt, measured here');
  });

  it('gives a lower bound only when it is long already, and says what is still to be timed', () => {
    const untimedDecoder = estimateAnalysisCost({ ...mobileSam, decoderMsPerPrompt: null });
    expect(durationWords(untimedDecoder)).toBe('at least 6.8 h');
    expect(costBasis(untimedDecoder, false)).toBe('3.90 s per encoder forward, measured here; click the image once to time the decoder');
    // Decoder only leaves 3 encoder forwards an image (2.3 min for 8): no estimate of a decoder-bound run.
    const decoderOnly = estimateAnalysisCost({ ...mobileSam, decoderMsPerPrompt: null, settings: { ...defaultAnalysisSettings, scope: 'decoder' } });
    expect(decoderOnly.wallMs).toBe(1.5 * 24 * 3900);
    expect(durationWords(decoderOnly)).toBeNull();
    const untimed = estimateAnalysisCost({ ...mobileSam, encoderMs: null, decoderMsPerPrompt: null });
    expect(costBasis(untimed, true)).toBe('the encoder is being timed on the selected image; click the image once to time the decoder');
  });

  it('labels the cheaper options with their own estimates, or their probes while untimed', () => {
    expect(cheaperOptions(mobileSam).map(optionLabel)).toEqual(['Decoder only · ≈ 6.0 h', '2 images, 4 prompts · ≈ 2.8 h', 'Fast σ · ≈ 12 h']);
    expect(cheaperOptions({ ...mobileSam, decoderMsPerPrompt: null }).map(optionLabel)).toEqual(['Decoder only · 2,208 probes', '2 images, 4 prompts · at least 1.7 h', 'Fast σ · at least 3.4 h']);
  });
});
