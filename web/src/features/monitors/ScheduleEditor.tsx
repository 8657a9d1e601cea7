import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useState } from "react";

import type { Org, ScheduleKind } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

import { schedulePreviewQuery } from "./queries";
import {
  browserTimeZone,
  formatInZone,
  previewQuery,
  SCHEDULE_KINDS,
  type ScheduleDraft,
  scheduleProblem,
  timeZones,
  WEEKDAYS,
} from "./schedule";

const HINT = "text-xs text-slate-600";
/** How long the form waits after the last change before asking the server for a preview. */
export const PREVIEW_DEBOUNCE_MS = 300;

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** When a monitor makes digests: the kind, its fields, the zone, and the server's preview of the next runs. */
export function ScheduleEditor({
  org,
  value,
  onChange,
}: {
  org: Org;
  value: ScheduleDraft;
  onChange: (value: ScheduleDraft) => void;
}) {
  const id = useId();
  const set = <K extends keyof ScheduleDraft>(key: K, next: ScheduleDraft[K]) => onChange({ ...value, [key]: next });
  const zones = useMemo(timeZones, []);

  return (
    <fieldset className="flex flex-col gap-3" aria-describedby={`${id}-hint`}>
      <legend className="mb-1.5 text-sm font-medium text-slate-800">Schedule</legend>
      <p id={`${id}-hint`} className={HINT}>
        Each scheduled digest covers the time since the one before, in the monitor's time zone.
      </p>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-kind`}>Frequency</Label>
        <Select
          id={`${id}-kind`}
          value={value.kind}
          onChange={(event) => set("kind", event.target.value as ScheduleKind)}
        >
          {SCHEDULE_KINDS.map((kind) => (
            <option key={kind.value} value={kind.value}>
              {kind.label}
            </option>
          ))}
        </Select>
      </div>
      {value.kind === "weekly" && (
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={`${id}-weekday`}>Day of the week</Label>
          <Select id={`${id}-weekday`} value={value.weekday} onChange={(event) => set("weekday", event.target.value)}>
            {WEEKDAYS.map((day, index) => (
              <option key={day} value={String(index)}>
                {day}
              </option>
            ))}
          </Select>
        </div>
      )}
      {(value.kind === "daily" || value.kind === "weekly") && (
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={`${id}-at`}>Time of day</Label>
          <Input
            id={`${id}-at`}
            type="time"
            step={60}
            value={value.at}
            className="w-32"
            onChange={(event) => set("at", event.target.value)}
          />
        </div>
      )}
      {value.kind === "daily" && (
        <WorkingDays value={value.workingDays} onChange={(days) => set("workingDays", days)} />
      )}
      {value.kind === "cron" && (
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={`${id}-cron`}>Cron expression</Label>
          <Input
            id={`${id}-cron`}
            value={value.cron}
            maxLength={100}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            placeholder="0 9 * * 1-5"
            aria-describedby={`${id}-cron-hint`}
            onChange={(event) => set("cron", event.target.value)}
          />
          <p id={`${id}-cron-hint`} className={HINT}>
            Five fields: minute, hour, day of the month, month, day of the week; in the time zone below. At most every
            15 minutes.
          </p>
        </div>
      )}
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${id}-zone`}>Time zone</Label>
        <Input
          id={`${id}-zone`}
          list={`${id}-zones`}
          value={value.timezone}
          maxLength={64}
          autoComplete="off"
          spellCheck={false}
          placeholder="Type to search, e.g. Berlin"
          aria-describedby={`${id}-zone-hint`}
          onChange={(event) => set("timezone", event.target.value)}
        />
        <datalist id={`${id}-zones`}>
          {zones.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
        <p id={`${id}-zone-hint`} className={HINT}>
          An IANA time zone; times stay the same local time across daylight-saving changes. Yours is {browserTimeZone()}
          .
        </p>
      </div>
      {value.kind !== "manual" && <SchedulePreview org={org} value={value} />}
    </fieldset>
  );
}

function WorkingDays({ value, onChange }: { value: number[]; onChange: (days: number[]) => void }) {
  const id = useId();
  return (
    <fieldset className="flex flex-col gap-1.5">
      <legend className="mb-1 text-sm font-medium text-slate-800">On these days</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1.5">
        {WEEKDAYS.map((day, index) => (
          <div key={day} className="flex items-center gap-1.5">
            <input
              id={`${id}-${index}`}
              type="checkbox"
              checked={value.includes(index)}
              className="size-4 accent-indigo-600"
              onChange={(event) =>
                onChange(
                  event.target.checked ? [...value, index].sort() : value.filter((candidate) => candidate !== index),
                )
              }
            />
            <Label htmlFor={`${id}-${index}`} className="font-normal">
              {day}
            </Label>
          </div>
        ))}
      </div>
      <div className="flex gap-2">
        <Button type="button" variant="ghost" size="sm" onClick={() => onChange([0, 1, 2, 3, 4])}>
          Monday to Friday
        </Button>
        <Button type="button" variant="ghost" size="sm" onClick={() => onChange([0, 1, 2, 3, 4, 5, 6])}>
          Every day
        </Button>
      </div>
    </fieldset>
  );
}

/** The next three runs as the server computes them, asked for once the fields have settled. */
function SchedulePreview({ org, value }: { org: Org; value: ScheduleDraft }) {
  const problem = scheduleProblem(value);
  const query = useDebounced(
    useMemo(() => JSON.stringify(previewQuery(value)), [value]),
    PREVIEW_DEBOUNCE_MS,
  );
  const preview = useQuery(schedulePreviewQuery(org.slug, JSON.parse(query), problem === null));
  const here = browserTimeZone();

  if (problem) return <ErrorMessage message={problem} />;
  if (preview.isError) return <ErrorMessage error={preview.error} />;
  return (
    <div
      aria-live="polite"
      data-testid="schedule-preview"
      className="flex flex-col gap-1 rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm"
    >
      {!preview.data && <p className="text-slate-600">Working out the next runs…</p>}
      {preview.data && (
        <>
          <p className="font-medium text-slate-900" data-testid="schedule-description">
            {preview.data.description}
          </p>
          <p className="text-xs text-slate-600">Next runs:</p>
          <ol aria-label="Next runs" className="flex flex-col gap-0.5 text-slate-800">
            {preview.data.next_runs.map((run) => (
              <li key={run}>
                <time dateTime={run}>{formatInZone(run, value.timezone.trim())}</time>
                {here !== value.timezone.trim() && (
                  <span className="text-xs text-slate-600"> · {formatInZone(run, here)} your time</span>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
