import { Plus } from "lucide-react";
import { type FormEvent, useId, useState } from "react";
import { useNavigate } from "react-router";

import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

import { useCreateOrg } from "./queries";
import { slugProblem } from "./slug";

export function CreateOrgForm() {
  const id = useId();
  const navigate = useNavigate();
  const create = useCreateOrg();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmedSlug = slug.trim();
    const localProblem = name.trim() === "" ? "Give the org a name." : slugProblem(trimmedSlug);
    setProblem(localProblem);
    if (localProblem) return;
    create.mutate(
      { name: name.trim(), ...(trimmedSlug ? { slug: trimmedSlug } : {}) },
      { onSuccess: (org) => void navigate(`/orgs/${encodeURIComponent(org.slug)}`) },
    );
  };

  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Create an org</CardTitle>
        <CardDescription>An org holds your team's monitors and digests. You become its owner.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Create an org">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-name`}>Name</Label>
            <Input
              id={`${id}-name`}
              name="name"
              value={name}
              maxLength={100}
              autoComplete="organization"
              onChange={(event) => setName(event.target.value)}
            />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-slug`}>
              Slug <span className="font-normal text-slate-500">(optional)</span>
            </Label>
            <Input
              id={`${id}-slug`}
              name="slug"
              value={slug}
              maxLength={48}
              spellCheck={false}
              autoCapitalize="none"
              aria-describedby={`${id}-slug-hint`}
              onChange={(event) => setSlug(event.target.value)}
            />
            <p id={`${id}-slug-hint`} className="text-xs text-slate-600">
              Lowercase letters, digits and dashes; made from the name if left empty.
            </p>
          </div>
          {problem && <ErrorMessage message={problem} />}
          {!problem && create.isError && <ErrorMessage error={create.error} />}
          <div>
            <Button type="submit" variant="primary" disabled={create.isPending}>
              <Plus aria-hidden="true" />
              {create.isPending ? "Creating…" : "Create org"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
