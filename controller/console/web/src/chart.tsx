// The adoption chart (uPlot, bundled): % of devices on the release by date, forecast beside what happened.
// uPlot is its own chunk, loaded when a release page first draws a chart: the other pages start without it.
import { useEffect, useRef } from 'preact/hooks';
import type uPlotType from 'uplot';
import type { Point } from './api.ts';

export function AdoptionChart({ forecast, actual, label }: { forecast: Point[]; actual: Point[]; label: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    let plot: uPlotType | undefined;
    let gone = false;
    const resize = () => plot?.setSize({ width: Math.max(280, host.clientWidth), height: 260 });
    // One x axis (seconds) for both series: the union of their instants, each series null where it has no point.
    const xs = [...new Set([...forecast, ...actual].map((p) => Math.floor(Date.parse(p.at) / 1000)))].sort((a, b) => a - b);
    const at = (pts: Point[]) => {
      const m = new Map(pts.map((p) => [Math.floor(Date.parse(p.at) / 1000), Math.round(p.share * 1000) / 10]));
      return xs.map((x) => m.get(x) ?? null);
    };
    void import('uplot').then(({ default: uPlot }) => {
      if (gone) return;
      plot = new uPlot({
        width: Math.max(280, host.clientWidth || 600), height: 260, title: label,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { y: { range: [0, 100] } },
        axes: [{}, { values: (_u, v) => v.map((x) => `${x}%`) }],
        series: [
          {},
          { label: 'Forecast', stroke: '#1f5fa8', width: 2, dash: [6, 4], spanGaps: true },
          { label: 'Happened', stroke: '#117a3d', width: 2, spanGaps: true },
        ],
      }, [xs, at(forecast), at(actual)] as uPlotType.AlignedData, host);
      window.addEventListener('resize', resize);
    });
    return () => { gone = true; window.removeEventListener('resize', resize); plot?.destroy(); };
  }, [forecast, actual, label]);
  return <div class="chart" ref={el} role="img" aria-label={`${label}: forecast and actual share of devices by date`} />;
}
