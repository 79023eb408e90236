/** Public face of the SIP gateway package. */
export * from './sip/index.js';
