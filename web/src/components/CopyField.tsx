import { Check, Copy } from "lucide-react";
import { useId, useRef, useState } from "react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

type CopyState = "idle" | "copied" | "failed";

/** A read-only value with a Copy button; falls back to selecting the text for Ctrl+C. */
export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<CopyState>("idle");

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      // No clipboard access (an old browser, a page served over plain http from afar).
      input.current?.select();
      setState("failed");
    }
  };

  return (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      <div className="flex gap-2">
        <Input
          id={id}
          ref={input}
          readOnly
          value={value}
          spellCheck={false}
          className="font-mono text-xs sm:text-sm"
          onFocus={(event) => event.currentTarget.select()}
        />
        <Button type="button" variant="outline" onClick={copy} aria-label={`Copy ${label.toLowerCase()}`}>
          {state === "copied" ? <Check aria-hidden="true" className="text-emerald-600" /> : <Copy aria-hidden="true" />}
          {state === "copied" ? "Copied" : "Copy"}
        </Button>
      </div>
      <p role="status" className="text-xs text-slate-600">
        {state === "copied" && "Copied to the clipboard."}
        {state === "failed" && "Copying is blocked here: the text is selected, press Ctrl+C (⌘C on a Mac)."}
      </p>
    </div>
  );
}
