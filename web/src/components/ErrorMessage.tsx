import { CircleAlert } from "lucide-react";

import { errorMessage } from "@/api/errors";
import { Alert } from "@/components/ui/alert";
import { cn } from "@/lib/utils";

/** The server's sentence for a failed request (or `message`), announced to screen readers. */
export function ErrorMessage({ error, message, className }: { error?: unknown; message?: string; className?: string }) {
  if (!message && !error) return null;
  return (
    <Alert variant="destructive" role="alert" className={cn(className)}>
      <CircleAlert aria-hidden="true" />
      <p className="min-w-0 break-words">{message ?? errorMessage(error)}</p>
    </Alert>
  );
}
