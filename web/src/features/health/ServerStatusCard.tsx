import { useIsFetching, useQuery, useQueryClient } from "@tanstack/react-query";
import { CircleCheck, CircleX, LoaderCircle, RefreshCw } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { cn } from "@/lib/utils";

import { describeHealth, describeReadiness, type StatusLine, type Tone } from "./describe";
import { healthQuery, readinessQuery } from "./queries";

const toneStyles: Record<Tone, { icon: typeof CircleCheck; className: string }> = {
  pending: { icon: LoaderCircle, className: "text-slate-500 animate-spin" },
  ok: { icon: CircleCheck, className: "text-emerald-600" },
  fail: { icon: CircleX, className: "text-red-600" },
};

function StatusRow({ label, line, testId }: { label: string; line: StatusLine; testId: string }) {
  const { icon: Icon, className } = toneStyles[line.tone];
  return (
    <div className="flex items-start gap-3 py-3 first:pt-0 last:pb-0">
      <Icon aria-hidden="true" className={cn("mt-0.5 size-5 shrink-0", className)} />
      <div className="min-w-0">
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
        <dd
          data-testid={testId}
          data-tone={line.tone}
          className={cn("break-words text-sm font-medium", line.tone === "fail" ? "text-red-800" : "text-slate-900")}
        >
          {line.text}
        </dd>
      </div>
    </div>
  );
}

export function ServerStatusCard() {
  const queryClient = useQueryClient();
  const health = useQuery(healthQuery);
  const readiness = useQuery(readinessQuery);
  const fetching = useIsFetching({ predicate: (q) => q.queryKey[0] === "health" || q.queryKey[0] === "ready" }) > 0;

  const checkAgain = () => {
    void queryClient.invalidateQueries({ queryKey: healthQuery.queryKey });
    void queryClient.invalidateQueries({ queryKey: readinessQuery.queryKey });
  };

  return (
    <Card aria-labelledby="server-status-title">
      <CardHeader>
        <CardTitle id="server-status-title">Server status</CardTitle>
        <CardDescription>
          {health.data ? `Infrasync server version ${health.data.version}` : "Live checks of the Infrasync server."}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <dl aria-live="polite" className="divide-y divide-slate-100">
          <StatusRow label="API server" line={describeHealth(health)} testId="server-health" />
          <StatusRow label="Database" line={describeReadiness(readiness)} testId="server-ready" />
        </dl>
      </CardContent>
      <CardContent>
        <Button variant="outline" size="sm" onClick={checkAgain} disabled={fetching}>
          <RefreshCw aria-hidden="true" className={cn(fetching && "animate-spin")} />
          Check again
        </Button>
      </CardContent>
    </Card>
  );
}
