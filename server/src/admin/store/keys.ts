/**
 * Redis key layout. Everything of one company carries the hash tag `{c:<id>}` so a company's
 * licence check, usage counters and consumer writes sit in one slot (Lua scripts touch them
 * together). Address and numeric-ID claims are global by nature.
 */
const P = 'conv:admin:';
const c = (companyId: string) => `${P}{c:${companyId}}:`;

/** The prefix every key of one company shares (Lua derives pool-member keys from it). */
export const companyKeyPrefix = c;

export const keys = {
  partner: (id: string) => `${P}partner:${id}`,
  partners: () => `${P}partners`,
  operatorPartner: () => `${P}operator-partner`,
  /** Set once the generated operator token was issued (so it is generated and shown only once). */
  operatorTokenIssued: () => `${P}operator-token-issued`,
  /** Generated HMAC secret for domain verification tokens when none is configured. */
  domainSecret: () => `${P}domain-secret`,
  company: (id: string) => `${P}company:${id}`,
  companies: () => `${P}companies`,
  partnerCompanies: (partnerId: string) => `${P}partner:${partnerId}:companies`,

  /** hash planId → JSON { pools, expiresAt, status }: what the Lua licence check sums. */
  licences: (companyId: string) => `${c(companyId)}lic`,
  /** hash pool → number of active/invited consumers drawing from it. */
  usage: (companyId: string) => `${c(companyId)}used`,
  /** zset consumer id → createdAt, of active consumers per pool (newest lose their licence first). */
  poolMembers: (companyId: string, pool: string) => `${c(companyId)}pool:${pool || '-'}`,
  /** string, set when the company is deleted: every licence script refuses new activations once it exists. */
  companyDeleted: (companyId: string) => `${c(companyId)}deleted`,
  /** zset of trial consumers (deactivated when the evaluation ends). */
  trials: (companyId: string) => `${c(companyId)}trials`,

  plan: (companyId: string, id: string) => `${c(companyId)}plan:${id}`,
  plans: (companyId: string) => `${c(companyId)}plans`,
  order: (companyId: string, id: string) => `${c(companyId)}order:${id}`,
  orders: (companyId: string) => `${c(companyId)}orders`,

  /** hash { json, state, pool } per consumer. */
  consumer: (companyId: string, id: string) => `${c(companyId)}con:${id}`,
  consumersByKind: (companyId: string, kind: string) => `${c(companyId)}cons:${kind}`,
  /** hash { json, state } per VMR. */
  vmr: (companyId: string, id: string) => `${c(companyId)}vmr:${id}`,

  /** string `<companyId>|<kind>|<id>`: who owns an address (personal, vmr, endpoint). */
  addressClaim: (address: string) => `${P}addr:${address}`,
  numericIdClaim: (numericId: string) => `${P}vmrnum:${numericId}`,
  domainClaim: (domain: string) => `${P}dom:${domain}`,

  token: (sha256: string) => `${P}tok:${sha256}`,
  /** hash tokenId → token SHA-256 of a company's administrator tokens (list and revoke by id). */
  companyAdmins: (companyId: string) => `${P}company:${companyId}:admins`,
  invitation: (sha256: string) => `${P}inv:${sha256}`,
  /** zset memberId → invitedAt of pending invitations, across companies (`<companyId>|<memberId>`). */
  pendingInvitations: () => `${P}invites:pending`,

  dialIn: (number: string) => `${P}dialin:${number}`,
  dialIns: () => `${P}dialins`,

  /** Audit streams: every admin write, and a copy per partner allowed to read it. */
  audit: () => `${P}audit`,
  auditPartner: (partnerId: string) => `${P}audit:p:${partnerId}`,

  cdr: (companyId: string, id: string) => `${c(companyId)}cdr:${id}`,
  cdrs: (companyId: string) => `${c(companyId)}cdrs`,
  cdrsByMember: (companyId: string, memberId: string) => `${c(companyId)}cdrs:m:${memberId}`,
  cdrsByEndpoint: (companyId: string, endpointId: string) => `${c(companyId)}cdrs:e:${endpointId}`,
  cdrsByVmr: (companyId: string, vmrId: string) => `${c(companyId)}cdrs:v:${vmrId}`,

  idempotency: (principal: string, key: string) => `${P}idem:${principal}:${key}`,
};
