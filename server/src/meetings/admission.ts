import { MeetingError, MeetingErrors } from './errors.js';

/** Its row of the one refusal table (errors.ts). */
export const AdmissionErrors = { node_overloaded: MeetingErrors.node_overloaded };

/** The node's admission control as meetings see it (the media workers' CPU, for instance). */
export interface JoinAdmission {
  refusal(): { retryAfterSeconds: number } | undefined;
}

/** Throws `node_overloaded` when admission control refuses new participants. */
export function assertAdmitted(admission: JoinAdmission | undefined): void {
  const refusal = admission?.refusal();
  if (refusal) {
    throw new MeetingError('node_overloaded', `this node is busy; try again in ${refusal.retryAfterSeconds} s`, {
      retryAfterSeconds: refusal.retryAfterSeconds,
    });
  }
}
