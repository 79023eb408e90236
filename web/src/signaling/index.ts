export { SignalingClient, type WebSocketLike, type NotificationEvents, type SignalingClientOptions } from './client.js';
export { SignalingError, CLIENT_ERROR_CODES, type ClientErrorCode } from './errors.js';
export { errorMessage, leaveReasonMessage } from './messages.js';
