// Security of a tenant through the admin API: principals, rules, tokens and quotas. Tenant
// admins manage their own tenant; operators pick any tenant (GET /api/v1/admin/tenants).

import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, post, put, seg } from '../api';
import { ConfirmButton, ErrorBanner, Notice, Section } from '../components/common';
import { formatExpiry, formatTime } from '../lib/format';
import { isAdmin, isOperator, session, whoOf } from '../session';
import { useStore } from '../store';
import { NeedsAdmin } from './NeedsAdmin';

export interface Quotas {
  max_connections?: number;
  messages_per_s?: number;
  bytes_per_s?: number;
  max_series?: number;
  max_stored_bytes?: number;
}

export interface Principal {
  tenant: string;
  name: string;
  kind: string;
  tenant_admin: boolean;
  disabled: boolean;
  has_password: boolean;
  generation?: number;
  quotas?: Quotas;
}

export interface Rule {
  id: number;
  effect: 'allow' | 'deny';
  rights: string[];
  principal: string;
  pattern: string;
}

export interface Token {
  id: string;
  principal: string;
  rights: string[];
  expires_ms: number;
  created_ms: number;
}

interface TenantInfo {
  name: string;
  principals?: number;
  rules?: number;
  quotas?: Quotas;
}

const RULE_RIGHTS = ['publish', 'subscribe', 'write', 'query'];
const TOKEN_RIGHTS = ['publish', 'subscribe', 'write', 'query', 'admin'];
const QUOTA_FIELDS: { key: keyof Quotas; label: string }[] = [
  { key: 'max_connections', label: 'Connections' },
  { key: 'messages_per_s', label: 'Messages / s' },
  { key: 'bytes_per_s', label: 'Bytes / s' },
  { key: 'max_series', label: 'Series' },
  { key: 'max_stored_bytes', label: 'Stored bytes' },
];
const EXPIRIES: { label: string; s: number }[] = [
  { label: '1 hour', s: 3600 },
  { label: '1 day', s: 86400 },
  { label: '7 days', s: 7 * 86400 },
  { label: '30 days', s: 30 * 86400 },
  { label: '1 year', s: 365 * 86400 },
  { label: 'never', s: 0 },
];

const tenantPath = (t: string) => seg`/api/v1/admin/tenants/${t}`;

function quotaSummary(q: Quotas | undefined): string {
  if (!q) return '';
  return QUOTA_FIELDS.filter((f) => (q[f.key] ?? 0) > 0)
    .map((f) => `${f.label} ${q[f.key]}`)
    .join(', ');
}

function Rights({ all, value, onChange, testid }: { all: string[]; value: string[]; onChange: (v: string[]) => void; testid: string }) {
  return (
    <div class="checks" data-testid={testid}>
      {all.map((r) => (
        <label class="check" key={r}>
          <input
            type="checkbox"
            data-testid={`${testid}-${r}`}
            checked={value.includes(r)}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked;
              onChange(on ? [...value.filter((x) => x !== r), r] : value.filter((x) => x !== r));
            }}
          />
          {r}
        </label>
      ))}
    </div>
  );
}

export function Security() {
  const s = useStore(session);
  if (!isAdmin(s)) return <NeedsAdmin title="Security" what="principals, rules, tokens and quotas" />;
  return <SecurityPages operator={isOperator(s)} ownTenant={whoOf(s)?.tenant ?? ''} />;
}

function SecurityPages({ operator, ownTenant }: { operator: boolean; ownTenant: string }) {
  const [tenants, setTenants] = useState<TenantInfo[]>([]);
  const [tenant, setTenant] = useState(operator ? '' : ownTenant);
  const [error, setError] = useState<unknown>(null);
  const [principals, setPrincipals] = useState<Principal[]>([]);
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    if (!operator) return;
    get<{ tenants: TenantInfo[] }>('/api/v1/admin/tenants')
      .then((r) => {
        // Operators live in the pseudo-tenant _hub, which the list leaves out.
        const list = r.tenants ?? [];
        if (!list.some((t) => t.name === '_hub')) list.push({ name: '_hub' });
        setTenants(list);
        setTenant((cur) => cur || list.find((t) => t.name !== '_hub')?.name || list[0]?.name || ownTenant);
      })
      .catch(setError);
  }, [operator]);

  useEffect(() => {
    if (!tenant) return;
    get<{ principals: Principal[] }>(`${tenantPath(tenant)}/principals`)
      .then((r) => {
        setPrincipals(r.principals ?? []);
        setError(null);
      })
      .catch(setError);
  }, [tenant, version]);

  return (
    <div class="view" data-testid="view-security">
      <div class="view-head">
        <h1>Security</h1>
        {operator ? (
          <label class="field inline">
            <span>Tenant</span>
            <select data-testid="security-tenant" value={tenant} onChange={(e) => setTenant((e.target as HTMLSelectElement).value)}>
              {tenants.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name === '_hub' ? '_hub (operators)' : t.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span class="pill">tenant {tenant}</span>
        )}
      </div>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {tenant && (
        <>
          <Principals tenant={tenant} principals={principals} reload={reload} operator={operator} />
          <Tokens tenant={tenant} principals={principals} version={version} />
          {tenant !== '_hub' && <Rules tenant={tenant} principals={principals} />}
          {tenant !== '_hub' && <TenantQuotas tenant={tenant} operator={operator} />}
        </>
      )}
    </div>
  );
}

function Principals({ tenant, principals, reload, operator }: { tenant: string; principals: Principal[]; reload: () => void; operator: boolean }) {
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const hub = tenant === '_hub';
  const [kind, setKind] = useState(hub ? 'operator' : 'device');
  const [admin, setAdmin] = useState(false);
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => setKind(hub ? 'operator' : 'device'), [hub]);

  const act = async (what: string, f: () => Promise<unknown>) => {
    setError(null);
    setNotice(null);
    try {
      await f();
      setNotice(what);
      reload();
    } catch (e) {
      setError(e);
    }
  };

  const create = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { name: name.trim(), kind, tenant_admin: admin };
    if (password) body.password = password;
    void act(`created ${name.trim()}`, async () => {
      await post(`${tenantPath(tenant)}/principals`, body);
      setName('');
      setPassword('');
      setAdmin(false);
    });
  };

  const kinds = hub ? ['operator'] : ['device', 'user', 'service'];

  return (
    <Section title="Principals" testid="principals">
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {notice && <Notice kind="ok">{notice}</Notice>}
      <div class="table-wrap">
        <table class="table" data-testid="principals-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Tenant admin</th>
              <th>Password</th>
              <th>State</th>
              <th>Quotas</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {principals.map((p) => (
              <tr key={p.name} data-testid="principal-row" data-name={p.name}>
                <td class="mono">{p.name}</td>
                <td>{p.kind}</td>
                <td>{p.tenant_admin ? 'yes' : ''}</td>
                <td>{p.has_password ? 'set' : ''}</td>
                <td>{p.disabled ? <span class="pill pill-failed">disabled</span> : 'active'}</td>
                <td class="small">{quotaSummary(p.quotas)}</td>
                <td class="actions">
                  <button
                    type="button"
                    data-testid={p.disabled ? 'principal-enable' : 'principal-disable'}
                    onClick={() =>
                      void act(`${p.disabled ? 'enabled' : 'disabled'} ${p.name}`, () =>
                        put(seg`/api/v1/admin/tenants/${tenant}/principals/${p.name}/disabled`, { disabled: !p.disabled }),
                      )
                    }
                  >
                    {p.disabled ? 'Enable' : 'Disable'}
                  </button>
                  <ConfirmButton
                    label="Delete"
                    testid="principal-delete"
                    danger
                    onConfirm={() => act(`deleted ${p.name}`, () => del(seg`/api/v1/admin/tenants/${tenant}/principals/${p.name}`))}
                  />
                </td>
              </tr>
            ))}
            {principals.length === 0 && (
              <tr>
                <td colSpan={7} class="muted">
                  No principals yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <form class="form-grid inline-form" onSubmit={create} data-testid="principal-form">
        <h3>New principal</h3>
        <label class="field">
          <span>Name</span>
          <input type="text" required data-testid="principal-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>Kind</span>
          <select data-testid="principal-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Password (optional)</span>
          <input type="password" autocomplete="new-password" data-testid="principal-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {!hub && (
          <label class="check">
            <input type="checkbox" data-testid="principal-tenant-admin" checked={admin} onChange={(e) => setAdmin((e.target as HTMLInputElement).checked)} />
            tenant admin
          </label>
        )}
        <button type="submit" class="btn-primary" data-testid="principal-create" disabled={!name.trim() || (hub && !operator)}>
          Create
        </button>
      </form>
    </Section>
  );
}

function Rules({ tenant, principals }: { tenant: string; principals: Principal[] }) {
  const [rules, setRules] = useState<Rule[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const [effect, setEffect] = useState<'allow' | 'deny'>('allow');
  const [rights, setRights] = useState<string[]>(['publish', 'subscribe']);
  const [who, setWho] = useState('*');
  const [pattern, setPattern] = useState('');

  useEffect(() => {
    get<{ rules: Rule[] }>(`${tenantPath(tenant)}/rules`)
      .then((r) => {
        setRules(r.rules ?? []);
        setError(null);
      })
      .catch(setError);
  }, [tenant, version]);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await post(`${tenantPath(tenant)}/rules`, { effect, rights, principal: who || '*', pattern: pattern.trim() });
      setPattern('');
      setVersion((v) => v + 1);
    } catch (err) {
      setError(err);
    }
  };

  const remove = async (id: number) => {
    setError(null);
    try {
      await del(seg`/api/v1/admin/tenants/${tenant}/rules/${id}`);
      setVersion((v) => v + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section title="Rules" testid="rules">
      <p class="muted small">
        Publish/subscribe patterns are MQTT filters inside the tenant's namespace (<code>sensors/#</code>, <code>plc/%c/#</code>); write/query
        patterns are <code>database-glob/measurement-glob</code>. With no rules, a tenant's principals may do everything in its namespace; a
        matching deny always wins.
      </p>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <div class="table-wrap">
        <table class="table" data-testid="rules-table">
          <thead>
            <tr>
              <th>Id</th>
              <th>Effect</th>
              <th>Rights</th>
              <th>Principal</th>
              <th>Pattern</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-testid="rule-row" data-rule-id={String(r.id)}>
                <td>{r.id}</td>
                <td>
                  <span class={r.effect === 'deny' ? 'pill pill-failed' : 'pill pill-live'}>{r.effect}</span>
                </td>
                <td>{r.rights.join(', ')}</td>
                <td class="mono">{r.principal}</td>
                <td class="mono">{r.pattern}</td>
                <td class="actions">
                  <ConfirmButton label="Remove" testid="rule-remove" danger onConfirm={() => remove(r.id)} />
                </td>
              </tr>
            ))}
            {rules.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  No rules: everything inside the tenant's namespace is allowed.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <form class="form-grid inline-form" onSubmit={add} data-testid="rule-form">
        <h3>Add a rule</h3>
        <label class="field">
          <span>Effect</span>
          <select data-testid="rule-effect" value={effect} onChange={(e) => setEffect((e.target as HTMLSelectElement).value as 'allow' | 'deny')}>
            <option value="allow">allow</option>
            <option value="deny">deny</option>
          </select>
        </label>
        <div class="field">
          <span>Rights</span>
          <Rights all={RULE_RIGHTS} value={rights} onChange={setRights} testid="rule-rights" />
        </div>
        <label class="field">
          <span>Principal</span>
          <select data-testid="rule-principal" value={who} onChange={(e) => setWho((e.target as HTMLSelectElement).value)}>
            <option value="*">* (everyone)</option>
            {principals.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Pattern</span>
          <input type="text" required placeholder="sensors/#" data-testid="rule-pattern" value={pattern} onInput={(e) => setPattern((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="btn-primary" data-testid="rule-add" disabled={!pattern.trim() || rights.length === 0}>
          Add rule
        </button>
      </form>
    </Section>
  );
}

function Tokens({ tenant, principals, version: outer }: { tenant: string; principals: Principal[]; version: number }) {
  const [tokens, setTokens] = useState<Token[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const [who, setWho] = useState('');
  const [rights, setRights] = useState<string[]>(['query']);
  const [expiry, setExpiry] = useState(86400);
  const [secret, setSecret] = useState<{ token: string; id: string; principal: string } | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    get<{ tokens: Token[] }>(`${tenantPath(tenant)}/tokens`)
      .then((r) => {
        setTokens(r.tokens ?? []);
        setError(null);
      })
      .catch(setError);
  }, [tenant, version, outer]);

  useEffect(() => {
    setSecret(null);
  }, [tenant]);

  useEffect(() => {
    if (!principals.some((p) => p.name === who)) setWho(principals[0]?.name ?? '');
  }, [principals]);

  const issue = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setCopied(false);
    try {
      const r = await post<{ token: string; id: string; principal: string }>(seg`/api/v1/admin/tenants/${tenant}/principals/${who}/tokens`, {
        rights,
        expires_in_s: expiry,
      });
      setSecret(r);
      setVersion((v) => v + 1);
    } catch (err) {
      setError(err);
    }
  };

  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret.token);
      setCopied(true);
    } catch {
      // No clipboard permission (plain http, or the browser says no): select it for Ctrl+C.
      const el = document.querySelector<HTMLInputElement>('[data-testid="token-secret"]');
      el?.select();
      setCopied(false);
      setError('the browser did not allow copying: the token is selected, press Ctrl+C');
    }
  };

  const revoke = async (id: string) => {
    setError(null);
    try {
      await del(seg`/api/v1/admin/tenants/${tenant}/tokens/${id}`);
      setVersion((v) => v + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section title="API tokens" testid="tokens">
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {secret && (
        <div class="banner banner-ok secret" data-testid="token-new">
          <div>
            New token for <b>{secret.principal}</b> (id <span class="mono">{secret.id}</span>). It is shown only now: copy it.
          </div>
          <div class="row">
            <input type="text" readOnly class="mono grow" data-testid="token-secret" value={secret.token} onFocus={(e) => (e.target as HTMLInputElement).select()} />
            <button type="button" data-testid="token-copy" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" data-testid="token-dismiss" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <div class="table-wrap">
        <table class="table" data-testid="tokens-table">
          <thead>
            <tr>
              <th>Id</th>
              <th>Principal</th>
              <th>Rights</th>
              <th>Created</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-testid="token-row" data-token-id={t.id}>
                <td class="mono">{t.id}</td>
                <td>{t.principal}</td>
                <td>{t.rights.join(', ')}</td>
                <td class="nowrap">{formatTime(t.created_ms)}</td>
                <td class="nowrap">{formatExpiry(t.expires_ms)}</td>
                <td class="actions">
                  <ConfirmButton label="Revoke" testid="token-revoke" danger onConfirm={() => revoke(t.id)} />
                </td>
              </tr>
            ))}
            {tokens.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  No tokens.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <form class="form-grid inline-form" onSubmit={issue} data-testid="token-form">
        <h3>Issue a token</h3>
        <label class="field">
          <span>Principal</span>
          <select data-testid="token-principal" value={who} onChange={(e) => setWho((e.target as HTMLSelectElement).value)}>
            {principals.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <div class="field">
          <span>Rights</span>
          <Rights all={TOKEN_RIGHTS} value={rights} onChange={setRights} testid="token-rights" />
        </div>
        <label class="field">
          <span>Expires after</span>
          <select data-testid="token-expiry" value={String(expiry)} onChange={(e) => setExpiry(Number((e.target as HTMLSelectElement).value))}>
            {EXPIRIES.map((x) => (
              <option key={x.s} value={String(x.s)}>
                {x.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="btn-primary" data-testid="token-issue" disabled={!who || rights.length === 0}>
          Issue token
        </button>
      </form>
    </Section>
  );
}

function TenantQuotas({ tenant, operator }: { tenant: string; operator: boolean }) {
  const [quotas, setQuotas] = useState<Quotas | null>(null);
  const [edit, setEdit] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [hidden, setHidden] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    setQuotas(null);
    setHidden(false);
    setSaved(false);
    // A tenant's quotas are the operators' (doc/api.md "Admin API"): a tenant admin's request
    // would only be refused (and show up as a failed load in the browser's console).
    if (!operator) {
      setHidden(true);
      return;
    }
    get<Quotas>(`${tenantPath(tenant)}/quotas`)
      .then((q) => {
        setQuotas(q);
        setEdit(Object.fromEntries(QUOTA_FIELDS.map((f) => [f.key, String(q[f.key] ?? 0)])));
        setError(null);
      })
      .catch((e) => {
        if (e instanceof ApiError && e.status === 403) setHidden(true);
        else setError(e);
      });
  }, [tenant, operator]);

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const body: Record<string, number> = {};
    for (const f of QUOTA_FIELDS) {
      const v = edit[f.key]?.trim() ?? '';
      if (!/^\d+$/.test(v)) {
        setError(`${f.label}: a whole number, 0 for unlimited`);
        return;
      }
      body[f.key] = Number(v);
    }
    try {
      const q = await put<Quotas>(`${tenantPath(tenant)}/quotas`, body);
      setQuotas(q);
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section title="Tenant quotas" testid="quotas">
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {hidden && <Notice>The tenant's quotas are set and shown by operators; each principal's own quotas are in the table above.</Notice>}
      {quotas && (
        <form class="form-grid quota-grid" onSubmit={save} data-testid="quota-form">
          {QUOTA_FIELDS.map((f) => (
            <label class="field" key={f.key}>
              <span>{f.label}</span>
              <input
                type="number"
                min="0"
                step="1"
                data-testid={`quota-${f.key}`}
                readOnly={!operator}
                value={edit[f.key] ?? ''}
                onInput={(e) => setEdit((x) => ({ ...x, [f.key]: (e.target as HTMLInputElement).value }))}
              />
            </label>
          ))}
          <p class="muted small">0 = unlimited.</p>
          {operator && (
            <button type="submit" class="btn-primary" data-testid="quota-save">
              Save quotas
            </button>
          )}
          {saved && <Notice kind="ok">saved</Notice>}
        </form>
      )}
    </Section>
  );
}
