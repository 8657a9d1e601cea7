import { CircleCheck, CircleX } from "lucide-react";
import { useMemo } from "react";

import type { components } from "@/api/schema";
import { Badge } from "@/components/ui/badge";

import { type CitedSource, citationSources, describeCitation, type ItemLists } from "./citations";

type Report = components["schemas"]["GroundingReport"];
type CheckName = components["schemas"]["CheckOutcome"]["check"];

/** What each check of the AI writer proves, in the words of docs/digests.md. */
export const CHECK_LABELS: Record<CheckName, string> = {
  structure: "The answer has the asked shape: sections of sentences, each with its citations",
  citations: "Every sentence cites at least one real item (the headline may cite figures only)",
  known_items: "No item is cited that is not in the facts",
  numbers: "Every number equals a computed figure or a count of the items cited",
  no_urls: "No address in the model's words: every link is built from a cited item",
};

const FORMATS: Record<Report["answer_format"], string> = {
  json_schema: "JSON under the endpoint's response schema",
  json: "JSON found in the model's text",
  text: "plain lines ending in their ids (the endpoint takes no response schema)",
};

export interface GroundedDigest {
  writer: string;
  writer_note: string | null;
  grounding?: Report | null;
  items: unknown;
}

function failedChecks(report: Report): CheckName[] {
  return report.checks.filter((outcome) => !outcome.passed).map((outcome) => outcome.check);
}

function listed(names: CheckName[]): string {
  return names.map((name) => name.replaceAll("_", " ")).join(", ");
}

/**
 * "Every claim linked to its source": for the AI writer, each sentence of the model's
 * last answer with the items it cites as links, and each check passed or failed; for the
 * builtin writer, that every line is built from the items it links.
 */
export function GroundingReport({ digest }: { digest: GroundedDigest }) {
  const report = digest.grounding ?? null;
  const sources = useMemo(() => citationSources((digest.items ?? {}) as ItemLists), [digest.items]);
  return (
    <section
      aria-labelledby="grounding-title"
      data-testid="grounding"
      className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-5 text-sm text-slate-800 shadow-sm"
    >
      <h2 id="grounding-title" className="text-base font-semibold text-slate-900">
        Every claim linked to its source
      </h2>
      {report ? <ModelReport report={report} sources={sources} /> : <NoModel writer={digest.writer} />}
    </section>
  );
}

function NoModel({ writer }: { writer: string }) {
  if (writer === "builtin") {
    return (
      <p data-testid="grounding-summary">
        The builtin writer wrote this digest: every line is built from the items it links (each pull request, issue,
        release and commit links to where it happened), and every figure comes from the Numbers table. No model wrote
        any of it.
      </p>
    );
  }
  return (
    <p data-testid="grounding-summary">
      This digest was made before the AI writer kept a grounding report, so there is none to show.
    </p>
  );
}

function ModelReport({ report, sources }: { report: Report; sources: Map<string, CitedSource> }) {
  const failed = failedChecks(report);
  const sentences = report.sentences.length === 1 ? "sentence" : "sentences";
  return (
    <>
      <p data-testid="grounding-summary">
        {report.used
          ? `The AI writer's ${report.sentence_count} ${sentences} passed every check; each cites the items it is about, linked below.`
          : `The model's answer failed ${failed.length ? `the ${listed(failed)} check${failed.length > 1 ? "s" : ""}` : "its checks"}, so the builtin writer wrote this digest instead: every line of it is built from the items it links. The model's last answer is shown below, as it was checked.`}
      </p>
      <p className="text-xs text-slate-600" data-testid="grounding-attempts">
        {report.attempts > 1
          ? `Asked twice: the first answer failed ${listed(report.first_answer_failed) || "its checks"} and went back to the model with the problems.`
          : "Asked once."}{" "}
        Read as {FORMATS[report.answer_format]}.
      </p>
      <ul aria-label="Checks" className="flex flex-col gap-1.5">
        {report.checks.map((outcome) => (
          <li key={outcome.check} className="flex items-start gap-2" data-testid="grounding-check">
            {outcome.passed ? (
              <CircleCheck aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-emerald-600" />
            ) : (
              <CircleX aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-red-600" />
            )}
            <div className="flex flex-col">
              <span>
                <span className="sr-only">{outcome.passed ? "Passed: " : "Failed: "}</span>
                {CHECK_LABELS[outcome.check] ?? outcome.check}
              </span>
              {outcome.problems.map((problem) => (
                <span key={problem} className="text-xs text-red-800">
                  {problem}
                </span>
              ))}
            </div>
          </li>
        ))}
      </ul>
      {report.sentences.length > 0 && (
        <ol aria-label="Sentences and their sources" className="flex flex-col gap-2 border-t border-slate-100 pt-3">
          {report.sentences.map((sentence, index) => (
            // Sentences repeat rarely, but may: their place is their identity here.
            // biome-ignore lint/suspicious/noArrayIndexKey: the list never reorders.
            <li key={index} className="flex flex-col gap-1" data-testid="grounded-sentence">
              <div className="flex flex-wrap items-baseline gap-2">
                <Badge variant="outline">{sentence.section.replaceAll("_", " ")}</Badge>
                <span>{sentence.text}</span>
              </div>
              <Citations cites={sentence.cites} sources={sources} />
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

function Citations({ cites, sources }: { cites: string[]; sources: Map<string, CitedSource> }) {
  if (cites.length === 0) {
    return <p className="text-xs text-red-800">Cites nothing.</p>;
  }
  return (
    <p className="flex flex-wrap gap-x-3 gap-y-1 text-xs text-slate-600">
      <span>Sources:</span>{" "}
      {cites.map((id) => {
        const cited = describeCitation(id, sources);
        const text = cited.title ? `${cited.label} ${cited.title}` : cited.label;
        if (cited.url) {
          return (
            <a
              key={id}
              href={cited.url}
              target="_blank"
              rel="noopener noreferrer"
              title={id}
              className="text-indigo-700 underline underline-offset-2"
            >
              {text}
            </a>
          );
        }
        return (
          <span key={id} title={id} className={cited.kind === "unknown" ? "text-red-800" : undefined}>
            {cited.kind === "unknown" ? `${id} (not an item of this digest)` : text}
          </span>
        );
      })}
    </p>
  );
}
