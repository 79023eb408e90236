/** Public face of the transaction layer. */
export { TransactionLayer, type TransactionUser, type TransactionLayerDeps, type Refusal } from './layer.js';
export { makeTimers, type SipTimers, type TimerOverrides } from './timers.js';
export { TransactionEnd, type TransactionKind, type TransactionObserver, type Transaction } from './base.js';
export {
  ClientTransaction,
  InviteClientTransaction,
  NonInviteClientTransaction,
  type ClientTransactionUser,
  type ClientFailure,
  type IctState,
  type NictState,
} from './client.js';
export { ServerTransaction, InviteServerTransaction, NonInviteServerTransaction, type IstState, type NistState, type ServerTransactionEvents } from './server.js';
