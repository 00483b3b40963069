// uPlot in Preact: the chart is made once per set of series and fed new data with setData, so a
// live chart updating every second allocates nothing that grows.

import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { BYTE_INCRS, formatAxis, formatTime, isByteUnit } from '../lib/format';

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

/**
 * Time ticks on the 24-hour clock with ISO dates, as formatTime writes them everywhere else
 * (uPlot's own table is 12-hour, month/day first). Rows: least tick spacing (ms), tick format,
 * then the formats added where the year, month, day, hour, minute or second rolls over, and 1 =
 * append them. uPlot's date tokens: {YYYY} {MM} {DD} {HH} {mm} {ss} {fff}.
 */
const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;
const TIME_VALUES: (string | number | null)[][] = [
  [365 * D, '{YYYY}', null, null, null, null, null, null, 1],
  [28 * D, '{YYYY}-{MM}', null, null, null, null, null, null, 1],
  [D, '{MM}-{DD}', '\n{YYYY}', null, null, null, null, null, 1],
  [H, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{MM}-{DD}', null, null, null, 1],
  [M, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{MM}-{DD}', null, null, null, 1],
  [S, ':{ss}', '\n{YYYY}-{MM}-{DD} {HH}:{mm}', null, '\n{MM}-{DD} {HH}:{mm}', null, '\n{HH}:{mm}', null, 1],
  [1, ':{ss}.{fff}', '\n{YYYY}-{MM}-{DD} {HH}:{mm}', null, '\n{MM}-{DD} {HH}:{mm}', null, '\n{HH}:{mm}', null, 1],
];

/** The y axis's least width (px); wider when its longest tick label needs it. */
const Y_AXIS_MIN = 60;
let measurer: CanvasRenderingContext2D | null = null;

/**
 * uPlot's axis `size`: as wide as the longest tick label. A fixed width cut the labels' first
 * digits off ("1100 B/s" read "100 B/s").
 */
function yAxisSize(u: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  // At run time uPlot keeps an axis's font as [font in device px, device px, CSS px] and its
  // size in _size; both are internal, hence the loose type.
  const axis = u.axes[axisIdx] as { font?: unknown; _size?: number; ticks?: { size?: number }; gap?: number };
  if (cycleNum > 1 && axis._size) return axis._size; // settle: uPlot recomputes until sizes agree
  const longest = (values ?? []).reduce((a, v) => (v && v.length > a.length ? v : a), '');
  if (!longest) return Y_AXIS_MIN;
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return Y_AXIS_MIN;
  const f = Array.isArray(axis.font) ? axis.font : null;
  measurer.font = f && typeof f[0] === 'string' && typeof f[2] === 'number' ? f[0].replace(/[\d.]+px/, `${f[2]}px`) : '12px sans-serif';
  const width = measurer.measureText(longest).width + (axis.ticks?.size ?? 10) + (axis.gap ?? 5) + 4;
  return Math.max(Y_AXIS_MIN, Math.ceil(width));
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
        { value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '-' : formatTime(v)) },
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
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: TIME_VALUES },
        {
          stroke: fg,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          size: yAxisSize,
          // Bytes tick at powers of two so that they read 512 KiB, 1 MiB, not 1.95 KiB.
          incrs: isByteUnit(unit) ? BYTE_INCRS : undefined,
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
