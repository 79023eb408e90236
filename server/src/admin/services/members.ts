import { memberAddresses } from '../../directory/index.js';
import type { AdminContext } from '../context.js';
import { nowIso } from '../context.js';
import { invitationEmail, invitationReminderEmail } from '../email/index.js';
import { adminError } from '../errors.js';
import { invitationExpiresAt, type Invitation, type ReminderKind } from '../invitations/index.js';
import type { Company, MemberRecord, MemberSettings, Principal, VmrRecord } from '../model.js';
import { keys, newId } from '../store/index.js';
import { newSecretToken, sha256Hex } from '../auth/index.js';
import { addressError, assertDomainUsable, claimKeysOf, createLicensed } from './common.js';
import { newVmr } from './vmrs.js';

/** What the invitation job works on (schedule fields + where the record lives). */
export interface PendingInvitation extends Invitation {
  companyId: string;
}

export interface InviteInput {
  name: string;
  email: string;
  localPart: string;
  domain: string;
}

const DEFAULT_SETTINGS: MemberSettings = { defaultJoinMode: 'video', callBandwidthKbps: 1200 };

/**
 * Users (members). A user exists from the invitation on (state `invited`, licence reserved,
 * addresses claimed); accepting activates the user and their personal VMR (`.vmr` address).
 */
export class MemberService {
  constructor(private readonly ctx: AdminContext) {}

  /** Creates the invited user and mails the accept link. Returns the invitation token too (for the caller's tests/CLI; the API does not show it). */
  async invite(inviter: Principal, company: Company, input: InviteInput): Promise<{ member: MemberRecord; invitationToken: string }> {
    const addrs = memberAddresses(input.localPart, input.domain, this.ctx.config.defaultDomain);
    if (!addrs.ok) throw addressError(addrs.reason, addrs.message);
    const { personal, vmr: vmrAddr } = addrs.value;
    await assertDomainUsable(this.ctx, company, personal.domain);
    const id = newId('mb');
    const vmr = newVmr({ companyId: company.id, addresses: [vmrAddr.address], displayName: input.name, owner: { kind: 'member', memberId: id } });
    const now = nowIso(this.ctx);
    let member!: MemberRecord;
    await createLicensed(this.ctx, company, 'eul', ({ pool, trial }) => {
      member = {
        id,
        companyId: company.id,
        state: 'invited',
        pool,
        trial,
        createdAt: now,
        deactivatedAt: null,
        deactivatedReason: null,
        kind: 'user',
        name: input.name,
        email: input.email.toLowerCase(),
        domain: personal.domain,
        personalAddress: personal.address,
        vmrAddress: vmrAddr.address,
        vmrId: vmr.id,
        settings: DEFAULT_SETTINGS,
        invitedAt: now,
        acceptedAt: null,
        remindersSent: [],
      };
      return {
        record: member,
        pool,
        claims: [
          { key: keys.addressClaim(personal.address), value: `${company.id}|user|${id}`, label: personal.address },
          { key: keys.addressClaim(vmrAddr.address), value: `${company.id}|vmr|${vmr.id}`, label: vmrAddr.address },
          { key: keys.numericIdClaim(vmr.numericId), value: `${company.id}|vmr|${vmr.id}`, label: 'numeric id', numeric: true },
        ],
        vmr: { record: vmr, state: 'inactive' },
        now: this.ctx.clock.now(),
      };
    });
    const token = newSecretToken('inv_');
    const sha = sha256Hex(token);
    await this.ctx.orgs.saveInvitation(sha, company.id, id, this.ctx.clock.now());
    await this.ctx.mailer
      .send(invitationEmail({ to: member.email, companyName: company.name, inviteeName: member.name, inviterName: inviter.name, acceptUrl: this.acceptUrl(token), expiresAt: invitationExpiresAt({ createdAt: Date.parse(now) }) }))
      .catch((err: unknown) => this.ctx.logger.warn({ err, memberId: id }, 'invitation email failed'));
    return { member, invitationToken: token };
  }

  /** "Resend invitation" from the portal: a fresh link; earlier links keep working. */
  async resendNow(company: Company, member: MemberRecord, inviter: Principal): Promise<void> {
    if (member.state !== 'invited') throw adminError('invitation_invalid', `the user is ${member.state}, not invited`);
    const token = newSecretToken('inv_');
    await this.ctx.orgs.saveInvitation(sha256Hex(token), company.id, member.id, Date.parse(member.invitedAt));
    await this.ctx.mailer.send(
      invitationEmail({ to: member.email, companyName: company.name, inviteeName: member.name, inviterName: inviter.name, acceptUrl: this.acceptUrl(token), expiresAt: invitationExpiresAt({ createdAt: Date.parse(member.invitedAt) }) }),
    );
  }

  acceptUrl(token: string): string {
    return `${this.ctx.config.publicBaseUrl.replace(/\/$/, '')}/portal/accept?token=${encodeURIComponent(token)}`;
  }

  /**
   * Accepts an invitation: activates the user and their personal VMR and returns a member API token.
   * Called by the accept endpoint and by the invitations flow.
   */
  async createMemberFromInvitation(invitationToken: string): Promise<{ member: MemberRecord; vmr: VmrRecord; token: string }> {
    const sha = sha256Hex(invitationToken);
    const inv = await this.ctx.orgs.getInvitation(sha);
    if (!inv) throw adminError('invitation_invalid', 'unknown, used or expired invitation');
    const member = await this.ctx.consumers.get<MemberRecord>(inv.companyId, inv.memberId, 'user');
    if (!member) throw adminError('invitation_invalid', 'the invited user no longer exists');
    const accepted: MemberRecord = { ...member, acceptedAt: nowIso(this.ctx), state: 'active' };
    const ok = await this.ctx.consumers.transition('invited', [
      { key: keys.consumer(member.companyId, member.id), json: JSON.stringify(accepted), state: 'active' },
      { key: keys.vmr(member.companyId, member.vmrId), json: '', state: 'active' },
    ]);
    if (!ok) throw adminError('invitation_invalid', `the user is ${member.state}; the invitation cannot be accepted now`);
    await this.ctx.orgs.finishInvitation(inv.companyId, inv.memberId, sha);
    const company = await this.ctx.orgs.getCompany(inv.companyId);
    const { token } = await this.ctx.tokens.issue({ role: 'member', name: member.name, partnerId: company?.partnerId ?? '', companyId: member.companyId, memberId: member.id });
    const vmr = await this.ctx.consumers.getVmr(member.companyId, member.vmrId);
    if (!vmr) throw adminError('not_found', 'personal VMR missing');
    return { member: accepted, vmr, token };
  }

  async updateSettings(member: MemberRecord, patch: Partial<MemberSettings>): Promise<MemberRecord> {
    const next: MemberRecord = { ...member, settings: { ...member.settings, ...patch } };
    await this.ctx.consumers.update(next);
    return next;
  }

  // ---- invitation job callbacks ---------------------------------------------------------------

  async listPending(): Promise<PendingInvitation[]> {
    const out: PendingInvitation[] = [];
    for (const p of await this.ctx.orgs.pendingInvitations()) {
      const m = await this.ctx.consumers.get<MemberRecord>(p.companyId, p.memberId, 'user');
      if (!m) {
        await this.ctx.orgs.finishInvitation(p.companyId, p.memberId);
        continue;
      }
      out.push({ id: m.id, companyId: m.companyId, createdAt: Date.parse(m.invitedAt), remindersSent: [...m.remindersSent], acceptedAt: m.acceptedAt ? Date.parse(m.acceptedAt) : null });
    }
    return out;
  }

  /** Re-sends with a fresh link (earlier links keep working until accepted or expired) and records the reminder. */
  async resend(inv: PendingInvitation, which: ReminderKind): Promise<void> {
    const m = await this.ctx.consumers.get<MemberRecord>(inv.companyId, inv.id, 'user');
    if (!m || m.remindersSent.includes(which) || m.acceptedAt) return;
    const company = await this.ctx.orgs.getCompany(inv.companyId);
    const token = newSecretToken('inv_');
    await this.ctx.mailer.send(
      invitationReminderEmail({ which, to: m.email, companyName: company?.name ?? '', inviteeName: m.name, acceptUrl: this.acceptUrl(token), expiresAt: invitationExpiresAt({ createdAt: Date.parse(m.invitedAt) }) }),
    );
    await this.ctx.orgs.saveInvitation(sha256Hex(token), inv.companyId, inv.id, Date.parse(m.invitedAt));
    await this.ctx.consumers.update({ ...m, remindersSent: [...m.remindersSent, which] });
  }

  /** 60 days unanswered: the user record, its VMR, its addresses and the invitation go. */
  async expire(inv: PendingInvitation): Promise<void> {
    const m = await this.ctx.consumers.get<MemberRecord>(inv.companyId, inv.id, 'user');
    if (m && !m.acceptedAt) {
      const vmr = await this.ctx.consumers.getVmr(m.companyId, m.vmrId);
      await this.ctx.consumers.release(m, 'delete', claimKeysOf(m, vmr?.numericId));
    }
    await this.ctx.orgs.finishInvitation(inv.companyId, inv.id);
  }
}
