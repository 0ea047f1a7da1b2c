/** The method guide's text: what each number on the page means, in the order the studio's work goes. */

export type GuideSectionId = 'overview' | 'importance' | 'sensitivity' | 'synergy' | 'lambda' | 'budgets' | 'widths' | 'calibration';

export interface GuideSection {
  id: GuideSectionId;
  title: string;
  /** One line, also the tooltip of the places that link here. */
  summary: string;
  paragraphs: string[];
}

export const guideSections: readonly GuideSection[] = [
  {
    id: 'overview',
    title: 'What the studio does',
    summary: 'Gives each layer of SAM its own bit-width so the model gets small while its masks change least.',
    paragraphs: [
      'Quantizing stores a layer’s weights (and the activations it reads) with fewer bits: 4-bit weights take an eighth of the room of 32-bit ones. Some layers can lose many bits without changing the masks; others cannot. Mixed precision gives each layer (a “unit”: one matrix multiply or convolution) its own width.',
      'Analyze measures, on your images and prompts, how much each unit matters. The bit budget then picks the widths that keep the masks closest to the full-precision model within the size and speed you allow, by solving a small integer program. Preview and Evaluate show the masks; Export writes the quantized model.',
    ],
  },
  {
    id: 'importance',
    title: 'Importance Ω',
    summary: 'How much the masks change when one unit is switched off (its output set to zero), averaged over the images.',
    paragraphs: [
      'For each image the studio switches one unit off and compares the mask probabilities with the full model’s (a KL divergence). Each image’s values are scaled to sum to 1, then averaged over the images: Ω near 1 means almost all of the change comes from this unit; near 0, it hardly matters.',
      'The “importance Ω” objective gives more bits to units with a higher Ω (it maximizes Σ Ω·b).',
    ],
  },
  {
    id: 'sensitivity',
    title: 'Sensitivity σ(b)',
    summary: 'How much the masks change when only this unit is quantized to b bits, everything else at full precision.',
    paragraphs: [
      'σ is measured directly: one unit at b bits, the rest untouched, the masks compared with the full model’s. The “sensitivity σ” objective picks the widths with the smallest total σ (Σ σ(b)), which is what the predicted loss reports.',
      '“exact” measures σ at every candidate width. “fast” measures two widths (for example 3 & 5 bits) and estimates the others from them, assuming quantization noise falls by 4× per extra bit (σ ∝ 4^−b). Estimated values are marked in the tables.',
    ],
  },
  {
    id: 'synergy',
    title: 'Synergy Ŝ',
    summary: 'How alike the importance of two neighbouring units is across images; a high Ŝ asks for similar widths.',
    paragraphs: [
      'Neighbouring units whose importance rises and falls together from image to image work as a pair. Ŝ between them is large when their per-image importances are close. The allocation pays a penalty Ŝ·|Δb| when two such neighbours get different widths.',
    ],
  },
  {
    id: 'lambda',
    title: 'λ, the synergy weight',
    summary: 'How strongly neighbours with a high synergy Ŝ are pushed to the same width; 0 turns it off.',
    paragraphs: [
      'The objective adds λ·Σ Ŝ·|Δb|. Raw σ values are tiny (a KL of 10⁻⁸ to 10⁻²) while Ŝ is between about 3 and 14, so a raw λ of 0.1 would force every unit to the same width. The slider therefore sets λ “scaled”: in units of how much the objective changes per bit of an average unit, so the same value means the same trade in either objective.',
      'Beside the slider the page shows the raw λ that this gives; the report prints that raw λ, the number the solver really used.',
    ],
  },
  {
    id: 'budgets',
    title: 'Size and BOPs budgets',
    summary: 'Size: average bits per weight (or MB). BOPs: bit operations, given as the average width of a uniform WbAb model (bits²).',
    paragraphs: [
      'The size budget caps the weights’ storage: the slider sets the average bits per weight, the field beside it the same size in MB (10⁶ bytes, the unit the report uses).',
      'BOPs count the work: each multiply-accumulate at w-bit weights and a-bit activations costs w·a bit operations, and a unit shares one width for both, so it costs b². The BOPs slider sets the average width b̄ of a model that runs every unit at b̄ bits (hence “bits²”); the allocation may not do more work than that model.',
      '“floors 95%”: also use at least 95% of each budget, so the answer does not fall far under what you allowed.',
    ],
  },
  {
    id: 'widths',
    title: 'Candidate widths',
    summary: 'The widths a unit may get. W4A4 {2,3,4,5,6}: around 4-bit weights and activations (W = weights, A = activations).',
    paragraphs: [
      'W4A4 means a 4-bit target for weights (W) and activations (A); its candidates {2,3,4,5,6} let each unit move two bits either way. W5A5 and W6A6 shift the same window up. “custom” takes any list from 2 to 8 bits; the exported file stores weights as INT4 or INT8.',
    ],
  },
  {
    id: 'calibration',
    title: 'Calibration',
    summary: 'Choosing each activation’s range (and the log2 quantizer’s τ) from the analysed images.',
    paragraphs: [
      'Activations are quantized with a range measured on the calibration images. The attention probabilities after softmax can use a log2 quantizer (PTQ4SAM), whose steps are finer near zero; its τ ∈ {1, 2, 4} sets how fine.',
      '“Calibrate per width” picks the ranges and τ anew for every width instead of once for all; it costs more calibration and fits low widths better. Both settings change the quantized model itself, so preview, Evaluate and Export use them too.',
      '“Bias correction” measures, on the same images, the mean of every weighted layer’s input before and after its activation quantizer, and subtracts from the layer’s bias the mean shift that rounding its weights and inputs puts on its output, for each width. The corrected biases are written into the downloaded file; nothing is added to it. Like the weight rounding it is applied after the analysis: σ is measured without it. It is on by default: in the quality study it lifts mixed 3-bit models from 66 to 83 % of full precision and changes 6-bit ones by less than 0.1 point.',
    ],
  },
];

export function guideSection(id: GuideSectionId): GuideSection {
  return guideSections.find((section) => section.id === id)!;
}
