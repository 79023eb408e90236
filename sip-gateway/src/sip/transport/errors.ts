export const TransportErrorCode = {
  NoTransport: 'NO_TRANSPORT',
  NotIpAddress: 'NOT_IP_ADDRESS',
  ConnectFailed: 'CONNECT_FAILED',
  SendFailed: 'SEND_FAILED',
  TlsNotConfigured: 'TLS_NOT_CONFIGURED',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
  }
}
