// Who the console talks as: checked with GET /api/v1/session on load, changed by login/logout,
// ended by any 401 of a logged-in session.

import * as api from './api';
import { Store } from './store';

export type Session =
  | { status: 'loading' }
  /** Login form; `message` says why (session expired, logged out). `demo`: an open hub behind it. */
  | { status: 'out'; message?: string; demo?: boolean }
  /** An open demo hub ([http] auth = false): no login, anonymous. */
  | { status: 'demo' }
  | { status: 'in'; who: api.Who };

export const session = new Store<Session>({ status: 'loading' });

function enter(who: api.Who): void {
  if (who.anonymous) {
    api.setCsrfToken(null);
    api.setSessionActive(false);
    session.set({ status: 'demo' });
    return;
  }
  api.setCsrfToken(who.csrf_token ?? null);
  api.setSessionActive(true);
  session.set({ status: 'in', who });
}

function leave(message?: string, demo?: boolean): void {
  api.setCsrfToken(null);
  api.setSessionActive(false);
  session.set({ status: 'out', message, demo });
}

api.onUnauthorized((message) => {
  leave(/expired/i.test(message) ? message : `session expired: ${message}`);
});

let hubIsOpen = false;

/** On page load: 200 -> logged in (or the open demo hub), 401 -> the login form. */
export async function checkSession(): Promise<void> {
  try {
    const who = await api.getSession();
    hubIsOpen = !!who?.anonymous;
    enter(who ?? { anonymous: true });
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) leave();
    else leave(`cannot ask the hub who we are: ${api.describeError(e)}`);
  }
}

export async function logIn(creds: { username: string; password: string } | { token: string }): Promise<void> {
  const who = await api.login(creds);
  enter(who);
}

export async function logOut(): Promise<void> {
  try {
    await api.logout();
  } finally {
    leave('logged out', hubIsOpen);
  }
}

/** From the open demo hub to the login form (to act as a principal: admin pages need one). */
export function showLogin(): void {
  session.set({ status: 'out', demo: true });
}

/** Back from the login form to the open demo hub. */
export function backToDemo(): void {
  session.set({ status: 'demo' });
}

export function whoOf(s: Session): api.Who | null {
  return s.status === 'in' ? s.who : null;
}

export const isOperator = (s: Session) => s.status === 'in' && !!s.who.operator;
export const isTenantAdmin = (s: Session) => s.status === 'in' && !!s.who.tenant_admin;
export const isAdmin = (s: Session) => isOperator(s) || isTenantAdmin(s);
