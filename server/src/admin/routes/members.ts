import { z } from 'zod';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import { PageQuery, pageOf, type RouteRegistrar } from '../http/route.js';
import { CdrSchema, JoinMode, MemberSchema, VmrViewSchema, type MemberRecord, type Principal } from '../model.js';
import { applyVmrSettings, vmrView, type AdminServices } from '../services/index.js';

/** Call bandwidths a member may pick (kbps), SPEC §4. */
export const CALL_BANDWIDTHS = [256, 576, 1200, 2400, 4000] as const;

async function self(ctx: AdminContext, p: Principal): Promise<MemberRecord> {
  if (!p.companyId || !p.memberId) throw adminError('forbidden', 'not a member token');
  if ((await ctx.orgs.getCompany(p.companyId))?.deletedAt) throw adminError('not_found', 'your company no longer exists');
  const m = await ctx.consumers.get<MemberRecord>(p.companyId, p.memberId, 'user');
  if (!m) throw adminError('not_found', 'your user account no longer exists');
  return m;
}

export function memberRoutes(r: RouteRegistrar, ctx: AdminContext, s: AdminServices): void {
  r.addPublic({
    method: 'POST', path: '/invitations/accept', summary: 'Accept an invitation: activates the user and personal VMR, returns a member API token once', tag: 'users',
    body: z.object({ token: z.string().min(10).max(200) }), status: 201,
    response: z.object({ token: z.string(), member: MemberSchema, vmr: VmrViewSchema }),
    handler: async ({ body, audit }) => {
      const { member, vmr, token } = await s.members.createMemberFromInvitation(body.token);
      audit.target({ companyId: member.companyId, memberId: member.id });
      audit.partner((await ctx.orgs.getCompany(member.companyId))?.partnerId);
      audit.after(member);
      return { token, member, vmr: vmrView(vmr) };
    },
  });

  r.add({
    method: 'GET', path: '/me/account', summary: 'My user record and personal VMR', tag: 'me', roles: ['member'],
    response: z.object({ member: MemberSchema, vmr: VmrViewSchema.nullable() }),
    handler: async ({ principal }) => {
      const member = await self(ctx, principal);
      const vmr = await ctx.consumers.getVmr(member.companyId, member.vmrId);
      return { member, vmr: vmr ? vmrView(vmr) : null };
    },
  });

  r.add({
    method: 'PATCH', path: '/me/vmr', summary: 'Set my VMR\'s host/guest PINs (null clears), guests and layout', tag: 'me', roles: ['member'],
    body: z.object({
      hostPin: z.string().max(20).nullable().optional(),
      guestPin: z.string().max(20).nullable().optional(),
      allowGuests: z.boolean().optional(),
      defaultLayout: z.enum(['speaker', 'grid', 'presentation']).optional(),
    }),
    response: VmrViewSchema,
    handler: async ({ principal, body }) => {
      const member = await self(ctx, principal);
      const vmr = await ctx.consumers.getVmr(member.companyId, member.vmrId);
      if (!vmr) throw adminError('not_found', 'personal VMR missing');
      return vmrView(await applyVmrSettings(ctx, vmr, body));
    },
  });

  r.add({
    method: 'POST', path: '/me/vmr/start-link', tag: 'me', roles: ['member'],
    summary: 'A signed, short-lived "start my meeting" link: opens the web app and joins my VMR as host without a PIN, even while PIN entry is throttled',
    response: z.object({ url: z.string(), token: z.string(), address: z.string(), expiresAt: z.string() }),
    handler: async ({ principal }) => {
      const member = await self(ctx, principal);
      if (!ctx.hostLinks) throw adminError('feature_unavailable', 'start links are not available on this node');
      const vmr = await ctx.consumers.getVmr(member.companyId, member.vmrId);
      if (!vmr || vmr.state !== 'active' || member.state !== 'active') throw adminError('not_found', 'your personal VMR is not active');
      const { token, expiresAt } = ctx.hostLinks.mint({ vmrId: vmr.id, companyId: vmr.companyId, memberId: member.id });
      const address = member.vmrAddress;
      const url = new URL('/', ctx.config.publicBaseUrl);
      url.searchParams.set('address', address);
      url.searchParams.set('hostToken', token);
      return { url: url.toString(), token, address, expiresAt };
    },
  });

  r.add({
    method: 'PATCH', path: '/me/settings', summary: 'Default join mode and call bandwidth', tag: 'me', roles: ['member'],
    body: z.object({
      defaultJoinMode: JoinMode.optional(),
      callBandwidthKbps: z.literal(CALL_BANDWIDTHS).optional(),
    }),
    response: MemberSchema,
    handler: async ({ principal, body }) => {
      const member = await self(ctx, principal);
      const patch = {
        ...(body.defaultJoinMode ? { defaultJoinMode: body.defaultJoinMode } : {}),
        ...(body.callBandwidthKbps ? { callBandwidthKbps: body.callBandwidthKbps } : {}),
      };
      return s.members.updateSettings(member, patch);
    },
  });

  r.add({
    method: 'GET', path: '/me/calls', summary: 'My call history', tag: 'me', roles: ['member'],
    query: PageQuery, response: pageOf(CdrSchema),
    handler: async ({ principal, query }) => {
      const member = await self(ctx, principal);
      return { ...(await ctx.cdrs.listForMember(member.companyId, member.id, query.offset, query.limit)), offset: query.offset, limit: query.limit };
    },
  });
}
