// Connected MQTT clients (GET /api/v1/admin/sessions), refreshed every 5 s, with a kick per row
// (DELETE /api/v1/admin/tenants/{t}/sessions/{client_id}) behind an inline confirm.

import { useEffect, useState } from 'preact/hooks';
import { del, get, seg } from '../api';
import { ConfirmButton, ErrorBanner, Notice } from '../components/common';
import { isAdmin, session } from '../session';
import { formatTime } from '../lib/format';
import { useStore } from '../store';
import { NeedsAdmin } from './NeedsAdmin';

export interface ClientSession {
  client_id: string;
  tenant: string;
  principal: string;
  peer: string;
  transport: string;
  protocol: string;
  subscriptions: number;
  inflight: number;
  queued: number;
}

export const REFRESH_MS = 5000;

export function Clients() {
  const s = useStore(session);
  if (!isAdmin(s)) return <NeedsAdmin title="Clients and sessions" what="the connected clients" />;
  return <ClientsTable />;
}

function ClientsTable() {
  const [rows, setRows] = useState<ClientSession[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [auto, setAuto] = useState(true);
  const [filter, setFilter] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);

  const load = async () => {
    try {
      const r = await get<{ sessions: ClientSession[] }>('/api/v1/admin/sessions');
      setRows(r.sessions ?? []);
      setLoadedAt(Date.now());
      setError(null);
    } catch (e) {
      setError(e);
    }
  };

  useEffect(() => {
    void load();
    if (!auto) return;
    const t = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(t);
  }, [auto]);

  const kick = async (c: ClientSession) => {
    setNotice(null);
    try {
      const r = await del<{ disconnected: number }>(seg`/api/v1/admin/tenants/${c.tenant}/sessions/${c.client_id}`);
      setNotice(`disconnected ${c.client_id} (${r?.disconnected ?? 0} connection${r?.disconnected === 1 ? '' : 's'})`);
      setError(null);
      await load();
    } catch (e) {
      setError(e);
    }
  };

  const f = filter.toLowerCase();
  const shown = (rows ?? []).filter(
    (r) => !f || [r.client_id, r.tenant, r.principal, r.peer, r.transport, r.protocol].some((x) => String(x ?? '').toLowerCase().includes(f)),
  );

  return (
    <div class="view" data-testid="view-clients">
      <div class="view-head">
        <h1>Clients and sessions</h1>
      </div>
      <div class="toolbar">
        <button type="button" data-testid="clients-refresh" onClick={() => void load()}>
          Refresh
        </button>
        <label class="check">
          <input type="checkbox" data-testid="clients-auto" checked={auto} onChange={(e) => setAuto((e.target as HTMLInputElement).checked)} />
          refresh every 5 s
        </label>
        <input type="search" placeholder="filter" data-testid="clients-filter" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <span class="muted small">
          {rows ? `${shown.length} of ${rows.length} clients` : 'loading…'}
          {loadedAt ? ` · ${formatTime(loadedAt)}` : ''}
        </span>
      </div>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {notice && (
        <Notice kind="ok" testid="clients-notice">
          {notice}
        </Notice>
      )}
      <div class="card">
        <div class="table-wrap">
          <table class="table" data-testid="clients-table">
            <thead>
              <tr>
                <th>Client id</th>
                <th>Tenant</th>
                <th>Principal</th>
                <th>Peer</th>
                <th>Transport</th>
                <th>Protocol</th>
                <th class="num">Subs</th>
                <th class="num">In flight</th>
                <th class="num">Queued</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => (
                <tr key={`${c.tenant}/${c.client_id}`} data-testid="client-row" data-client-id={c.client_id} data-tenant={c.tenant}>
                  <td class="mono">{c.client_id}</td>
                  <td>{c.tenant}</td>
                  <td>{c.principal}</td>
                  <td class="mono">{c.peer}</td>
                  <td>{c.transport}</td>
                  <td>{c.protocol}</td>
                  <td class="num">{c.subscriptions}</td>
                  <td class="num">{c.inflight}</td>
                  <td class="num">{c.queued}</td>
                  <td class="actions">
                    <ConfirmButton label="Kick" confirmLabel="Confirm kick" testid="kick" danger onConfirm={() => kick(c)} />
                  </td>
                </tr>
              ))}
              {rows && shown.length === 0 && (
                <tr>
                  <td colSpan={10} class="muted">
                    No clients connected.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
