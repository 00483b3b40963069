import { session, showLogin } from '../session';
import { useStore } from '../store';

/** What a caller without admin rights sees on an admin page. */
export function NeedsAdmin({ title, what }: { title: string; what: string }) {
  const s = useStore(session);
  return (
    <div class="view" data-testid="needs-admin">
      <div class="view-head">
        <h1>{title}</h1>
      </div>
      <div class="banner banner-warn">
        {s.status === 'demo' ? (
          <>
            This open demo hub answers data queries without a login, but {what} need a tenant admin or an operator.{' '}
            <button type="button" data-testid="needs-admin-login" onClick={showLogin}>
              Log in
            </button>
          </>
        ) : (
          <>This needs a tenant admin (or an operator): your principal may not see {what}.</>
        )}
      </div>
    </div>
  );
}
