import type { DigestHashName } from './digest-math.js';

/**
 * What a credential store returns for a user: the clear password, or the pre-computed
 * H(username:realm:password) per hash (the safer thing to store; RFC 7616 §5.2).
 */
export type StoredCredential =
  | { kind: 'password'; password: string }
  | { kind: 'ha1'; ha1: Partial<Record<DigestHashName, string>> };

/** Where digest credentials come from (directory, config, a provisioning system). */
export interface CredentialStore {
  /** undefined when the user does not exist in that realm. May reject if the backend is down. */
  lookup(username: string, realm: string): Promise<StoredCredential | undefined>;
}

/** A fixed table of users, e.g. from config; keys are `username@realm`. */
export class StaticCredentialStore implements CredentialStore {
  private readonly users = new Map<string, StoredCredential>();

  constructor(entries: Iterable<{ username: string; realm: string; credential: StoredCredential }> = []) {
    for (const e of entries) this.set(e.username, e.realm, e.credential);
  }

  set(username: string, realm: string, credential: StoredCredential): void {
    this.users.set(`${username}@${realm}`, credential);
  }

  lookup(username: string, realm: string): Promise<StoredCredential | undefined> {
    return Promise.resolve(this.users.get(`${username}@${realm}`));
  }
}
