import type { ParticipantView } from '../../../server/src/protocol/index.js';
import type { MeetingController } from '../meeting/index.js';
import type { MediaSession, RemoteTrack } from '../media/index.js';
import { h, replaceChildren } from './dom.js';
import { icon, type IconName } from './icons.js';
import { formatBandwidth } from './validation.js';
import { kindFlag } from './kind.js';
import { AudioSink, TileGrid, type TileInput } from './tiles.js';

type Tab = 'people' | 'chat';

/**
 * The in-meeting page: header, stage (presentation + video grid), side panel (people, chat),
 * control bar. Built once; `render()` updates it from the controller's state and media.
 */
export class MeetingPage {
  readonly root: HTMLElement;
  private readonly grid = new TileGrid();
  private readonly audio = new AudioSink();
  private readonly title = h('h1', { class: 'meeting-title', 'data-testid': 'meeting-title' });
  private readonly headerMeta = h('div', { class: 'meeting-meta' });
  private readonly presentation = h('section', { class: 'presentation', 'data-testid': 'presentation-view', 'aria-label': 'Presentation', hidden: true });
  private readonly presentationVideo = h('video', { autoplay: true, playsinline: true, muted: true });
  private readonly presentationCaption = h('p', { class: 'presentation-caption' });
  private readonly stage = h('div', { class: 'stage' });
  private readonly peoplePanel = h('section', { class: 'panel-body', id: 'panel-people', role: 'tabpanel', 'aria-labelledby': 'tab-people' });
  private readonly chatPanel: HTMLElement;
  private readonly chatList = h('ol', { class: 'chat-list', 'data-testid': 'chat-list', 'aria-live': 'polite', 'aria-label': 'Chat messages' });
  private readonly chatInput = h('input', { type: 'text', id: 'chat-input', maxlength: 2000, autocomplete: 'off', placeholder: 'Message everyone', 'data-testid': 'chat-input' });
  private readonly tabs: Record<Tab, HTMLButtonElement>;
  private readonly controls = h('nav', { class: 'controls', 'aria-label': 'Meeting controls' });
  private readonly toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite', 'data-testid': 'toasts' });
  private tab: Tab = 'people';
  private unread = 0;
  private presentationTrack: MediaStreamTrack | null = null;
  private readonly offs: Array<() => void> = [];
  private mediaOffs: Array<() => void> = [];
  private renderQueued = false;
  private readonly controlButtons = new Map<string, HTMLButtonElement>();
  private controlsKey = '';
  private peopleKey = '';
  private confirming: { kind: 'remove'; id: string } | { kind: 'end' } | null = null;

  constructor(private readonly ctl: MeetingController) {
    this.presentation.append(this.presentationVideo, this.presentationCaption);
    this.stage.append(this.presentation, this.grid.root);

    const tabButton = (t: Tab, label: string, iconName: IconName): HTMLButtonElement =>
      h(
        'button',
        { type: 'button', role: 'tab', id: `tab-${t}`, 'aria-controls': `panel-${t}`, class: 'tab', 'data-testid': `tab-${t}`, onclick: () => this.selectTab(t) },
        icon(iconName),
        h('span', { class: 'tab-label' }, label),
      );
    this.tabs = { people: tabButton('people', 'People', 'people'), chat: tabButton('chat', 'Chat', 'chat') };

    const chatForm = h(
      'form',
      { class: 'chat-form', 'data-testid': 'chat-form' },
      h('label', { for: 'chat-input', class: 'sr-only' }, 'Chat message'),
      this.chatInput,
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'chat-send' }, 'Send'),
    );
    chatForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = this.chatInput.value.trim();
      if (!text) return;
      void this.ctl.sendChat(text).then((ok) => {
        if (ok) this.chatInput.value = '';
      });
    });
    this.chatPanel = h('section', { class: 'panel-body', id: 'panel-chat', role: 'tabpanel', 'aria-labelledby': 'tab-chat' }, this.chatList, chatForm);

    this.root = h(
      'div',
      { class: 'meeting-page', 'data-testid': 'meeting-page' },
      h(
        'header',
        { class: 'meeting-header' },
        h('div', { class: 'brand brand-small' }, h('span', { class: 'logo', 'aria-hidden': 'true' })),
        h('div', { class: 'meeting-heading' }, this.title, this.headerMeta),
      ),
      h('main', { class: 'meeting-main' }, this.stage),
      h('aside', { class: 'side-panel', 'aria-label': 'People and chat' }, h('div', { class: 'tabs', role: 'tablist' }, this.tabs.people, this.tabs.chat), this.peoplePanel, this.chatPanel),
      this.controls,
      this.toasts,
      this.audio.root,
    );

    this.offs.push(
      ctl.state.events.on('changed', () => this.queueRender()),
      ctl.state.events.on('chat', () => {
        if (this.tab !== 'chat') this.unread++;
        this.queueRender();
      }),
      ctl.events.on('toast', (msg) => this.toast(msg)),
      ctl.events.on('media', () => this.bindMedia()),
    );
    this.bindMedia();
    this.selectTab('people');
  }

  destroy(): void {
    for (const off of [...this.offs, ...this.mediaOffs]) off();
    this.grid.destroy();
    this.audio.destroy();
    this.root.remove();
  }

  render(): void {
    const s = this.ctl.state;
    const media = this.ctl.media;
    const meeting = s.meeting;
    this.title.textContent = meeting?.displayName ?? 'Meeting';
    const count = s.roster.size;
    replaceChildren(
      this.headerMeta,
      h('span', {}, count === 1 ? '1 participant' : `${count} participants`),
      meeting?.locked ? h('span', { class: 'badge badge-warn', 'data-testid': 'locked-badge' }, icon('lock'), 'Locked') : null,
      s.phase === 'reconnecting' ? h('span', { class: 'badge badge-warn', 'data-testid': 'reconnecting-badge' }, 'Reconnecting…') : null,
      s.cappedByOrganisation && s.bandwidth
        ? h(
            'span',
            {
              class: 'badge badge-info',
              'data-testid': 'bandwidth-capped',
              'data-kbps': String(s.bandwidth.kbps),
              title: `You chose ${formatBandwidth(s.bandwidth.requestedKbps ?? s.bandwidth.kbps)}; your organisation allows ${formatBandwidth(s.bandwidth.kbps)} per call.`,
            },
            `${formatBandwidth(s.bandwidth.kbps)} · capped by your organisation`,
          )
        : null,
    );
    this.renderStage(media);
    this.renderPeople();
    this.renderChat();
    this.renderControls(media);
    const chatLabel = this.tabs.chat.querySelector('.tab-label');
    if (chatLabel) chatLabel.textContent = this.unread > 0 ? `Chat (${this.unread})` : 'Chat';
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private bindMedia(): void {
    for (const off of this.mediaOffs) off();
    this.mediaOffs = [];
    const media = this.ctl.media;
    this.audio.destroy();
    if (!media) return this.queueRender();
    const onAdded = (t: RemoteTrack): void => {
      if (t.kind === 'audio') this.audio.add(t.consumerId, t.track);
      this.queueRender();
    };
    for (const t of media.remoteTracks()) onAdded(t);
    this.mediaOffs.push(
      media.events.on('trackAdded', onAdded),
      media.events.on('trackRemoved', (t) => {
        this.audio.remove(t.consumerId);
        this.queueRender();
      }),
      media.events.on('trackPaused', () => this.queueRender()),
      media.events.on('localChanged', () => this.queueRender()),
    );
    this.queueRender();
  }

  private renderStage(media: MediaSession | null): void {
    const s = this.ctl.state;
    const remote = media?.remoteTracks() ?? [];
    const cameraOf = (id: string): MediaStreamTrack | null => {
      if (id === s.participantId) return media?.isActive('camera') ? media.localTrack('camera') : null;
      return remote.find((t) => t.participantId === id && t.kind === 'video' && t.source === 'camera' && !t.paused)?.track ?? null;
    };
    const speaker = s.activeSpeakerId;
    const inputs: TileInput[] = s.sortedRoster().map((p, i) => ({
      participant: p,
      isMe: p.id === s.participantId,
      video: cameraOf(p.id),
      speaking: p.id === speaker,
      // The active speaker moves to the front (after nothing: emphasis matters more than "me first").
      order: p.id === speaker ? -1 : i,
    }));
    this.grid.update(inputs);
    if (media) {
      // Tile size decides the simulcast layer worth receiving: strip under a presentation or a
      // crowded grid gets a lower one; the active speaker in the grid always the top one.
      const presentingNow = !!s.presenterId;
      for (const t of remote) {
        if (t.kind !== 'video' || t.source !== 'camera') continue;
        const layer = presentingNow ? 0 : t.participantId === speaker || inputs.length <= 4 ? 2 : inputs.length <= 9 ? 1 : 0;
        media.preferSpatialLayer(t.consumerId, layer);
      }
    }

    const presenter = s.presenterId;
    let screen: MediaStreamTrack | null = null;
    if (presenter && presenter === s.participantId) screen = media?.localTrack('screen') ?? null;
    else if (presenter) screen = remote.find((t) => t.participantId === presenter && t.source === 'screen' && t.kind === 'video')?.track ?? null;
    const presenting = !!presenter;
    this.presentation.hidden = !presenting;
    this.stage.classList.toggle('has-presentation', presenting);
    if (screen !== this.presentationTrack) {
      this.presentationTrack = screen;
      this.presentationVideo.srcObject = screen ? new MediaStream([screen]) : null;
      if (screen) void this.presentationVideo.play().catch(() => undefined);
    }
    const who = presenter ? s.roster.get(presenter)?.displayName : undefined;
    this.presentationCaption.textContent =
      presenter === s.participantId ? 'You are presenting' : who ? `${who} is presenting` : presenting ? 'Presentation' : '';
    this.presentation.dataset.presenterId = presenter ?? '';
    this.presentation.dataset.hasVideo = screen ? 'true' : 'false';
  }

  private renderPeople(): void {
    const s = this.ctl.state;
    const host = s.isHost;
    // Skip rebuilding (and losing focus in) the list when nothing it shows changed, e.g. on speaker changes.
    const key = JSON.stringify([s.participantId, host, s.meeting?.locked, s.sortedRoster(), s.lobby, this.confirming]);
    if (key === this.peopleKey) return;
    this.peopleKey = key;
    const row = (p: ParticipantView): HTMLElement => {
      const isMe = p.id === s.participantId;
      const actions = host && !isMe
        ? h(
            'div',
            { class: 'row-actions' },
            p.audioMuted ? null : h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'host-mute', onclick: () => void this.ctl.muteParticipant(p.id) }, 'Mute', h('span', { class: 'sr-only' }, ` ${p.displayName}`)),
            p.role === 'guest' ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'host-promote', onclick: () => void this.ctl.promote(p.id) }, 'Make host', h('span', { class: 'sr-only' }, ` ${p.displayName}`)) : null,
            h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', 'data-testid': 'host-disconnect', onclick: () => this.askConfirm({ kind: 'remove', id: p.id }) }, 'Remove', h('span', { class: 'sr-only' }, ` ${p.displayName}`)),
          )
        : null;
      const confirm = host && this.confirming?.kind === 'remove' && this.confirming.id === p.id
        ? this.confirmBar(`Remove ${p.displayName} from the meeting?`, 'Remove', 'host-disconnect-confirm', () => void this.ctl.disconnectParticipant(p.id))
        : null;
      return h(
        'li',
        { class: 'person', 'data-testid': 'roster-item', 'data-participant-id': p.id, 'data-role': p.role, 'data-kind': p.kind, 'data-muted': String(p.audioMuted), 'data-hand': String(p.handRaised) },
        h(
          'div',
          { class: 'person-main' },
          h('span', { class: 'person-name' }, p.displayName, isMe ? h('span', { class: 'muted-text' }, ' (you)') : null),
          p.address ? h('span', { class: 'person-address', 'data-testid': 'participant-address' }, p.address.replace(/^sips?:|^tel:/i, '')) : null,
          h(
            'span',
            { class: 'person-flags' },
            kindFlag(p.kind, 'flag flag-kind'),
            h('span', { class: p.role === 'host' ? 'badge badge-host' : 'badge' }, p.role === 'host' ? 'Host' : 'Guest'),
            p.presenting ? h('span', { class: 'badge badge-info' }, 'Presenting') : null,
            p.state === 'reconnecting' ? h('span', { class: 'badge badge-warn' }, 'Reconnecting') : null,
            p.handRaised ? h('span', { class: 'flag flag-hand', title: 'Hand raised' }, icon('hand'), h('span', { class: 'sr-only' }, 'Hand raised')) : null,
            h('span', { class: p.audioMuted ? 'flag flag-off' : 'flag', title: p.audioMuted ? 'Muted' : 'Microphone on' }, icon(p.audioMuted ? 'micOff' : 'mic'), h('span', { class: 'sr-only' }, p.audioMuted ? 'Muted' : 'Microphone on')),
          ),
        ),
        confirm ?? actions,
      );
    };

    const lobby = host && s.lobby.length > 0
      ? h(
          'section',
          { class: 'lobby-list', 'aria-label': 'Waiting in the lobby', 'data-testid': 'lobby-list' },
          h('h2', {}, `Waiting to join (${s.lobby.length})`),
          h(
            'ul',
            {},
            ...s.lobby.map((p) =>
              h(
                'li',
                { class: 'person', 'data-testid': 'lobby-item', 'data-participant-id': p.id },
                h('span', { class: 'person-name' }, p.displayName),
                h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'host-admit', onclick: () => void this.ctl.admit(p.id) }, 'Admit', h('span', { class: 'sr-only' }, ` ${p.displayName}`)),
              ),
            ),
          ),
        )
      : null;

    const hostTools = host
      ? h(
          'div',
          { class: 'host-tools' },
          h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'host-mute-all', onclick: () => void this.ctl.muteParticipant() }, 'Mute all'),
          h(
            'button',
            { type: 'button', class: 'btn btn-small', 'data-testid': 'host-lock', 'aria-pressed': String(!!s.meeting?.locked), onclick: () => void this.ctl.setLocked(!s.meeting?.locked) },
            icon(s.meeting?.locked ? 'unlock' : 'lock'),
            s.meeting?.locked ? 'Unlock meeting' : 'Lock meeting',
          ),
          h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'host-end', onclick: () => this.askConfirm({ kind: 'end' }) }, 'End for all'),
          this.confirming?.kind === 'end'
            ? this.confirmBar('End the meeting for everyone?', 'End meeting', 'host-end-confirm', () => void this.ctl.endMeeting())
            : null,
        )
      : null;

    replaceChildren(
      this.peoplePanel,
      lobby,
      hostTools,
      h('h2', { class: 'sr-only' }, 'In the meeting'),
      h('ul', { class: 'roster', 'data-testid': 'roster-list' }, ...s.sortedRoster().map(row)),
    );
  }

  private renderChat(): void {
    const s = this.ctl.state;
    const list = this.chatList;
    if (list.childElementCount === s.chat.length && list.lastElementChild?.getAttribute('data-message-id') === (s.chat[s.chat.length - 1]?.messageId ?? null)) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    replaceChildren(
      list,
      ...s.chat.map((m) =>
        h(
          'li',
          { class: m.from === s.participantId ? 'chat-msg is-me' : 'chat-msg', 'data-message-id': m.messageId, 'data-testid': 'chat-message' },
          h('div', { class: 'chat-meta' }, h('span', { class: 'chat-from' }, m.from === s.participantId ? 'You' : m.displayName), h('time', { datetime: m.at }, formatTime(m.at))),
          h('p', { class: 'chat-text' }, m.text),
        ),
      ),
    );
    if (s.chat.length === 0) list.appendChild(h('li', { class: 'empty' }, 'No messages yet.'));
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  /** Control buttons are built once and updated in place, so keyboard focus survives re-renders. */
  private controlButton(testId: string, onclick: () => void): HTMLButtonElement {
    let btn = this.controlButtons.get(testId);
    if (!btn) {
      btn = h('button', { type: 'button', class: 'ctl', 'data-testid': testId, onclick });
      this.controlButtons.set(testId, btn);
    }
    return btn;
  }

  private renderControls(media: MediaSession | null): void {
    const s = this.ctl.state;
    const mode = s.mode;
    const micOn = !!media?.isActive('mic');
    const camOn = !!media?.isActive('camera');
    const sharing = !!media?.hasProducer('screen');
    const hand = !!s.me?.handRaised;
    const ready = !!media && s.phase === 'joined';
    const set = (btn: HTMLButtonElement, on: boolean | null, label: string, iconName: IconName, cls: string): HTMLButtonElement => {
      btn.className = cls;
      // The label names the action ("Mute"/"Unmute"), so no aria-pressed; data-on is for tests and styling.
      if (on === null) delete btn.dataset.on;
      else btn.dataset.on = String(on);
      btn.disabled = !ready && btn.dataset.testid !== 'leave';
      replaceChildren(btn, icon(iconName), h('span', { class: 'ctl-label' }, label));
      return btn;
    };
    const key = [micOn, camOn, sharing, hand, ready, mode].join('|');
    if (key === this.controlsKey) return;
    this.controlsKey = key;
    const mic = set(this.controlButton('toggle-mic', () => void this.ctl.toggleMic()), micOn, micOn ? 'Mute' : 'Unmute', micOn ? 'mic' : 'micOff', micOn ? 'ctl' : 'ctl is-off');
    const cam = mode === 'video'
      ? set(this.controlButton('toggle-camera', () => void this.ctl.toggleCamera()), camOn, camOn ? 'Stop video' : 'Start video', camOn ? 'cam' : 'camOff', camOn ? 'ctl' : 'ctl is-off')
      : null;
    const screen = mode !== 'audio-only'
      ? set(this.controlButton('toggle-screen', () => void this.ctl.toggleScreen()), sharing, sharing ? 'Stop sharing' : 'Share screen', 'screen', sharing ? 'ctl is-active' : 'ctl')
      : null;
    const handBtn = set(this.controlButton('raise-hand', () => void this.ctl.setHand(!this.ctl.state.me?.handRaised)), hand, hand ? 'Lower hand' : 'Raise hand', 'hand', hand ? 'ctl is-active' : 'ctl');
    const leave = set(this.controlButton('leave', () => void this.ctl.leave()), null, 'Leave', 'leave', 'ctl ctl-leave');
    const wanted = [mic, cam, screen, handBtn, leave].filter((b): b is HTMLButtonElement => b !== null);
    if (wanted.length !== this.controls.childElementCount || wanted.some((b, i) => this.controls.children[i] !== b)) {
      replaceChildren(this.controls, ...wanted);
    }
  }

  /** Destructive host actions ask inline (no window.confirm: it blocks the page and automation). */
  private askConfirm(what: { kind: 'remove'; id: string } | { kind: 'end' }): void {
    this.confirming = what;
    this.renderPeople();
    this.peoplePanel.querySelector<HTMLButtonElement>('.confirm-bar .btn-danger')?.focus();
  }

  private confirmBar(question: string, action: string, testId: string, run: () => void): HTMLElement {
    const done = (): void => {
      this.confirming = null;
      this.renderPeople();
    };
    return h(
      'div',
      { class: 'confirm-bar', role: 'group', 'aria-label': question },
      h('span', { class: 'confirm-question' }, question),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': testId, onclick: () => { done(); run(); } }, action),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': `${testId}-cancel`, onclick: done }, 'Cancel'),
    );
  }

  private selectTab(t: Tab): void {
    this.tab = t;
    if (t === 'chat') this.unread = 0;
    for (const [name, btn] of Object.entries(this.tabs)) btn.setAttribute('aria-selected', String(name === t));
    this.peoplePanel.hidden = t !== 'people';
    this.chatPanel.hidden = t !== 'chat';
    this.root.dataset.tab = t;
    if (t === 'chat') this.chatInput.focus({ preventScroll: true });
    this.queueRender();
  }

  private toast(message: string): void {
    const el = h('div', { class: 'toast', 'data-testid': 'toast' }, message);
    this.toasts.appendChild(el);
    // Bounded: at most 4 visible; each disappears after a while.
    while (this.toasts.childElementCount > 4) this.toasts.firstElementChild?.remove();
    setTimeout(() => el.remove(), 6_000);
  }
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

