// The left navigation, one entry per view: adding a section is one line here.

import type { ComponentType } from 'preact';
import { Audit } from './views/Audit';
import { Clients } from './views/Clients';
import { Explorer } from './views/Explorer';
import { Overview } from './views/Overview';
import { Security } from './views/Security';
import { Topics } from './views/Topics';

export interface NavEntry {
  id: string;
  label: string;
  view: ComponentType;
}

export const NAV: NavEntry[] = [
  { id: 'overview', label: 'Overview', view: Overview },
  { id: 'explorer', label: 'Explorer', view: Explorer },
  { id: 'topics', label: 'Live topics', view: Topics },
  { id: 'clients', label: 'Clients', view: Clients },
  { id: 'security', label: 'Security', view: Security },
  { id: 'audit', label: 'Audit', view: Audit },
];

export const DEFAULT_ROUTE = 'overview';
