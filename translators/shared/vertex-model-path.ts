/**
 * The upstream path of a call on a publisher's model on Vertex AI
 * (`publishers/{publisher}/models/{model}:{method}`), relative to the project and region, which the
 * GCP auth layer prepends.
 */
import { badRequest } from "../errors";

/** The methods the translators call on each publisher's models, as their paths spell them. */
interface VertexMethods {
  google: "generateContent" | "streamGenerateContent?alt=sse" | "predict";
  anthropic: "rawPredict" | "streamRawPredict";
}

/**
 * @throws TranslationError (400) for a model that is not one path segment: with a catch-all rule
 * and no override, the client picks it, and `../..` or `x?y` would call another resource with the
 * gateway's token.
 */
export function vertexModelPath<P extends keyof VertexMethods>(
  publisher: P,
  model: string,
  method: VertexMethods[P],
): string {
  if (model.includes("/") || model === "." || model === "..") {
    throw badRequest(`model: \`${model}\` is not a Vertex AI model ID`, "model");
  }
  // Encoded as one segment; `@` stays, as Anthropic's model versions on Vertex AI spell it.
  return `publishers/${publisher}/models/${encodeURIComponent(model).replaceAll("%40", "@")}:${method}`;
}
