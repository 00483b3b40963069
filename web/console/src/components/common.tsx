import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { describeError } from '../api';

/** The visible error banner (data-testid="error"); nothing when there is no error. */
export function ErrorBanner({ error, onClose }: { error: unknown; onClose?: () => void }) {
  if (error === null || error === undefined || error === '') return null;
  const text = typeof error === 'string' ? error : describeError(error);
  return (
    <div class="banner banner-error" role="alert" data-testid="error">
      <span class="banner-text">{text}</span>
      {onClose && (
        <button type="button" class="btn-plain" aria-label="dismiss" onClick={onClose}>
          ×
        </button>
      )}
    </div>
  );
}

export function Notice({ children, testid, kind = 'info' }: { children: ComponentChildren; testid?: string; kind?: 'info' | 'ok' | 'warn' }) {
  return (
    <div class={`banner banner-${kind}`} data-testid={testid}>
      {children}
    </div>
  );
}

/**
 * A button that asks once more inside the page: the first click shows "Confirm" and "Cancel"
 * (data-testid `<testid>` then `<testid>-confirm`), so browser tests can click through it.
 */
export function ConfirmButton(props: {
  label: string;
  confirmLabel?: string;
  onConfirm: () => void | Promise<void>;
  testid: string;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button type="button" class={props.danger ? 'btn-danger-outline' : ''} data-testid={props.testid} disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="btn-danger"
        data-testid={`${props.testid}-confirm`}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
          } catch {
            /* the caller shows its own error */
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {props.confirmLabel ?? `Confirm ${props.label.toLowerCase()}`}
      </button>
      <button type="button" data-testid={`${props.testid}-cancel`} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function Section({ title, actions, children, testid }: { title: string; actions?: ComponentChildren; children: ComponentChildren; testid?: string }) {
  return (
    <section class="card" data-testid={testid}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
