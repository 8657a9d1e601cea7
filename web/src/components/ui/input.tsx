import type * as React from "react";

import { cn } from "@/lib/utils";

const fieldClasses =
  "h-9 w-full min-w-0 rounded-md border border-slate-300 bg-white px-3 py-1 text-sm text-slate-900 shadow-sm outline-none transition-colors placeholder:text-slate-400 focus-visible:border-indigo-500 focus-visible:ring-2 focus-visible:ring-indigo-500/30 disabled:cursor-not-allowed disabled:bg-slate-50 disabled:opacity-60 aria-invalid:border-red-500";

function Input({ className, type = "text", ...props }: React.ComponentProps<"input">) {
  return <input data-slot="input" type={type} className={cn(fieldClasses, className)} {...props} />;
}

/** A native select, styled like the inputs: accessible and keyboard-friendly for free. */
function Select({ className, ...props }: React.ComponentProps<"select">) {
  return <select data-slot="select" className={cn(fieldClasses, "pr-8", className)} {...props} />;
}

export { fieldClasses, Input, Select };
