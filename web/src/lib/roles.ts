import type { Role } from "@/api/client";

/** SPEC §5, strongest first. */
export const ROLES: readonly Role[] = ["owner", "admin", "member", "viewer"];

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

export const ROLE_LABELS: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  member: "Member",
  viewer: "Viewer",
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: "Everything, including billing, deleting the org and changing owners",
  admin: "Members, invites, channels, API keys, digest feeds and the audit log",
  member: "Create and edit monitors, run digests",
  viewer: "Read monitors, digests and analytics",
};

export function atLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

/** The roles someone with `role` may hand out: never one above their own. */
export function grantableRoles(role: Role | undefined): Role[] {
  return ROLES.filter((candidate) => role !== undefined && RANK[candidate] <= RANK[role]);
}
