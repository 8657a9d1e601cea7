import type { Schedule, ScheduleKind } from "@/api/client";

export const SCHEDULE_KINDS: readonly { value: ScheduleKind; label: string }[] = [
  { value: "manual", label: "Manual only (Run now)" },
  { value: "daily", label: "Daily" },
  { value: "weekly", label: "Weekly" },
  { value: "cron", label: "Cron expression" },
];

/** 0 = Monday, as the server counts. */
export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];

/**
 * The schedule part of the monitor form. Every kind's fields are kept while another kind is
 * picked, so switching back and forth loses nothing; only the chosen kind's are sent.
 */
export interface ScheduleDraft {
  kind: ScheduleKind;
  timezone: string;
  /** "HH:MM", daily and weekly. */
  at: string;
  /** "0" (Monday) … "6" (Sunday), weekly. */
  weekday: string;
  cron: string;
  /** Daily: the weekdays it runs on; all seven means every day. */
  workingDays: number[];
}

/** The browser's IANA zone, which a new schedule starts in; UTC when the browser cannot say. */
export function browserTimeZone(): string {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return zone && zone !== "Etc/Unknown" ? zone : "UTC";
  } catch {
    return "UTC";
  }
}

/** The zones to choose from: those the browser knows, plus UTC (which some leave out). */
export function timeZones(): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    // An old browser: the field still takes any zone typed, and the server checks it.
  }
  return [...new Set(["UTC", ...zones, browserTimeZone()])].sort((a, b) =>
    a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b),
  );
}

export function newSchedule(): ScheduleDraft {
  return {
    kind: "manual",
    timezone: browserTimeZone(),
    at: "09:00",
    weekday: "0",
    cron: "0 9 * * 1-5",
    workingDays: EVERY_DAY,
  };
}

export function scheduleDraftOf(schedule: Schedule): ScheduleDraft {
  const fresh = newSchedule();
  return {
    kind: schedule.kind,
    timezone: schedule.timezone,
    at: schedule.at ?? fresh.at,
    weekday: schedule.weekday !== null && schedule.weekday !== undefined ? String(schedule.weekday) : fresh.weekday,
    cron: schedule.cron ?? fresh.cron,
    workingDays: schedule.working_days?.length ? [...schedule.working_days].sort() : EVERY_DAY,
  };
}

/** What the server is sent: only the fields of the chosen kind (it refuses the others). */
export function scheduleBody(draft: ScheduleDraft): Schedule {
  const timezone = draft.timezone.trim();
  switch (draft.kind) {
    case "manual":
      return { kind: "manual", timezone };
    case "daily":
      return {
        kind: "daily",
        timezone,
        at: draft.at,
        working_days: draft.workingDays.length === 7 ? null : [...draft.workingDays].sort(),
      };
    case "weekly":
      return { kind: "weekly", timezone, at: draft.at, weekday: Number(draft.weekday) };
    case "cron":
      return { kind: "cron", timezone, cron: draft.cron.trim() };
  }
}

/** The same schedule as the schedule-preview endpoint's query. */
export function previewQuery(draft: ScheduleDraft): Record<string, string> {
  const body = scheduleBody(draft);
  const query: Record<string, string> = { kind: body.kind, timezone: body.timezone };
  if (body.at) query.at = body.at;
  if (body.weekday !== null && body.weekday !== undefined) query.weekday = String(body.weekday);
  if (body.cron) query.cron = body.cron;
  if (body.working_days) query.working_days = body.working_days.join(",");
  return query;
}

/** Whether two drafts give the server the same schedule. */
export function sameSchedule(a: ScheduleDraft, b: ScheduleDraft): boolean {
  return JSON.stringify(scheduleBody(a)) === JSON.stringify(scheduleBody(b));
}

/** What the form can say is wrong before asking the server, or null. */
export function scheduleProblem(draft: ScheduleDraft): string | null {
  if (draft.kind === "manual") return null;
  if (draft.timezone.trim() === "") return "Schedule: choose a time zone.";
  if ((draft.kind === "daily" || draft.kind === "weekly") && !/^\d{2}:\d{2}$/.test(draft.at)) {
    return "Schedule: give the time of day, such as 09:00.";
  }
  if (draft.kind === "daily" && draft.workingDays.length === 0) return "Schedule: pick at least one day to run on.";
  if (draft.kind === "cron" && draft.cron.trim() === "")
    return "Schedule: give a cron expression, such as 0 9 * * 1-5.";
  return null;
}

/** "Mon, Jan 13, 2025, 09:00" in `zone`; the ISO text if the zone is one the browser does not know. */
export function formatInZone(iso: string, zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, {
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: zone,
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}
