import { useQuery } from "@tanstack/react-query";
import { Plus, Save } from "lucide-react";
import { type FormEvent, type ReactNode, useId, useState } from "react";
import { Link } from "react-router";

import type { Monitor, Org, WriterChoice } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { FieldError } from "@/components/FieldError";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { fieldClasses, Input, Select } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useMe } from "@/features/auth/queries";
import { kindLabel } from "@/features/channels/describe";
import { channelsQuery } from "@/features/channels/queries";
import { serverInfoQuery } from "@/features/health/queries";
import { tooLong } from "@/lib/limits";
import { atLeast } from "@/lib/roles";
import { cn } from "@/lib/utils";

import {
  createBody,
  draftOf,
  draftProblem,
  FOLLOW_CHOICES,
  type Follow,
  type MonitorDraft,
  NEW_MONITOR,
  readsGitHub,
  SECTIONS,
  STALE_DAYS,
  savingOffersMine,
  tokenChoices,
  updateBody,
  WRITER_CHOICES,
} from "./draft";
import { githubTokensQuery, useCreateMonitor, useUpdateMonitor } from "./queries";
import { ScheduleEditor } from "./ScheduleEditor";

const HINT = "text-xs text-slate-600";

export function CreateMonitorForm({ org }: { org: Org }) {
  const id = useId();
  const create = useCreateMonitor(org.slug);
  const server = useQuery(serverInfoQuery);
  const [draft, setDraft] = useState<MonitorDraft>(NEW_MONITOR);
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = draftProblem(draft, false);
    setProblem(found);
    setCreated(null);
    if (found) return;
    create.mutate(createBody(draft), {
      onSuccess: (monitor) => {
        setCreated(`Added ${monitor.name}.`);
        setDraft(NEW_MONITOR);
      },
    });
  };

  const description = server.data?.local_sources
    ? "A GitHub repository as owner/repo, or the absolute path of a git repository on this server."
    : "A GitHub repository, as owner/repo.";
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Add a monitor</CardTitle>
        <CardDescription>{description}</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Add a monitor">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-follow`}>Follows</Label>
            <Select
              id={`${id}-follow`}
              value={draft.follow}
              onChange={(event) => setDraft({ ...draft, follow: event.target.value as Follow })}
            >
              {FOLLOW_CHOICES.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </Select>
          </div>
          {draft.follow === "one" ? (
            <div className="flex flex-col gap-1.5">
              <Label htmlFor={`${id}-source`}>Repository</Label>
              <Input
                id={`${id}-source`}
                value={draft.source}
                maxLength={500}
                autoComplete="off"
                spellCheck={false}
                placeholder="owner/repo"
                onChange={(event) => setDraft({ ...draft, source: event.target.value })}
              />
            </div>
          ) : (
            <SeveralFields draft={draft} onChange={setDraft} />
          )}
          <MonitorFields org={org} draft={draft} onChange={setDraft} editing={null} />
          {problem && <ErrorMessage message={problem} />}
          {!problem && create.isError && <ErrorMessage error={create.error} />}
          {created && (
            <p role="status" className="text-sm text-emerald-800">
              {created}
            </p>
          )}
          <div>
            <Button type="submit" variant="primary" disabled={create.isPending}>
              <Plus aria-hidden="true" />
              {create.isPending ? "Adding…" : "Add monitor"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

/** Edits a monitor in place; `onDone` closes the form (after a save, or on Cancel). */
export function EditMonitorForm({
  org,
  monitor,
  onDone,
}: {
  org: Org;
  monitor: Monitor;
  onDone: (saved: Monitor | null) => void;
}) {
  const update = useUpdateMonitor(org.slug);
  const [initial] = useState(() => draftOf(monitor));
  const [draft, setDraft] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = draftProblem(draft, true);
    setProblem(found);
    if (found) return;
    const body = updateBody(initial, draft);
    if (Object.keys(body).length === 0) return onDone(null);
    update.mutate({ id: monitor.id, body }, { onSuccess: (saved) => onDone(saved) });
  };

  return (
    <form onSubmit={submit} noValidate className="flex max-w-xl flex-col gap-4" aria-label={`Edit ${monitor.name}`}>
      {draft.follow === "one" ? (
        <p className="text-sm text-slate-700">
          Repository <code className="break-all text-xs">{monitor.source}</code>
          <span className={`block ${HINT}`}>A monitor keeps its repository; add a new monitor for another one.</span>
        </p>
      ) : (
        <SeveralFields draft={draft} onChange={setDraft} />
      )}
      <MonitorFields org={org} draft={draft} onChange={setDraft} editing={monitor} />
      {problem && <ErrorMessage message={problem} />}
      {!problem && update.isError && <ErrorMessage error={update.error} />}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={update.isPending}>
          <Save aria-hidden="true" />
          {update.isPending ? "Saving…" : "Save"}
        </Button>
        <Button type="button" variant="ghost" onClick={() => onDone(null)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/**
 * The repositories of a monitor of several: a list of owner/repo, or an owner with include
 * and exclude patterns (fnmatch globs on the repository name; archived repositories and
 * forks only when a pattern names them exactly, as the server decides).
 */
function SeveralFields({ draft, onChange }: { draft: MonitorDraft; onChange: (draft: MonitorDraft) => void }) {
  const id = useId();
  const set = <K extends keyof MonitorDraft>(key: K, value: MonitorDraft[K]) => onChange({ ...draft, [key]: value });
  if (draft.follow === "several") {
    return (
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-repositories`}>Repositories</Label>
        <textarea
          id={`${id}-repositories`}
          value={draft.repositories}
          rows={4}
          autoComplete="off"
          spellCheck={false}
          placeholder={"acme/api\nacme/web"}
          aria-describedby={`${id}-repositories-hint`}
          className={cn(fieldClasses, "h-auto py-2")}
          onChange={(event) => set("repositories", event.target.value)}
        />
        <p id={`${id}-repositories-hint`} className={HINT}>
          GitHub repositories as owner/repo, one per line: one digest of them all, a section per repository. Each counts
          as a monitor on your plan.
        </p>
      </div>
    );
  }
  return (
    <>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-owner`}>Owner</Label>
        <Input
          id={`${id}-owner`}
          value={draft.owner}
          maxLength={39}
          autoComplete="off"
          spellCheck={false}
          placeholder="acme"
          onChange={(event) => set("owner", event.target.value)}
        />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-include`}>Include patterns</Label>
        <Input
          id={`${id}-include`}
          value={draft.include}
          autoComplete="off"
          spellCheck={false}
          placeholder="*"
          aria-describedby={`${id}-patterns-hint`}
          onChange={(event) => set("include", event.target.value)}
        />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-exclude`}>Exclude patterns</Label>
        <Input
          id={`${id}-exclude`}
          value={draft.exclude}
          autoComplete="off"
          spellCheck={false}
          placeholder="*-archive, sandbox"
          aria-describedby={`${id}-patterns-hint`}
          onChange={(event) => set("exclude", event.target.value)}
        />
        <p id={`${id}-patterns-hint`} className={HINT}>
          Patterns on the repository name, separated by commas: * any characters, ? one, [abc] one of these. Archived
          repositories and forks only when an include pattern names them exactly. Each repository counts as a monitor on
          your plan.
        </p>
      </div>
    </>
  );
}

/** Everything of a monitor but its repository: the same fields to add one and to edit one. */
function MonitorFields({
  org,
  draft,
  onChange,
  editing,
}: {
  org: Org;
  draft: MonitorDraft;
  onChange: (draft: MonitorDraft) => void;
  editing: Monitor | null;
}) {
  const id = useId();
  const server = useQuery(serverInfoQuery);
  const github = editing ? editing.source_kind === "github" : readsGitHub(draft);
  const set = <K extends keyof MonitorDraft>(key: K, value: MonitorDraft[K]) => onChange({ ...draft, [key]: value });
  const noModel = server.data?.llm_writer === false;

  return (
    <>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-name`}>{editing ? "Name" : "Name (optional)"}</Label>
        <Input
          id={`${id}-name`}
          value={draft.name}
          aria-invalid={tooLong(draft.name) ? true : undefined}
          aria-describedby={tooLong(draft.name) ? `${id}-name-problem` : undefined}
          autoComplete="off"
          placeholder="The repository's name"
          onChange={(event) => set("name", event.target.value)}
        />
        <FieldError id={`${id}-name-problem`} message={tooLong(draft.name)} />
      </div>
      {github && (
        <TokenSelect
          org={org}
          editing={editing}
          value={draft.credentialUserId}
          onChange={(value) => set("credentialUserId", value)}
        />
      )}
      <ScheduleEditor org={org} value={draft.schedule} onChange={(value) => set("schedule", value)} />
      <ChannelChoice org={org} value={draft.channelIds} onChange={(value) => set("channelIds", value)} />
      <fieldset className="flex flex-col gap-1.5">
        <legend className="mb-1.5 text-sm font-medium text-slate-800">Sections</legend>
        {SECTIONS.map((section) => (
          <CheckboxField
            key={section.value}
            label={section.label}
            checked={draft.sections.includes(section.value)}
            onChange={(on) =>
              set(
                "sections",
                on ? [...draft.sections, section.value] : draft.sections.filter((value) => value !== section.value),
              )
            }
          />
        ))}
        {draft.sections.length === 0 && <p className={HINT}>With no section, a digest is only its one-line summary.</p>}
      </fieldset>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-bots`}>Extra bot names</Label>
        <Input
          id={`${id}-bots`}
          value={draft.extraBots}
          autoComplete="off"
          spellCheck={false}
          placeholder="deploy-helper, ci-runner"
          aria-describedby={`${id}-bots-hint`}
          onChange={(event) => set("extraBots", event.target.value)}
        />
        <p id={`${id}-bots-hint`} className={HINT}>
          Accounts to treat as bots besides those GitHub marks as bots, separated by commas.
        </p>
      </div>
      <CheckboxField
        label="Count bots as people"
        hint="Off, bots are left out of authors, contributors and first-time contributors."
        checked={draft.includeBots}
        onChange={(on) => set("includeBots", on)}
      />
      <CheckboxField
        label="Skip empty digests"
        hint="Make no scheduled digest for a period with no activity."
        checked={draft.skipEmpty}
        onChange={(on) => set("skipEmpty", on)}
      />
      <CheckboxField
        label="Let the AI writer read pull request descriptions"
        hint={
          "Off, the AI model is given only facts: numbers, titles, authors, labels and figures. " +
          "On, it also reads the start of each pull request's description, which holds whatever its author wrote. " +
          "The builtin writer never uses them."
        }
        checked={draft.includePrDescriptions}
        onChange={(on) => set("includePrDescriptions", on)}
      />
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-writer`}>Writer</Label>
        <Select
          id={`${id}-writer`}
          value={draft.writer}
          aria-describedby={`${id}-writer-hint`}
          onChange={(event) => set("writer", event.target.value as WriterChoice)}
        >
          {WRITER_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </Select>
        <p id={`${id}-writer-hint`} className={HINT} data-testid="writer-hint">
          {noModel
            ? "No AI model is configured on this server, so the builtin writer writes every digest."
            : "Automatic: the AI model writes, and the builtin writer takes over whenever it fails."}
        </p>
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-stale`}>Stale after (days)</Label>
        <Input
          id={`${id}-stale`}
          type="number"
          inputMode="numeric"
          min={STALE_DAYS.min}
          max={STALE_DAYS.max}
          step={1}
          value={draft.staleDays}
          aria-describedby={`${id}-stale-hint`}
          className="w-24"
          onChange={(event) => set("staleDays", event.target.value)}
        />
        <p id={`${id}-stale-hint`} className={HINT}>
          A pull request with no review this many days after it opened needs attention.
        </p>
      </div>
      <CheckboxField
        label="Paused"
        hint="A paused monitor makes no scheduled digests; it can still be run by hand."
        checked={draft.paused}
        onChange={(on) => set("paused", on)}
      />
    </>
  );
}

/** Whose GitHub token the monitor reads with: yours, or one offered to the org; never a token. */
function TokenSelect({
  org,
  editing,
  value,
  onChange,
}: {
  org: Org;
  editing: Monitor | null;
  value: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  const me = useMe();
  const tokens = useQuery(githubTokensQuery(org.slug));
  const choices = tokenChoices(tokens.data ?? [], me.data, editing);
  const offersMine = savingOffersMine(tokens.data ?? [], editing, value);
  return (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={`${id}-token`}>GitHub token</Label>
      <Select
        id={`${id}-token`}
        value={value}
        aria-describedby={offersMine ? `${id}-token-hint ${id}-token-offer` : `${id}-token-hint`}
        onChange={(event) => onChange(event.target.value)}
      >
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value} disabled={choice.disabled}>
            {choice.label}
          </option>
        ))}
      </Select>
      <p id={`${id}-token-hint`} className={HINT}>
        The monitor reads GitHub as this member. Other members appear here once they offer their token to this org; the
        token itself is never shown.
      </p>
      {offersMine && (
        <p id={`${id}-token-offer`} className="text-xs text-amber-900" data-testid="token-offer-hint">
          Saving offers your token to {org.name}: its monitors may read GitHub with it until you withdraw it.
        </p>
      )}
      {tokens.isError && <ErrorMessage error={tokens.error} />}
    </div>
  );
}

/** Where the monitor's digests go: any of the org's channels. */
function ChannelChoice({ org, value, onChange }: { org: Org; value: string[]; onChange: (value: string[]) => void }) {
  const channels = useQuery(channelsQuery(org.slug));
  const isAdmin = atLeast(org.role, "admin");
  return (
    <fieldset className="flex flex-col gap-1.5">
      <legend className="mb-1.5 text-sm font-medium text-slate-800">Send digests to</legend>
      {channels.isPending && <p className={HINT}>Loading channels…</p>}
      {channels.isError && <ErrorMessage error={channels.error} />}
      {channels.data?.length === 0 && (
        <p className={HINT}>
          No channels yet: digests stay in Infrasync.{" "}
          {isAdmin ? (
            <Link
              to={`/orgs/${org.slug}/channels`}
              className="font-medium text-indigo-700 underline-offset-4 hover:underline"
            >
              Add a channel
            </Link>
          ) : (
            `An admin of ${org.name} can add Slack, Discord, email or webhook channels.`
          )}
        </p>
      )}
      {channels.data?.map((channel) => (
        <CheckboxField
          key={channel.id}
          label={`${channel.name} (${kindLabel(channel.kind)})`}
          hint={channel.disabled ? `Disabled: ${channel.disabled_reason ?? "a delivery failed for good"}` : undefined}
          checked={value.includes(channel.id)}
          onChange={(on) => onChange(on ? [...value, channel.id] : value.filter((id) => id !== channel.id))}
        />
      ))}
    </fieldset>
  );
}

function CheckboxField({
  label,
  hint,
  checked,
  onChange,
}: {
  label: string;
  hint?: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="flex items-start gap-2">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        aria-describedby={hint ? `${id}-hint` : undefined}
        className="mt-0.5 size-4 shrink-0 accent-indigo-600"
        onChange={(event) => onChange(event.target.checked)}
      />
      <div className="flex flex-col gap-0.5">
        <Label htmlFor={id} className="font-normal">
          {label}
        </Label>
        {hint && (
          <p id={`${id}-hint`} className={HINT}>
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}
