// The audit log: the newest signed tree head (GET /api/v1/audit/sth) and the entries
// (GET /api/v1/audit/entries), newest page first, paged backwards, searchable in the page.

import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, queryString } from '../api';
import { ErrorBanner, Section } from '../components/common';
import { filterAudit, previousPage, type AuditEntry } from '../lib/audit';
import { formatTimeMs } from '../lib/format';
import { isOperator, session, whoOf } from '../session';
import { useStore } from '../store';

export const PAGE = 200;
/** At most this many entries are held in the page. */
export const MAX_LOADED = 10000;

interface Sth {
  version: number;
  tree_size: number;
  timestamp_ns: number;
  root: string;
  signature: string;
}

interface EntriesPage {
  tree_size: number;
  start: number;
  next: number;
  entries: AuditEntry[];
}

const KINDS = ['connect', 'connect_failed', 'disconnect', 'subscribe', 'subscribe_denied', 'publish_denied', 'admin_change', 'token_use', 'query', 'write', 'session'];

export function Audit() {
  const s = useStore(session);
  // Operators (and the open demo hub) read the whole log; a tenant's principal its tenant's entries.
  const who = whoOf(s);
  const tenant = who && !isOperator(s) ? who.tenant : undefined;
  const [sth, setSth] = useState<Sth | null>(null);
  const [sthError, setSthError] = useState<unknown>(null);
  const [entries, setEntries] = useState<AuditEntry[]>([]); // newest first
  const [oldest, setOldest] = useState<number | null>(null);
  const [size, setSize] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState('');
  const [kind, setKind] = useState('');
  const [outcome, setOutcome] = useState('');
  const [busy, setBusy] = useState(false);

  const page = (start: number, count: number) =>
    get<EntriesPage>('/api/v1/audit/entries' + queryString({ start, count, tenant }));

  const loadNewest = async () => {
    setBusy(true);
    setError(null);
    get<Sth>('/api/v1/audit/sth')
      .then((x) => {
        setSth(x);
        setSthError(null);
      })
      .catch((e) => {
        setSth(null);
        setSthError(e instanceof ApiError && e.status === 404 && /tree head/.test(e.message) ? 'no signed tree head yet' : e);
      });
    try {
      // The entries' tree_size is the log's size, signed or not yet.
      const probe = await page(0, 1);
      const n = probe.tree_size;
      const start = Math.max(0, n - PAGE);
      const p = n === 0 ? probe : await page(start, Math.max(1, n - start));
      setEntries([...p.entries].reverse());
      setOldest(n === 0 ? 0 : p.start);
      setSize(p.tree_size);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const loadOlder = async () => {
    if (oldest === null) return;
    const w = previousPage(oldest, PAGE);
    if (!w) return;
    setBusy(true);
    try {
      const p = await page(w.start, w.count);
      setEntries((cur) => [...cur, ...[...p.entries].reverse()].slice(0, MAX_LOADED));
      setOldest(w.start);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void loadNewest();
  }, [tenant]);

  const text = [kind && `kind:${kind}`, outcome && `outcome:${outcome}`, search].filter(Boolean).join(' ');
  const shown = filterAudit(entries, text);

  return (
    <div class="view" data-testid="view-audit">
      <div class="view-head">
        <h1>Audit log</h1>
        {tenant && <span class="pill">tenant {tenant}</span>}
      </div>
      <Section title="Signed tree head" testid="audit-sth">
        <ErrorBanner error={sthError} />
        {sth && (
          <dl class="kv">
            <dt>Tree size</dt>
            <dd data-testid="sth-size">{sth.tree_size}</dd>
            <dt>Signed at</dt>
            <dd>{formatTimeMs(sth.timestamp_ns / 1e6)}</dd>
            <dt>Root</dt>
            <dd class="mono break" data-testid="sth-root">
              {sth.root}
            </dd>
            <dt>Signature (Ed25519)</dt>
            <dd class="mono break small">{sth.signature}</dd>
          </dl>
        )}
        <p class="muted small">
          Check it offline with <code>verbundctl audit verify-proof</code> against the hub's public key (<code>/api/v1/audit/pubkey</code>).
        </p>
      </Section>
      <Section
        title="Entries"
        testid="audit-entries"
        actions={
          <button type="button" data-testid="audit-newest" disabled={busy} onClick={() => void loadNewest()}>
            Newest
          </button>
        }
      >
        <div class="toolbar">
          <input
            type="search"
            class="grow"
            data-testid="audit-search"
            aria-label="search audit entries"
            placeholder='search: words, or kind:session outcome:denied principal:ann tenant:acme'
            value={search}
            onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          />
          <select data-testid="audit-kind" aria-label="kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="">any kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          <select data-testid="audit-outcome" aria-label="outcome" value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
            <option value="">any outcome</option>
            <option value="ok">ok</option>
            <option value="denied">denied</option>
            <option value="error">error</option>
          </select>
        </div>
        <ErrorBanner error={error} onClose={() => setError(null)} />
        <p class="muted small" data-testid="audit-count">
          {shown.length} of {entries.length} loaded entries
          {oldest !== null && size !== null ? ` (indexes ${oldest}–${Math.max(oldest, size - 1)} of ${size})` : ''}
        </p>
        <div class="table-wrap">
          <table class="table audit" data-testid="audit-table">
            <thead>
              <tr>
                <th class="num">#</th>
                <th>Time</th>
                <th>Kind</th>
                <th>Outcome</th>
                <th>Tenant</th>
                <th>Principal</th>
                <th>Source</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.index} data-testid="audit-row" data-kind={e.kind} data-outcome={e.outcome} data-index={String(e.index)}>
                  <td class="num">{e.index}</td>
                  <td class="nowrap">{formatTimeMs(e.time_ns / 1e6)}</td>
                  <td>{e.kind}</td>
                  <td>
                    <span class={e.outcome === 'ok' ? 'pill pill-live' : 'pill pill-failed'}>{e.outcome}</span>
                  </td>
                  <td>{e.tenant}</td>
                  <td>{e.principal}</td>
                  <td class="mono">{e.source}</td>
                  <td class="small details">
                    {e.reason && <div class="reason">{e.reason}</div>}
                    {(e.details ?? []).map(([k, v], i) => (
                      <span class="detail" key={i}>
                        <b>{k}</b>={v}{' '}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="toolbar">
          <button type="button" data-testid="audit-older" disabled={busy || !oldest || entries.length >= MAX_LOADED} onClick={() => void loadOlder()}>
            Load older
          </button>
        </div>
      </Section>
    </div>
  );
}
