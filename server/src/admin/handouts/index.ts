/** Per-company handouts (seed 001): endpoints, users, team VMRs and PSTN dial-in numbers, as HTML and PDF. */
export { DIAL_IN_HINT, type HandoutData, tierLabel } from './data.js';
export { renderHandoutHtml } from './html.js';
export { renderHandoutPdf, type HandoutPdfOptions } from './pdf.js';
