/**
 * The upstream path of a call on a publisher's model on Vertex AI
 * (`publishers/{publisher}/models/{model}:{method}`), relative to the project and region, which the
 * GCP auth layer prepends.
 */

/** The methods the translators call on each publisher's models, as their paths spell them. */
interface VertexMethods {
  google: "generateContent" | "streamGenerateContent?alt=sse" | "predict";
  anthropic: "rawPredict" | "streamRawPredict";
}

export function vertexModelPath<P extends keyof VertexMethods>(
  publisher: P,
  model: string,
  method: VertexMethods[P],
): string {
  return `publishers/${publisher}/models/${model}:${method}`;
}
