import { useEffect, useRef } from "react";

import type { Member, Org, Role } from "@/api/client";
import { Button } from "@/components/ui/button";
import { atLeast, ROLE_DESCRIPTIONS, ROLE_LABELS } from "@/lib/roles";

/** A role change someone picked and has not confirmed yet. */
export interface ProposedRole {
  member: Member;
  role: Role;
}

function withArticle(role: Role): string {
  return `${role === "owner" || role === "admin" ? "an" : "a"} ${ROLE_LABELS[role].toLowerCase()}`;
}

/** The question to ask before `proposal` happens: who becomes what, what that allows, and what cannot be undone by them. */
export function roleQuestion({ member, role }: ProposedRole, org: Org, isMe: boolean): string {
  const who = isMe ? "yourself" : member.login;
  const question = `Make ${who} ${withArticle(role)} of ${org.name}?`;
  const allows = `${ROLE_LABELS[role]}s: ${ROLE_DESCRIPTIONS[role].toLowerCase()}.`;
  if (role === "owner") {
    return `${question} ${allows} An owner can change or remove other owners, you included.`;
  }
  if (isMe && !atLeast(role, member.role)) {
    return `${question} ${allows} You cannot give yourself the ${ROLE_LABELS[member.role].toLowerCase()} role back; someone else will have to.`;
  }
  return `${question} ${allows}`;
}

/** The sentence once the server has made the change. */
export function roleChanged({ member, role }: ProposedRole, isMe: boolean): string {
  return `${isMe ? "You are" : `${member.login} is`} now ${withArticle(role)}.`;
}

/** Asks before a role change happens (it is at once and, for owners, hard to take back). */
export function ConfirmRoleChange({
  proposal,
  org,
  isMe,
  pending,
  onConfirm,
  onCancel,
}: {
  proposal: ProposedRole;
  org: Org;
  isMe: boolean;
  pending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div
      role="alertdialog"
      aria-labelledby="role-change-question"
      className="flex flex-col gap-3 rounded-xl border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950"
    >
      <p id="role-change-question" className="break-words">
        {roleQuestion(proposal, org, isMe)}
      </p>
      <div className="flex flex-wrap gap-2">
        <Button type="button" variant="primary" size="sm" disabled={pending} onClick={onConfirm}>
          {pending ? "Changing…" : `Make ${withArticle(proposal.role)}`}
        </Button>
        <Button ref={cancel} type="button" variant="outline" size="sm" disabled={pending} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
