import { describe, expect, it } from 'vitest';
import { REPORT_FORMAT } from '../report/reportSchema';
import { ALLOCATION_FILE_FORMAT, parseAllocationFile } from './allocationFile';

describe('allocation file of the Node export', () => {
  it("reads the report's widths: weights and activations alike, activation units without weight width", () => {
    const report = {
      format: REPORT_FORMAT,
      units: [
        { id: 'encoder:/a/qkv/MatMul', kind: 'weight', bits: 4 },
        { id: 'encoder:/a/MatMul', kind: 'activation', bits: 6 },
        { id: 'encoder:/a/proj/MatMul', kind: 'weight', bits: null },
      ],
    };
    expect(parseAllocationFile(report)).toEqual({
      source: 'report',
      settings: { 'encoder:/a/qkv/MatMul': { wBits: 4, aBits: 4 }, 'encoder:/a/MatMul': { wBits: null, aBits: 6 } },
    });
  });

  it("reads how the report's model was quantized: its weight rounding and bias correction, for the export to repeat", () => {
    const report = (quantizer: object) => ({ format: REPORT_FORMAT, units: [{ id: 'encoder:/a/qkv/MatMul', kind: 'weight', bits: 4 }], analysis: { quantizer } });
    expect(parseAllocationFile(report({ weightRounding: 'gptq', biasCorrection: true }))).toMatchObject({ weightRounding: 'gptq', biasCorrection: true });
    expect(parseAllocationFile(report({ weightRounding: 'nearest', biasCorrection: false }))).toMatchObject({ weightRounding: 'nearest', biasCorrection: false });
    // Older reports say neither: the export's own defaults apply.
    const older = parseAllocationFile(report({}));
    expect(older.weightRounding).toBeUndefined();
    expect(older.biasCorrection).toBeUndefined();
  });

  it('reads separate weight and activation widths, or one for both', () => {
    const file = { units: [{ id: 'x', wBits: 4, aBits: 8 }, { id: 'y', bits: 5 }, { id: 'z', wBits: null, aBits: null }] };
    expect(parseAllocationFile(file).settings).toEqual({ x: { wBits: 4, aBits: 8 }, y: { wBits: 5, aBits: 5 } });
  });

  it('reads what npm run solve writes: one width per unit for weights and activations, full precision left out', () => {
    const solved = { format: ALLOCATION_FILE_FORMAT, version: 1, widthByUnit: { 'encoder:/a/qkv/MatMul': 3, 'encoder:/a/MatMul': 5, 'decoder:/up/ConvTranspose': null } };
    expect(parseAllocationFile(solved)).toEqual({
      source: 'solve',
      settings: { 'encoder:/a/qkv/MatMul': { wBits: 3, aBits: 3 }, 'encoder:/a/MatMul': { wBits: 5, aBits: 5 } },
    });
    expect(() => parseAllocationFile({ format: ALLOCATION_FILE_FORMAT, widthByUnit: null })).toThrow(/found no allocation within its budgets/);
  });

  it('says what is wrong', () => {
    expect(() => parseAllocationFile({ name: 'x' })).toThrow(/holds no units/);
    expect(() => parseAllocationFile({ units: [{ id: 'x', wBits: 4.5 }] })).toThrow(/"wBits" of unit "x" must be a whole number of bits from 1 to 16/);
    expect(() => parseAllocationFile({ units: [{ id: 'x', bits: 4 }, { id: 'x', bits: 8 }] })).toThrow(/listed twice/);
    expect(() => parseAllocationFile({ format: REPORT_FORMAT, units: [{ id: 'x', kind: 'weight', bits: null }] })).toThrow(/holds no allocation/);
  });
});
