import { describe, expect, it } from 'vitest';
import { filterAudit, parseAuditSearch, previousPage, type AuditEntry } from './audit';

const e = (over: Partial<AuditEntry>): AuditEntry => ({
  index: 0,
  time_ns: 0,
  time: '1970-01-01T00:00:00Z',
  tenant: '',
  principal: '',
  source: '127.0.0.1:1',
  kind: 'connect',
  outcome: 'ok',
  reason: '',
  details: [],
  ...over,
});

const entries = [
  e({ index: 0, kind: 'session', outcome: 'denied', principal: 'acme/mallory', reason: 'bad user name or password', details: [['action', 'login'], ['method', 'password']] }),
  e({ index: 1, kind: 'session', outcome: 'ok', tenant: 'acme', principal: 'ann', details: [['action', 'login']] }),
  e({ index: 2, kind: 'connect', tenant: 'acme', principal: 'plc-7', details: [['client_id', 'plc-7']] }),
  e({ index: 3, kind: 'query', tenant: 'beta', principal: 'bob', details: [['statement', 'SELECT * FROM cpu']] }),
];

describe('audit search', () => {
  it('parses key:value terms and words', () => {
    expect(parseAuditSearch('kind:Session outcome:denied  mallory "two words"')).toEqual({
      kind: 'session',
      outcome: 'denied',
      words: ['mallory', 'two words'],
    });
    expect(parseAuditSearch('principal:"acme ann" x:y')).toEqual({ principal: 'acme ann', words: ['x:y'] });
  });

  it('finds a denied login', () => {
    expect(filterAudit(entries, 'kind:session outcome:denied').map((x) => x.index)).toEqual([0]);
  });

  it('filters by principal (exact or prefix*), tenant and free text in details and reason', () => {
    expect(filterAudit(entries, 'principal:ann').map((x) => x.index)).toEqual([1]);
    expect(filterAudit(entries, 'principal:plc*').map((x) => x.index)).toEqual([2]);
    expect(filterAudit(entries, 'tenant:acme').map((x) => x.index)).toEqual([1, 2]);
    expect(filterAudit(entries, 'select cpu').map((x) => x.index)).toEqual([3]);
    expect(filterAudit(entries, 'PASSWORD').map((x) => x.index)).toEqual([0]);
    expect(filterAudit(entries, '').length).toBe(4);
    expect(filterAudit(entries, 'nothing-like-this').length).toBe(0);
  });
});

describe('previousPage', () => {
  it('pages backwards to 0', () => {
    expect(previousPage(1000, 200)).toEqual({ start: 800, count: 200 });
    expect(previousPage(150, 200)).toEqual({ start: 0, count: 150 });
    expect(previousPage(0, 200)).toBeNull();
  });
});
