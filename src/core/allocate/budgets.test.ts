import { describe, expect, it } from 'vitest';
import { explainUnreachableBudgets, formatBops, formatMegabytes, resolveBudgets } from './budgets';
import { compileChain } from './chain';
import { handExample } from './handExample';
import { validateProblem } from './validate';
import { parseCandidateList } from './presets';

// Hand example: p = [100, 200, 0] (Σp = 300), MAC = [10, 20, 30] (Σ MAC = 60), candidates {2, 4}.
describe('budgets', () => {
  it('resolves average bits to Σp·b̄ and Σ MAC·b̄², with floors at the given fraction', () => {
    const budgets = resolveBudgets(handExample({ budgets: { size: { averageBits: 3 }, bops: { averageBits: 3 }, lowerBoundFraction: 0.95 } }));
    expect(budgets).toEqual({ maxSizeBits: 900, minSizeBits: 855, maxBops: 540, minBops: 513 });
  });

  it('uses the fixed activation width in weights-only mode (BOPs of a uniform W3A8 model)', () => {
    const budgets = resolveBudgets(handExample({ activationBits: 8, budgets: { bops: { averageBits: 3 } } }));
    expect(budgets.maxBops).toBe(60 * 3 * 8);
    // A unit's own activation width wins over the problem's: 10·3·8 + 20·3·8 + 30·3·4.
    const mixed = handExample({ activationBits: 8, budgets: { bops: { averageBits: 3 } } });
    const units = mixed.units.map((u, i) => (i === 2 ? { ...u, activationBits: 4 } : u));
    expect(resolveBudgets({ ...mixed, units }).maxBops).toBe(240 + 480 + 360);
  });

  it('takes absolute budgets in megabytes and BOPs', () => {
    const budgets = resolveBudgets(handExample({ budgets: { size: { megabytes: 0.5 }, bops: { bops: 1e9 } } }));
    expect(budgets.maxSizeBits).toBe(4e6);
    expect(budgets.maxBops).toBe(1e9);
    expect(formatMegabytes(4e6)).toBe('0.5 MB');
    expect(formatBops(2.5e9)).toBe('2.5 GBOPs');
  });

  it('counts full-precision locks at their real width in what is reachable', () => {
    const chain = compileChain(handExample({ locks: [{ kind: 'fp', bits: 16 }] }));
    // Smallest: 100·16 + 200·2; largest: 100·16 + 200·4. BOPs: 10·16² + 20·2² + 30·2² and 10·256 + 20·16 + 30·16.
    expect(chain.reach).toEqual({ minSizeBits: 2000, maxSizeBits: 2400, minBops: 2760, maxBops: 3360 });
  });

  it('explains an unreachable budget with the smallest reachable size and BOPs', () => {
    const chain = compileChain(handExample({ budgets: { size: { averageBits: 1.5 }, bops: { averageBits: 1.5 } } }));
    // All at 2 bits: size 600 bits = 0.000075 MB; BOPs 60·4 = 240 > 60·2.25 = 135.
    expect(chain.reach.minSizeBits).toBe(600);
    expect(chain.reach.minBops).toBe(240);
    const reason = explainUnreachableBudgets(chain);
    expect(reason).toContain('smallest reachable size, 0.000075 MB (2 bits per weight)');
    expect(reason).toContain('smallest reachable BOPs, 240 BOPs');
    expect(explainUnreachableBudgets(compileChain(handExample()))).toBeNull();
  });

  it('explains a floor above the largest reachable size', () => {
    const chain = compileChain(handExample({ budgets: { size: { megabytes: 0.00016 }, lowerBoundFraction: 0.95 } }));
    // Floor 0.95·1280 = 1216 bits > 100·4 + 200·4 = 1200.
    expect(explainUnreachableBudgets(chain)).toContain('size floor of 0.000152 MB is above the largest reachable size, 0.00015 MB');
  });
});

describe('problem validation', () => {
  const messageOf = (change: Parameters<typeof handExample>[0]) => {
    try {
      validateProblem(handExample(change));
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('accepts the hand example', () => {
    expect(messageOf({})).toBeNull();
  });

  it('names what is wrong', () => {
    expect(messageOf({ units: [] })).toBe('There are no units to allocate bits to.');
    expect(messageOf({ candidates: [] })).toBe('Choose at least one candidate bit-width.');
    expect(messageOf({ candidates: [2, 40] })).toBe('Candidate width must be an integer from 1 to 32 (got 40).');
    expect(messageOf({ objective: { mode: 'paper', importance: [1, 1, 1], synergy: [1], lambda: 0.1 } })).toBe(
      'Synergy needs one value per adjacent pair (2), got 1.',
    );
    expect(messageOf({ budgets: { size: { averageBits: -1 } } })).toBe('The size budget must be a positive number (got -1).');
    expect(
      messageOf({
        objective: { mode: 'sensitivity', sensitivity: { widths: [2], lossByUnit: [[1], [1], [1]] }, synergy: [0, 0], lambda: 0.1 },
      }),
    ).toBe('Sensitivity of Unit 0 (qkv) was not measured at 4 bits.');
  });
});

describe('candidate lists', () => {
  it('parses lists and ranges', () => {
    expect(parseCandidateList('6, 2 3 4')).toEqual([2, 3, 4, 6]);
    expect(parseCandidateList('4-8')).toEqual([4, 5, 6, 7, 8]);
    expect(() => parseCandidateList('4, x')).toThrow('"x" is not a bit-width');
    expect(() => parseCandidateList('0')).toThrow('outside 1..32');
  });
});
