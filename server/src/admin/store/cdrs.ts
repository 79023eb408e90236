import type { RedisClient } from '../../store/index.js';
import type { CallDetailRecord } from '../model.js';
import { keys } from './keys.js';

/** Call-detail records, indexed by company, member and endpoint (newest first). */
export class CdrRepository {
  constructor(private readonly redis: RedisClient) {}

  async write(cdr: CallDetailRecord): Promise<void> {
    const score = Date.parse(cdr.startedAt);
    const m = this.redis.multi().set(keys.cdr(cdr.companyId, cdr.id), JSON.stringify(cdr)).zAdd(keys.cdrs(cdr.companyId), { score, value: cdr.id });
    if (cdr.memberId) m.zAdd(keys.cdrsByMember(cdr.companyId, cdr.memberId), { score, value: cdr.id });
    if (cdr.endpointId) m.zAdd(keys.cdrsByEndpoint(cdr.companyId, cdr.endpointId), { score, value: cdr.id });
    if (cdr.vmrId) m.zAdd(keys.cdrsByVmr(cdr.companyId, cdr.vmrId), { score, value: cdr.id });
    await m.exec();
  }

  private async page(companyId: string, index: string, offset: number, limit: number): Promise<{ items: CallDetailRecord[]; total: number }> {
    const [total, ids] = await Promise.all([this.redis.zCard(index), this.redis.zRange(index, offset, offset + limit - 1, { REV: true })]);
    const vals = ids.length ? await this.redis.mGet(ids.map((id) => keys.cdr(companyId, id))) : [];
    return { items: vals.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as CallDetailRecord), total };
  }

  listForCompany(companyId: string, offset: number, limit: number) {
    return this.page(companyId, keys.cdrs(companyId), offset, limit);
  }

  listForMember(companyId: string, memberId: string, offset: number, limit: number) {
    return this.page(companyId, keys.cdrsByMember(companyId, memberId), offset, limit);
  }

  /**
   * Newest first, filtered: start time in [fromMs, toMs), one VMR, one participant kind. The
   * time range is read from the index by score; the kind is checked per record, scanning at most
   * `maxScan` records of the range so a filter cannot make one request read everything.
   */
  async search(
    companyId: string,
    filter: { fromMs?: number | undefined; toMs?: number | undefined; vmrId?: string | undefined; participantKind?: string | undefined },
    offset: number,
    limit: number,
    maxScan = 100_000,
  ): Promise<{ items: CallDetailRecord[]; total: number }> {
    const index = filter.vmrId ? keys.cdrsByVmr(companyId, filter.vmrId) : keys.cdrs(companyId);
    const max = filter.toMs !== undefined ? `(${filter.toMs}` : '+inf';
    const min = filter.fromMs !== undefined ? String(filter.fromMs) : '-inf';
    if (!filter.participantKind) {
      const total = await this.redis.zCount(index, min, max);
      const ids = await this.redis.zRange(index, max, min, { BY: 'SCORE', REV: true, LIMIT: { offset, count: limit } });
      return { items: await this.load(companyId, ids), total };
    }
    const ids = await this.redis.zRange(index, max, min, { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: maxScan } });
    const matching: CallDetailRecord[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      for (const cdr of await this.load(companyId, ids.slice(i, i + 500))) if ((cdr.participantKind ?? null) === filter.participantKind) matching.push(cdr);
    }
    return { items: matching.slice(offset, offset + limit), total: matching.length };
  }

  private async load(companyId: string, ids: string[]): Promise<CallDetailRecord[]> {
    const vals = ids.length ? await this.redis.mGet(ids.map((id) => keys.cdr(companyId, id))) : [];
    return vals.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as CallDetailRecord);
  }

  async allForEndpoint(companyId: string, endpointId: string): Promise<CallDetailRecord[]> {
    return (await this.page(companyId, keys.cdrsByEndpoint(companyId, endpointId), 0, 100_000)).items;
  }

  async anonymize(companyId: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const v = await this.redis.get(keys.cdr(companyId, id));
      if (!v) continue;
      const cdr = JSON.parse(v) as CallDetailRecord;
      const anon: CallDetailRecord = {
        ...cdr, from: 'anonymized', to: cdr.vmrId ? cdr.to : 'anonymized', displayName: 'anonymized', remoteAddress: null, anonymized: true,
        ...(cdr.callerAddress ? { callerAddress: 'anonymized' } : {}),
      };
      await this.redis.set(keys.cdr(companyId, id), JSON.stringify(anon));
    }
  }

  async remove(companyId: string, cdrs: CallDetailRecord[]): Promise<void> {
    for (const cdr of cdrs) {
      const m = this.redis.multi().del(keys.cdr(companyId, cdr.id)).zRem(keys.cdrs(companyId), cdr.id);
      if (cdr.memberId) m.zRem(keys.cdrsByMember(companyId, cdr.memberId), cdr.id);
      if (cdr.endpointId) m.zRem(keys.cdrsByEndpoint(companyId, cdr.endpointId), cdr.id);
      if (cdr.vmrId) m.zRem(keys.cdrsByVmr(companyId, cdr.vmrId), cdr.id);
      await m.exec();
    }
  }
}
