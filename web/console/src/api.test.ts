import { describe, expect, it } from 'vitest';
import { ApiError, describeError, parseError, queryString, seg } from './api';

const headers = (h: Record<string, string>) => ({ get: (k: string) => h[k] ?? h[k.toLowerCase()] ?? null });

describe('parseError', () => {
  it('reads the native shape {"error":{"code","message"}}', () => {
    const e = parseError(403, '{"error":{"code":"permission_denied","message":"not allowed to administer tenant \'beta\'"}}');
    expect(e.status).toBe(403);
    expect(e.code).toBe('permission_denied');
    expect(e.message).toBe("not allowed to administer tenant 'beta'");
  });

  it('reads the flat shape {"code","message"}', () => {
    const e = parseError(403, '{"code":"csrf","message":"missing or wrong X-CSRF-Token for this session"}');
    expect(e.code).toBe('csrf');
    expect(e.message).toMatch(/CSRF/);
  });

  it('reads the InfluxDB shape {"error":"..."} and Retry-After', () => {
    const e = parseError(429, '{"error":"messages/s quota of principal acme/ann (100) exceeded"}', headers({ 'Retry-After': '3' }));
    expect(e.message).toBe('messages/s quota of principal acme/ann (100) exceeded');
    expect(e.code).toBeUndefined();
    expect(e.retryAfterS).toBe(3);
    expect(describeError(e)).toBe('messages/s quota of principal acme/ann (100) exceeded (HTTP 429) - retry in 3 s');
  });

  it('falls back to X-Influxdb-Error, plain text, then the status', () => {
    expect(parseError(500, '', headers({ 'X-Influxdb-Error': 'disk full' })).message).toBe('disk full');
    expect(parseError(404, '404 page not found\n').message).toBe('404 page not found');
    expect(parseError(502, '<html>bad gateway</html>').message).toBe('HTTP 502');
  });

  it('describes errors with code and status', () => {
    expect(describeError(new ApiError(404, 'no such tenant', 'not_found'))).toBe('no such tenant (not_found, HTTP 404)');
  });
});

describe('URL building', () => {
  it('encodes path segments one by one', () => {
    expect(seg`/api/v1/admin/tenants/${'acme'}/sessions/${'plc/7 #1'}`).toBe('/api/v1/admin/tenants/acme/sessions/plc%2F7%20%231');
    expect(seg`/x/${'CN=a/O=b'}`).toBe('/x/CN%3Da%2FO%3Db');
  });

  it('builds query strings, leaving out empty values', () => {
    expect(queryString({ q: 'SHOW DATABASES', db: undefined, epoch: 'ms' })).toBe('?q=SHOW+DATABASES&epoch=ms');
    expect(queryString({ filter: 'a/+/#' })).toBe('?filter=a%2F%2B%2F%23');
    expect(queryString({})).toBe('');
  });
});
