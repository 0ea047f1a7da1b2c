import { useId, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface NumberFieldSpec {
  /** The committed value the field shows while it is not being edited. */
  value: number;
  min: number;
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** Unit in the range message ("MB"), when there is one. */
  unit?: string;
  /** How the committed value is written in the field and in the message. */
  format?: (value: number) => string;
  /** Arrow keys move the value by this much (and commit at once). */
  step?: number;
  onCommit: (value: number) => void;
}

const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The typed text as a number in range, or the sentence that says what the field takes. */
export function readNumber(text: string, spec: Pick<NumberFieldSpec, 'min' | 'max' | 'integer' | 'unit' | 'format'>): { value: number } | { message: string } {
  const write = spec.format ?? String;
  const unit = spec.unit ? ` ${spec.unit}` : '';
  const allowed = `${spec.integer ? 'a whole number' : 'a number'} from ${write(spec.min)} to ${write(spec.max)}${unit}`;
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!numberPattern.test(trimmed) || !Number.isFinite(value)) return { message: `Enter ${allowed}.` };
  if (spec.integer && !Number.isInteger(value)) return { message: `Enter ${allowed}.` };
  if (value < spec.min || value > spec.max) return { message: `${trimmed}${unit} is out of range: enter ${allowed}.` };
  return { value };
}

/**
 * A number a person types freely: nothing is clamped while typing; Enter or leaving the field commits a value
 * in range; anything else keeps what was typed with a message saying what is allowed, and commits nothing;
 * Escape puts the committed value back. Arrow keys step it, as a number input's would.
 */
export function useNumberField(spec: NumberFieldSpec) {
  const [draft, setDraft] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const messageId = useId();
  const write = spec.format ?? String;

  const commit = (text: string): boolean => {
    const read = readNumber(text, spec);
    if ('message' in read) {
      setMessage(`${read.message} Still ${write(spec.value)}${spec.unit ? ` ${spec.unit}` : ''}; Escape puts it back.`);
      return false;
    }
    setMessage(null);
    setDraft(null);
    if (read.value !== spec.value) spec.onCommit(read.value);
    return true;
  };

  const restore = () => {
    setDraft(null);
    setMessage(null);
  };

  const stepBy = (direction: 1 | -1) => {
    const step = spec.step ?? 1;
    const base = draft !== null && 'value' in readNumber(draft, spec) ? Number(draft) : spec.value;
    const next = Math.min(spec.max, Math.max(spec.min, base + direction * step));
    const rounded = Number(next.toPrecision(12));
    restore();
    if (rounded !== spec.value) spec.onCommit(rounded);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      if (draft !== null) commit(draft);
    } else if (event.key === 'Escape') {
      if (draft !== null || message !== null) {
        event.preventDefault();
        event.stopPropagation();
        restore();
      }
    } else if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      event.preventDefault();
      stepBy(event.key === 'ArrowUp' ? 1 : -1);
    }
  };

  const inputProps = {
    type: 'text' as const,
    inputMode: (spec.integer ? 'numeric' : 'decimal') as 'numeric' | 'decimal',
    value: draft ?? write(spec.value),
    'aria-invalid': message !== null,
    'aria-describedby': message !== null ? messageId : undefined,
    onChange: (event: { target: { value: string } }) => {
      setDraft(event.target.value);
      if (message !== null && 'value' in readNumber(event.target.value, spec)) setMessage(null);
    },
    onBlur: () => {
      if (draft !== null) commit(draft);
    },
    onKeyDown,
  };
  const messageElement =
    message !== null ? (
      <span id={messageId} className="field-message" role="alert" data-testid="field-message">
        {message}
      </span>
    ) : null;
  return { inputProps, message, messageElement };
}

/** The field, the words after it (`suffix`, "of 6") and then its message, on a line of its own. */
export function NumberField({
  label,
  suffix,
  disabled,
  ...spec
}: NumberFieldSpec & { label: string; suffix?: ReactNode; disabled?: boolean }) {
  const { inputProps, messageElement } = useNumberField(spec);
  return (
    <>
      <input {...inputProps} className="number-field" aria-label={label} disabled={disabled} />
      {suffix}
      {messageElement}
    </>
  );
}
