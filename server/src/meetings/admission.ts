import { DomainError, defineErrorCodes } from '../errors.js';

export const AdmissionErrors = defineErrorCodes({
  node_overloaded: {
    http: 503,
    description: 'This node is at its media CPU limit and takes no new participants now; retry after details.retryAfterSeconds.',
  },
});

/** The node's admission control as meetings see it (the media workers' CPU, for instance). */
export interface JoinAdmission {
  refusal(): { retryAfterSeconds: number } | undefined;
}

/** Throws `node_overloaded` when admission control refuses new participants. */
export function assertAdmitted(admission: JoinAdmission | undefined): void {
  const refusal = admission?.refusal();
  if (refusal) {
    throw new DomainError('node_overloaded', `this node is busy; try again in ${refusal.retryAfterSeconds} s`, {
      retryAfterSeconds: refusal.retryAfterSeconds,
    });
  }
}
