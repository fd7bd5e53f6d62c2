/**
 * What both front doors' end-to-end tests ask of every provider (the ext_proc server behind a proxy
 * playing Envoy, and `ai-gateway run`): one table, so the two cannot drift apart.
 */
import type OpenAI from "openai";
import type { FakeProviderKind } from "./fake-providers";

/** The chat models of the route, each served by one fake of a kind, and the model it is asked for. */
export const CHAT_MODELS: ReadonlyArray<{
  model: string;
  kind: FakeProviderKind;
  override?: string;
}> = [
  { model: "gpt-4o", kind: "openai" },
  { model: "azure-gpt", kind: "azureopenai" },
  {
    model: "claude-bedrock",
    kind: "awsbedrock",
    override: "anthropic.claude-3-5-sonnet-20240620-v1:0",
  },
  { model: "gemini", kind: "gcpvertexai", override: "gemini-2.0-flash" },
  { model: "claude-vertex", kind: "gcpanthropic", override: "claude-3-5-sonnet@20240620" },
  { model: "claude", kind: "anthropic" },
];

/**
 * Embedding models on the cloud backends, each reached through a model override: what the client
 * sends (`input`, and provider fields in `extra`) and the whole body the provider must receive
 * (`sent`).
 */
export const CLOUD_EMBEDDINGS = [
  {
    model: "titan-embedding",
    kind: "awsbedrock" as const,
    override: "amazon.titan-embed-text-v2:0",
    // Titan embeds one text per request.
    input: ["one"],
    extra: { normalize: true },
    sent: { inputText: "one", normalize: true },
  },
  {
    model: "cohere-embedding",
    kind: "awsbedrock" as const,
    override: "cohere.embed-english-v3",
    input: ["one", "two"],
    extra: { input_type: "search_query" },
    // Floats asked for by type, so every Cohere Embed version answers in the same shape.
    sent: { texts: ["one", "two"], input_type: "search_query", embedding_types: ["float"] },
  },
  {
    model: "vertex-embedding",
    kind: "gcpvertexai" as const,
    override: "text-embedding-005",
    input: ["one", "two"],
    extra: { task_type: "RETRIEVAL_QUERY" },
    sent: {
      instances: [
        { content: "one", task_type: "RETRIEVAL_QUERY" },
        { content: "two", task_type: "RETRIEVAL_QUERY" },
      ],
    },
  },
];

export const WEATHER_TOOL: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
};
