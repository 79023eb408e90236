export { TokenService, newSecretToken, sha256Hex, TOKEN_PREFIX, type IssueInput } from './tokens.js';
export { assertCompanyAccess, canSeeCompany, type CompanyAccess } from './access.js';
