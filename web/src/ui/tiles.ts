import type { ParticipantView } from '../../../server/src/protocol/index.js';
import { h, initials, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { kindFlag, kindLabel } from './kind.js';

export interface TileInput {
  participant: ParticipantView;
  isMe: boolean;
  video: MediaStreamTrack | null;
  speaking: boolean;
  /** Display order: lower first (CSS order, so playing video elements are never moved in the DOM). */
  order: number;
}

/** One participant's tile: camera video or initials, kind icon, name, role and mute/hand badges. */
class Tile {
  readonly root: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly avatar: HTMLElement;
  private readonly label: HTMLElement;
  private track: MediaStreamTrack | null = null;

  constructor(id: string) {
    this.video = h('video', { autoplay: true, playsinline: true, muted: true, class: 'tile-video' });
    this.video.muted = true; // property too: the attribute alone does not mute in every browser
    this.avatar = h('div', { class: 'tile-avatar', 'aria-hidden': 'true' });
    this.label = h('div', { class: 'tile-label' });
    this.root = h('figure', { class: 'tile', 'data-testid': 'tile', 'data-participant-id': id }, this.video, this.avatar, this.label);
  }

  update(t: TileInput): void {
    const p = t.participant;
    if (t.video !== this.track) {
      this.track = t.video;
      this.video.srcObject = t.video ? new MediaStream([t.video]) : null;
      if (t.video) void this.video.play().catch(() => undefined);
    }
    const showVideo = !!t.video && !p.videoMuted;
    this.video.hidden = !showVideo;
    this.avatar.hidden = showVideo;
    this.avatar.textContent = initials(p.displayName);
    this.root.classList.toggle('is-speaking', t.speaking);
    this.root.classList.toggle('is-me', t.isMe);
    this.root.classList.toggle('is-mirrored', t.isMe);
    this.root.style.order = String(t.order);
    this.root.dataset.kind = p.kind;
    this.root.setAttribute('aria-label', `${p.displayName}${t.isMe ? ' (you)' : ''}, ${kindLabel(p.kind).toLowerCase()}${t.speaking ? ', speaking' : ''}`);
    replaceChildren(
      this.label,
      kindFlag(p.kind, 'tile-flag tile-flag-kind'),
      h('span', { class: 'tile-name' }, t.isMe ? `${p.displayName} (you)` : p.displayName),
      p.role === 'host' ? h('span', { class: 'badge badge-host' }, 'Host') : null,
      p.audioMuted ? h('span', { class: 'tile-flag', title: 'Muted' }, icon('micOff'), h('span', { class: 'sr-only' }, 'Muted')) : null,
      p.handRaised ? h('span', { class: 'tile-flag tile-flag-hand', title: 'Hand raised' }, icon('hand'), h('span', { class: 'sr-only' }, 'Hand raised')) : null,
      p.state === 'reconnecting' ? h('span', { class: 'badge' }, 'Reconnecting') : null,
    );
  }

  destroy(): void {
    this.video.srcObject = null;
    this.root.remove();
  }
}

/** The video grid: tiles keyed by participant, created and removed as the roster changes. */
export class TileGrid {
  readonly root = h('div', { class: 'grid', 'data-testid': 'video-grid', role: 'list', 'aria-label': 'Participants' });
  private readonly tiles = new Map<string, Tile>();

  update(inputs: TileInput[]): void {
    const seen = new Set<string>();
    for (const input of inputs) {
      const id = input.participant.id;
      seen.add(id);
      let tile = this.tiles.get(id);
      if (!tile) {
        tile = new Tile(id);
        tile.root.setAttribute('role', 'listitem');
        this.tiles.set(id, tile);
        this.root.appendChild(tile.root);
      }
      tile.update(input);
    }
    for (const [id, tile] of this.tiles) {
      if (!seen.has(id)) {
        tile.destroy();
        this.tiles.delete(id);
      }
    }
    this.root.dataset.count = String(this.tiles.size);
  }

  destroy(): void {
    for (const t of this.tiles.values()) t.destroy();
    this.tiles.clear();
  }
}

/** Remote audio: one hidden <audio> per audio track (each consumer is its own track). */
export class AudioSink {
  readonly root = h('div', { hidden: true });
  private readonly elements = new Map<string, HTMLAudioElement>();

  add(key: string, track: MediaStreamTrack): void {
    if (this.elements.has(key)) return;
    const el = h('audio', { autoplay: true });
    el.srcObject = new MediaStream([track]);
    this.elements.set(key, el);
    this.root.appendChild(el);
    void el.play().catch(() => undefined);
  }

  remove(key: string): void {
    const el = this.elements.get(key);
    if (!el) return;
    el.srcObject = null;
    el.remove();
    this.elements.delete(key);
  }

  destroy(): void {
    for (const key of [...this.elements.keys()]) this.remove(key);
  }
}
