/**
 * Raw onnxruntime / WASM / JS failures explained for a person: what happened, in their terms, and what to do
 * about it. The original text is always kept (`detail`), so nothing is lost for a bug report. Errors this file
 * does not recognise (the project's own messages, already worded for users) are passed through unchanged.
 */

export type ErrorKind =
  | 'out-of-memory'
  | 'fixed-dimensions'
  | 'wrong-rank'
  | 'unsupported-operator'
  | 'unsupported-opset'
  | 'wrong-input-type'
  | 'missing-input'
  | 'not-onnx'
  | 'unknown';

export interface ErrorContext {
  /** Where the failing runtime ran: the browser's WASM or WebGPU backend, or onnxruntime-node (CLI). */
  backend?: 'wasm' | 'webgpu' | 'node';
  /** What was being done, as the start of a sentence's end: "analysing", "opening “encoder.onnx”". */
  stage?: string;
}

export interface ExplainedError {
  kind: ErrorKind;
  /** One line: what happened. */
  title: string;
  /** The original error text, untouched. */
  detail: string;
  /** What to do about it, most useful first (empty when the error is not recognised). */
  advice: string[];
}

/** The text of anything thrown; onnxruntime-web's WASM build sometimes throws a bare number (a C++ exception pointer). */
function textOf(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

const MEMORY = [
  /std::bad_alloc/,
  /Aborted\(/,
  /Array buffer allocation failed/i,
  /memory access out of bounds/i,
  /out of memory/i,
  /failed to allocate/i,
  /could not allocate memory/i,
  /cannot allocate wasm memory/i,
  /Invalid typed array length/,
  /Tensor shape is too large/,
  /SafeIntOnOverflow/,
  /^\d+$/,
];

function memoryAdvice(backend: ErrorContext['backend']): { title: string; advice: string[] } {
  const lighter = ['analyse the decoder only (the encoder stays at full precision)', 'use fewer images or fewer prompts per image'];
  if (backend === 'node') {
    return { title: 'Out of memory — the model needs more memory than this process could get', advice: [...lighter, 'close other programs or run on a machine with more memory'] };
  }
  if (backend === 'webgpu') {
    return {
      title: 'Out of memory — the model needs more GPU memory than this adapter offers',
      advice: ['switch the backend to WASM', ...lighter, 'run the analysis in Node with `npm run analyze`'],
    };
  }
  return {
    title: 'Out of memory — this model needs more memory than the browser allows for WASM (4 GB)',
    advice: ['switch the backend to WebGPU', ...lighter, 'run the analysis in Node with `npm run analyze`, which has no 4 GB limit'],
  };
}

const REEXPORT = 're-export the model with a standard opset (17 is what torch.onnx writes for SAM)';

function classify(text: string, backend: ErrorContext['backend']): Omit<ExplainedError, 'detail'> {
  if (MEMORY.some((pattern) => pattern.test(text))) return { kind: 'out-of-memory', ...memoryAdvice(backend) };

  const dims = /invalid dimensions for input: (\S+) for the following indices\s+((?:index: \d+ Got: \d+ Expected: \d+\s*)+)/.exec(text);
  if (dims) {
    const wrong = [...dims[2].matchAll(/index: (\d+) Got: (\d+) Expected: (\d+)/g)].map((m) => `dimension ${m[1]} must be ${m[3]}, got ${m[2]}`);
    return {
      kind: 'fixed-dimensions',
      title: `The model's input “${dims[1]}” has a fixed size: ${wrong.join('; ')}`,
      advice: [
        `feed “${dims[1]}” with the size the model was exported with`,
        'or re-export the model with that dimension dynamic (dynamic_axes in torch.onnx.export); official SAM decoders fix the prompt batch at 1',
      ],
    };
  }
  const rank = /Invalid rank for input: (\S+) Got: (\d+) Expected: (\d+)/.exec(text);
  if (rank) {
    return {
      kind: 'wrong-rank',
      title: `The model's input “${rank[1]}” takes ${rank[3]} dimensions, got ${rank[2]}`,
      advice: ['check that the file is the SAM format it was detected as (README, “Supported SAM formats”)', 'or re-export it with the standard input shapes'],
    };
  }
  const type = /Unexpected input data type\. Actual: \(tensor\((\w+)\)\)\s*, expected: \(tensor\((\w+)\)\)/.exec(text);
  if (type) {
    return {
      kind: 'wrong-input-type',
      title: `An input of the model has another data type than expected: it takes ${type[2]}, was given ${type[1]}`,
      advice: ['re-export the model with float32 inputs, as the official SAM exports have', 'check that the file is the SAM format it was detected as (README, “Supported SAM formats”)'],
    };
  }
  const missing = /input '([^']+)' is missing in 'feeds'/.exec(text);
  if (missing) {
    return {
      kind: 'missing-input',
      title: `The model needs an input “${missing[1]}” that this SAM format does not provide`,
      advice: ['check that the file is the SAM format it was detected as (README, “Supported SAM formats”)'],
    };
  }
  const op =
    /Could not find an implementation for ([\w.:]+)\((\d+)\)(?: node with name '([^']*)')?/.exec(text) ??
    /No Op registered for ([\w.:]+) with domain_version of (\d+)/.exec(text) ??
    /([\w.:]+)\((-?\d+)\) is not a registered function\/op/.exec(text) ??
    /of operator \((\w+)\) in node \(([^)]*)\) is invalid/.exec(text);
  if (op || /no kernel|not implemented/i.test(text)) {
    const name = op?.[1];
    const other = backend === 'webgpu' ? 'WASM' : backend === 'wasm' ? 'WebGPU' : 'the other backend (WASM or WebGPU)';
    return {
      kind: 'unsupported-operator',
      title: name ? `This runtime cannot run the operator ${name}${op?.[3] ? ` (node “${op[3]}”)` : ''} with these types or this opset` : 'This runtime has no implementation for an operator of the model',
      advice: [`try ${other}`, REEXPORT],
    };
  }
  const opset = /Opset (\d+) is under development[\s\S]*?till opset (\d+)/.exec(text);
  if (opset) {
    return { kind: 'unsupported-opset', title: `The model is stamped with opset ${opset[1]}; this runtime supports opsets up to ${opset[2]}`, advice: [REEXPORT] };
  }
  if (/protobuf parsing failed|Not a readable ONNX model|invalid wire type|index out of range: \d+ \+ \d+ > \d+|ERROR_CODE: 7\b/i.test(text)) {
    return {
      kind: 'not-onnx',
      title: 'The file is not a readable ONNX model',
      advice: ['check that it is the .onnx file itself, downloaded completely (not an HTML page, a Git LFS pointer or a truncated copy)', 'check that it opens in an ONNX viewer (e.g. Netron); if not, export or download it again'],
    };
  }
  return { kind: 'unknown', title: text, advice: [] };
}

/** What went wrong, in words a person can act on; `detail` keeps the original text. */
export function explainError(error: unknown, context: ErrorContext = {}): ExplainedError {
  const detail = textOf(error);
  return { ...classify(detail, context.backend), detail };
}

/**
 * The explanation as one message for a toast or a terminal: "While analysing: out of memory — … Try: …; ….
 * (Original error: …)". An error this file does not recognise comes back as its own text.
 */
export function userMessage(error: unknown, context: ErrorContext = {}): string {
  const explained = explainError(error, context);
  if (explained.kind === 'unknown') return explained.detail;
  const title = context.stage ? `While ${context.stage}: ${explained.title.charAt(0).toLowerCase()}${explained.title.slice(1)}` : explained.title;
  const advice = explained.advice.length ? ` Try: ${explained.advice.join('; ')}.` : '';
  return `${title}.${advice} (Original error: ${explained.detail.trim()})`;
}

/**
 * The error to rethrow to a caller that shows `message` to a person: an Error with userMessage as its
 * message, or the error itself when it is not recognised (its name, e.g. CancelledError, then survives).
 */
export function explainedError(error: unknown, context: ErrorContext = {}): unknown {
  if (explainError(error, context).kind === 'unknown') return error;
  return new Error(userMessage(error, context), { cause: error });
}

/**
 * The same API object with every method's failure rethrown as explainedError (sync throws and rejections),
 * for a worker's Comlink.expose: types, arguments and results are untouched, only messages change.
 */
export function withExplainedErrors<T extends object>(api: T, context: (method: string) => ErrorContext): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(api)) {
    if (typeof member !== 'function') {
      wrapped[name] = member;
      continue;
    }
    const explain = (error: unknown): never => {
      throw explainedError(error, context(name));
    };
    wrapped[name] = (...args: unknown[]): unknown => {
      try {
        const result: unknown = member.apply(api, args);
        return result instanceof Promise ? result.catch(explain) : result;
      } catch (error) {
        return explain(error);
      }
    };
  }
  return wrapped as T;
}
