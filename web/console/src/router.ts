// Hash routing: #/overview, #/explorer, ... so the hub serves only index.html and assets.

import { useEffect, useState } from 'preact/hooks';

export function currentRoute(): string {
  const h = location.hash.replace(/^#\/?/, '');
  return h.split(/[/?]/)[0] ?? '';
}

export function useRoute(): string {
  const [r, setR] = useState(currentRoute());
  useEffect(() => {
    const on = () => setR(currentRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}

export const href = (id: string) => `#/${id}`;
