import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Ban, CircleCheck, Clock, Plus, Save, Send } from "lucide-react";
import { type FormEvent, useId, useState } from "react";
import { useSearchParams } from "react-router";

import type { Channel, ChannelCreate, ChannelTestResult, Org } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { FieldError } from "@/components/FieldError";
import { ShownOnce } from "@/components/ShownOnce";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { fieldClasses, Input, Select } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NeedsRole, useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDateTime } from "@/lib/format";
import { tooLong } from "@/lib/limits";
import { cn } from "@/lib/utils";

import {
  addressList,
  attemptOutcome,
  CHANNEL_KINDS,
  describeDelivery,
  formatDuration,
  kindLabel,
  TONE_CLASSES,
} from "./describe";
import {
  channelsQuery,
  deliveriesQuery,
  useCreateChannel,
  useDeleteChannel,
  useRotateSecret,
  useTestChannel,
  useUpdateChannel,
} from "./queries";

const HINT = "text-xs text-slate-600";

/** A signing secret just made: it exists only in that answer, so only in this page's state. */
interface Secret {
  channelName: string;
  value: string;
}

export function ChannelsPage() {
  const org = useCurrentOrg();
  return (
    <NeedsRole org={org} needs="admin">
      <Channels org={org} />
    </NeedsRole>
  );
}

function Channels({ org }: { org: Org }) {
  // Deliveries happen in the background: opening the page always asks how they went.
  const channels = useQuery({ ...channelsQuery(org.slug), refetchOnMount: "always" });
  const [secret, setSecret] = useState<Secret | null>(null);

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem] lg:items-start">
      <section aria-labelledby="channels-title" className="flex flex-col gap-4">
        <div className="flex flex-col gap-1">
          <h2 id="channels-title" className="text-xl font-semibold text-slate-900">
            Channels
          </h2>
          <p className="text-sm text-slate-600">
            Where digests go: Slack, Discord, email or your own webhook. Attach channels to monitors in the monitor
            form.
          </p>
        </div>
        {secret && <SecretShownOnce secret={secret} onDone={() => setSecret(null)} />}
        {channels.isPending && (
          <p role="status" className="text-sm text-slate-600">
            Loading channels…
          </p>
        )}
        {channels.isError && <ErrorMessage error={channels.error} />}
        {channels.data && channels.data.length === 0 && (
          <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
            No channels yet. Add one so digests reach your team.
          </p>
        )}
        {channels.data && channels.data.length > 0 && (
          <ul aria-label={`Channels of ${org.name}`} className="flex flex-col gap-3">
            {channels.data.map((channel) => (
              <ChannelCard key={channel.id} org={org} channel={channel} />
            ))}
          </ul>
        )}
      </section>
      <CreateChannelForm org={org} onSecret={(channelName, value) => setSecret({ channelName, value })} />
    </div>
  );
}

function SecretShownOnce({ secret, onDone }: { secret: Secret; onDone: () => void }) {
  return (
    <ShownOnce
      regionLabel={`Signing secret of ${secret.channelName}`}
      copyLabel="Signing secret"
      value={secret.value}
      onDone={onDone}
    >
      <strong>Copy the signing secret of “{secret.channelName}” now: it is shown once and never again.</strong> Your
      endpoint checks each request's <code className="text-xs">webhook-signature</code> with it; rotate it to get a new
      one.
    </ShownOnce>
  );
}

function StatusBadge({ channel }: { channel: Channel }) {
  if (channel.disabled) {
    return (
      <Badge variant="destructive" data-testid="channel-status">
        <Ban aria-hidden="true" />
        Disabled
      </Badge>
    );
  }
  return (
    <Badge variant="success" data-testid="channel-status">
      <CircleCheck aria-hidden="true" />
      Active
    </Badge>
  );
}

const ADDRESS_STATUS: Record<
  Channel["addresses"][number]["status"],
  { label: string; variant: "success" | "secondary" | "destructive" }
> = {
  active: { label: "Active", variant: "success" },
  unsubscribed: { label: "Unsubscribed", variant: "secondary" },
  refused: { label: "Refused by the mail server", variant: "destructive" },
};

function ChannelCard({ org, channel }: { org: Org; channel: Channel }) {
  const update = useUpdateChannel(org.slug);
  const remove = useDeleteChannel(org.slug);
  const test = useTestChannel(org.slug);
  const rotate = useRotateSecret(org.slug);
  const [editing, setEditing] = useState(false);
  // A monitor's "Delivery log" link opens this channel's log: `?log=<channel id>`.
  const [params] = useSearchParams();
  const [showLog, setShowLog] = useState(() => params.get("log") === channel.id);
  const [secret, setSecret] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const logId = useId();
  const last = describeDelivery(channel);
  const users = channel.monitor_ids.length;

  return (
    <li
      data-testid="channel-row"
      aria-label={channel.name}
      className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex min-w-0 flex-col gap-1">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium text-slate-900" data-testid="channel-name">
              {channel.name}
            </span>
            <Badge variant="outline" data-testid="channel-kind">
              {kindLabel(channel.kind)}
            </Badge>
            <StatusBadge channel={channel} />
          </div>
          <code className="break-all text-xs text-slate-600" data-testid="channel-hint">
            {channel.hint}
          </code>
          <p className={HINT}>
            {users === 0
              ? "No monitor sends here yet."
              : `${users} ${users === 1 ? "monitor sends" : "monitors send"} here.`}
          </p>
          {!channel.disabled && (
            <p className={cn("text-xs", TONE_CLASSES[last.tone])} data-testid="channel-last-delivery">
              Last delivery: {last.text}
            </p>
          )}
        </div>
        <div className="flex flex-wrap items-center justify-end gap-2">
          <Button
            type="button"
            variant="primary"
            size="sm"
            aria-label={`Send a test message to ${channel.name}`}
            disabled={test.isPending}
            onClick={() => test.mutate(channel.id)}
          >
            <Send aria-hidden="true" />
            {/* Part of its name ("Send a test message to …"), as what shows must be. */}
            {test.isPending ? "Sending…" : "Send a test"}
          </Button>
          <Button
            type="button"
            variant="outline"
            size="sm"
            aria-label={`Edit ${channel.name}`}
            aria-expanded={editing}
            onClick={() => {
              setSaved(null);
              setEditing(!editing);
            }}
          >
            Edit
          </Button>
          {channel.kind === "webhook" && (
            <ConfirmButton
              label="Rotate secret"
              ariaLabel={`Rotate the signing secret of ${channel.name}`}
              question={`Rotate the signing secret of ${channel.name}? The old one stops signing at once.`}
              confirmLabel="Rotate"
              pending={rotate.isPending}
              onConfirm={() => rotate.mutate(channel.id, { onSuccess: (answer) => setSecret(answer.signing_secret) })}
            />
          )}
          <ConfirmButton
            label="Delete"
            ariaLabel={`Delete ${channel.name}`}
            question={`Delete ${channel.name}? Monitors stop sending to it and its pending deliveries are cancelled.`}
            confirmLabel="Delete"
            pending={remove.isPending}
            onConfirm={() => remove.mutate(channel.id)}
          />
        </div>
      </div>
      {channel.disabled && (
        <Alert
          variant="destructive"
          role="group"
          aria-label={`Why ${channel.name} is disabled`}
          data-testid="channel-disabled"
        >
          <Ban aria-hidden="true" />
          <div className="flex min-w-0 flex-col gap-2">
            <p className="break-words">
              <strong>Disabled{channel.disabled_at ? ` ${formatDateTime(channel.disabled_at)}` : ""}:</strong>{" "}
              <span data-testid="channel-disabled-reason">
                {channel.disabled_reason ?? "a delivery failed for good."}
              </span>
            </p>
            <p className="text-xs">
              Nothing is sent to it until it is re-enabled. Fix the cause first
              {channel.kind === "file"
                ? "."
                : `; changing its ${channel.kind === "email" ? "addresses" : "URL"} re-enables it too.`}
            </p>
            <div>
              <Button
                type="button"
                variant="outline"
                size="sm"
                disabled={update.isPending}
                onClick={() =>
                  update.mutate(
                    { id: channel.id, body: { enabled: true } },
                    { onSuccess: () => setSaved(`Re-enabled ${channel.name}.`) },
                  )
                }
              >
                Re-enable
              </Button>
            </div>
          </div>
        </Alert>
      )}
      {channel.kind === "email" && channel.addresses.length > 0 && (
        <ul aria-label={`Addresses of ${channel.name}`} className="flex flex-col gap-1">
          {channel.addresses.map((address) => (
            <li
              key={address.address}
              className="flex flex-wrap items-center gap-2 text-sm"
              data-testid="channel-address"
            >
              <span className="break-all text-slate-800">{address.address}</span>
              <Badge variant={ADDRESS_STATUS[address.status].variant}>{ADDRESS_STATUS[address.status].label}</Badge>
            </li>
          ))}
        </ul>
      )}
      <TestOutcome result={test.data} />
      {test.isError && <ErrorMessage error={test.error} />}
      {secret && (
        <SecretShownOnce secret={{ channelName: channel.name, value: secret }} onDone={() => setSecret(null)} />
      )}
      {rotate.isError && <ErrorMessage error={rotate.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {!editing && update.isError && <ErrorMessage error={update.error} />}
      {saved && (
        <p role="status" className="text-sm text-emerald-800">
          {saved}
        </p>
      )}
      {editing && (
        <EditChannelForm
          org={org}
          channel={channel}
          onDone={(message) => {
            setEditing(false);
            setSaved(message);
          }}
        />
      )}
      <div>
        <Button
          type="button"
          variant="ghost"
          size="sm"
          aria-label={`${showLog ? "Hide the delivery log" : "Delivery log"} of ${channel.name}`}
          aria-expanded={showLog}
          aria-controls={logId}
          onClick={() => setShowLog(!showLog)}
        >
          <Clock aria-hidden="true" />
          {showLog ? "Hide the delivery log" : "Delivery log"}
        </Button>
      </div>
      <div id={logId} hidden={!showLog}>
        {showLog && <DeliveryLog org={org} channel={channel} />}
      </div>
    </li>
  );
}

function TestOutcome({ result }: { result: ChannelTestResult | undefined }) {
  if (!result) return null;
  const status = result.status !== null ? ` (status ${result.status})` : "";
  if (result.outcome === "delivered") {
    return (
      <p role="status" className="text-sm text-emerald-800" data-testid="channel-test-result">
        Test message delivered{status}.
      </p>
    );
  }
  const now = result.channel.disabled ? " The channel is now disabled." : "";
  const retry = result.outcome === "retry" ? " It may work on a retry." : "";
  return (
    <ErrorMessage
      message={`The test message did not go through${status}: ${result.error ?? "no reason given"}.${retry}${now}`}
    />
  );
}

function EditChannelForm({
  org,
  channel,
  onDone,
}: {
  org: Org;
  channel: Channel;
  onDone: (message: string | null) => void;
}) {
  const id = useId();
  const update = useUpdateChannel(org.slug);
  const kind = CHANNEL_KINDS.find((choice) => choice.value === channel.kind);
  const initialAddresses = channel.addresses.map((address) => address.address).join(", ");
  const [name, setName] = useState(channel.name);
  const [url, setUrl] = useState("");
  const [addresses, setAddresses] = useState(initialAddresses);
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const body: { name?: string; url?: string; addresses?: string[] } = {};
    if (name.trim() === "") return setProblem("Give the channel a name.");
    if (name.trim() !== channel.name) body.name = name.trim();
    if (channel.kind === "email") {
      const list = addressList(addresses);
      if (list.length === 0) return setProblem("Give at least one email address.");
      if (list.join() !== addressList(initialAddresses).join()) body.addresses = list;
    } else if (url.trim()) {
      body.url = url.trim();
    }
    setProblem(null);
    if (Object.keys(body).length === 0) return onDone(null);
    update.mutate({ id: channel.id, body }, { onSuccess: (saved) => onDone(`Saved ${saved.name}.`) });
  };

  return (
    <form onSubmit={submit} noValidate className="flex max-w-xl flex-col gap-4" aria-label={`Edit ${channel.name}`}>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-name`}>Name</Label>
        <Input
          id={`${id}-name`}
          value={name}
          aria-invalid={tooLong(name) ? true : undefined}
          aria-describedby={tooLong(name) ? `${id}-name-problem` : undefined}
          autoComplete="off"
          onChange={(event) => setName(event.target.value)}
        />
        <FieldError id={`${id}-name-problem`} message={tooLong(name)} />
      </div>
      {channel.kind === "file" ? null : channel.kind === "email" ? (
        <AddressesField id={`${id}-target`} value={addresses} onChange={setAddresses} />
      ) : (
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={`${id}-target`}>New {kind?.target ?? "URL"}</Label>
          <Input
            id={`${id}-target`}
            type="url"
            value={url}
            maxLength={2000}
            autoComplete="off"
            spellCheck={false}
            placeholder={kind?.placeholder}
            aria-describedby={`${id}-target-hint`}
            onChange={(event) => setUrl(event.target.value)}
          />
          <p id={`${id}-target-hint`} className={HINT}>
            Leave it empty to keep the current one ({channel.hint}). A new URL re-enables a disabled channel.
          </p>
        </div>
      )}
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

function AddressesField({ id, value, onChange }: { id: string; value: string; onChange: (value: string) => void }) {
  const email = CHANNEL_KINDS.find((choice) => choice.value === "email");
  return (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={id}>Email addresses</Label>
      <textarea
        id={id}
        value={value}
        rows={3}
        autoComplete="off"
        spellCheck={false}
        placeholder={email?.placeholder}
        aria-describedby={`${id}-hint`}
        className={cn(fieldClasses, "h-auto py-2")}
        onChange={(event) => onChange(event.target.value)}
      />
      <p id={`${id}-hint`} className={HINT}>
        {email?.hint}
      </p>
    </div>
  );
}

function CreateChannelForm({ org, onSecret }: { org: Org; onSecret: (channelName: string, secret: string) => void }) {
  const id = useId();
  const create = useCreateChannel(org.slug);
  const [kind, setKind] = useState<ChannelCreate["kind"]>("slack");
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [addresses, setAddresses] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const choice = CHANNEL_KINDS.find((candidate) => candidate.value === kind) ?? CHANNEL_KINDS[0];

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setCreated(null);
    const list = addressList(addresses);
    const found =
      name.trim() === ""
        ? "Give the channel a name, such as the chat channel or team it reaches."
        : kind === "email" && list.length === 0
          ? "Give at least one email address."
          : kind !== "email" && url.trim() === ""
            ? `Give the ${choice.target}.`
            : null;
    setProblem(found);
    if (found) return;
    const body =
      kind === "email" ? { kind, name: name.trim(), addresses: list } : { kind, name: name.trim(), url: url.trim() };
    create.mutate(body, {
      onSuccess: (channel) => {
        setCreated(`Added ${channel.name}.`);
        if (channel.signing_secret) onSecret(channel.name, channel.signing_secret);
        setName("");
        setUrl("");
        setAddresses("");
      },
    });
  };

  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Add a channel</CardTitle>
        <CardDescription>URLs and secrets are stored encrypted and shown only as a hint.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Add a channel">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-kind`}>Kind</Label>
            <Select
              id={`${id}-kind`}
              value={kind}
              onChange={(event) => {
                setKind(event.target.value as ChannelCreate["kind"]);
                setProblem(null);
              }}
            >
              {CHANNEL_KINDS.map((candidate) => (
                <option key={candidate.value} value={candidate.value}>
                  {candidate.label}
                </option>
              ))}
            </Select>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-name`}>Name</Label>
            <Input
              id={`${id}-name`}
              value={name}
              aria-invalid={tooLong(name) ? true : undefined}
              aria-describedby={tooLong(name) ? `${id}-name-problem` : undefined}
              autoComplete="off"
              placeholder={kind === "email" ? "Engineering leads" : "#eng-digest"}
              onChange={(event) => setName(event.target.value)}
            />
            <FieldError id={`${id}-name-problem`} message={tooLong(name)} />
          </div>
          {kind === "email" ? (
            <AddressesField id={`${id}-addresses`} value={addresses} onChange={setAddresses} />
          ) : (
            <div className="flex flex-col gap-1.5">
              <Label htmlFor={`${id}-url`}>{choice.target}</Label>
              <Input
                id={`${id}-url`}
                type="url"
                value={url}
                maxLength={2000}
                autoComplete="off"
                spellCheck={false}
                placeholder={choice.placeholder}
                aria-describedby={`${id}-url-hint`}
                onChange={(event) => setUrl(event.target.value)}
              />
              <p id={`${id}-url-hint`} className={HINT}>
                {choice.hint}
                {kind === "webhook" && " Its signing secret is shown once, right after adding it."}
              </p>
            </div>
          )}
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
              {create.isPending ? "Adding…" : "Add channel"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function DeliveryLog({ org, channel }: { org: Org; channel: Channel }) {
  const log = useInfiniteQuery({ ...deliveriesQuery(org.slug, channel.id), refetchOnMount: "always" });
  const attempts = log.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section aria-label={`Delivery log of ${channel.name}`} className="flex flex-col gap-3">
      {log.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading the delivery log…
        </p>
      )}
      {log.isError && !log.isFetchNextPageError && <ErrorMessage error={log.error} />}
      {log.isSuccess && attempts.length === 0 && (
        <p className="text-sm text-slate-600">Nothing sent to this channel yet.</p>
      )}
      {attempts.length > 0 && (
        <div className="overflow-x-auto rounded-lg border border-slate-200">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Delivery attempts to {channel.name}, newest first</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  When
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Outcome
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Status
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Error
                </th>
                <th scope="col" className="px-3 py-2 text-right font-medium">
                  Took
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {attempts.map((attempt) => {
                const outcome = attemptOutcome(attempt);
                return (
                  <tr key={attempt.id} data-testid="delivery-row" className="align-top">
                    <td className="whitespace-nowrap px-3 py-2 text-slate-600">
                      <time dateTime={attempt.created_at}>{formatDateTime(attempt.created_at)}</time>
                    </td>
                    <td className={cn("whitespace-nowrap px-3 py-2 font-medium", TONE_CLASSES[outcome.tone])}>
                      {outcome.text}
                    </td>
                    <td className="px-3 py-2 text-slate-700">{attempt.status ?? "—"}</td>
                    <td className="break-words px-3 py-2 text-slate-700">{attempt.error ?? "—"}</td>
                    <td className="whitespace-nowrap px-3 py-2 text-right text-slate-600">
                      {formatDuration(attempt.duration_ms)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {log.isFetchNextPageError && <ErrorMessage error={log.error} />}
      {log.hasNextPage && (
        <div>
          <Button
            variant="outline"
            size="sm"
            onClick={() => void log.fetchNextPage()}
            disabled={log.isFetchingNextPage}
          >
            {log.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </section>
  );
}
