import { Save } from "lucide-react";
import { type FormEvent, useId, useState } from "react";
import { useNavigate } from "react-router";

import type { Org } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { FieldError } from "@/components/FieldError";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { tooLong } from "@/lib/limits";
import { atLeast } from "@/lib/roles";

import { useCurrentOrg } from "./OrgLayout";
import { useDeleteOrg, useLeaveOrg, useUpdateOrg } from "./queries";
import { slugProblem } from "./slug";

export function OrgSettingsPage() {
  const org = useCurrentOrg();
  return (
    <div className="flex max-w-2xl flex-col gap-6">
      <h2 className="sr-only">Settings</h2>
      {atLeast(org.role, "admin") && <RenameForm org={org} />}
      <LeaveOrg org={org} />
      {org.role === "owner" && <DeleteOrg org={org} />}
    </div>
  );
}

function RenameForm({ org }: { org: Org }) {
  const id = useId();
  const navigate = useNavigate();
  const update = useUpdateOrg(org.slug);
  const [name, setName] = useState(org.name);
  const [slug, setSlug] = useState(org.slug);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSaved(false);
    if (tooLong(name)) return; // said under the field already
    const newName = name.trim();
    const newSlug = slug.trim();
    const local =
      newName === "" ? "Give the org a name." : newSlug === "" ? "The slug cannot be empty." : slugProblem(newSlug);
    setProblem(local);
    if (local) return;
    const changes = {
      ...(newName !== org.name ? { name: newName } : {}),
      ...(newSlug !== org.slug ? { slug: newSlug } : {}),
    };
    if (Object.keys(changes).length === 0) {
      setSaved(true);
      return;
    }
    update.mutate(changes, {
      onSuccess: (updated) => {
        setSaved(true);
        if (updated.slug !== org.slug) {
          void navigate(`/orgs/${encodeURIComponent(updated.slug)}/settings`, { replace: true });
        }
      },
    });
  };

  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Name and slug</CardTitle>
        <CardDescription>Changing the slug changes the org's links; old links stop working.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Name and slug">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-name`}>Name</Label>
            <Input
              id={`${id}-name`}
              value={name}
              aria-invalid={tooLong(name) ? true : undefined}
              aria-describedby={tooLong(name) ? `${id}-name-problem` : undefined}
              onChange={(e) => setName(e.target.value)}
            />
            <FieldError id={`${id}-name-problem`} message={tooLong(name)} />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-slug`}>Slug</Label>
            <Input
              id={`${id}-slug`}
              value={slug}
              maxLength={48}
              spellCheck={false}
              autoCapitalize="none"
              aria-describedby={`${id}-slug-hint`}
              onChange={(e) => setSlug(e.target.value)}
            />
            <p id={`${id}-slug-hint`} className="text-xs text-slate-600">
              Lowercase letters, digits and dashes.
            </p>
          </div>
          {problem && <ErrorMessage message={problem} />}
          {!problem && update.isError && <ErrorMessage error={update.error} />}
          <div className="flex items-center gap-3">
            <Button type="submit" variant="primary" disabled={update.isPending}>
              <Save aria-hidden="true" />
              {update.isPending ? "Saving…" : "Save"}
            </Button>
            <span role="status" className="text-sm text-emerald-700">
              {saved && !update.isPending ? "Saved." : ""}
            </span>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function LeaveOrg({ org }: { org: Org }) {
  const navigate = useNavigate();
  const leave = useLeaveOrg(org.slug);
  return (
    <Card role="region" aria-label="Leave the org">
      <CardHeader>
        <CardTitle>Leave {org.name}</CardTitle>
        <CardDescription>You lose access at once; an admin can invite you back.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col items-start gap-3">
        {leave.isError && <ErrorMessage error={leave.error} />}
        <ConfirmButton
          label="Leave org"
          question={`Leave ${org.name}?`}
          confirmLabel="Leave"
          pending={leave.isPending}
          onConfirm={() => leave.mutate(undefined, { onSuccess: () => void navigate("/") })}
        />
      </CardContent>
    </Card>
  );
}

function DeleteOrg({ org }: { org: Org }) {
  const id = useId();
  const navigate = useNavigate();
  const remove = useDeleteOrg(org.slug);
  const [typed, setTyped] = useState("");
  // The org's name, as shown at the top of every one of its pages: hard to type by accident.
  const confirmed = typed.trim() === org.name;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!confirmed) return;
    remove.mutate(undefined, { onSuccess: () => void navigate("/") });
  };

  return (
    <Card role="region" aria-labelledby={`${id}-title`} className="border-red-200">
      <CardHeader>
        <CardTitle id={`${id}-title`} className="text-red-800">
          Delete {org.name}
        </CardTitle>
        <CardDescription>
          Everyone loses access at once: its members, API keys and pending invites stop working, its queued runs and
          pending deliveries are cancelled and no monitor runs. Its owners can restore it, whole, from their orgs page
          for the server's retention period; after that it is deleted for good.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="flex flex-col gap-4" aria-label={`Delete ${org.name}`}>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-confirm`}>
              Type the org's name <span className="font-mono">{org.name}</span> to confirm
            </Label>
            <Input
              id={`${id}-confirm`}
              value={typed}
              autoComplete="off"
              spellCheck={false}
              className="max-w-xs"
              onChange={(e) => setTyped(e.target.value)}
            />
          </div>
          {remove.isError && <ErrorMessage error={remove.error} />}
          <div>
            <Button type="submit" variant="destructive" disabled={!confirmed || remove.isPending}>
              {remove.isPending ? "Deleting…" : "Delete org"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
