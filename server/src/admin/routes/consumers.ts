import { z } from 'zod';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import { DIAL_IN_HINT, renderHandoutHtml, renderHandoutPdf, type HandoutData } from '../handouts/index.js';
import { PageQuery, pageOf, type RouteRegistrar } from '../http/route.js';
import {
  CallingDomainSchema,
  CdrSchema,
  ConsumerKind,
  ConsumerState,
  EndpointTierSchema,
  EndpointViewSchema,
  MemberSchema,
  TeamVmrSchema,
  UsageModel,
  VmrViewSchema,
  type CallingDomainRecord,
  type ConsumerRecord,
  type EndpointRecord,
  type MemberRecord,
  type TeamVmrRecord,
} from '../model.js';
import { endpointProvisioning, provisioningQr, registrarFor } from '../provisioning/index.js';
import { applyVmrSettings, vmrView, type AdminServices } from '../services/index.js';
import { ADMINS, CompanyItemParams, CompanyParams, Name, endpointView, loadCompany } from './shared.js';

const ListQuery = PageQuery.extend({ state: ConsumerState.optional(), q: z.string().max(200).optional() });
const LocalPart = z.string().min(1).max(64);
const Domain = z.string().min(1).max(253).optional();
const Pin = z.string().max(20).nullable().optional();

const PATHS: Record<ConsumerKind, string> = { user: 'users', team_vmr: 'team-vmrs', endpoint: 'endpoints', domain: 'domains' };

function view(rec: ConsumerRecord): unknown {
  return rec.kind === 'endpoint' ? endpointView(rec) : rec;
}

export function consumerRoutes(r: RouteRegistrar, ctx: AdminContext, s: AdminServices): void {
  const def = ctx.config.defaultDomain;

  // ---- listings and common actions for every consumer kind ----------------------------------

  // Users and team VMRs are listed with their meeting room's numeric ID and whether PINs are set.
  const RoomFacts = { numericId: z.string().nullable(), hostPinSet: z.boolean(), guestPinSet: z.boolean() };
  const itemSchemas: Record<ConsumerKind, z.ZodType> = { user: MemberSchema, team_vmr: TeamVmrSchema, endpoint: EndpointViewSchema, domain: CallingDomainSchema };
  const listSchemas: Record<ConsumerKind, z.ZodType> = { ...itemSchemas, user: MemberSchema.extend(RoomFacts), team_vmr: TeamVmrSchema.extend(RoomFacts) };
  const withRoomFacts = async (rec: ConsumerRecord): Promise<unknown> => {
    if (rec.kind !== 'user' && rec.kind !== 'team_vmr') return view(rec);
    const vmr = await ctx.consumers.getVmr(rec.companyId, rec.vmrId);
    return { ...rec, numericId: vmr?.numericId ?? null, hostPinSet: Boolean(vmr?.hostPinHash), guestPinSet: Boolean(vmr?.guestPinHash) };
  };
  for (const kind of ConsumerKind.options) {
    const base = `/companies/:companyId/${PATHS[kind]}`;
    r.add({
      method: 'GET', path: base, summary: `List ${PATHS[kind]} (filter by state, search text; read-only for the partner after the company is deleted)`, tag: 'consumers', roles: ADMINS,
      params: CompanyParams, query: ListQuery, response: pageOf(listSchemas[kind]),
      handler: async ({ principal, params, query }) => {
        // 'read' = 'manage' here (members are excluded by role), plus the partner's read-only view of a deleted company.
        const company = await loadCompany(ctx, principal, params.companyId, 'read');
        const page = await ctx.consumers.list(company.id, kind, query);
        return { items: await Promise.all(page.items.map(withRoomFacts)), total: page.total, offset: query.offset, limit: query.limit };
      },
    });
    r.add({
      method: 'DELETE', path: `${base}/:id`, summary: `Delete a ${kind}`, tag: 'consumers', roles: ADMINS, params: CompanyItemParams, status: 204,
      handler: async ({ principal, params, reply }) => {
        const company = await loadCompany(ctx, principal, params.companyId, 'manage');
        await s.consumers.delete(company, await s.consumers.get(company, kind, params.id));
        return reply.status(204).send();
      },
    });
    r.add({
      method: 'POST', path: `${base}/:id/reactivate`, summary: `Reactivate an inactive ${kind} (needs a licence or open evaluation)`, tag: 'consumers', roles: ADMINS,
      params: CompanyItemParams, response: itemSchemas[kind],
      handler: async ({ principal, params }) => {
        const company = await loadCompany(ctx, principal, params.companyId, 'manage');
        return view(await s.consumers.reactivate(company, await s.consumers.get(company, kind, params.id)));
      },
    });
  }

  r.add({
    method: 'POST', path: '/companies/:companyId/batch', summary: 'Delete or reactivate many consumers; one result per item', tag: 'consumers', roles: ADMINS,
    params: CompanyParams,
    body: z.object({ action: z.enum(['delete', 'reactivate']), items: z.array(z.object({ kind: ConsumerKind, id: z.string().min(1).max(100) })).min(1).max(500) }),
    response: z.object({ results: z.array(z.object({ kind: ConsumerKind, id: z.string(), ok: z.boolean(), state: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() })) }),
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      return { results: await s.consumers.batch(company, body.action, body.items) };
    },
  });

  // ---- users (by invitation) --------------------------------------------------------------

  r.add({
    method: 'POST', path: '/companies/:companyId/users', summary: 'Invite a user (reserves a licence; mails the accept link)', tag: 'users', roles: ADMINS,
    params: CompanyParams, body: z.object({ name: Name, email: z.email().max(320), localPart: LocalPart, domain: Domain }),
    response: MemberSchema, status: 201, idempotent: true,
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const { member } = await s.members.invite(principal, company, { ...body, domain: body.domain ?? def });
      return member;
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/users/:id', summary: 'A user with their personal VMR', tag: 'users', roles: ADMINS,
    params: CompanyItemParams, response: z.object({ user: MemberSchema, vmr: VmrViewSchema.nullable() }),
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const user = (await s.consumers.get(company, 'user', params.id)) as MemberRecord;
      const vmr = await ctx.consumers.getVmr(company.id, user.vmrId);
      return { user, vmr: vmr ? vmrView(vmr) : null };
    },
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/users/:id/resend-invitation', summary: 'Re-send the invitation email (new link; earlier links stay valid)', tag: 'users', roles: ADMINS,
    params: CompanyItemParams, response: z.object({ sent: z.boolean() }),
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      await s.members.resendNow(company, (await s.consumers.get(company, 'user', params.id)) as MemberRecord, principal);
      return { sent: true };
    },
  });

  // ---- team VMRs --------------------------------------------------------------------------

  r.add({
    method: 'POST', path: '/companies/:companyId/team-vmrs', summary: 'Add a team VMR (needs an EUL or EWA)', tag: 'team-vmrs', roles: ADMINS,
    params: CompanyParams, body: z.object({ name: Name, localPart: LocalPart, domain: Domain }),
    response: z.object({ team: TeamVmrSchema, vmr: VmrViewSchema }), status: 201, idempotent: true,
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const { team, vmr } = await s.consumers.createTeamVmr(company, { ...body, domain: body.domain ?? def });
      return { team, vmr: vmrView(vmr) };
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/team-vmrs/:id', summary: 'A team VMR', tag: 'team-vmrs', roles: ADMINS,
    params: CompanyItemParams, response: z.object({ team: TeamVmrSchema, vmr: VmrViewSchema.nullable() }),
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const team = (await s.consumers.get(company, 'team_vmr', params.id)) as TeamVmrRecord;
      const vmr = await ctx.consumers.getVmr(company.id, team.vmrId);
      return { team, vmr: vmr ? vmrView(vmr) : null };
    },
  });

  r.add({
    method: 'PATCH', path: '/companies/:companyId/team-vmrs/:id', summary: 'Change a team VMR (name, PINs, guests, limit, layout)', tag: 'team-vmrs', roles: ADMINS,
    params: CompanyItemParams,
    body: z.object({
      name: Name.optional(),
      hostPin: Pin,
      guestPin: Pin,
      allowGuests: z.boolean().optional(),
      participantLimit: z.number().int().min(2).max(100).nullable().optional(),
      defaultLayout: z.enum(['speaker', 'grid', 'presentation']).optional(),
    }),
    response: z.object({ team: TeamVmrSchema, vmr: VmrViewSchema }),
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      let team = (await s.consumers.get(company, 'team_vmr', params.id)) as TeamVmrRecord;
      const vmr = await ctx.consumers.getVmr(company.id, team.vmrId);
      if (!vmr) throw adminError('not_found', 'VMR missing');
      if (body.name !== undefined) {
        team = { ...team, name: body.name };
        await ctx.consumers.update(team);
      }
      const next = await applyVmrSettings(ctx, vmr, { ...body, ...(body.name !== undefined ? { displayName: body.name } : {}) });
      return { team, vmr: vmrView(next) };
    },
  });

  // ---- endpoints --------------------------------------------------------------------------

  r.add({
    method: 'POST', path: '/companies/:companyId/endpoints', summary: 'Add an endpoint (needs an Endpoint Basic/Plus/Premium licence; sets its bandwidth)', tag: 'endpoints', roles: ADMINS,
    params: CompanyParams, body: z.object({ name: Name, localPart: LocalPart, domain: Domain, tier: EndpointTierSchema, usageModel: UsageModel.optional() }),
    response: EndpointViewSchema, status: 201, idempotent: true,
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      return endpointView(await s.consumers.createEndpoint(company, { ...body, domain: body.domain ?? def }));
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/endpoints/:id', summary: 'An endpoint', tag: 'endpoints', roles: ADMINS,
    params: CompanyItemParams, response: EndpointViewSchema,
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      return endpointView((await s.consumers.get(company, 'endpoint', params.id)) as EndpointRecord);
    },
  });

  r.add({
    method: 'PATCH', path: '/companies/:companyId/endpoints/:id', summary: 'Change an endpoint (name, usage model)', tag: 'endpoints', roles: ADMINS,
    params: CompanyItemParams, body: z.object({ name: Name.optional(), usageModel: UsageModel.optional() }), response: EndpointViewSchema,
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const rec = (await s.consumers.get(company, 'endpoint', params.id)) as EndpointRecord;
      return endpointView(await s.consumers.updateEndpoint(rec, body));
    },
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/endpoints/:id/tier',
    summary: 'Change an endpoint\'s tier (Basic/Plus/Premium): takes a licence of the new tier and frees the old one atomically; sets its bandwidth',
    tag: 'endpoints', roles: ADMINS,
    params: CompanyItemParams, body: z.object({ tier: EndpointTierSchema }), response: EndpointViewSchema,
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const rec = (await s.consumers.get(company, 'endpoint', params.id)) as EndpointRecord;
      return endpointView(await s.consumers.changeTier(company, rec, body.tier));
    },
  });

  const provisioningOf = (e: EndpointRecord) => {
    const registrar = registrarFor(ctx.config.sipRegistrar, ctx.sipListeners.current);
    if (!registrar) throw adminError('feature_unavailable', 'this service has no SIP listener, so endpoints cannot register; add one under sip.transports');
    return endpointProvisioning({ address: e.address, username: e.sipUsername, password: e.sipPassword, registrar, tier: e.tier });
  };

  r.add({
    method: 'GET', path: '/companies/:companyId/endpoints/:id/provisioning', summary: 'Provisioning configuration (SIP credentials, registrar, bandwidth)', tag: 'endpoints', roles: ADMINS,
    params: CompanyItemParams,
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      return provisioningOf((await s.consumers.get(company, 'endpoint', params.id)) as EndpointRecord);
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/endpoints/:id/qr', summary: 'QR code of the provisioning configuration', tag: 'endpoints', roles: ADMINS,
    params: CompanyItemParams, query: z.object({ format: z.enum(['png', 'svg']).default('png') }), produces: 'image/png',
    handler: async ({ principal, params, query, reply }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const config = provisioningOf((await s.consumers.get(company, 'endpoint', params.id)) as EndpointRecord);
      reply.header('cache-control', 'no-store');
      if (query.format === 'svg') return reply.type('image/svg+xml').send(await provisioningQr(config, 'svg'));
      return reply.type('image/png').send(await provisioningQr(config, 'png'));
    },
  });

  // ---- calling domains --------------------------------------------------------------------

  r.add({
    method: 'POST', path: '/companies/:companyId/domains', summary: 'Add a calling domain (Domain Hosting licence for custom domains; mails DNS instructions)', tag: 'domains', roles: ADMINS,
    params: CompanyParams, body: z.object({ domain: z.string().min(1).max(253) }),
    response: CallingDomainSchema.extend({ verificationRecord: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }).nullable() }), status: 201, idempotent: true,
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const rec = await s.consumers.createDomain(company, body);
      return { ...rec, verificationRecord: rec.verified ? null : ctx.verifier.verificationRecord(company.id, rec.domain) };
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/domains/:id', summary: 'A calling domain with its DNS TXT record', tag: 'domains', roles: ADMINS,
    params: CompanyItemParams,
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const rec = (await s.consumers.get(company, 'domain', params.id)) as CallingDomainRecord;
      return { ...rec, verificationRecord: rec.verified ? null : ctx.verifier.verificationRecord(company.id, rec.domain) };
    },
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/domains/:id/verify', summary: 'Verify: look the TXT record up in DNS', tag: 'domains', roles: ADMINS,
    params: CompanyItemParams, response: CallingDomainSchema,
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      return s.consumers.verifyDomain(company, (await s.consumers.get(company, 'domain', params.id)) as CallingDomainRecord);
    },
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/domains/:id/resend-instructions', summary: 'Re-send the calling domain DNS instructions email', tag: 'domains', roles: ADMINS,
    params: CompanyItemParams, body: z.object({ to: z.email().max(320).optional() }).default({}),
    response: z.object({ sent: z.boolean() }),
    handler: async ({ principal, params, body }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const rec = (await s.consumers.get(company, 'domain', params.id)) as CallingDomainRecord;
      // A subdomain of the service's default domain needs no DNS records: nothing to send.
      if (rec.verifiedBy === 'default_domain') throw adminError('bad_request', `${rec.domain} is under the service's default domain and needs no DNS records`);
      const to = body.to ?? company.contactEmail ?? undefined;
      if (!to) throw adminError('bad_request', 'the company has no contact email; give "to"');
      await s.consumers.sendDomainInstructions(company, rec, to);
      return { sent: true };
    },
  });

  // ---- handouts and call history ------------------------------------------------------------

  const handoutData = async (companyId: string): Promise<HandoutData> => {
    const company = await ctx.orgs.getCompany(companyId);
    // Invited users are listed too (their addresses exist from the invitation on); inactive ones are not.
    const current = <T extends ConsumerRecord>(list: T[]) => list.filter((c) => c.state !== 'inactive');
    const numericIdOf = async (vmrId: string) => (await ctx.consumers.getVmr(companyId, vmrId))?.numericId ?? '';
    const endpoints = current(await s.consumers.listAll<EndpointRecord>(companyId, 'endpoint'));
    const users = current(await s.consumers.listAll<MemberRecord>(companyId, 'user'));
    const teams = current(await s.consumers.listAll<TeamVmrRecord>(companyId, 'team_vmr'));
    const teamVmrs = await Promise.all(teams.map(async (t) => ({ name: t.name, address: t.address, numericId: await numericIdOf(t.vmrId) })));
    // Service-wide IVR numbers, the company's partner's IVR numbers, and numbers straight to its VMRs.
    const dialIns = (await ctx.dialIns.list()).filter((d) =>
      d.target.kind === 'ivr' ? d.partnerId === null || d.partnerId === company?.partnerId : d.target.companyId === companyId && d.partnerId === company?.partnerId);
    return {
      company: { name: company?.name ?? '' },
      endpoints: endpoints.map((e) => ({ name: e.name, address: e.address, tier: e.tier })),
      users: await Promise.all(
        users.map(async (u) => ({ name: u.name, personalAddress: u.personalAddress, vmrAddress: u.vmrAddress, numericId: await numericIdOf(u.vmrId), invited: u.state === 'invited' })),
      ),
      teamVmrs,
      dialInNumbers: dialIns.map((d) => ({ number: d.number, label: d.label })),
      generatedAt: new Date(ctx.clock.now()),
    };
  };

  r.add({
    method: 'GET', path: '/companies/:companyId/handout', summary: 'Handout: endpoints, users, team VMRs, dial-in numbers (HTML or PDF)', tag: 'handouts', roles: ADMINS,
    params: CompanyParams, query: z.object({ format: z.enum(['html', 'pdf', 'json']).default('html') }), produces: 'application/pdf',
    handler: async ({ principal, params, query, reply }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'manage');
      const data = await handoutData(company.id);
      // json: the same content for the portal's in-browser view.
      if (query.format === 'json') return reply.type('application/json').send({ ...data, generatedAt: data.generatedAt.toISOString(), dialInHint: data.dialInNumbers.length > 0 ? DIAL_IN_HINT : null });
      if (query.format === 'pdf') {
        return reply.type('application/pdf').header('content-disposition', `attachment; filename="handout-${company.id}.pdf"`).send(await renderHandoutPdf(data));
      }
      return reply.type('text/html; charset=utf-8').send(renderHandoutHtml(data));
    },
  });
}
