/**
 * The header changes translators and backend auth hand to the ext_proc server, in one module both
 * import, so that neither depends on the other for it.
 */

/** Header changes to apply to the upstream request or the client response. */
export interface HeaderMutation {
  /** Set with overwrite semantics (never appended). Keys are lower-case. */
  set: Record<string, string>;
  /** Header names to remove. Lower-case. */
  remove: string[];
}
