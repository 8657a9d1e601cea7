import type { ApiKey, AuditEvent, DigestDetail, DigestSummary, Invite, Me, Member, Monitor, Org } from "@/api/client";

import { json } from "./render";

export const ME: Me = {
  id: "00000000-0000-4000-8000-000000000001",
  login: "mona",
  name: "Mona Lisa",
  email: "mona@example.com",
  avatar_url: "https://avatars.example.test/u/1",
  is_admin: false,
  created_at: "2025-01-02T03:04:05Z",
};

export const signedIn = () => json(ME);

export function anOrg(overrides: Partial<Org> = {}): Org {
  return {
    id: "00000000-0000-4000-8000-0000000000a1",
    name: "Acme",
    slug: "acme",
    role: "owner",
    created_at: "2025-01-02T03:04:05Z",
    deleted_at: null,
    ...overrides,
  };
}

export function aMember(overrides: Partial<Member> = {}): Member {
  return {
    user_id: ME.id,
    login: ME.login,
    name: ME.name,
    email: ME.email,
    avatar_url: null,
    role: "owner",
    joined_at: "2025-01-02T03:04:05Z",
    ...overrides,
  };
}

export function anInvite(overrides: Partial<Invite> = {}): Invite {
  return {
    id: "00000000-0000-4000-8000-0000000000c1",
    role: "member",
    email: null,
    invited_by: ME.login,
    status: "pending",
    created_at: "2025-01-02T03:04:05Z",
    expires_at: "2025-01-09T03:04:05Z",
    ...overrides,
  };
}

export function anApiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: "00000000-0000-4000-8000-0000000000d1",
    name: "CI",
    role: "viewer",
    hint: "isk_AbCd",
    created_by: ME.login,
    created_at: "2025-01-02T03:04:05Z",
    last_used_at: null,
    ...overrides,
  };
}

export function anAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: "00000000-0000-4000-8000-0000000000e1",
    action: "org.create",
    actor: { type: "user", id: ME.id, label: ME.login },
    target: { type: "org", id: "00000000-0000-4000-8000-0000000000a1", label: "Acme" },
    details: { name: "Acme" },
    ip: "127.0.0.1",
    user_agent: "Mozilla/5.0",
    created_at: "2025-01-02T03:04:05Z",
    ...overrides,
  };
}

export function aMonitor(overrides: Partial<Monitor> = {}): Monitor {
  return {
    id: "00000000-0000-4000-8000-0000000000f1",
    name: "widgets",
    source: "acme/widgets",
    source_kind: "github",
    credential: { user_id: ME.id, login: ME.login, token_hint: "gho_AbCd", private_access: true, usable: true },
    sections: [],
    extra_bots: [],
    include_bots: false,
    skip_empty: false,
    writer: "auto",
    stale_days: 3,
    paused: false,
    last_run_at: null,
    last_run_status: null,
    last_run_error: null,
    created_at: "2025-01-02T03:04:05Z",
    ...overrides,
  };
}

export function aDigestSummary(overrides: Partial<DigestSummary> = {}): DigestSummary {
  return {
    id: "00000000-0000-4000-8000-0000000000b1",
    monitor_id: "00000000-0000-4000-8000-0000000000f1",
    monitor_name: null,
    period: { since: "2025-01-06T00:00:00Z", until: "2025-01-13T00:00:00Z" },
    writer: "builtin",
    trigger: "manual",
    triggered_by: ME.login,
    created_at: "2025-01-13T00:05:00Z",
    ...overrides,
  };
}

export function aDigest(overrides: Partial<DigestDetail> = {}): DigestDetail {
  return {
    ...aDigestSummary(),
    repository: { name: "widgets" },
    writer_note: null,
    text: "# widgets\n",
    metrics: {},
    items: {},
    rendered: { html: "<h1>widgets</h1>", slack: [], discord: [] },
    ...overrides,
  };
}
