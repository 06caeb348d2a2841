/** Chart.js rendering of one day: kWh bars (over-max in a warning colour) and the maximum as a line. */

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type TooltipItem,
} from "chart.js";
import { formatKwh, toChartSeries, type DaySummary } from "./day-data.ts";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

export const CHART_COLORS = {
  bar: "#0f9488",
  barOver: "#f59e0b",
  /** Estimated hours: the same hues, pale (interpolated over a gap, not measured). */
  barEstimated: "rgba(15, 148, 136, 0.3)",
  barOverEstimated: "rgba(245, 158, 11, 0.3)",
  maxLine: "#dc2626",
  grid: "#e6e9ee",
  text: "#5b6472",
} as const;

function prefersReducedMotion(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/** Bar colours: amber over the maximum, pale where the hour is estimated. */
export function barColors(series: { overMax: boolean[]; estimated: boolean[] }): string[] {
  return series.overMax.map((over, i) => {
    const pale = series.estimated[i] === true;
    if (over) return pale ? CHART_COLORS.barOverEstimated : CHART_COLORS.barOver;
    return pale ? CHART_COLORS.barEstimated : CHART_COLORS.bar;
  });
}

/** The day each chart shows; tooltips read it, so `updateDayChart` can swap it in place. */
const shown = new WeakMap<Chart, { summary: DaySummary }>();

/**
 * Put a new version of the same day into an existing chart without re-creating it (no flicker,
 * no animation): used when live readings arrive for the day on screen. False when the hours
 * differ (another day, a different shape) and the caller should render a new chart.
 */
export function updateDayChart(chart: Chart, summary: DaySummary): boolean {
  const ref = shown.get(chart);
  const series = toChartSeries(summary);
  const labels = chart.data.labels ?? [];
  if (!ref || labels.length !== series.labels.length || labels.some((l, i) => l !== series.labels[i])) return false;
  ref.summary = summary;
  const [bars, line] = chart.data.datasets;
  if (!bars || !line) return false;
  bars.data = series.values;
  bars.backgroundColor = barColors(series);
  bars.borderColor = series.estimated.map((e) => (e ? CHART_COLORS.bar : "transparent"));
  line.data = series.maxLine;
  line.label = `Maximum (${formatKwh(summary.maxHourlyKwh)} ${summary.unit}/h)`;
  const y = chart.options.scales?.y;
  if (y) (y as { suggestedMax?: number }).suggestedMax = Math.max(summary.maxHourlyKwh, summary.peak?.kwh ?? 0) * 1.15;
  chart.update("none");
  return true;
}

export function renderDayChart(canvas: HTMLCanvasElement, initial: DaySummary): Chart {
  const ref = { summary: initial };
  const series = toChartSeries(initial);
  const peak = initial.peak?.kwh ?? 0;
  const summary = initial;
  const chart: Chart = new Chart(canvas, {
    data: {
      labels: series.labels,
      datasets: [
        {
          type: "bar",
          label: `Consumption (${summary.unit})`,
          data: series.values,
          backgroundColor: barColors(series),
          // Estimated hours: an outline around a pale bar.
          borderColor: series.estimated.map((e) => (e ? CHART_COLORS.bar : "transparent")),
          borderWidth: 1,
          borderRadius: 3,
          maxBarThickness: 28,
          order: 2,
        },
        {
          type: "line",
          label: `Maximum (${formatKwh(summary.maxHourlyKwh)} ${summary.unit}/h)`,
          data: series.maxLine,
          borderColor: CHART_COLORS.maxLine,
          borderWidth: 2,
          borderDash: [6, 4],
          pointRadius: 0,
          pointHitRadius: 0,
          fill: false,
          order: 1,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: prefersReducedMotion() ? false : { duration: 250 },
      interaction: { mode: "index", intersect: false },
      scales: {
        x: {
          grid: { display: false },
          ticks: { color: CHART_COLORS.text, maxRotation: 0, autoSkipPadding: 8 },
          title: { display: true, text: `Hour of the day (${summary.tz})`, color: CHART_COLORS.text },
        },
        y: {
          beginAtZero: true,
          suggestedMax: Math.max(summary.maxHourlyKwh, peak) * 1.15,
          grid: { color: CHART_COLORS.grid },
          ticks: { color: CHART_COLORS.text },
          title: { display: true, text: summary.unit, color: CHART_COLORS.text },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true, color: CHART_COLORS.text } },
        tooltip: {
          callbacks: {
            label: (item: TooltipItem<"bar" | "line">) => {
              const current = ref.summary;
              if (item.datasetIndex === 1) return `Maximum: ${formatKwh(current.maxHourlyKwh)} ${current.unit}`;
              const row = current.rows[item.dataIndex];
              if (!row) return "";
              const note = row.estimated
                ? " — estimated (spread over a gap between readings)"
                : row.overMax
                  ? " — over maximum"
                  : row.inProgress
                    ? " — so far"
                    : "";
              return `${formatKwh(row.kwh)} ${current.unit}${note}`;
            },
          },
        },
      },
    },
  });
  shown.set(chart, ref);
  return chart;
}
