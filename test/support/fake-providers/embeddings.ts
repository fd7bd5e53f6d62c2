/**
 * Embeddings as every fake answers them: a unit vector drawn from each text's hash, so the same
 * text always embeds the same. Each provider's wire format for them lives in that provider's file.
 */
import { createHash } from "node:crypto";

/** The dimension of a fake embedding when the request names none (real models have 1536 or so). */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/** A unit vector drawn from the input's hash: the same input always embeds the same. */
export function vectorOf(input: string, dimensions: number): number[] {
  const digest = createHash("sha256").update(input).digest();
  const raw = Array.from({ length: dimensions }, (_, i) => digest[i % digest.length] / 255 - 0.5);
  const norm = Math.hypot(...raw) || 1;
  // Float32 values, so that the float and base64 encodings carry the same numbers.
  return raw.map(value => Math.fround(value / norm));
}

/** A request's dimension field, or the default when it names none. */
export const dimensionsOf = (value: unknown) =>
  typeof value === "number" ? value : DEFAULT_EMBEDDING_DIMENSIONS;
