import { useIsFetching, useQuery, useQueryClient } from "@tanstack/react-query";
import { CircleCheck, CircleX, LoaderCircle, RefreshCw } from "lucide-react";

import { Badge } from "@/components/ui/badge";
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

const summaryBadge: Record<Tone, { text: string; variant: "secondary" | "success" | "destructive" }> = {
  pending: { text: "Checking", variant: "secondary" },
  ok: { text: "Operational", variant: "success" },
  fail: { text: "Needs attention", variant: "destructive" },
};

function StatusRow({ label, line, testId }: { label: string; line: StatusLine; testId: string }) {
  const { icon: Icon, className } = toneStyles[line.tone];
  return (
    <div className="py-3 first:pt-0 last:pb-0">
      <dt className="pl-8 text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd
        data-testid={testId}
        data-tone={line.tone}
        className={cn(
          "flex items-start gap-3 break-words text-sm font-medium",
          line.tone === "fail" ? "text-red-800" : "text-slate-900",
        )}
      >
        <Icon aria-hidden="true" className={cn("size-5 shrink-0", className)} />
        <span className="min-w-0">{line.text}</span>
      </dd>
    </div>
  );
}

export function ServerStatusCard() {
  const queryClient = useQueryClient();
  const health = useQuery(healthQuery);
  const readiness = useQuery(readinessQuery);
  const fetching = useIsFetching({ predicate: (q) => q.queryKey[0] === "health" || q.queryKey[0] === "ready" }) > 0;

  const lines = [describeHealth(health), describeReadiness(readiness)];
  const overall: Tone = lines.some((l) => l.tone === "fail")
    ? "fail"
    : lines.some((l) => l.tone === "pending")
      ? "pending"
      : "ok";

  const checkAgain = () => {
    void queryClient.invalidateQueries({ queryKey: healthQuery.queryKey });
    void queryClient.invalidateQueries({ queryKey: readinessQuery.queryKey });
  };

  return (
    <Card role="region" aria-labelledby="server-status-title">
      <CardHeader>
        <div className="flex items-center justify-between gap-2">
          <CardTitle id="server-status-title">Server status</CardTitle>
          <Badge variant={summaryBadge[overall].variant} data-testid="server-summary">
            {summaryBadge[overall].text}
          </Badge>
        </div>
        <CardDescription>
          {health.data ? `Infrasync server version ${health.data.version}` : "Live checks of the Infrasync server."}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <dl aria-live="polite" className="divide-y divide-slate-100">
          <StatusRow label="API server" line={lines[0]} testId="server-health" />
          <StatusRow label="Database" line={lines[1]} testId="server-ready" />
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
