import { useQuery } from "@tanstack/react-query";
import { Share2 } from "lucide-react";

import type { Org } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

import { githubTokensQuery, useOfferMyToken, useWithdrawMyToken } from "./queries";

/**
 * Whether your GitHub token serves this org, and the way to change that. A token is only
 * ever offered to an org by its owner (SPEC §5), so this is shown only once you have one.
 */
export function MyTokenOffer({ org }: { org: Org }) {
  const tokens = useQuery(githubTokensQuery(org.slug));
  const offer = useOfferMyToken(org.slug);
  const withdraw = useWithdrawMyToken(org.slug);
  const mine = tokens.data?.find((token) => token.mine);
  if (!mine) return tokens.isError ? <ErrorMessage error={tokens.error} /> : null;

  return (
    <div className="flex flex-col gap-3" data-testid="my-token-offer">
      <Alert variant="info" className="flex-wrap items-center justify-between">
        <Share2 aria-hidden="true" />
        {mine.offered ? (
          <>
            <p className="min-w-0 flex-1">
              Your GitHub token ({mine.token_hint}) is offered to {org.name}: its monitors may read GitHub with it.
            </p>
            <ConfirmButton
              label="Withdraw my token"
              question={`Withdraw your token from ${org.name}? Monitors reading with it stop until another token is chosen.`}
              confirmLabel="Withdraw"
              pending={withdraw.isPending}
              onConfirm={() => withdraw.mutate()}
            />
          </>
        ) : (
          <>
            <p className="min-w-0 flex-1">
              Offering your GitHub token ({mine.token_hint}) lets the monitors of {org.name} read GitHub with it; you
              can withdraw it at any time.
            </p>
            <Button type="button" variant="default" size="sm" disabled={offer.isPending} onClick={() => offer.mutate()}>
              {offer.isPending ? "Offering…" : `Offer my token to ${org.name}`}
            </Button>
          </>
        )}
      </Alert>
      {offer.isError && <ErrorMessage error={offer.error} />}
      {withdraw.isError && <ErrorMessage error={withdraw.error} />}
    </div>
  );
}
