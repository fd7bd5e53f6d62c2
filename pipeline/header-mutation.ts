/** Header mutations composed in order, as Envoy applies a set (overwrite) after a remove. */
import type { HeaderMutation } from "../lib/header-mutation";

export const NO_HEADER_CHANGE: HeaderMutation = { set: {}, remove: [] };

/** `first`, then each of `more`: a later set overrides, a later remove cancels an earlier set. */
export function composeHeaderMutations(
  first: HeaderMutation,
  ...more: HeaderMutation[]
): HeaderMutation {
  const set: Record<string, string> = { ...first.set };
  const remove = new Set(first.remove);
  for (const mutation of more) {
    for (const name of mutation.remove) {
      delete set[name];
      remove.add(name);
    }
    for (const [name, value] of Object.entries(mutation.set)) {
      set[name] = value;
      remove.delete(name);
    }
  }
  return { set, remove: [...remove] };
}

/** `headers` (lower-case names) with `mutation` applied. */
export function applyHeaderMutation(
  headers: Record<string, string>,
  mutation: HeaderMutation,
): Record<string, string> {
  const result = { ...headers };
  for (const name of mutation.remove) delete result[name];
  return Object.assign(result, mutation.set);
}
