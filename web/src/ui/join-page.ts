import { h } from './dom.js';
import { BANDWIDTHS, JOIN_MODES, formatBandwidth, validateJoinForm, type JoinFieldErrors, type JoinFormValues, type ValidJoin } from './validation.js';

export interface JoinPageOptions {
  initial: Partial<JoinFormValues>;
  /** Shown above the form (e.g. why the last attempt was refused). */
  error: string | null;
  /** Shown above the form as information (e.g. joining through a start link). */
  notice?: string | null;
  busy: boolean;
  onSubmit: (join: ValidJoin, values: JoinFormValues) => void;
}

const FIELD_IDS: Record<keyof JoinFormValues, string> = {
  address: 'join-address',
  displayName: 'join-name',
  pin: 'join-pin',
  mode: 'join-mode',
  bandwidthKbps: 'join-bandwidth',
};

/** The join form: address, name, PIN, join mode, call bandwidth. */
export function renderJoinPage(opts: JoinPageOptions): HTMLElement {
  const v: JoinFormValues = {
    address: opts.initial.address ?? '',
    displayName: opts.initial.displayName ?? '',
    pin: opts.initial.pin ?? '',
    mode: opts.initial.mode ?? 'video',
    bandwidthKbps: opts.initial.bandwidthKbps ?? '1200',
  };

  const fieldError = (field: keyof JoinFormValues): HTMLElement =>
    h('p', { class: 'field-error', id: `${FIELD_IDS[field]}-error`, 'data-testid': `${FIELD_IDS[field]}-error`, hidden: true });

  const address = h('input', {
    id: 'join-address', name: 'address', type: 'text', value: v.address, autocomplete: 'off', spellcheck: 'false',
    placeholder: 'room.name@convene.example', 'aria-describedby': 'join-address-error', 'data-testid': 'join-address',
  });
  const name = h('input', {
    id: 'join-name', name: 'displayName', type: 'text', value: v.displayName, autocomplete: 'name', maxlength: 64,
    placeholder: 'Your name', 'aria-describedby': 'join-name-error', 'data-testid': 'join-name',
  });
  const pin = h('input', {
    id: 'join-pin', name: 'pin', type: 'password', value: v.pin, inputmode: 'numeric', autocomplete: 'off', maxlength: 20,
    placeholder: 'Only if the meeting has one', 'aria-describedby': 'join-pin-hint join-pin-error', 'data-testid': 'join-pin',
  });
  const modes = JOIN_MODES.map((m) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'mode', value: m.value, checked: m.value === v.mode, 'data-testid': `join-mode-${m.value}` }),
      h('span', { class: 'choice-text' }, h('span', { class: 'choice-label' }, m.label), h('span', { class: 'choice-hint' }, m.hint)),
    ),
  );
  const bandwidth = h(
    'select',
    { id: 'join-bandwidth', name: 'bandwidthKbps', 'data-testid': 'join-bandwidth', 'aria-describedby': 'join-bandwidth-hint' },
    ...BANDWIDTHS.map((b) => h('option', { value: b, selected: String(b) === v.bandwidthKbps }, formatBandwidth(b))),
  );
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'join-submit', disabled: opts.busy }, opts.busy ? 'Joining…' : 'Join meeting');
  const banner = h('div', { class: 'banner banner-error', role: 'alert', 'data-testid': 'join-error', hidden: !opts.error }, opts.error ?? '');
  const notice = h('div', { class: 'banner banner-info', role: 'status', 'data-testid': 'join-notice', hidden: !opts.notice }, opts.notice ?? '');

  const errorEls: Record<keyof JoinFormValues, HTMLElement> = {
    address: fieldError('address'),
    displayName: fieldError('displayName'),
    pin: fieldError('pin'),
    mode: fieldError('mode'),
    bandwidthKbps: fieldError('bandwidthKbps'),
  };
  const inputs: Partial<Record<keyof JoinFormValues, HTMLElement>> = { address, displayName: name, pin, bandwidthKbps: bandwidth };

  const showErrors = (errors: JoinFieldErrors): void => {
    for (const key of Object.keys(errorEls) as Array<keyof JoinFormValues>) {
      const msg = errors[key];
      const el = errorEls[key];
      el.textContent = msg ?? '';
      el.hidden = !msg;
      inputs[key]?.setAttribute('aria-invalid', msg ? 'true' : 'false');
    }
  };

  const form = h(
    'form',
    { class: 'join-form', novalidate: true, 'aria-labelledby': 'join-title', 'data-testid': 'join-form' },
    banner,
    notice,
    h('div', { class: 'field' }, h('label', { for: 'join-address' }, 'Meeting address'), address, errorEls.address),
    h('div', { class: 'field' }, h('label', { for: 'join-name' }, 'Your name'), name, errorEls.displayName),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'join-pin' }, 'PIN ', h('span', { class: 'optional' }, '(optional)')),
      pin,
      h('p', { class: 'hint', id: 'join-pin-hint' }, 'The host PIN makes you a host; the guest PIN lets you in as a guest.'),
      errorEls.pin,
    ),
    h('fieldset', { class: 'field' }, h('legend', {}, 'Join with'), h('div', { class: 'choices' }, ...modes), errorEls.mode),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'join-bandwidth' }, 'Call bandwidth'),
      bandwidth,
      h('p', { class: 'hint', id: 'join-bandwidth-hint' }, 'Lower it on a slow or metered connection.'),
      errorEls.bandwidthKbps,
    ),
    submit,
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const values: JoinFormValues = {
      address: String(data.get('address') ?? ''),
      displayName: String(data.get('displayName') ?? ''),
      pin: String(data.get('pin') ?? ''),
      mode: String(data.get('mode') ?? ''),
      bandwidthKbps: String(data.get('bandwidthKbps') ?? ''),
    };
    const result = validateJoinForm(values);
    if (!result.ok) {
      showErrors(result.errors);
      const first = (Object.keys(FIELD_IDS) as Array<keyof JoinFormValues>).find((k) => result.errors[k]);
      if (first) (inputs[first] ?? form.querySelector<HTMLElement>(`input[name="${first}"]`))?.focus();
      return;
    }
    showErrors({});
    opts.onSubmit(result.value, values);
  });

  return h(
    'main',
    { class: 'join-page' },
    h(
      'section',
      { class: 'card join-card' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), h('span', {}, 'Convene')),
      h('h1', { id: 'join-title' }, 'Join a meeting'),
      h('p', { class: 'lead' }, 'Enter the meeting address you were given. Your browser will ask to use your camera and microphone.'),
      form,
    ),
  );
}
