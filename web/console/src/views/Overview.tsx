// Live figures of the hub (or of the caller's tenant) from GET /api/v1/console/stats: tiles with
// the newest numbers and charts of the last 10 minutes, kept in fixed-size rings.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { probeStream, type ApiError } from '../api';
import { Chart, colorAt } from '../components/Chart';
import { ErrorBanner } from '../components/common';
import { formatBytes, formatNumber, formatTime } from '../lib/format';
import { SeriesRing } from '../lib/ring';

const STATS_URL = '/api/v1/console/stats';
/** 10 minutes of one event per second. */
export const HISTORY = 600;

interface FieldInfo {
  key: string;
  label: string;
  format: (v: number) => string;
}

const bytesPerS = (v: number) => formatBytes(v) + '/s';
const perS = (v: number) => formatNumber(v) + '/s';
const plain = (v: number) => formatNumber(v);

/** Known fields in tile order; others that the hub adds later are shown as tiles too. */
export const FIELDS: FieldInfo[] = [
  { key: 'connections', label: 'Connections', format: plain },
  { key: 'messages_in_per_s', label: 'Messages in', format: perS },
  { key: 'messages_out_per_s', label: 'Messages out', format: perS },
  { key: 'points_per_s', label: 'Points stored', format: perS },
  { key: 'series', label: 'Series', format: plain },
  { key: 'databases', label: 'Databases', format: plain },
  { key: 'stored_bytes', label: 'Stored', format: formatBytes },
  { key: 'disk_bytes', label: 'On disk', format: formatBytes },
  { key: 'stored_bytes_per_s', label: 'Storage growth', format: bytesPerS },
  { key: 'stored_values', label: 'Values stored', format: plain },
  { key: 'bytes_per_value', label: 'Bytes per value', format: (v) => v.toFixed(2) + ' B' },
];

const CHARTS: { id: string; title: string; fields: string[]; format: (v: number) => string; unit?: string }[] = [
  { id: 'messages', title: 'MQTT messages per second', fields: ['messages_in_per_s', 'messages_out_per_s'], format: plain },
  { id: 'points', title: 'Points stored per second', fields: ['points_per_s'], format: plain },
  { id: 'connections', title: 'Connections', fields: ['connections'], format: plain },
  { id: 'series', title: 'Series', fields: ['series'], format: plain },
  { id: 'stored', title: 'Stored bytes', fields: ['stored_bytes', 'disk_bytes'], format: formatBytes, unit: 'B' },
  { id: 'growth', title: 'Storage growth', fields: ['stored_bytes_per_s'], format: bytesPerS, unit: 'B/s' },
  { id: 'bpv', title: 'Bytes per value', fields: ['bytes_per_value'], format: (v) => v.toFixed(2) },
];

type StreamState = 'connecting' | 'live' | 'reconnecting' | 'failed';

export function Overview() {
  const ring = useMemo(() => new SeriesRing(HISTORY, FIELDS.map((f) => f.key)), []);
  const [latest, setLatest] = useState<Record<string, unknown> | null>(null);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<ApiError | string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const seen = useRef(new Set<string>());

  useEffect(() => {
    const es = new EventSource(STATS_URL);
    let retry: ReturnType<typeof setTimeout> | undefined;
    es.addEventListener('open', () => setState('live'));
    es.addEventListener('stats', (ev) => {
      let row: Record<string, unknown>;
      try {
        row = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        return;
      }
      const t = typeof row.time_ms === 'number' ? row.time_ms : Date.now();
      ring.push(t, row);
      for (const k of Object.keys(row)) if (typeof row[k] === 'number') seen.current.add(k);
      setLatest(row);
      setState('live');
      setError(null);
    });
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        // The hub refused the stream (EventSource does not retry then): find out why.
        setState('failed');
        void probeStream(STATS_URL).then((err) => {
          setError(err ?? 'the live stream ended');
          if (!err || (err.status !== 401 && err.status !== 403)) {
            retry = setTimeout(() => setAttempt((a) => a + 1), 5000);
          }
        });
      } else {
        setState('reconnecting');
      }
    });
    return () => {
      clearTimeout(retry);
      es.close();
    };
  }, [attempt]);

  const tenant = typeof latest?.tenant === 'string' ? latest.tenant : null;
  const tiles: FieldInfo[] = latest
    ? [
        ...FIELDS.filter((f) => typeof latest[f.key] === 'number'),
        ...Object.keys(latest)
          .filter((k) => k !== 'time_ms' && typeof latest[k] === 'number' && !FIELDS.some((f) => f.key === k))
          .map((k) => ({ key: k, label: k.replace(/_/g, ' '), format: plain })),
      ]
    : [];
  const charts = CHARTS.filter((c) => c.fields.some((f) => seen.current.has(f)));

  return (
    <div class="view" data-testid="view-overview">
      <div class="view-head">
        <h1>Overview</h1>
        <span class={`pill pill-${state}`} data-testid="stream-state">
          {state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : state === 'reconnecting' ? 'reconnecting…' : 'stream stopped'}
        </span>
        {latest && typeof latest.time_ms === 'number' && <span class="muted">at {formatTime(latest.time_ms)}</span>}
      </div>
      <p class="muted">
        {tenant
          ? `Figures of tenant ${tenant}: its own MQTT clients, messages and databases only.`
          : 'Hub health: connections, throughput and storage of the whole hub (no tenant data).'}
      </p>
      <ErrorBanner error={error} />
      <div class="tiles">
        {tiles.map((f) => {
          const v = latest![f.key] as number;
          return (
            <div class="tile" key={f.key} data-testid={`stat-${f.key}`} data-value={String(v)}>
              <div class="tile-label">{f.label}</div>
              <div class="tile-value">{f.format(v)}</div>
            </div>
          );
        })}
        {!latest && state !== 'failed' && <div class="muted">waiting for the first figures…</div>}
      </div>
      <div class="chart-grid" data-testid="overview-chart">
        {charts.map((c) => {
          const fields = c.fields.filter((f) => seen.current.has(f));
          return (
            <div class="card chart-card" key={c.id} data-testid={`overview-chart-${c.id}`}>
              <h2>{c.title}</h2>
              <Chart
                data={ring.aligned(fields)}
                series={fields.map((f, i) => ({ label: FIELDS.find((x) => x.key === f)?.label ?? f, color: colorAt(i) }))}
                height={180}
                yFormat={c.format}
                yUnit={c.unit}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}
