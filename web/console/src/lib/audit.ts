// Audit entries as GET /api/v1/audit/entries returns them, and the search of the audit view.

export interface AuditEntry {
  index: number;
  time_ns: number;
  time: string;
  tenant: string;
  principal: string;
  source: string;
  kind: string;
  kind_id?: number;
  outcome: string;
  reason: string;
  details: [string, string][];
}

export interface AuditSearch {
  kind?: string;
  principal?: string;
  outcome?: string;
  tenant?: string;
  /** Words that must all appear somewhere in the entry. */
  words: string[];
}

const KEYS = ['kind', 'principal', 'outcome', 'tenant'] as const;

/**
 * "kind:session outcome:denied bob" -> {kind:"session", outcome:"denied", words:["bob"]}.
 * Values may be double-quoted ("principal:\"acme ann\""). Case-insensitive.
 */
export function parseAuditSearch(text: string): AuditSearch {
  const out: AuditSearch = { words: [] };
  const re = /(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const key = (m[1] ?? m[3])?.toLowerCase();
    const val = m[2] ?? m[4];
    if (key && (KEYS as readonly string[]).includes(key)) {
      (out as unknown as Record<string, string>)[key] = val.toLowerCase();
    } else {
      const w = m[5] ?? m[6] ?? m[0];
      if (w) out.words.push(w.toLowerCase());
    }
  }
  return out;
}

function haystack(e: AuditEntry): string {
  const parts = [String(e.index), e.time, e.tenant, e.principal, e.source, e.kind, e.outcome, e.reason];
  for (const [k, v] of e.details ?? []) parts.push(`${k}=${v}`);
  return parts.join('\n').toLowerCase();
}

/** kind and outcome match exactly, principal and tenant exactly or as a prefix with a trailing '*'. */
function fieldMatches(value: string, wanted: string | undefined): boolean {
  if (wanted === undefined) return true;
  const v = (value ?? '').toLowerCase();
  if (wanted.endsWith('*')) return v.startsWith(wanted.slice(0, -1));
  return v === wanted;
}

export function matchesAudit(e: AuditEntry, s: AuditSearch): boolean {
  if (!fieldMatches(e.kind, s.kind)) return false;
  if (!fieldMatches(e.outcome, s.outcome)) return false;
  if (!fieldMatches(e.principal, s.principal)) return false;
  if (!fieldMatches(e.tenant, s.tenant)) return false;
  if (s.words.length === 0) return true;
  const h = haystack(e);
  return s.words.every((w) => h.includes(w));
}

export function filterAudit(entries: readonly AuditEntry[], text: string): AuditEntry[] {
  const s = parseAuditSearch(text);
  return entries.filter((e) => matchesAudit(e, s));
}

/** The window [start, start+count) of the page before `oldestLoaded` (newest first paging). */
export function previousPage(oldestLoaded: number, pageSize: number): { start: number; count: number } | null {
  if (oldestLoaded <= 0) return null;
  const start = Math.max(0, oldestLoaded - pageSize);
  return { start, count: oldestLoaded - start };
}
