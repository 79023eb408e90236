import type { RedisClient } from '../store/index.js';

/**
 * Seats are the one place participant limits are enforced: an atomic Lua script checks the
 * meeting's and the company's counts and takes a seat in both, so concurrent joins on any
 * number of nodes can never exceed a limit. Seats are leases (sorted-set scores are expiry
 * times in Redis's own clock): the node holding them renews them; a node that dies stops
 * renewing and its seats free themselves.
 */
const RESERVE = `
local meetingKey, companyKey = KEYS[1], KEYS[2]
local leaseMs, meetingLimit, companyLimit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local seat, companySeat = ARGV[4], ARGV[5]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', meetingKey, '-inf', now)
redis.call('ZREMRANGEBYSCORE', companyKey, '-inf', now)
if redis.call('ZSCORE', meetingKey, seat) then
  redis.call('ZADD', meetingKey, now + leaseMs, seat)
  redis.call('ZADD', companyKey, now + leaseMs, companySeat)
  return 'ok'
end
if redis.call('ZCARD', meetingKey) >= meetingLimit then return 'meeting_full' end
if companyLimit >= 0 and redis.call('ZCARD', companyKey) >= companyLimit then return 'licence_limit' end
redis.call('ZADD', meetingKey, now + leaseMs, seat)
redis.call('ZADD', companyKey, now + leaseMs, companySeat)
redis.call('PEXPIRE', meetingKey, leaseMs * 2)
redis.call('PEXPIRE', companyKey, leaseMs * 2)
return 'ok'
`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leaseMs = tonumber(ARGV[1])
local renewed = 0
for i = 1, #KEYS, 2 do
  local n = redis.call('ZADD', KEYS[i], 'XX', 'CH', now + leaseMs, ARGV[i + 1])
  redis.call('ZADD', KEYS[i + 1], 'XX', now + leaseMs, ARGV[i + 2])
  redis.call('PEXPIRE', KEYS[i], leaseMs * 2)
  redis.call('PEXPIRE', KEYS[i + 1], leaseMs * 2)
  renewed = renewed + n
end
return renewed
`;

export type SeatRefusal = 'meeting_full' | 'licence_limit';

export interface SeatRequest {
  meetingId: string;
  companyId: string;
  participantId: string;
  meetingLimit: number;
  /** null = no company-wide cap. */
  companyLimit: number | null;
}

export class SeatLedger {
  constructor(
    private readonly redis: RedisClient,
    private readonly leaseMs: number,
  ) {}

  private keys(meetingId: string, companyId: string): [string, string] {
    return [`conv:meetings:seats:meeting:${meetingId}`, `conv:meetings:seats:company:${companyId}`];
  }

  /** Takes a seat (idempotent for the same participant) or says which limit refused it. */
  async reserve(req: SeatRequest): Promise<'ok' | SeatRefusal> {
    const keys = this.keys(req.meetingId, req.companyId);
    const result = await this.redis.eval(RESERVE, {
      keys,
      arguments: [
        String(this.leaseMs),
        String(req.meetingLimit),
        String(req.companyLimit ?? -1),
        req.participantId,
        `${req.meetingId}/${req.participantId}`,
      ],
    });
    return result as 'ok' | SeatRefusal;
  }

  async release(meetingId: string, companyId: string, participantId: string): Promise<void> {
    const [m, c] = this.keys(meetingId, companyId);
    await this.redis.multi().zRem(m, participantId).zRem(c, `${meetingId}/${participantId}`).exec();
  }

  /** Extends the leases of the given seats; call every leaseMs/3 or so. */
  async renew(seats: { meetingId: string; companyId: string; participantId: string }[]): Promise<void> {
    if (seats.length === 0) return;
    const keys: string[] = [];
    const args: string[] = [String(this.leaseMs)];
    for (const s of seats) {
      keys.push(...this.keys(s.meetingId, s.companyId));
      args.push(s.participantId, `${s.meetingId}/${s.participantId}`);
    }
    await this.redis.eval(RENEW, { keys, arguments: args });
  }

  async count(meetingId: string): Promise<number> {
    const [m] = this.keys(meetingId, '');
    return this.redis.zCount(m, Date.now(), '+inf');
  }
}
