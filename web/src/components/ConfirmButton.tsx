import { useEffect, useRef, useState } from "react";

import { Button } from "@/components/ui/button";

interface ConfirmButtonProps {
  /** The button's text before asking, e.g. "Remove". */
  label: string;
  /** Accessible name of the first button when the visible label alone is ambiguous. */
  ariaLabel?: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
  disabled?: boolean;
}

/** A destructive action that asks once more, inline, before it happens. */
export function ConfirmButton({
  label,
  ariaLabel,
  question,
  confirmLabel,
  onConfirm,
  pending = false,
  disabled = false,
}: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (asking) cancel.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <Button
        type="button"
        variant="outline"
        size="sm"
        aria-label={ariaLabel}
        disabled={disabled || pending}
        onClick={() => setAsking(true)}
      >
        {label}
      </Button>
    );
  }
  return (
    <fieldset className="flex flex-wrap items-center justify-end gap-2">
      <legend className="sr-only">{question}</legend>
      <span aria-hidden="true" className="text-sm text-slate-700">
        {question}
      </span>
      <Button
        type="button"
        variant="destructive"
        size="sm"
        disabled={pending}
        onClick={() => {
          onConfirm();
          setAsking(false);
        }}
      >
        {confirmLabel}
      </Button>
      <Button ref={cancel} type="button" variant="ghost" size="sm" onClick={() => setAsking(false)}>
        Cancel
      </Button>
    </fieldset>
  );
}
