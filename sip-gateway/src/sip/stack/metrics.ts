/**
 * Prometheus metrics for the SIP stack, registered on the caller's Registry. Method labels are
 * folded to a fixed set so hostile input cannot create unbounded label values.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TransactionKind, TransactionObserver } from '../transaction/index.js';

const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'UPDATE', 'INFO', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']);
export const methodLabel = (m: string) => (KNOWN_METHODS.has(m) ? m : 'OTHER');

export class SipMetrics implements TransactionObserver {
  readonly transactions: Counter<'kind' | 'method' | 'result'>;
  readonly retransmissions: Counter<'kind' | 'method'>;
  readonly parseErrors: Counter<'code' | 'transport'>;
  readonly refused: Counter<'reason'>;
  readonly connectionsDropped: Counter<'reason' | 'transport'>;

  constructor(registry: Registry, gauges: { transactions: () => number; dialogs: () => number }) {
    this.transactions = new Counter({
      name: 'sip_transactions_total',
      help: 'SIP transactions ended, by kind (ict/nict/ist/nist), method and result (2xx..6xx, timeout, transport_error)',
      labelNames: ['kind', 'method', 'result'],
      registers: [registry],
    });
    this.retransmissions = new Counter({
      name: 'sip_retransmissions_total',
      help: 'SIP retransmissions sent by this stack, by transaction kind and method',
      labelNames: ['kind', 'method'],
      registers: [registry],
    });
    this.parseErrors = new Counter({
      name: 'sip_parse_errors_total',
      help: 'SIP messages that failed to parse, by error code and transport',
      labelNames: ['code', 'transport'],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'sip_requests_refused_total',
      help: 'Requests refused or dropped by the stack defences, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.connectionsDropped = new Counter({
      name: 'sip_connections_dropped_total',
      help: 'TCP/TLS connections refused (per_address_cap) or closed (message_timeout: a message not complete in time) by the transport defences',
      labelNames: ['reason', 'transport'],
      registers: [registry],
    });
    new Gauge({ name: 'sip_transactions_active', help: 'Live SIP transactions', registers: [registry], collect() { this.set(gauges.transactions()); } });
    new Gauge({ name: 'sip_dialogs_active', help: 'Live SIP dialogs', registers: [registry], collect() { this.set(gauges.dialogs()); } });
  }

  retransmitted(kind: TransactionKind, method: string): void {
    this.retransmissions.inc({ kind, method: methodLabel(method) });
  }

  ended(kind: TransactionKind, method: string, result: string): void {
    this.transactions.inc({ kind, method: methodLabel(method), result });
  }
}
