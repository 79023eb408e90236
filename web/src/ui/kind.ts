import type { ParticipantView } from '../../../server/src/protocol/index.js';
import { h } from './dom.js';
import { icon, type IconName } from './icons.js';

type Kind = ParticipantView['kind'];

const KINDS: Record<Kind, { icon: IconName; label: string }> = {
  browser: { icon: 'browser', label: 'Browser' },
  sip: { icon: 'roomSystem', label: 'Room system' },
  phone: { icon: 'phone', label: 'Phone' },
  interop: { icon: 'interop', label: 'Interop call' },
};

/** What a participant joined from (browser, room system, phone, interop), as an icon with a text label for screen readers. */
export function kindFlag(kind: Kind, cls: string): HTMLElement {
  const k = KINDS[kind] ?? KINDS.browser;
  return h('span', { class: cls, title: k.label, 'data-testid': 'participant-kind', 'data-kind': kind }, icon(k.icon), h('span', { class: 'sr-only' }, k.label));
}

export function kindLabel(kind: Kind): string {
  return (KINDS[kind] ?? KINDS.browser).label;
}
