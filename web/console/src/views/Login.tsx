import { useState } from 'preact/hooks';
import { ErrorBanner } from '../components/common';
import { backToDemo, logIn } from '../session';

/** Login with tenant/name and password, or with an API token. */
export function Login({ message, demo }: { message?: string; demo?: boolean }) {
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await logIn(mode === 'password' ? { username: username.trim(), password } : { token: token.trim() });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login-page">
      <form class="card login" onSubmit={submit} data-testid="login-form">
        <h1>Verbund console</h1>
        {message && (
          <div class="banner banner-warn" data-testid="login-message">
            {message}
          </div>
        )}
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'password'} class={mode === 'password' ? 'tab active' : 'tab'} data-testid="login-mode-password" onClick={() => setMode('password')}>
            Password
          </button>
          <button type="button" role="tab" aria-selected={mode === 'token'} class={mode === 'token' ? 'tab active' : 'tab'} data-testid="login-mode-token" onClick={() => setMode('token')}>
            API token
          </button>
        </div>
        {mode === 'password' ? (
          <>
            <label class="field">
              <span>User (tenant/name, operators _hub/name)</span>
              <input
                type="text"
                name="username"
                autocomplete="username"
                required
                placeholder="acme/ann"
                data-testid="login-username"
                value={username}
                onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="field">
              <span>Password</span>
              <input
                type="password"
                name="password"
                autocomplete="current-password"
                data-testid="login-password"
                value={password}
                onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
              />
            </label>
          </>
        ) : (
          <label class="field">
            <span>Token</span>
            <input type="password" name="token" autocomplete="off" required placeholder="vbt_…" data-testid="login-token" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
          </label>
        )}
        <ErrorBanner error={error} />
        <button type="submit" class="btn-primary" data-testid="login-submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        {demo && (
          <button type="button" class="btn-plain link" data-testid="login-back-demo" onClick={backToDemo}>
            Back to the open demo hub
          </button>
        )}
      </form>
    </div>
  );
}
