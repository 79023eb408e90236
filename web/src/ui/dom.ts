/** The meeting app's DOM helpers: the shared ones plus a few of its own. */
import { append, clear, type Child } from '../../shared/dom.js';

export { h, append, clear, type Child, type Attrs } from '../../shared/dom.js';

/** Replaces an element's children. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, ...children);
}

/** Initials for an avatar: "Ada Lovelace" → "AL". */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}
