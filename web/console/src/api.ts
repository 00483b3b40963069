// Every request of the console goes through here: same-origin fetch with the session cookie,
// the X-CSRF-Token header on changes, both error shapes of the hub turned into ApiError, and a
// 401 of a logged-in session turned into the logged-out state.

import { statementErrors, type QueryResponse } from './lib/influx';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The error of a failed response. /api/v1 answers {"error":{"code","message"}} (some paths
 * {"code","message"}), the InfluxDB routes {"error":"..."}, unknown paths plain text.
 */
export function parseError(status: number, body: string, headers?: { get(name: string): string | null }): ApiError {
  let message = '';
  let code: string | undefined;
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      const e = j.error;
      if (e && typeof e === 'object') {
        const o = e as Record<string, unknown>;
        if (typeof o.message === 'string') message = o.message;
        if (typeof o.code === 'string') code = o.code;
      } else if (typeof e === 'string') {
        message = e;
      }
      if (!message && typeof j.message === 'string') message = j.message;
      if (!code && typeof j.code === 'string') code = j.code;
    } catch {
      /* not JSON after all */
    }
  }
  if (!message) message = headers?.get('X-Influxdb-Error') ?? '';
  if (!message && text && text.length < 500 && !text.startsWith('<')) message = text;
  if (!message) message = `HTTP ${status}`;
  const ra = headers?.get('Retry-After');
  const retry = ra !== null && ra !== undefined && /^\d+$/.test(ra) ? Number(ra) : undefined;
  return new ApiError(status, message, code, retry);
}

/** A readable one-line description of any error, for the error banner. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    let s = e.code ? `${e.message} (${e.code}, HTTP ${e.status})` : `${e.message} (HTTP ${e.status})`;
    if (e.retryAfterS !== undefined) s += ` - retry in ${e.retryAfterS} s`;
    return s;
  }
  if (e instanceof Error) {
    if (e.name === 'TypeError') return `the hub cannot be reached: ${e.message}`;
    return e.message;
  }
  return String(e);
}

let csrfToken: string | null = null;
let unauthorizedHandler: ((message: string) => void) | null = null;
let sessionActive = false;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Whether a 401 means "the session has ended" (a logged-in caller), not "log in for this". */
export function setSessionActive(active: boolean): void {
  sessionActive = active;
}

export function onUnauthorized(handler: (message: string) => void): void {
  unauthorizedHandler = handler;
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Do not treat a 401 as the end of the session (the login and session probe). */
  allow401?: boolean;
}

function handle401(err: ApiError, opts: RequestOptions): void {
  if (err.status === 401 && !opts.allow401 && sessionActive && unauthorizedHandler) {
    unauthorizedHandler(err.message || 'session expired: log in again');
  }
}

/** A same-origin request; JSON in and out. Resolves to the parsed body (null for 204). */
export async function request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  // X-Requested-With marks a script's request: a server may leave out `WWW-Authenticate: Basic`
  // on its 401s then, which would otherwise make browsers pop up their own login dialog.
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'verbund-console' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body,
    credentials: 'same-origin',
    cache: 'no-store',
    signal: opts.signal,
  });
  const text = await res.text();
  if (!res.ok) {
    const err = parseError(res.status, text, res.headers);
    handle401(err, opts);
    throw err;
  }
  if (!text) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, `the hub sent something that is not JSON: ${text.slice(0, 200)}`);
  }
}

export const get = <T = unknown>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts);
export const post = <T = unknown>(path: string, body: unknown, opts?: RequestOptions) =>
  request<T>('POST', path, { ...opts, body });
export const put = <T = unknown>(path: string, body: unknown, opts?: RequestOptions) =>
  request<T>('PUT', path, { ...opts, body });
export const del = <T = unknown>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts);

/** Path segments are percent-encoded one by one: seg`/api/v1/admin/tenants/${t}`. */
export function seg(strings: TemplateStringsArray, ...parts: (string | number)[]): string {
  let out = strings[0];
  parts.forEach((p, i) => {
    out += encodeURIComponent(String(p)) + strings[i + 1];
  });
  return out;
}

export function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * InfluxQL through /query with times as epoch milliseconds. Statement errors inside the 200
 * answer are thrown as ApiError too, unless `allowStatementErrors`.
 */
export async function influxQuery(
  q: string,
  db?: string,
  opts: { signal?: AbortSignal; allowStatementErrors?: boolean } = {},
): Promise<QueryResponse> {
  const resp = await request<QueryResponse>('GET', '/query' + queryString({ db, q, epoch: 'ms' }), {
    signal: opts.signal,
  });
  if (!opts.allowStatementErrors) {
    const errs = statementErrors(resp ?? {});
    if (errs.length) throw new ApiError(200, errs.join('; '), 'statement_error');
  }
  return resp ?? {};
}

/**
 * EventSource hides why a stream failed. When it gives up, this asks the same URL with fetch to
 * learn the status and error, and aborts at once if the stream would have worked.
 */
export async function probeStream(path: string): Promise<ApiError | null> {
  const ctl = new AbortController();
  try {
    const res = await fetch(path, {
      credentials: 'same-origin',
      signal: ctl.signal,
      headers: { Accept: 'text/event-stream', 'X-Requested-With': 'verbund-console' },
    });
    if (res.ok) {
      ctl.abort();
      return null;
    }
    const err = parseError(res.status, await res.text(), res.headers);
    handle401(err, {});
    return err;
  } catch (e) {
    if (ctl.signal.aborted) return null;
    return new ApiError(0, `the hub cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---- session ----

export interface Who {
  anonymous?: boolean;
  tenant?: string;
  principal?: string;
  kind?: string;
  operator?: boolean;
  tenant_admin?: boolean;
  csrf_token?: string;
  expires_in_s?: number;
}

export const getSession = () => get<Who>('/api/v1/session', { allow401: true });
export const login = (creds: { username: string; password: string } | { token: string }) =>
  post<Who>('/api/v1/session', creds, { allow401: true });
export const logout = () => del<{ logged_out: boolean }>('/api/v1/session', { allow401: true });
