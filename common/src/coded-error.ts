/**
 * An error with a machine-readable code from a closed list — the shape every parser and service
 * error here has (`code` drives metrics labels, logs and the reply; `message` is for people).
 * Subclasses only name themselves: `class X extends CodedError<XCode> { override readonly name = 'X'; }`.
 */
export class CodedError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
  }
}
