import { MeetingController } from '../meeting/index.js';
import type { Phase } from '../meeting/index.js';
import type { RemoteStats, SendStats } from '../media/index.js';
import { SignalingError, errorMessage } from '../signaling/index.js';
import { replaceChildren } from './dom.js';
import { renderJoinPage } from './join-page.js';
import { MeetingPage } from './meeting-page.js';
import { renderConnectingPage, renderEndedPage, renderLobbyPage } from './status-pages.js';
import type { JoinFormValues } from './validation.js';

const REMEMBERED = 'convene.join';

/** Switches between the join, connecting, lobby, meeting and ended pages as the meeting phase changes. */
export class App {
  ctl: MeetingController;
  private shownPhase: Phase | null = null;
  private meetingPage: MeetingPage | null = null;
  private joinError: string | null = null;
  private values: Partial<JoinFormValues>;
  private offState: (() => void) | null = null;
  private hostLinkAddress: string | null;

  constructor(
    private readonly root: HTMLElement,
    private readonly wsUrl: string,
    initial: Partial<JoinFormValues>,
    private readonly options: { forceRelay?: boolean } = {},
    /** A start link's token; it only goes with a join to the address the link named. */
    private hostToken: string | null = null,
  ) {
    this.values = { ...loadRemembered(), ...initial };
    this.hostLinkAddress = hostToken ? (initial.address ?? '').trim().toLowerCase() : null;
    this.ctl = this.newController();
    this.show();
  }

  get snapshot(): ReturnType<MeetingController['state']['snapshot']> {
    return this.ctl.state.snapshot();
  }

  sendStats(): Promise<SendStats> {
    return this.ctl.sendStats();
  }

  stats(): Promise<Record<string, RemoteStats>> {
    return this.ctl.stats();
  }

  /** Every phase this page went through, in order (bounded): a test hook, since a fast resume can pass
   * through 'reconnecting' quicker than anyone polling could see. */
  readonly phaseLog: string[] = [];

  private newController(): MeetingController {
    this.offState?.();
    const ctl = new MeetingController(this.wsUrl, undefined, this.options);
    this.offState = ctl.state.events.on('changed', () => {
      if (this.phaseLog.at(-1) !== ctl.state.phase) {
        this.phaseLog.push(ctl.state.phase);
        if (this.phaseLog.length > 200) this.phaseLog.shift();
      }
      this.show();
    });
    return ctl;
  }

  private show(): void {
    const s = this.ctl.state;
    const phase = s.phase;
    // The meeting page stays through reconnects; everything else is rebuilt on a phase change.
    const page = phase === 'reconnecting' && this.meetingPage ? 'joined' : phase;
    if (page === this.shownPhase) return;
    this.shownPhase = page;
    if (page !== 'joined') {
      this.meetingPage?.destroy();
      this.meetingPage = null;
    }
    switch (page) {
      case 'join':
        replaceChildren(
          this.root,
          renderJoinPage({
            initial: this.values,
            error: this.joinError,
            notice: this.hostToken ? 'You are starting your own meeting from the portal: you join as host, no PIN needed.' : null,
            busy: false,
            onSubmit: (join, values) => void this.join(join, values),
          }),
        );
        document.title = 'Join a meeting · Convene';
        break;
      case 'connecting':
      case 'reconnecting':
        replaceChildren(this.root, renderConnectingPage());
        break;
      case 'lobby':
        replaceChildren(this.root, renderLobbyPage(s.meeting?.displayName ?? 'the meeting', () => void this.ctl.leave()));
        document.title = 'Waiting in the lobby · Convene';
        break;
      case 'joined':
        this.meetingPage = new MeetingPage(this.ctl);
        replaceChildren(this.root, this.meetingPage.root);
        this.meetingPage.render();
        document.title = `${s.meeting?.displayName ?? 'Meeting'} · Convene`;
        break;
      case 'ended':
        replaceChildren(this.root, renderEndedPage(s.notice ?? 'You left the meeting.', () => this.restart()));
        document.title = 'Meeting over · Convene';
        break;
    }
  }

  private async join(join: Parameters<MeetingController['join']>[0], values: JoinFormValues): Promise<void> {
    this.values = { ...values, pin: '' };
    remember(values);
    this.joinError = null;
    const token = this.hostToken && join.address === this.hostLinkAddress ? this.hostToken : null;
    try {
      await this.ctl.join(token ? { ...join, hostToken: token } : join);
    } catch (err) {
      this.joinError = err instanceof SignalingError ? errorMessage(err.code, err.details) : errorMessage('internal');
      // A refused link is not tried again: the form falls back to the PIN.
      if (err instanceof SignalingError && (err.code === 'host_link_invalid' || err.code === 'host_link_expired')) this.hostToken = null;
      this.values = { ...values, pin: '' };
      this.shownPhase = null;
      this.show();
    }
  }

  private restart(): void {
    this.joinError = null;
    this.ctl = this.newController();
    this.shownPhase = null;
    this.show();
  }
}

function loadRemembered(): Partial<JoinFormValues> {
  try {
    const raw = localStorage.getItem(REMEMBERED);
    const v: unknown = raw ? JSON.parse(raw) : null;
    if (typeof v !== 'object' || v === null) return {};
    const o = v as Record<string, unknown>;
    const out: Partial<JoinFormValues> = {};
    if (typeof o.displayName === 'string') out.displayName = o.displayName;
    if (typeof o.mode === 'string') out.mode = o.mode;
    if (typeof o.bandwidthKbps === 'string') out.bandwidthKbps = o.bandwidthKbps;
    return out;
  } catch {
    return {};
  }
}

/** Remembers name, mode and bandwidth (never the PIN) for the next visit. */
function remember(v: JoinFormValues): void {
  try {
    localStorage.setItem(REMEMBERED, JSON.stringify({ displayName: v.displayName, mode: v.mode, bandwidthKbps: v.bandwidthKbps }));
  } catch {
    // storage disabled: nothing to remember
  }
}
