export * from './catalog.js';
export { companyLimits, type CompanyLimits } from './limits.js';
