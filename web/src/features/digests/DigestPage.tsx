import { useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { useMemo } from "react";
import { Link, useParams } from "react-router";

import type { DigestDetail, DigestRepository } from "@/api/client";
import { ApiError } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { monitorsQuery } from "@/features/monitors/queries";
import { useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDateTime } from "@/lib/format";

import { withoutRepeats } from "./body";
import { ChannelPreviews } from "./ChannelPreviews";
import { CopyMarkdownButton } from "./CopyMarkdownButton";
import { DigestPermalink } from "./DigestPermalink";
import { GroundingReport } from "./GroundingReport";
import { MetricsPanel } from "./MetricsPanel";
import { periodLabel } from "./period";
import { digestQuery } from "./queries";
import { sanitizeDigestHtml } from "./sanitize";

/** Where the commit a digest was made from can be seen: on GitHub only, and only over http(s). */
export function commitUrl(repository: DigestRepository): string | null {
  const { kind, url, revision } = repository;
  if (kind !== "github" || !url || !revision || !/^https?:\/\//i.test(url)) return null;
  return `${url.replace(/\/+$/, "")}/commit/${encodeURIComponent(revision)}`;
}

/** "From commit 3f2a9c1": the head the digest was made from, so a reader can check it. */
function Revision({ repository }: { repository: DigestRepository }) {
  if (!repository.revision) return null;
  const short = <code className="text-xs">{repository.revision.slice(0, 7)}</code>;
  const url = commitUrl(repository);
  return (
    <span data-testid="digest-revision">
      From commit{" "}
      {url ? (
        <a
          href={url}
          target="_blank"
          rel="noopener noreferrer"
          title={repository.revision}
          className="text-indigo-700 underline underline-offset-2"
        >
          {short}
        </a>
      ) : (
        <span title={repository.revision}>{short}</span>
      )}
    </span>
  );
}

/** "Written by the builtin writer because the LLM writer did not …" */
export function writerSentence(digest: Pick<DigestDetail, "writer" | "writer_note">): string {
  const writer = `Written by the ${digest.writer} writer`;
  const note = digest.writer_note?.trim().replace(/\.$/, "");
  if (!note) return `${writer}.`;
  return `${writer} because ${note.charAt(0).toLowerCase()}${note.slice(1)}.`;
}

export function DigestPage() {
  const org = useCurrentOrg();
  const { digestId = "" } = useParams();
  const digest = useQuery(digestQuery(org.slug, digestId));
  const monitors = useQuery(monitorsQuery(org.slug));

  const back = (
    <Link
      to={`/orgs/${org.slug}/digests`}
      className="inline-flex w-fit items-center gap-1 text-sm font-medium text-indigo-700 underline-offset-4 hover:underline"
    >
      <ArrowLeft aria-hidden="true" className="size-4" />
      All digests
    </Link>
  );

  if (digest.isPending) {
    return (
      <div className="flex flex-col gap-4">
        {back}
        <p role="status" className="text-sm text-slate-600">
          Loading the digest…
        </p>
      </div>
    );
  }
  if (digest.isError) {
    const missing = digest.error instanceof ApiError && digest.error.status === 404;
    return (
      <div className="flex flex-col gap-4">
        {back}
        <h2 className="text-xl font-semibold text-slate-900">{missing ? "Digest not found" : "Could not open it"}</h2>
        <ErrorMessage error={digest.error} className="max-w-xl" />
      </div>
    );
  }

  const data = digest.data;
  const monitor = data.monitor_name ?? monitors.data?.find((m) => m.id === data.monitor_id)?.name;
  return (
    <div className="flex min-w-0 flex-col gap-4">
      {back}
      <div className="flex min-w-0 flex-col gap-1">
        {/* The one title: the digest's own (its first line) is left out of the body below. */}
        <h2 className="break-words text-xl font-semibold text-slate-900 [overflow-wrap:anywhere]">
          Digest of {monitor ?? "a deleted monitor"}, {periodLabel(data.period)}
        </h2>
        <p className="break-words text-sm text-slate-600 [overflow-wrap:anywhere]" data-testid="digest-writer">
          {writerSentence(data)} Made {formatDateTime(data.created_at)}
          {data.triggered_by ? ` by ${data.triggered_by}` : ""} ({data.trigger}).{" "}
          <Revision repository={data.repository} />
        </p>
        <CopyMarkdownButton markdown={data.text} />
      </div>
      <div className="grid min-w-0 gap-6 lg:grid-cols-[minmax(0,1fr)_22rem] lg:items-start">
        <DigestBody html={data.rendered.html} />
        <MetricsPanel metrics={data.metrics} />
      </div>
      <ChannelPreviews slug={org.slug} digestId={data.id} />
      <GroundingReport digest={data} />
      <DigestPermalink slug={org.slug} digestId={data.id} />
    </div>
  );
}

const PROSE = [
  "min-w-0 break-words rounded-xl border border-slate-200 bg-white p-5 text-sm leading-relaxed text-slate-800 shadow-sm [overflow-wrap:anywhere]",
  "[&_h1]:mb-3 [&_h1]:text-2xl [&_h1]:font-bold [&_h1]:text-slate-900",
  "[&_h2]:mt-5 [&_h2]:mb-2 [&_h2]:text-lg [&_h2]:font-semibold [&_h2]:text-slate-900",
  "[&_h3]:mt-4 [&_h3]:mb-1 [&_h3]:font-semibold",
  "[&_p]:my-2 [&_ul]:my-2 [&_ul]:list-disc [&_ul]:pl-5 [&_ol]:my-2 [&_ol]:list-decimal [&_ol]:pl-5 [&_li]:my-0.5",
  "[&_a]:text-indigo-700 [&_a]:underline [&_a]:underline-offset-2",
  "[&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 [&_code]:text-xs",
  "[&_table]:my-3 [&_table]:block [&_table]:max-w-full [&_table]:overflow-x-auto [&_th]:border-b [&_th]:px-2 [&_th]:py-1 [&_th:not([align])]:text-left [&_td]:border-b [&_td]:border-slate-100 [&_td]:px-2 [&_td]:py-1",
  "[&_hr]:my-4 [&_hr]:border-slate-200",
].join(" ");

/** The digest's text, as the server rendered it and this page sanitised it again, less
 * the title and the totals the page shows once already. */
function DigestBody({ html }: { html: string }) {
  const clean = useMemo(() => withoutRepeats(sanitizeDigestHtml(html)), [html]);
  return (
    <article
      aria-label="Digest"
      data-testid="digest-body"
      className={PROSE}
      // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised twice, by the server and by DOMPurify here.
      dangerouslySetInnerHTML={{ __html: clean }}
    />
  );
}
