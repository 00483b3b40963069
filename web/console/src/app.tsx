import { useEffect, useState } from 'preact/hooks';
import { DEFAULT_ROUTE, NAV } from './nav';
import { href, useRoute } from './router';
import { checkSession, logOut, session, showLogin, type Session } from './session';
import { useStore } from './store';
import { Login } from './views/Login';

function WhoBadge({ s }: { s: Session }) {
  if (s.status === 'demo') {
    return (
      <span class="badge badge-demo" data-testid="demo-badge" title="[http] auth = false: anyone reaching this hub sees everything">
        open demo hub, no login
      </span>
    );
  }
  if (s.status !== 'in') return null;
  const w = s.who;
  const roles = [...new Set([w.operator && 'operator', w.tenant_admin && 'tenant admin', w.kind].filter(Boolean))].join(', ');
  return (
    <span class="badge" data-testid="who">
      {w.tenant}/{w.principal} <span class="muted">({roles})</span>
    </span>
  );
}

export function App() {
  const s = useStore(session);
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    void checkSession();
  }, []);

  useEffect(() => {
    if (!NAV.some((n) => n.id === route)) location.replace(href(DEFAULT_ROUTE));
    setMenuOpen(false);
  }, [route]);

  if (s.status === 'loading') return <div class="loading">Verbund console…</div>;
  if (s.status === 'out') return <Login message={s.message} demo={s.demo} />;

  const entry = NAV.find((n) => n.id === route) ?? NAV[0];
  const View = entry.view;
  return (
    <div class="shell">
      <header class="topbar">
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" data-testid="menu-toggle" onClick={() => setMenuOpen((o) => !o)}>
          ☰ {entry.label}
        </button>
        <a class="brand" href={href(DEFAULT_ROUTE)}>
          Verbund
        </a>
        <span class="spacer" />
        <WhoBadge s={s} />
        {s.status === 'demo' ? (
          <button type="button" data-testid="login-open" onClick={showLogin}>
            Log in
          </button>
        ) : (
          <button type="button" data-testid="logout" onClick={() => void logOut()}>
            Log out
          </button>
        )}
      </header>
      <nav id="nav" class={menuOpen ? 'nav open' : 'nav'} aria-label="sections">
        <ul>
          {NAV.map((n) => (
            <li key={n.id}>
              <a href={href(n.id)} class={n.id === entry.id ? 'active' : ''} aria-current={n.id === entry.id ? 'page' : undefined} data-testid={`nav-${n.id}`}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main class="content">
        <View key={entry.id} />
      </main>
    </div>
  );
}
