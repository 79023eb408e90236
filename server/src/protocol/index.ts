// The signalling contract shared by the server, the web app and (later) the SIP gateway.
// Documented for humans in docs/signaling-protocol.md.
export * from './common.js';
export * from './requests.js';
export * from './responses.js';
