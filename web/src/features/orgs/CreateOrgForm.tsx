import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { type FormEvent, useEffect, useId, useState } from "react";
import { useNavigate } from "react-router";

import { fieldProblem, formProblem } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { FieldError } from "@/components/FieldError";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { tooLong } from "@/lib/limits";

import { slugPreviewQuery, useCreateOrg } from "./queries";
import { slugProblem } from "./slug";

/** How long the form waits after the last key before asking the server which slug the name gets. */
export const SLUG_PREVIEW_DEBOUNCE_MS = 300;

function useSettled(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

const SHOWN_BESIDE_FIELDS = ["name", "slug"] as const;

export function CreateOrgForm() {
  const id = useId();
  const navigate = useNavigate();
  const create = useCreateOrg();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const nameTooLong = tooLong(name);
  const settledName = useSettled(name.trim(), SLUG_PREVIEW_DEBOUNCE_MS);
  const preview = useQuery({
    ...slugPreviewQuery(settledName),
    enabled: slug.trim() === "" && !nameTooLong && settledName !== "",
  });
  const nameProblem = nameTooLong ?? fieldProblem(create.error, "name");
  const slugFieldProblem = fieldProblem(create.error, "slug");
  // What the server refused that is not beside a field already (a taken slug is a 409).
  const formLevelProblem = create.isError ? formProblem(create.error, SHOWN_BESIDE_FIELDS) : null;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmedSlug = slug.trim();
    const localProblem = name.trim() === "" ? "Give the org a name." : (nameTooLong ?? slugProblem(trimmedSlug));
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
              autoComplete="organization"
              aria-invalid={nameProblem ? true : undefined}
              aria-describedby={nameProblem ? `${id}-name-problem` : undefined}
              onChange={(event) => setName(event.target.value)}
            />
            <FieldError id={`${id}-name-problem`} message={nameProblem} />
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
              aria-invalid={slugFieldProblem ? true : undefined}
              aria-describedby={`${id}-slug-hint${slugFieldProblem ? ` ${id}-slug-problem` : ""}`}
              onChange={(event) => setSlug(event.target.value)}
            />
            <FieldError id={`${id}-slug-problem`} message={slugFieldProblem} />
            <p id={`${id}-slug-hint`} className="text-xs break-words text-slate-600" aria-live="polite">
              Lowercase letters, digits and dashes; made from the name if left empty
              {slug.trim() === "" && preview.data && settledName === name.trim() ? (
                <>
                  : it will be <strong data-testid="slug-preview">{preview.data.slug}</strong>.
                </>
              ) : (
                "."
              )}
            </p>
          </div>
          {problem && problem !== nameTooLong && <ErrorMessage message={problem} />}
          {!problem && formLevelProblem && <ErrorMessage message={formLevelProblem} />}
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
