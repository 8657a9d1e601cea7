import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";

import { useDisconnectGitHub } from "./queries";

/**
 * "Disconnect GitHub", asked once more: the token stops serving every org at once and the
 * server forgets it, so the question says what stops.
 */
export function DisconnectGitHub() {
  const disconnect = useDisconnectGitHub();
  return (
    <div className="flex flex-col items-end gap-2">
      <ConfirmButton
        label="Disconnect GitHub"
        question="Disconnect GitHub? Every monitor reading with your token, in every org, stops until another token is chosen."
        confirmLabel="Disconnect"
        pending={disconnect.isPending}
        onConfirm={() => disconnect.mutate()}
      />
      {disconnect.isError && <ErrorMessage error={disconnect.error} />}
    </div>
  );
}
