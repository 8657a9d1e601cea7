import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Bucket } from "./queries";
import { type Line as ChartLine, chartRows, formatValue, type Unit } from "./series";

// Recharts lives in this module only: the dashboard imports it lazily, so the charts'
// library is fetched when a chart is first drawn, never with the app's first page.

const COLOURS = ["#4f46e5", "#0d9488"];

export interface TrendChartProps {
  lines: ChartLine[];
  unit: Unit;
  bucket: Bucket;
}

/**
 * A metric's buckets as a line per series. A bucket without a figure (no digest that
 * period) breaks the line instead of drawing a fall to zero: `connectNulls` is off.
 */
export default function TrendChart({ lines, unit, bucket }: TrendChartProps) {
  const rows = chartRows(lines, bucket);
  return (
    // aria-hidden: the table beside the chart says the same to a screen reader.
    <div aria-hidden="true" className="h-48 w-full min-w-0" data-testid="trend-chart">
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 480, height: 192 }}>
        {/* No keyboard layer: the chart is hidden from assistive technology (the table speaks). */}
        <LineChart accessibilityLayer={false} data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 11, fill: "#475569" }} interval="preserveStartEnd" minTickGap={8} />
          <YAxis
            allowDecimals={unit === "hours"}
            tick={{ fontSize: 11, fill: "#475569" }}
            tickFormatter={(value: number) => formatValue(value, unit)}
            width={56}
          />
          <Tooltip formatter={(value) => (typeof value === "number" ? formatValue(value, unit) : "no figure")} />
          {lines.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {lines.map((line, index) => (
            <Line
              key={line.key}
              dataKey={line.key}
              name={line.label}
              stroke={COLOURS[index % COLOURS.length]}
              strokeWidth={2}
              dot={{ r: 3 }}
              connectNulls={false}
              isAnimationActive={false}
              type="monotone"
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
