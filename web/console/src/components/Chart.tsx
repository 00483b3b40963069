// uPlot in Preact: the chart is made once per set of series and fed new data with setData, so a
// live chart updating every second allocates nothing that grows.

import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatAxis } from '../lib/format';

export interface ChartSeries {
  label: string;
  color: string;
  width?: number;
  /** Drawn faint (band edges). */
  faint?: boolean;
  dash?: number[];
}

export interface ChartProps {
  data: uPlot.AlignedData;
  series: ChartSeries[];
  /** [upper, lower] 1-based indices into data, filled between. */
  bands?: [number, number][];
  height?: number;
  /** Formats y values in the legend. */
  yFormat?: (v: number) => string;
  /** Unit of the y axis ticks ("B" for bytes); ticks are formatted by their spacing. */
  yUnit?: string;
  /** Visible x range (epoch ms); absent: the data's extent. */
  xRange?: { min: number; max: number } | null;
  /** Drag-select zoom on x; called with the selected range (epoch ms). */
  onZoom?: (min: number, max: number) => void;
  /** Double-click in the plot. */
  onReset?: () => void;
  testid?: string;
}

const PALETTE = ['#2f7ed8', '#e4572e', '#29a36a', '#9b59b6', '#f1a208', '#17a2b8', '#d63384', '#6c757d', '#8b5a2b', '#20c997'];

export function colorAt(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** rgba() of a #rrggbb color. */
export function withAlpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function structureKey(p: ChartProps): string {
  return JSON.stringify([p.series.map((s) => [s.label, s.color, s.faint ?? false]), p.bands ?? [], p.height ?? 0, !!p.onZoom, p.yUnit ?? '']);
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const programmatic = useRef(false);
  const key = structureKey(props);
  const dark = useDarkMode();

  // Apply data and x range without reporting it as the user's zoom.
  const apply = (u: uPlot, p: ChartProps) => {
    programmatic.current = true;
    const t0 = performance.now();
    try {
      u.batch(() => {
        u.setData(p.data, true);
        if (p.xRange && p.xRange.max > p.xRange.min) u.setScale('x', { min: p.xRange.min, max: p.xRange.max });
      });
    } finally {
      programmatic.current = false;
    }
    // How long setData and the redraw took, for tests and the curious (data-draw-ms).
    box.current?.setAttribute('data-draw-ms', (performance.now() - t0).toFixed(1));
    box.current?.setAttribute('data-points', String(p.data[0]?.length ?? 0));
  };

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const p = latest.current;
    const fg = cssVar('--fg-muted', '#666');
    const grid = cssVar('--grid', 'rgba(128,128,128,0.2)');
    const fmt = p.yFormat;
    const unit = p.yUnit ?? '';
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: p.height ?? 260,
      ms: 1,
      series: [
        {},
        ...p.series.map((s) => ({
          label: s.label,
          stroke: s.faint ? withAlpha(s.color, 0.35) : s.color,
          width: s.width ?? (s.faint ? 1 : 1.5),
          dash: s.dash,
          spanGaps: false,
          points: { show: false },
          value: fmt ? (_u: uPlot, v: number | null) => (v === null || v === undefined ? '-' : fmt(v)) : undefined,
        })),
      ],
      bands: (p.bands ?? []).map(([upper, lower]) => ({
        series: [upper, lower] as [number, number],
        fill: withAlpha(p.series[upper - 1]?.color ?? '#888888', 0.15),
      })),
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
        {
          stroke: fg,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          size: 60,
          values: (_u: uPlot, splits: number[], _axis: number, _space: number, incr: number) =>
            splits.map((v) => (v === null || v === undefined ? '' : formatAxis(v, incr, unit))),
        },
      ],
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: {
        drag: { x: !!p.onZoom, y: false, setScale: !!p.onZoom },
        bind: {
          dblclick: () => () => {
            latest.current.onReset?.();
            return null;
          },
        },
      },
      hooks: {
        setScale: [
          (u: uPlot, scaleKey: string) => {
            if (scaleKey !== 'x' || programmatic.current) return;
            const { min, max } = u.scales.x;
            if (min === undefined || max === undefined || min === null || max === null) return;
            latest.current.onZoom?.(min, max);
          },
        ],
      },
    };
    programmatic.current = true;
    let u: uPlot;
    try {
      u = new uPlot(opts, [[]], el);
    } finally {
      programmatic.current = false;
    }
    plot.current = u;
    apply(u, p);
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) <= 1) return;
      programmatic.current = true;
      try {
        u.setSize({ width: w, height: p.height ?? 260 });
      } finally {
        programmatic.current = false;
      }
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [key, dark]);

  useEffect(() => {
    if (plot.current) apply(plot.current, props);
  }, [props.data, props.xRange?.min, props.xRange?.max]);

  return <div class="chart" ref={box} data-testid={props.testid} />;
}

/** prefers-color-scheme: dark, followed live (charts re-read their colors). */
export function useDarkMode(): boolean {
  const q = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  const [dark, setDark] = useState(q?.matches ?? false);
  useEffect(() => {
    if (!q) return;
    const on = () => setDark(q.matches);
    q.addEventListener('change', on);
    return () => q.removeEventListener('change', on);
  }, []);
  return dark;
}
