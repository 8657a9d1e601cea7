import { useQuery } from "@tanstack/react-query";
import { KeyRound } from "lucide-react";
import { type FormEvent, useId, useState } from "react";

import type { ApiKeyCreated, Org, Role } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { FieldError } from "@/components/FieldError";
import { ShownOnce } from "@/components/ShownOnce";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, Select } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NeedsRole, useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDate, formatDateTime } from "@/lib/format";
import { tooLong } from "@/lib/limits";
import { grantableRoles, ROLE_DESCRIPTIONS, ROLE_LABELS } from "@/lib/roles";

import { apiKeysQuery, useCreateApiKey, useRevokeApiKey } from "./queries";

export function ApiKeysPage() {
  const org = useCurrentOrg();
  return (
    <NeedsRole org={org} needs="admin">
      <ApiKeys org={org} />
    </NeedsRole>
  );
}

function ApiKeys({ org }: { org: Org }) {
  const keys = useQuery(apiKeysQuery(org.slug));
  const revoke = useRevokeApiKey(org.slug);
  // The key exists only in the create answer (the server stores a hash): held in this
  // page's state, never in the query cache, so it is gone once the user leaves.
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem] lg:items-start">
      <section aria-labelledby="api-keys-title" className="flex flex-col gap-4">
        <div className="flex flex-col gap-1">
          <h2 id="api-keys-title" className="text-xl font-semibold text-slate-900">
            API keys
          </h2>
          <p className="text-sm text-slate-600">
            Programs use these to call the Infrasync API for {org.name}, sent as{" "}
            <code className="rounded bg-slate-100 px-1 py-0.5 text-xs">Authorization: Bearer isk_…</code>.
          </p>
        </div>
        {created && <CreatedKey apiKey={created} onDone={() => setCreated(null)} />}
        {revoke.isError && <ErrorMessage error={revoke.error} />}
        {keys.isPending && (
          <p role="status" className="text-sm text-slate-600">
            Loading API keys…
          </p>
        )}
        {keys.isError && <ErrorMessage error={keys.error} />}
        {keys.data && keys.data.length === 0 && (
          <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
            No API keys yet.
          </p>
        )}
        {keys.data && keys.data.length > 0 && (
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table className="table-stack w-full text-left text-sm">
              <caption className="sr-only">API keys of {org.name}</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" className="px-4 py-2.5 font-medium">
                    Name
                  </th>
                  <th scope="col" className="px-4 py-2.5 font-medium">
                    Key
                  </th>
                  <th scope="col" className="px-4 py-2.5 font-medium">
                    Role
                  </th>
                  <th scope="col" className="hidden px-4 py-2.5 font-medium md:table-cell">
                    Last used
                  </th>
                  <th scope="col" className="px-4 py-2.5 text-right font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {keys.data.map((key) => (
                  <tr key={key.id} data-testid="api-key-row">
                    <td className="px-4 py-3">
                      <div className="flex flex-col">
                        <span className="font-medium text-slate-900">{key.name}</span>
                        <span className="text-xs text-slate-600">
                          {key.created_by ? `by ${key.created_by}, ` : ""}
                          {formatDate(key.created_at)}
                        </span>
                      </div>
                    </td>
                    <td className="px-4 py-3" data-label="Key">
                      <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs" data-testid="api-key-hint">
                        {key.hint}…
                      </code>
                    </td>
                    <td className="px-4 py-3" data-label="Role">
                      {ROLE_LABELS[key.role]}
                    </td>
                    <td className="hidden px-4 py-3 text-slate-600 md:table-cell">
                      {key.last_used_at ? formatDateTime(key.last_used_at) : "Never"}
                    </td>
                    <td className="px-4 py-3 text-right">
                      <ConfirmButton
                        label="Revoke"
                        ariaLabel={`Revoke ${key.name}`}
                        question={`Revoke ${key.name}? Programs using it stop working.`}
                        confirmLabel="Revoke"
                        pending={revoke.isPending && revoke.variables === key.id}
                        onConfirm={() => revoke.mutate(key.id)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CreateKeyForm org={org} onCreated={setCreated} />
    </div>
  );
}

function CreatedKey({ apiKey, onDone }: { apiKey: ApiKeyCreated; onDone: () => void }) {
  return (
    <ShownOnce regionLabel="New API key" copyLabel="API key" value={apiKey.key} onDone={onDone}>
      <strong>Copy the key for “{apiKey.name}” now: it will not be shown again.</strong> Infrasync keeps only its hash;
      you will see just its start, <code className="text-xs">{apiKey.hint}…</code>, from now on.
    </ShownOnce>
  );
}

function CreateKeyForm({ org, onCreated }: { org: Org; onCreated: (key: ApiKeyCreated) => void }) {
  const id = useId();
  const create = useCreateApiKey(org.slug);
  const roles = grantableRoles(org.role);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const local = name.trim() === "" ? "Give the key a name, such as the program that will use it." : null;
    setProblem(local);
    if (local) return;
    create.mutate(
      { name: name.trim(), role },
      {
        onSuccess: (key) => {
          onCreated(key);
          setName("");
        },
      },
    );
  };

  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Create an API key</CardTitle>
        <CardDescription>Give it the weakest role that does the job.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Create an API key">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-name`}>Name</Label>
            <Input
              id={`${id}-name`}
              value={name}
              aria-invalid={tooLong(name) ? true : undefined}
              aria-describedby={tooLong(name) ? `${id}-name-problem` : undefined}
              autoComplete="off"
              placeholder="e.g. CI pipeline"
              onChange={(event) => setName(event.target.value)}
            />
            <FieldError id={`${id}-name-problem`} message={tooLong(name)} />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-role`}>Role</Label>
            <Select
              id={`${id}-role`}
              value={role}
              aria-describedby={`${id}-role-hint`}
              onChange={(event) => setRole(event.target.value as Role)}
            >
              {roles.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </Select>
            <p id={`${id}-role-hint`} className="text-xs text-slate-600">
              {ROLE_DESCRIPTIONS[role]}.
            </p>
          </div>
          {problem && <ErrorMessage message={problem} />}
          {!problem && create.isError && <ErrorMessage error={create.error} />}
          <div>
            <Button type="submit" variant="primary" disabled={create.isPending}>
              <KeyRound aria-hidden="true" />
              {create.isPending ? "Creating…" : "Create API key"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
