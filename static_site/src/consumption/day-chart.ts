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
  maxLine: "#dc2626",
  grid: "#e6e9ee",
  text: "#5b6472",
} as const;

function prefersReducedMotion(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

export function renderDayChart(canvas: HTMLCanvasElement, summary: DaySummary): Chart {
  const series = toChartSeries(summary);
  const peak = summary.peak?.kwh ?? 0;
  return new Chart(canvas, {
    data: {
      labels: series.labels,
      datasets: [
        {
          type: "bar",
          label: `Consumption (${summary.unit})`,
          data: series.values,
          backgroundColor: series.overMax.map((over) => (over ? CHART_COLORS.barOver : CHART_COLORS.bar)),
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
              if (item.datasetIndex === 1) return `Maximum: ${formatKwh(summary.maxHourlyKwh)} ${summary.unit}`;
              const row = summary.rows[item.dataIndex];
              if (!row) return "";
              const note = row.overMax ? " — over maximum" : row.inProgress ? " — so far" : "";
              return `${formatKwh(row.kwh)} ${summary.unit}${note}`;
            },
          },
        },
      },
    },
  });
}
