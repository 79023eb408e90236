/**
 * Convene administration portal: a login screen (API bearer token), then the view for the
 * token's role — partner (companies, licences, orders), company admin (company tabs), member
 * (my VMR). Hash routes: #/companies, #/company/<id>/<tab>, #/me. Plain DOM, no framework.
 */
import { api, session, token, type Principal } from './api.js';
import { clear, clearFlash, flash, h } from './dom.js';
import { renderCompany } from './views/company.js';
import { renderAccept, renderMember } from './views/member.js';
import { renderNumbers } from './views/numbers.js';
import { renderOutbox } from './views/outbox.js';
import { renderCompanies, showError } from './views/partner.js';

const app = document.getElementById('app') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
let me: Principal | null = null;

function home(p: Principal): string {
  if (p.role === 'partner_admin') return '#/companies';
  if (p.role === 'operator') return '#/numbers';
  if (p.role === 'company_admin' && p.companyId) return `#/company/${encodeURIComponent(p.companyId)}`;
  return '#/me';
}

function renderWho(): void {
  clear(who);
  session.role = me?.role ?? null;
  if (!me) return;
  if (me.role === 'partner_admin') who.append(h('nav', { class: 'top-nav' }, h('a', { href: '#/companies' }, 'Companies'), h('a', { href: '#/numbers' }, 'Dial-in numbers'), h('a', { href: '#/outbox' }, 'Mail outbox')));
  if (me.role === 'operator') who.append(h('nav', { class: 'top-nav' }, h('a', { href: '#/numbers' }, 'Dial-in numbers')));
  who.append(
    h('span', {}, `${me.name} (${me.role.replace('_', ' ')})`),
    h('button', { class: 'small secondary', id: 'logout', onclick: () => logout() }, 'Sign out'),
  );
}

function logout(): void {
  token.clear();
  me = null;
  renderWho();
  location.hash = '';
  renderLogin();
}

function renderLogin(message?: string): void {
  clear(app);
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, placeholder: 'API token' });
  const form = h(
    'form',
    { class: 'login card' },
    h('h2', {}, 'Sign in'),
    h('p', {}, 'Paste your API token (partner admin, company admin or member).'),
    h('label', { for: 'token' }, 'Token'),
    input,
    message ? h('p', { class: 'form-error' }, message) : null,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void login(input.value.trim());
  });
  app.append(form);
  input.focus();
}

async function login(t: string): Promise<void> {
  token.set(t);
  try {
    me = await api.get<Principal>('/me');
  } catch (err) {
    token.clear();
    return renderLogin(err instanceof Error ? err.message : String(err));
  }
  renderWho();
  const target = home(me);
  if (location.hash === target || (location.hash && location.hash !== '#/')) void route();
  else location.hash = target;
}

async function route(): Promise<void> {
  if (!me) return renderLogin();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  // A new page starts without the previous page's error banner.
  clearFlash();
  try {
    if (parts[0] === 'numbers' && (me.role === 'operator' || me.role === 'partner_admin')) return await renderNumbers(app, me);
    if (me.role === 'operator') {
      // Partners and the audit log have no portal view yet: the API (/api/docs) serves them.
      location.hash = home(me);
      return;
    }
    if (parts[0] === 'companies' && me.role === 'partner_admin') return await renderCompanies(app);
    if (parts[0] === 'outbox' && me.role === 'partner_admin') return await renderOutbox(app);
    // #/company/<id>/licences/order/<planType> opens the order dialog (the "Order licenses" link).
    if (parts[0] === 'company' && parts[1] && me.role !== 'member') {
      return await renderCompany(app, parts[1], parts[2], me, parts[3] === 'order' ? (parts[4] ?? '') : undefined);
    }
    if (parts[0] === 'me' && me.role === 'member') return await renderMember(app);
    location.hash = home(me);
  } catch (err) {
    showError(err);
  }
}

window.addEventListener('hashchange', () => void route());
window.addEventListener('portal:unauthorized', () => {
  if (me) {
    flash('Your token is no longer valid; sign in again.', 'error');
    logout();
  }
});

// The invitation email links to /portal/accept?token=…
const invitation = new URLSearchParams(location.search).get('token');
if (location.pathname.replace(/\/$/, '').endsWith('/accept') && invitation) {
  void renderAccept(app, invitation, (t) => {
    history.replaceState(null, '', location.pathname.replace(/accept\/?$/, ''));
    void login(t);
  });
} else if (token.get()) {
  void login(token.get() ?? '');
} else {
  renderLogin();
}
