// Number, byte and time formatting for tiles, tables and axes.

export function formatNumber(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(digits) + ' G';
  if (a >= 1e6) return (v / 1e6).toFixed(digits) + ' M';
  if (a >= 1e4) return (v / 1e3).toFixed(digits) + ' k';
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(a < 10 ? 2 : digits);
}

export function formatBytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = Math.abs(v);
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  const s = u === 0 ? String(Math.round(x)) : x.toFixed(x < 10 ? 2 : 1);
  return (v < 0 ? '-' : '') + s + ' ' + units[u];
}

/** Local date and time with seconds, e.g. 2025-11-25 17:00:00. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatTimeMs(ms: number): string {
  return formatTime(ms) + '.' + String(Math.floor(((ms % 1000) + 1000) % 1000)).padStart(3, '0');
}

/** "in 3 h", "never" for token expiry and the like. */
export function formatExpiry(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return 'never';
  const d = ms - now;
  if (d <= 0) return `expired ${formatTime(ms)}`;
  return formatTime(ms);
}

/** value for <input type="datetime-local"> */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromLocalInput(s: string): number | null {
  if (!s) return null;
  const t = new Date(s).getTime();
  return Number.isNaN(t) ? null : t;
}

/** "B", "B/s": a unit of bytes, ticked and prefixed in powers of 1024 like formatBytes. */
export const isByteUnit = (unit: string) => unit === 'B' || unit.startsWith('B/');

/**
 * Tick spacings for byte axes: powers of two (1 B .. 1 PiB), so ticks fall on 256 KiB, 512 KiB,
 * 1 MiB, 1.25 MiB rather than on 500 KiB, 1000 KiB, 1.46 MiB.
 */
export const BYTE_INCRS: number[] = Array.from({ length: 51 }, (_, k) => 2 ** k);

/**
 * An axis tick: k/M/G by the value (Ki/Mi/Gi/Ti for bytes, as formatBytes writes them),
 * decimals by the tick spacing `incr`, so neighbouring ticks never print the same text (49.0,
 * 49.0).
 */
export function formatAxis(v: number, incr: number, unit = ''): string {
  const step = Math.abs(incr) || Math.abs(v) || 1;
  let div = 1;
  let prefix = '';
  const a = Math.abs(v);
  if (isByteUnit(unit)) {
    for (const [d, p] of [[1024 ** 4, ' Ti'], [1024 ** 3, ' Gi'], [1024 ** 2, ' Mi'], [1024, ' Ki']] as const) {
      if (a >= d) {
        [div, prefix] = [d, p];
        break;
      }
    }
  } else if (a >= 1e9) [div, prefix] = [1e9, ' G'];
  else if (a >= 1e6) [div, prefix] = [1e6, ' M'];
  else if (a >= 1e4) [div, prefix] = [1e3, ' k'];
  const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step / div) - 1e-9)));
  const s = (v / div).toFixed(decimals);
  return unit ? `${s}${prefix || ' '}${unit}` : s + prefix;
}
