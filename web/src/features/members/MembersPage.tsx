import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import type { Member, Org } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Badge } from "@/components/ui/badge";
import { Select } from "@/components/ui/input";
import { useMe } from "@/features/auth/queries";
import { UserAvatar } from "@/features/auth/UserAvatar";
import { useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDate } from "@/lib/format";
import { atLeast, ROLE_LABELS, ROLES } from "@/lib/roles";

import { membersQuery, useChangeRole, useRemoveMember } from "./queries";
import { ConfirmRoleChange, type ProposedRole, roleChanged } from "./RoleChange";

export function MembersPage() {
  const org = useCurrentOrg();
  const me = useMe();
  const members = useQuery(membersQuery(org.slug));
  const changeRole = useChangeRole(org.slug);
  const remove = useRemoveMember(org.slug);
  const canManage = atLeast(org.role, "admin");
  // Starting one action clears the other's failure, so at most one sentence shows.
  const failure = changeRole.error ?? remove.error;
  // A role change waits for a yes: it applies at once, and an owner cannot be demoted by an admin.
  const [proposal, setProposal] = useState<ProposedRole | null>(null);
  const [changed, setChanged] = useState<string | null>(null);
  const proposalIsMe = proposal?.member.user_id === me.data?.id;
  const confirmRole = () => {
    if (!proposal) return;
    changeRole.mutate(
      { userId: proposal.member.user_id, role: proposal.role },
      {
        onSuccess: () => setChanged(roleChanged(proposal, proposalIsMe)),
        onSettled: () => setProposal(null),
      },
    );
  };

  return (
    <section aria-labelledby="members-title" className="flex flex-col gap-4">
      <div className="flex flex-col gap-1">
        <h2 id="members-title" className="text-xl font-semibold text-slate-900">
          Members
        </h2>
        <p className="text-sm text-slate-600">
          {canManage
            ? "Change roles or remove people. Only owners can change owners, and an org always keeps one owner."
            : "Everyone in this org and their role."}
        </p>
      </div>
      {failure && <ErrorMessage error={failure} />}
      {proposal && (
        <ConfirmRoleChange
          proposal={proposal}
          org={org}
          isMe={proposalIsMe}
          pending={changeRole.isPending}
          onConfirm={confirmRole}
          onCancel={() => setProposal(null)}
        />
      )}
      <p role="status" className="text-sm text-emerald-700 empty:hidden">
        {changed}
      </p>
      {members.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading members…
        </p>
      )}
      {members.isError && <ErrorMessage error={members.error} />}
      {members.data && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="table-stack w-full text-left text-sm">
            <caption className="sr-only">Members of {org.name}</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  Member
                </th>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  Role
                </th>
                <th scope="col" className="hidden px-4 py-2.5 font-medium sm:table-cell">
                  Joined
                </th>
                {canManage && (
                  <th scope="col" className="px-4 py-2.5 text-right font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {members.data.map((member) => (
                <MemberRow
                  key={member.user_id}
                  org={org}
                  member={member}
                  isMe={member.user_id === me.data?.id}
                  canManage={canManage}
                  changing={changeRole.isPending && changeRole.variables.userId === member.user_id}
                  removing={remove.isPending && remove.variables.userId === member.user_id}
                  onRole={(role) => {
                    remove.reset();
                    changeRole.reset();
                    setChanged(null);
                    setProposal(role === member.role ? null : { member, role });
                  }}
                  onRemove={() => {
                    changeRole.reset();
                    remove.mutate({ userId: member.user_id, login: member.login });
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

interface MemberRowProps {
  org: Org;
  member: Member;
  isMe: boolean;
  canManage: boolean;
  changing: boolean;
  removing: boolean;
  onRole: (role: Member["role"]) => void;
  onRemove: () => void;
}

function MemberRow({ org, member, isMe, canManage, changing, removing, onRole, onRemove }: MemberRowProps) {
  // Only owners touch owners (the server says so too).
  const mayTouch = canManage && (member.role !== "owner" || org.role === "owner");
  const selectId = `role-${member.user_id}`;
  return (
    <tr data-testid="member-row">
      <td className="px-4 py-3">
        <div className="flex items-center gap-3">
          <UserAvatar login={member.login} avatarUrl={member.avatar_url} className="size-8" />
          <div className="flex min-w-0 flex-col">
            <span className="truncate font-medium text-slate-900">
              {member.login}
              {isMe && <span className="ml-1.5 font-normal text-slate-500">(you)</span>}
            </span>
            {(member.name || member.email) && (
              <span className="truncate text-xs text-slate-600">
                {[member.name, member.email].filter(Boolean).join(" · ")}
              </span>
            )}
          </div>
        </div>
      </td>
      <td className="px-4 py-3" data-label="Role">
        {mayTouch ? (
          <>
            <label htmlFor={selectId} className="sr-only">
              Role of {member.login}
            </label>
            <Select
              id={selectId}
              value={member.role}
              disabled={changing}
              className="w-32"
              onChange={(event) => onRole(event.target.value as Member["role"])}
            >
              {ROLES.map((role) => (
                <option key={role} value={role} disabled={!atLeast(org.role, role)}>
                  {ROLE_LABELS[role]}
                </option>
              ))}
            </Select>
          </>
        ) : (
          <Badge variant={member.role === "owner" ? "default" : "secondary"} data-testid="member-role">
            {ROLE_LABELS[member.role]}
          </Badge>
        )}
      </td>
      <td className="hidden px-4 py-3 text-slate-600 sm:table-cell">{formatDate(member.joined_at)}</td>
      {canManage && (
        <td className="px-4 py-3 text-right">
          {mayTouch && !isMe && (
            <ConfirmButton
              label="Remove"
              ariaLabel={`Remove ${member.login}`}
              question={`Remove ${member.login} from ${org.name}?`}
              confirmLabel="Remove"
              pending={removing}
              onConfirm={onRemove}
            />
          )}
        </td>
      )}
    </tr>
  );
}
