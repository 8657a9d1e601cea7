import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";

import type { SeriesPoint } from "./queries";
import { TrendPanel } from "./TrendPanel";

/** Twelve Monday buckets from 2026-09-07, with the given values (null: no figure that week). */
function weeks(values: (number | null)[]): SeriesPoint[] {
  return values.map((value, index) => {
    const start = new Date(Date.UTC(2026, 8, 7 + 7 * index));
    const end = new Date(Date.UTC(2026, 8, 14 + 7 * index));
    return { start: start.toISOString(), end: end.toISOString(), value, digests: value === null ? 0 : 1 };
  });
}

function renderPanel(lines: { key: string; label: string; points: SeriesPoint[] }[], unit: "count" | "hours") {
  return render(
    <MemoryRouter>
      <TrendPanel id="t" title="Merged pull requests" lines={lines} unit={unit} bucket="week" monitorsHref="/m" />
    </MemoryRouter>,
  );
}

/** The rows of the figures table, each as its cells' text. */
function tableRows(): string[][] {
  const table = screen.getByRole("table", { name: "Merged pull requests, per week" });
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => Array.from(row.querySelectorAll("th, td"), (cell) => cell.textContent ?? ""));
}

describe("a trend chart", () => {
  it("with no figure in any bucket draws nothing and says what to do", () => {
    renderPanel([{ key: "prs_merged", label: "Merged", points: weeks(Array(12).fill(null)) }], "count");

    const panel = screen.getByRole("region", { name: "Merged pull requests" });
    expect(panel).toHaveTextContent("No digest of the last 12 weeks has this figure yet.");
    expect(within(panel).getByRole("link", { name: "Run a monitor" })).toHaveAttribute("href", "/m");
    expect(screen.queryByTestId("trend-chart")).not.toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });

  it("with no buckets at all is empty too", () => {
    renderPanel([{ key: "prs_merged", label: "Merged", points: [] }], "count");

    expect(screen.getByText(/No digest of the last 12 weeks has this figure yet/)).toBeInTheDocument();
  });

  it("breaks the line at a week without a figure and tells a gap from a zero", async () => {
    const values = [3, 4, null, null, 0, 5, 2, 6, 1, 7, 2, 8];
    renderPanel([{ key: "prs_merged", label: "Merged", points: weeks(values) }], "count");

    const chart = await screen.findByTestId("trend-chart");
    // Two runs of figures either side of the gap: the line is two segments, never a fall to 0.
    const curve = await waitForCurve(chart);
    expect(curve.getAttribute("d")?.match(/M/g)).toHaveLength(2);
    // One dot per figure; the gap's two weeks have none.
    expect(chart.querySelectorAll(".recharts-line-dot")).toHaveLength(10);

    const rows = tableRows();
    expect(rows).toHaveLength(12);
    expect(rows[0]).toEqual([expect.stringContaining("7"), "3"]);
    expect(rows[2]?.[1]).toBe("no figure");
    expect(rows[3]?.[1]).toBe("no figure");
    expect(rows[4]?.[1]).toBe("0");
  });

  it("draws two series and shows hours as hours", async () => {
    renderPanel(
      [
        { key: "opened", label: "Opened", points: weeks([1.5, null, ...Array(10).fill(2)]) },
        { key: "closed", label: "Closed", points: weeks([null, 50, ...Array(10).fill(3)]) },
      ],
      "hours",
    );

    const chart = await screen.findByTestId("trend-chart");
    await waitForCurve(chart);
    expect(chart.querySelectorAll(".recharts-line-curve")).toHaveLength(2);
    const rows = tableRows();
    expect(rows[0]).toEqual([expect.any(String), "1.5 h", "no figure"]);
    expect(rows[1]).toEqual([expect.any(String), "no figure", "2.1 d"]);
  });
});

async function waitForCurve(chart: HTMLElement): Promise<Element> {
  const { waitFor } = await import("@testing-library/react");
  return waitFor(() => {
    const curve = chart.querySelector(".recharts-line-curve");
    if (!curve) throw new Error("no line drawn yet");
    return curve;
  });
}
