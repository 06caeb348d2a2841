/** Chart.js bars of a period's buckets, with the comparison period's buckets beside them. */

import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import type { RangeConsumption } from "../api/types.ts";
import { CHART_COLORS } from "./day-chart.ts";
import { formatKwh } from "./day-data.ts";
import { bucketLabel } from "./periods.ts";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export const COMPARISON_COLOR = "#94a3b8";

export function renderRangeChart(canvas: HTMLCanvasElement, current: RangeConsumption, label: string, previous: RangeConsumption | null, previousLabel: string): Chart {
  const labels = current.buckets.map((b) => bucketLabel(b.start, current.group_by));
  const datasets = [
    {
      label,
      data: current.buckets.map((b) => b.kwh),
      backgroundColor: CHART_COLORS.bar as string,
      borderRadius: 3,
      maxBarThickness: 28,
    },
  ];
  if (previous) {
    datasets.push({
      label: previousLabel,
      data: labels.map((_, i) => previous.buckets[i]?.kwh ?? null),
      backgroundColor: COMPARISON_COLOR,
      borderRadius: 3,
      maxBarThickness: 28,
    });
  }
  return new Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { grid: { display: false }, ticks: { color: CHART_COLORS.text, maxRotation: 0, autoSkipPadding: 6 } },
        y: { beginAtZero: true, grid: { color: CHART_COLORS.grid }, ticks: { color: CHART_COLORS.text }, title: { display: true, text: current.unit, color: CHART_COLORS.text } },
      },
      plugins: {
        legend: { position: "bottom", labels: { color: CHART_COLORS.text } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label ?? ""}: ${formatKwh(item.raw as number | null)} ${current.unit}` } },
      },
    },
  });
}
