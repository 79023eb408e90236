/** Member view: my personal VMR, its PINs, my call settings and my call history. */
import { api, type Cdr, type Member, type Page, type Vmr } from '../api.js';
import { clear, flash, formDialog, h } from '../dom.js';
import { PIN_ADVICE, callsTable } from './company.js';
import { showError } from './partner.js';

const JOIN_MODES = [
  { value: 'video', label: 'Video' },
  { value: 'audio_only', label: 'Audio only' },
  { value: 'audio_presentation', label: 'Audio and presentation' },
];
const BANDWIDTHS = [256, 576, 1200, 2400, 4000];

export async function renderMember(root: HTMLElement): Promise<void> {
  clear(root);
  const [{ member, vmr }, calls] = await Promise.all([
    api.get<{ member: Member; vmr: Vmr | null }>('/me/account'),
    api.get<Page<Cdr>>('/me/calls', { limit: 100 }),
  ]);
  const reload = () => void renderMember(root).catch(showError);

  const pins = () =>
    formDialog('Meeting room PINs', [
      { name: 'hostPin', label: `Host PIN (${vmr?.hostPinSet ? 'set; empty = keep' : 'not set'})`, type: 'password', placeholder: PIN_ADVICE },
      { name: 'guestPin', label: `Guest PIN (${vmr?.guestPinSet ? 'set; empty = keep' : 'not set'})`, type: 'password', placeholder: PIN_ADVICE },
      { name: 'clear', label: 'Remove both PINs', type: 'checkbox', value: 'false' },
      { name: 'allowGuests', label: 'Allow guests', type: 'checkbox', value: String(vmr?.allowGuests ?? true) },
    ], async (v) => {
      const body: Record<string, unknown> = { allowGuests: v.allowGuests === 'true' };
      if (v.clear === 'true') Object.assign(body, { hostPin: null, guestPin: null });
      else {
        if (v.hostPin) body.hostPin = v.hostPin;
        if (v.guestPin) body.guestPin = v.guestPin;
      }
      await api.patch('/me/vmr', body);
      flash('PINs saved.');
    }).then((ok) => ok && reload());

  // A signed link, minutes long, that joins me as host without my PIN, even while PIN entry is throttled.
  const start = async () => {
    const link = await api.post<{ url: string }>('/me/vmr/start-link');
    // The web app is served next to the portal: stay on the host name this node was reached by.
    location.assign(`/${new URL(link.url).search}`);
  };

  const settings = () =>
    formDialog('Call settings', [
      { name: 'defaultJoinMode', label: 'Default join mode', type: 'select', value: member.settings.defaultJoinMode, options: JOIN_MODES },
      { name: 'callBandwidthKbps', label: 'Call bandwidth', type: 'select', value: String(member.settings.callBandwidthKbps), options: BANDWIDTHS.map((b) => ({ value: String(b), label: `${b} kbps` })) },
    ], async (v) => {
      await api.patch('/me/settings', { defaultJoinMode: v.defaultJoinMode, callBandwidthKbps: Number(v.callBandwidthKbps) });
      flash('Settings saved.');
    }).then((ok) => ok && reload());

  root.append(
    h('h2', {}, `Hello, ${member.name}`),
    h(
      'section',
      { class: 'card', 'data-testid': 'my-vmr' },
      h('h3', {}, 'My meeting room'),
      vmr
        ? h(
            'dl',
            {},
            h('dt', {}, 'Meeting room address'),
            h('dd', {}, h('code', {}, member.vmrAddress)),
            h('dt', {}, 'Personal address (rings my devices)'),
            h('dd', {}, h('code', {}, member.personalAddress)),
            h('dt', {}, 'Numeric ID (for phone dial-in)'),
            h('dd', {}, vmr.numericId),
            h('dt', {}, 'Host PIN'),
            h('dd', {}, vmr.hostPinSet ? 'set' : 'not set'),
            h('dt', {}, 'Guest PIN'),
            h('dd', {}, vmr.guestPinSet ? 'set' : 'not set'),
            h('dt', {}, 'Guests'),
            h('dd', {}, vmr.allowGuests ? 'allowed' : 'not allowed'),
            h('dt', {}, 'State'),
            h('dd', {}, vmr.state),
          )
        : h('p', {}, 'Your meeting room is not available.'),
      h('p', { class: 'hint' }, `PINs: ${PIN_ADVICE}. "Start my meeting" lets you in as host without your PIN.`),
      h(
        'div',
        { class: 'toolbar' },
        vmr?.state === 'active' ? h('button', { 'data-testid': 'start-meeting', onclick: () => void start().catch(showError) }, 'Start my meeting') : null,
        h('button', { onclick: () => void pins() }, 'Set PINs'), h('button', { class: 'secondary', onclick: () => void settings() }, 'Call settings'),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, 'Call settings'),
      h('p', {}, `Join with: ${JOIN_MODES.find((m) => m.value === member.settings.defaultJoinMode)?.label ?? member.settings.defaultJoinMode} · bandwidth ${member.settings.callBandwidthKbps} kbps`),
    ),
    h('section', { class: 'card' }, h('h3', {}, 'My call history'), callsTable(calls)),
  );
}

/** The invitation link lands here: accepting returns a member token once, which logs the user in. */
export async function renderAccept(root: HTMLElement, invitationToken: string, onToken: (t: string) => void): Promise<void> {
  clear(root);
  const button = h('button', {}, 'Accept invitation');
  const out = h('div');
  button.addEventListener('click', () => {
    button.disabled = true;
    api
      .post<{ token: string; member: Member }>('/invitations/accept', { token: invitationToken })
      .then((res) => {
        clear(out);
        out.append(
          h('p', {}, `Welcome, ${res.member.name}. Your meeting room is ${res.member.vmrAddress}.`),
          h('p', {}, 'Your personal access token (shown only now; keep it to sign in again):'),
          h('p', {}, h('code', { 'data-testid': 'member-token' }, res.token)),
          h('button', { onclick: () => onToken(res.token) }, 'Continue to my meeting room'),
        );
      })
      .catch((err: unknown) => {
        button.disabled = false;
        showError(err);
      });
  });
  root.append(h('h2', {}, 'Your Convene invitation'), h('p', {}, 'Accept to activate your personal meeting room and video address.'), button, out);
}
