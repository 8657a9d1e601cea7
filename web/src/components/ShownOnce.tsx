import { TriangleAlert } from "lucide-react";
import type { ReactNode } from "react";

import { CopyField } from "@/components/CopyField";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/**
 * A secret the server shows exactly once (a new API key, an invite link): the warning,
 * the value to copy, and a Done button that forgets it.
 */
export function ShownOnce({
  regionLabel,
  copyLabel,
  value,
  onDone,
  children,
}: {
  regionLabel: string;
  copyLabel: string;
  value: string;
  onDone: () => void;
  children: ReactNode;
}) {
  return (
    <Alert variant="warning" role="region" aria-label={regionLabel} className="flex-col gap-3">
      <div className="flex items-start gap-2">
        <TriangleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
        <p>{children}</p>
      </div>
      <div className="w-full">
        <CopyField label={copyLabel} value={value} />
      </div>
      <Button type="button" variant="outline" size="sm" onClick={onDone}>
        Done
      </Button>
    </Alert>
  );
}
