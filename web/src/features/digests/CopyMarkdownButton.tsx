import { Check, Copy } from "lucide-react";
import { useState } from "react";

import { Button } from "@/components/ui/button";

type CopyState = "idle" | "copied" | "failed";

/** Copies the digest's Markdown, as a feed or a paste into an issue gets it. */
export function CopyMarkdownButton({ markdown }: { markdown: string }) {
  const [state, setState] = useState<CopyState>("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(markdown);
      setState("copied");
    } catch {
      // No clipboard here (plain http from afar, a refused permission): the Markdown
      // tab of the previews shows the text to select instead.
      setState("failed");
    }
  };
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button type="button" variant="outline" size="sm" onClick={copy}>
        {state === "copied" ? <Check aria-hidden="true" className="text-emerald-600" /> : <Copy aria-hidden="true" />}
        Copy as Markdown
      </Button>
      <p role="status" className="text-xs text-slate-600">
        {state === "copied" && "The digest's Markdown is on the clipboard."}
        {state === "failed" && "Copying is blocked here: select the text under Markdown in the previews below."}
      </p>
    </div>
  );
}
