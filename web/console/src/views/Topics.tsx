// Live topics: watch MQTT messages of a topic filter through GET /api/v1/console/topics (SSE
// events "message" and "dropped"), batched to at most 10 renders a second, the newest 500 kept;
// and publish a test message with POST /api/v1/publish.

import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, post, probeStream, queryString } from '../api';
import { ErrorBanner, Notice, Section } from '../components/common';
import { Batcher, prependNewest } from '../lib/batch';
import { formatTimeMs } from '../lib/format';

export const MAX_MESSAGES = 500;
export const RENDER_INTERVAL_MS = 100;

export interface TopicMessage {
  topic: string;
  payload: string;
  encoding: 'utf8' | 'base64';
  qos: number;
  retain: boolean;
  time_ms: number;
  /** Arrival order, for stable keys. */
  seq: number;
}

/** A base64 payload as hex bytes (the first `max`). */
export function base64ToHex(b64: string, max = 64): string {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return b64;
  }
  const out: string[] = [];
  for (let i = 0; i < Math.min(bin.length, max); i++) out.push(bin.charCodeAt(i).toString(16).padStart(2, '0'));
  return out.join(' ') + (bin.length > max ? ` … (${bin.length} bytes)` : '');
}

function Subscriber() {
  const [filter, setFilter] = useState('#');
  const [active, setActive] = useState<string | null>(null);
  const [messages, setMessages] = useState<TopicMessage[]>([]);
  const [dropped, setDropped] = useState(0);
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState<'idle' | 'connecting' | 'live' | 'reconnecting' | 'failed'>('idle');
  const [error, setError] = useState<ApiError | string | null>(null);
  const [total, setTotal] = useState(0);
  const batcher = useRef(new Batcher<TopicMessage>({ minIntervalMs: RENDER_INTERVAL_MS, maxPending: MAX_MESSAGES }));
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const counter = useRef(0);
  const flushCount = useRef(0);
  const [skipped, setSkipped] = useState(0);

  const flush = () => {
    timer.current = null;
    if (pausedRef.current) return;
    const b = batcher.current;
    const batch = b.flush(performance.now());
    if (batch === null) {
      schedule();
      return;
    }
    // A mark per render, so tests can check the rate limit (performance.getEntriesByName).
    performance.clearMarks('verbund-topics-flush');
    performance.mark('verbund-topics-flush', { detail: batch.length });
    flushCount.current++;
    setSkipped(b.overflowed);
    setTotal(counter.current);
    if (batch.length) setMessages((cur) => prependNewest(cur, batch, MAX_MESSAGES));
  };

  const schedule = () => {
    if (timer.current !== null || pausedRef.current) return;
    const d = batcher.current.delay(performance.now());
    if (d === null) return;
    timer.current = setTimeout(flush, d);
  };

  useEffect(() => {
    if (!active) return;
    const url = '/api/v1/console/topics' + queryString({ filter: active });
    const es = new EventSource(url);
    setState('connecting');
    es.addEventListener('open', () => setState('live'));
    es.addEventListener('message', (ev) => {
      let m: Omit<TopicMessage, 'seq'>;
      try {
        m = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        return;
      }
      // No state change per message: only flushes render (at most 10 a second).
      batcher.current.add({ ...m, seq: ++counter.current });
      schedule();
    });
    es.addEventListener('dropped', (ev) => {
      try {
        const d = JSON.parse((ev as MessageEvent<string>).data) as { dropped?: number };
        if (typeof d.dropped === 'number') setDropped((x) => x + d.dropped!);
      } catch {
        /* ignore */
      }
    });
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        setState('failed');
        void probeStream(url).then((err) =>
          setError(err ? new ApiError(err.status, `the live topics stream failed: ${err.message}`, err.code) : 'the stream ended'),
        );
      } else {
        setState('reconnecting');
      }
    });
    return () => {
      es.close();
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [active]);

  useEffect(() => {
    if (!paused) schedule();
  }, [paused]);

  const subscribe = (e: Event) => {
    e.preventDefault();
    const f = filter.trim();
    if (!f) return;
    setError(null);
    batcher.current.clear();
    counter.current = 0;
    setTotal(0);
    setSkipped(0);
    setMessages([]);
    setDropped(0);
    setActive(null);
    // A new EventSource even for the same filter.
    setTimeout(() => setActive(f), 0);
  };

  const stop = () => {
    setActive(null);
    setState('idle');
  };

  const clear = () => {
    batcher.current.clear();
    setMessages([]);
    setSkipped(0);
    setDropped(0);
  };

  return (
    <Section
      title="Watch a topic filter"
      testid="topics-subscriber"
      actions={
        <span class={`pill pill-${state === 'idle' ? 'connecting' : state}`} data-testid="topics-state">
          {state}
        </span>
      }
    >
      <form class="toolbar" onSubmit={subscribe}>
        <input
          type="text"
          class="grow"
          data-testid="topic-filter"
          aria-label="topic filter"
          placeholder="factory/#"
          value={filter}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn-primary" data-testid="topic-subscribe">
          {active ? 'Resubscribe' : 'Subscribe'}
        </button>
        <button type="button" data-testid="topic-stop" disabled={!active} onClick={stop}>
          Stop
        </button>
        <button type="button" data-testid="topic-pause" disabled={!active} onClick={() => setPaused((p) => !p)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" data-testid="topic-clear" onClick={clear}>
          Clear
        </button>
      </form>
      <ErrorBanner error={error} />
      <div class="toolbar muted small" data-testid="topic-stats" data-flushes={String(flushCount.current)}>
        <span data-testid="topic-count">{messages.length} shown</span>
        <span>{total} received</span>
        <span data-testid="topic-dropped" data-value={String(dropped)}>
          {dropped} dropped by the hub (rate limit)
        </span>
        {skipped > 0 && <span>{skipped} skipped here (more than {MAX_MESSAGES} waiting)</span>}
        {paused && <span class="pill pill-reconnecting">paused: new messages wait</span>}
      </div>
      <div class="table-wrap">
        <table class="table messages" data-testid="topic-messages">
          <thead>
            <tr>
              <th>Time</th>
              <th>Topic</th>
              <th>QoS</th>
              <th>Payload</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.seq} data-testid="topic-message" data-topic={m.topic}>
                <td class="nowrap">{formatTimeMs(m.time_ms)}</td>
                <td class="mono">{m.topic}</td>
                <td>
                  {m.qos}
                  {m.retain ? ' R' : ''}
                </td>
                <td class="mono payload" title={m.encoding === 'utf8' ? m.payload : `base64: ${m.payload}`}>
                  {m.encoding === 'base64' ? <span class="muted">hex </span> : null}
                  {m.encoding === 'base64' ? base64ToHex(m.payload) : m.payload.length > 300 ? m.payload.slice(0, 300) + '…' : m.payload}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

function Publisher() {
  const [topic, setTopic] = useState('console/test');
  const [payload, setPayload] = useState('hello from the console');
  const [qos, setQos] = useState(0);
  const [retain, setRetain] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    setBusy(true);
    try {
      await post<{ published: boolean }>('/api/v1/publish', { topic, payload, qos, retain });
      setDone(`published to ${topic}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Publish a test message" testid="topics-publisher">
      <form class="form-grid" onSubmit={submit}>
        <label class="field">
          <span>Topic</span>
          <input type="text" required data-testid="publish-topic" value={topic} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>Payload</span>
          <textarea rows={2} data-testid="publish-payload" value={payload} onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="row">
          <label class="field inline">
            <span>QoS</span>
            <select data-testid="publish-qos" value={String(qos)} onChange={(e) => setQos(Number((e.target as HTMLSelectElement).value))}>
              <option value="0">0</option>
              <option value="1">1</option>
            </select>
          </label>
          <label class="check">
            <input type="checkbox" data-testid="publish-retain" checked={retain} onChange={(e) => setRetain((e.target as HTMLInputElement).checked)} />
            retain
          </label>
          <button type="submit" class="btn-primary" data-testid="publish-submit" disabled={busy || !topic}>
            Publish
          </button>
        </div>
      </form>
      <ErrorBanner error={error} />
      {done && (
        <Notice kind="ok" testid="publish-ok">
          {done}
        </Notice>
      )}
    </Section>
  );
}

export function Topics() {
  return (
    <div class="view" data-testid="view-topics">
      <div class="view-head">
        <h1>Live topics</h1>
      </div>
      <Subscriber />
      <Publisher />
    </div>
  );
}
